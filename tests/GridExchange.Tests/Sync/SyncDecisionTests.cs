using GridExchange.Domain.Sync;
using GridExchange.V1;

namespace GridExchange.Tests.Sync;

public sealed class SyncDecisionTests
{
    [Fact]
    public void PulledBatchId_IsDeterministicAndSeparatesDifferentBatches()
    {
        var a = SyncRequestIds.ForPulledBatch("county-370602", "c1", "c2", [1, 2, 3]);
        Assert.Equal(a, SyncRequestIds.ForPulledBatch("county-370602", "c1", "c2", [1, 2, 3]));
        Assert.NotEqual(a, SyncRequestIds.ForPulledBatch("county-370602", "c1", "c2", [1, 2, 4]));
        Assert.NotEqual(a, SyncRequestIds.ForPulledBatch("county-370602", "c0", "c2", [1, 2, 3]));
        Assert.NotEqual(a, SyncRequestIds.ForPulledBatch("county-370611", "c1", "c2", [1, 2, 3]));
        Assert.InRange(a.Length, 1, 64);
        Assert.InRange(SyncRequestIds.ForResyncDelete("c", "Person", "p-1").Length, 1, 64);
    }

    [Theory]
    [InlineData(ReceiveBatchKind.Changes, ReceiveStatus.Applied, "h1", PushStep.Next)]
    [InlineData(ReceiveBatchKind.Changes, ReceiveStatus.OutOfOrder, "h1", PushStep.ResendFromAcked)]
    [InlineData(ReceiveBatchKind.Changes, ReceiveStatus.OutOfOrder, "", PushStep.Reload)]
    [InlineData(ReceiveBatchKind.Changes, ReceiveStatus.ReloadRequired, "h1", PushStep.Reload)]
    [InlineData(ReceiveBatchKind.Snapshot, ReceiveStatus.OutOfOrder, "h1", PushStep.Reload)]
    [InlineData(ReceiveBatchKind.SnapshotEnd, ReceiveStatus.Applied, "h2", PushStep.Next)]
    [InlineData(ReceiveBatchKind.Changes, ReceiveStatus.Unspecified, "h1", PushStep.Retry)]
    public void PushDecision_FollowsTheSinksAnswer(ReceiveBatchKind sent, ReceiveStatus status, string acked, PushStep expected) =>
        Assert.Equal(expected, PushDecision.Decide(sent, new ReceiveChangesResponse { Status = status, AckedCursor = acked }));

    [Fact]
    public void ExportTracker_FullExportFromTheStart_DeletesOwnedRecordsNotSent()
    {
        var tracker = new ExportTracker();
        tracker.Observe(Batch(ExportBatchKind.Snapshot, "a", "b"), "", firstOfStream: true);
        // A reconnection inside the export: its keys are still noted.
        tracker.Observe(Batch(ExportBatchKind.SnapshotEnd, "c"), "cp-2", firstOfStream: true);
        var deletions = tracker.Deletions([(EntityType.Person, "a", 3), (EntityType.Person, "c", 1), (EntityType.Person, "gone", 7)], "end", out var complete);

        Assert.True(complete);
        var delete = Assert.Single(deletions);
        Assert.Equal("gone", delete.EntityKey);
        Assert.Equal(ChangeOperation.Delete, delete.Operation);
        Assert.Equal(8, delete.EntityVersion);
        Assert.StartsWith("hub-resync-delete-", delete.SourceChangeId, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportTracker_ExportNotFollowedFromItsStart_DeletesNothing()
    {
        var tracker = new ExportTracker();
        // Resumed from a checkpoint inside an export an earlier run began.
        tracker.Observe(Batch(ExportBatchKind.Snapshot, "b"), "cp-inside", firstOfStream: true);
        tracker.Observe(Batch(ExportBatchKind.SnapshotEnd), "cp-inside", firstOfStream: false);
        Assert.Empty(tracker.Deletions([(EntityType.Person, "a", 1)], "end", out var complete));
        Assert.False(complete);
    }

    [Fact]
    public void ExportTracker_PeerResendsEverythingAfterChanges_IsANewExport()
    {
        var tracker = new ExportTracker();
        tracker.Observe(Batch(ExportBatchKind.Changes, "x"), "cp-1", firstOfStream: true);
        tracker.Observe(Batch(ExportBatchKind.Snapshot, "a"), "cp-1", firstOfStream: false);
        tracker.Observe(Batch(ExportBatchKind.SnapshotEnd), "cp-1", firstOfStream: false);
        Assert.Equal(["x"], tracker.Deletions([(EntityType.Person, "a", 1), (EntityType.Person, "x", 1)], "end", out var complete).Select(d => d.EntityKey));
        Assert.True(complete);
    }

    [Fact]
    public void ExportTracker_UnsetKind_CountsAsChanges()
    {
        var tracker = new ExportTracker();
        tracker.Observe(Batch(ExportBatchKind.Unspecified, "a"), "", firstOfStream: true);
        Assert.False(tracker.InExport);
        Assert.Empty(tracker.Deletions([(EntityType.Person, "b", 1)], "end", out _));
    }

    [Fact]
    public void LinksOf_FollowRolesAndEndpoint()
    {
        var peer = new Peer { Id = "p-1", Endpoint = "http://127.0.0.1:1", Roles = { PeerRole.Source, PeerRole.Sink, PeerRole.Consumer } };
        Assert.Equal([SyncDirection.Pull, SyncDirection.Push, SyncDirection.Directives], SyncJobIds.LinksOf(peer));
        Assert.Empty(SyncJobIds.LinksOf(new Peer { Id = "p-2", Roles = { PeerRole.Source } }));
        Assert.Equal("sync:pull:p-1", SyncJobIds.For("p-1", SyncDirection.Pull));
        Assert.Equal("sync:push:p-1", SyncJobIds.For("p-1", SyncDirection.Push));
    }

    private static ExportChangesResponse Batch(ExportBatchKind kind, params string[] keys) => new()
    {
        Kind = kind,
        Checkpoint = "cp",
        Changes = { keys.Select(k => new Change { EntityType = EntityType.Person, EntityKey = k, Operation = ChangeOperation.Upsert, EntityVersion = 1 }) },
    };
}
