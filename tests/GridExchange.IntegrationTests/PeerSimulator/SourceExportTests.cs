using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator.Faults;
using GridExchange.PeerSimulator.Source;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.PeerSimulator;

/// <summary>ExportChanges of a county simulator over a real socket: ordered, resumable, as peer_service.proto says.</summary>
public sealed class SourceExportTests : IClassFixture<SourceSimulatorFixture>
{
    private readonly SourceSimulatorFixture _fixture;

    public SourceExportTests(SourceSimulatorFixture fixture)
    {
        _fixture = fixture;
        fixture.Host.Faults.Update(FaultSettings.None);
    }

    private CountySource Source => _fixture.Host.Source!;

    [Fact]
    public async Task ExportChanges_EmptyCheckpoint_FullExportOfEveryRecordThenCaughtUp()
    {
        var batches = await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 1000 });

        var end = batches.FindIndex(b => b.Kind == ExportBatchKind.SnapshotEnd);
        Assert.True(end > 0);
        Assert.All(batches[..end], b => Assert.Equal(ExportBatchKind.Snapshot, b.Kind));
        Assert.All(batches[(end + 1)..], b => Assert.Equal(ExportBatchKind.Changes, b.Kind));
        Assert.All(batches, b => Assert.InRange(b.Changes.Count, 0, 1000));
        var snapshot = batches[..(end + 1)].SelectMany(b => b.Changes).ToList();
        Assert.All(snapshot, c =>
        {
            Assert.Equal(ChangeOperation.Upsert, c.Operation);
            Assert.NotEqual(Change.PayloadOneofCase.None, c.PayloadCase);
            Assert.Equal("", c.RegionCode); // output-only envelope fields stay empty
        });
        Assert.Equal(snapshot.Count, snapshot.Select(c => (c.EntityType, c.EntityKey)).Distinct().Count());
        Assert.Equal(await LiveVersionsAsync(), Apply(batches));
        Assert.True(batches[^1].CaughtUp);
    }

    [Fact]
    public async Task ExportChanges_ResumedInsideFullExportWhileChanging_ConvergesWithoutDuplicates()
    {
        var first = await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 500 }, take: 3);
        Assert.All(first, b => Assert.Equal(ExportBatchKind.Snapshot, b.Kind));

        // The county keeps working while the link is down: moves reorder records the export has not reached yet.
        await GenerateAsync(seed: 31, rounds: 3, perRound: 100);
        var rest = await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 500, Checkpoint = first[^1].Checkpoint });

        Assert.Equal(ExportBatchKind.Snapshot, rest[0].Kind); // the same full export continues
        Assert.Single(rest, b => b.Kind == ExportBatchKind.SnapshotEnd);
        var all = first.Concat(rest).ToList();
        Assert.Equal(await LiveVersionsAsync(), Apply(all));
        Assert.True(all[^1].CaughtUp);
    }

    [Fact]
    public async Task ExportChanges_ResumedFromEachCheckpoint_NoGapNoDuplicate()
    {
        var start = (await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 1000 }))[^1].Checkpoint;
        var head = await Source.Store.GetFeedHeadAsync(CancellationToken.None);
        await GenerateAsync(seed: 17, rounds: 3, perRound: 20);

        var received = new List<string>();
        var checkpoint = start;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            // Two batches of 7 per connection, as if the line dropped after each.
            var batches = await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 7, Checkpoint = checkpoint }, take: 2);
            Assert.All(batches, b => Assert.Equal(ExportBatchKind.Changes, b.Kind));
            received.AddRange(batches.SelectMany(b => b.Changes).Select(c => c.SourceChangeId));
            checkpoint = batches[^1].Checkpoint;
            if (batches[^1].CaughtUp)
            {
                break;
            }
        }

        var log = await Source.Store.ReadFeedAsync(new FeedQuery(head.LastSequence, Domain.Feed.FeedScope.All, 1000), CancellationToken.None);
        Assert.Equal(60, log.Changes.Count);
        Assert.Equal(log.Changes.Select(c => c.SourceChangeId), received);
    }

    [Fact]
    public async Task ExportChanges_Follow_TailsNewChangesAndSendsHeartbeats()
    {
        var start = (await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 1000 }))[^1].Checkpoint;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var call = _fixture.Client.ExportChanges(new ExportChangesRequest { Checkpoint = start, Follow = true }, SimulatorCalls.Auth(), cancellationToken: cancel.Token);

        Assert.True(await call.ResponseStream.MoveNext(cancel.Token)); // caught up at once
        Assert.True(call.ResponseStream.Current.CaughtUp);
        Assert.Empty(call.ResponseStream.Current.Changes);
        var submitted = await GenerateAsync(seed: 23, rounds: 1, perRound: 5);

        var tailed = new List<Change>();
        var heartbeat = false;
        while (!heartbeat && await call.ResponseStream.MoveNext(cancel.Token))
        {
            tailed.AddRange(call.ResponseStream.Current.Changes);
            heartbeat = tailed.Count == 5 && call.ResponseStream.Current.Changes.Count == 0;
        }

        Assert.Equal(submitted, tailed.Select(c => c.SourceChangeId));
        Assert.True(heartbeat);
        Assert.True(call.ResponseStream.Current.CaughtUp);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task ExportChanges_ForeignCheckpoint_ResyncRequired()
    {
        var otherDatabase = ExportCheckpoint.After(new string('0', 32), 5).Encode();
        var beyondHead = ExportCheckpoint.After(Source.Epoch, long.MaxValue / 2).Encode();
        foreach (var checkpoint in new[] { "garbage", otherDatabase, beyondHead })
        {
            await ErrorAssert.ThrowsAsync(
                () => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { Checkpoint = checkpoint }),
                StatusCode.FailedPrecondition, ErrorReasons.ResyncRequired);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task Calls_WithoutTheConfiguredToken_Unauthenticated(string? token)
    {
        var headers = token is null ? new Metadata() : SimulatorCalls.Auth(token);
        await ErrorAssert.ThrowsAsync(
            async () => await _fixture.Client.ReceiveDirectiveAsync(new ReceiveDirectiveRequest(), headers, Calls.Deadline()),
            StatusCode.Unauthenticated, ErrorReasons.Unauthenticated);
        await ErrorAssert.ThrowsAsync(
            () => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest(), token: token ?? ""),
            StatusCode.Unauthenticated, ErrorReasons.Unauthenticated);
    }

    [Fact]
    public async Task ReceiveChanges_OnASource_Unimplemented()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await _fixture.Client.ReceiveChangesAsync(
            new ReceiveChangesRequest { Kind = ReceiveBatchKind.Changes, Cursor = "c" }, SimulatorCalls.Auth(), Calls.Deadline()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    private async Task<List<string>> GenerateAsync(int seed, int rounds, int perRound)
    {
        var generator = new ChangeGenerator(Source, seed, TimeProvider.System);
        await generator.InitializeAsync(CancellationToken.None);
        var ids = new List<string>();
        for (var i = 0; i < rounds; i++)
        {
            var changes = await generator.NextAsync(perRound, CancellationToken.None);
            var commit = await Source.SubmitAsync(changes, CancellationToken.None);
            Assert.All(commit.Plan, p => Assert.Equal(Domain.Ingest.PlanStatus.Applied, p.Status));
            ids.AddRange(changes.Select(c => c.SourceChangeId));
        }

        return ids;
    }

    private async Task<SortedDictionary<string, long>> LiveVersionsAsync()
    {
        await using var view = await Source.Store.OpenSnapshotAsync(CancellationToken.None);
        var live = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var type in ExportCheckpoint.SnapshotTypes)
        {
            foreach (var entry in await view.ReadDigestEntriesAsync(type, "370602", view.Head.LastSequence, CancellationToken.None))
            {
                live[$"{type}/{entry.Key}"] = entry.Version;
            }
        }

        return live;
    }

    // What the hub makes of the stream (peer_service.proto): versions only go up; SNAPSHOT_END
    // deletes every record the full export did not send.
    private static SortedDictionary<string, long> Apply(IEnumerable<ExportChangesResponse> batches)
    {
        var held = new Dictionary<string, (long Version, bool Live)>();
        var sent = new HashSet<string>();
        foreach (var batch in batches)
        {
            foreach (var change in batch.Changes)
            {
                var key = $"{change.EntityType}/{change.EntityKey}";
                if (batch.Kind is ExportBatchKind.Snapshot or ExportBatchKind.SnapshotEnd)
                {
                    sent.Add(key);
                }

                if (!held.TryGetValue(key, out var h) || change.EntityVersion > h.Version)
                {
                    held[key] = (change.EntityVersion, change.Operation == ChangeOperation.Upsert);
                }
            }

            if (batch.Kind == ExportBatchKind.SnapshotEnd)
            {
                foreach (var key in held.Keys.Where(k => !sent.Contains(k)).ToList())
                {
                    held[key] = (held[key].Version + 1, false);
                }
            }
        }

        return new SortedDictionary<string, long>(
            held.Where(p => p.Value.Live).ToDictionary(p => p.Key, p => p.Value.Version), StringComparer.Ordinal);
    }
}
