using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.PeerSimulator;

/// <summary>A city sink simulator receiving pushes over a real socket: positions, idempotency, versions.</summary>
public sealed class SinkReceiveTests : IAsyncLifetime
{
    private SimulatorHost _sink = null!;
    private GrpcChannel _channel = null!;
    private PeerService.PeerServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _sink = await SimulatorCalls.StartSinkAsync();
        _channel = GrpcChannel.ForAddress(_sink.Address);
        _client = new PeerService.PeerServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _sink.DisposeAsync();
    }

    [Fact]
    public async Task ReceiveChanges_ChangesBeforeAnyReload_ReloadRequired()
    {
        var response = await ReceiveAsync(Changes("", "c1", Person("p-1", 1)));

        Assert.Equal(ReceiveStatus.ReloadRequired, response.Status);
        Assert.Equal("", response.AckedCursor);
        Assert.Null(await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-1", CancellationToken.None));
    }

    [Fact]
    public async Task ReceiveChanges_ReloadThenChanges_EachBatchAppliedOnce()
    {
        var first = await ReceiveAsync(Reload("r1", 1, end: false, "", Person("p-1", 1), Person("p-2", 1)));
        Assert.Equal(ReceiveStatus.Applied, first.Status);
        Assert.Equal(("r1", 1L, ""), (first.AckedReloadId, first.AckedBatchIndex, first.AckedCursor));

        var resent = await ReceiveAsync(Reload("r1", 1, end: false, "", Person("p-1", 1), Person("p-2", 1)));
        Assert.Equal(ReceiveStatus.Applied, resent.Status);
        Assert.Equal(1, resent.AckedBatchIndex);

        var gap = await ReceiveAsync(Reload("r1", 3, end: true, "c1"));
        Assert.Equal(ReceiveStatus.OutOfOrder, gap.Status);
        Assert.Equal(("r1", 1L), (gap.AckedReloadId, gap.AckedBatchIndex));

        var end = await ReceiveAsync(Reload("r1", 2, end: true, "c1", Person("p-3", 4)));
        Assert.Equal(ReceiveStatus.Applied, end.Status);
        Assert.Equal(("c1", "r1", 2L), (end.AckedCursor, end.AckedReloadId, end.AckedBatchIndex));

        var moved = await ReceiveAsync(Changes("c1", "c2", Person("p-1", 2), Leave("p-2", 2)));
        Assert.Equal((ReceiveStatus.Applied, "c2"), (moved.Status, moved.AckedCursor));
        var state = await _sink.GetStateAsync(CancellationToken.None);

        // A resend of the batch just applied, and an older one, change nothing.
        Assert.Equal((ReceiveStatus.Applied, "c2"), Tuple(await ReceiveAsync(Changes("c1", "c2", Person("p-1", 2), Leave("p-2", 2)))));
        Assert.Equal((ReceiveStatus.OutOfOrder, "c2"), Tuple(await ReceiveAsync(Changes("", "c1", Person("p-1", 1)))));
        Assert.Equal(state, await _sink.GetStateAsync(CancellationToken.None), PeerStateComparer.Instance);

        // Versions guard every record: an older version in a later batch never rolls it back.
        Assert.Equal((ReceiveStatus.Applied, "c3"), Tuple(await ReceiveAsync(Changes("c2", "c3", Person("p-1", 1), Person("p-2", 1), Person("p-3", 5)))));
        Assert.Equal((2L, false), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-1", CancellationToken.None));
        Assert.Equal((2L, true), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-2", CancellationToken.None));
        Assert.Equal((5L, false), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-3", CancellationToken.None));
        Assert.Equal("c3", (await _sink.GetStateAsync(CancellationToken.None)).Position);
    }

    [Fact]
    public async Task ReceiveChanges_NewReload_DeletesWhatItDidNotSendAndKeepsTheOldCursorUntilItEnds()
    {
        await ReceiveAsync(Reload("r1", 1, end: true, "c1", Person("p-1", 1), Person("p-2", 1)));

        var started = await ReceiveAsync(Reload("r2", 1, end: false, "", Person("p-1", 3)));
        Assert.Equal(("c1", "r2", 1L), (started.AckedCursor, started.AckedReloadId, started.AckedBatchIndex));
        Assert.Equal((1L, false), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-2", CancellationToken.None));
        var ended = await ReceiveAsync(Reload("r2", 2, end: true, "c9"));

        Assert.Equal((ReceiveStatus.Applied, "c9"), Tuple(ended));
        Assert.Equal((3L, false), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-1", CancellationToken.None));
        Assert.Equal((1L, true), await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-2", CancellationToken.None));
        Assert.Equal(1, (await _sink.GetStateAsync(CancellationToken.None)).Records[EntityType.Person]);
    }

    [Fact]
    public async Task ReceiveChanges_BatchOfAnUnknownReload_ReloadRequired()
    {
        var response = await ReceiveAsync(Reload("never-started", 2, end: false, "", Person("p-1", 1)));

        Assert.Equal(ReceiveStatus.ReloadRequired, response.Status);
        Assert.Null(await _sink.Sink!.GetRecordAsync(EntityType.Person, "p-1", CancellationToken.None));
    }

    [Fact]
    public async Task ReceiveDirective_RepeatedAndUpdated_OneDirectiveOneReference()
    {
        var directive = new Directive { Meta = new EntityMeta { Id = "d-1", Version = 1 }, Title = "防汛检查" };
        var first = await _client.ReceiveDirectiveAsync(new ReceiveDirectiveRequest { RequestId = "q1", Directive = directive }, SimulatorCalls.Auth(), Calls.Deadline());
        var again = await _client.ReceiveDirectiveAsync(new ReceiveDirectiveRequest { RequestId = "q1", Directive = directive }, SimulatorCalls.Auth(), Calls.Deadline());
        var withdrawn = directive.Clone();
        withdrawn.Meta.Version = 2;
        var update = await _client.ReceiveDirectiveAsync(new ReceiveDirectiveRequest { RequestId = "q2", Directive = withdrawn }, SimulatorCalls.Auth(), Calls.Deadline());

        Assert.StartsWith("RW-3706-", first.LocalReference, StringComparison.Ordinal);
        Assert.Equal(first.LocalReference, again.LocalReference);
        Assert.Equal(first.LocalReference, update.LocalReference);
        Assert.Equal(1, (await _sink.GetStateAsync(CancellationToken.None)).Directives);
    }

    [Fact]
    public async Task ExportChanges_OnASink_Unimplemented()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => SimulatorCalls.ExportAsync(_client, new ExportChangesRequest()));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task Seeded_HoldsTheCityRecordsWithoutACursor()
    {
        await using var seeded = await SimulatorCalls.StartSinkAsync(RepoPaths.SampleDirectory);

        var state = await seeded.GetStateAsync(CancellationToken.None);

        Assert.Equal(17_483, state.Records[EntityType.Person]);
        Assert.Equal(30_373, state.TotalRecords); // the sample's 30,374 less the province's own record
        Assert.Equal("", state.Position);
    }

    private static (ReceiveStatus, string) Tuple(ReceiveChangesResponse response) => (response.Status, response.AckedCursor);

    private async Task<ReceiveChangesResponse> ReceiveAsync(ReceiveChangesRequest request) =>
        await _client.ReceiveChangesAsync(request, SimulatorCalls.Auth(), Calls.Deadline());

    private static ReceiveChangesRequest Changes(string previous, string cursor, params Change[] changes) => new()
    {
        RequestId = "push-" + cursor,
        Kind = ReceiveBatchKind.Changes,
        PreviousCursor = previous,
        Cursor = cursor,
        Changes = { changes },
    };

    private static ReceiveChangesRequest Reload(string reloadId, long index, bool end, string cursor, params Change[] changes) => new()
    {
        RequestId = $"reload-{reloadId}-{index}",
        Kind = end ? ReceiveBatchKind.SnapshotEnd : ReceiveBatchKind.Snapshot,
        ReloadId = reloadId,
        BatchIndex = index,
        Cursor = cursor,
        Changes = { changes },
    };

    private static Change Person(string key, long version) => new()
    {
        EntityType = EntityType.Person,
        EntityKey = key,
        Operation = ChangeOperation.Upsert,
        EntityVersion = version,
        RegionCode = "370602001001001",
        Person = new Person { Meta = new EntityMeta { Id = key, Version = version }, GridCode = "370602001001001" },
    };

    private static Change Leave(string key, long version) => new()
    {
        EntityType = EntityType.Person,
        EntityKey = key,
        Operation = ChangeOperation.Leave,
        EntityVersion = version,
        RegionCode = "370602001001001",
    };

    private sealed class PeerStateComparer : IEqualityComparer<PeerState>
    {
        public static PeerStateComparer Instance { get; } = new();

        public bool Equals(PeerState? x, PeerState? y) =>
            x is not null && y is not null && x.Position == y.Position
            && x.Records.OrderBy(p => p.Key).SequenceEqual(y.Records.OrderBy(p => p.Key))
            && x.Digests.OrderBy(p => p.Key).SequenceEqual(y.Digests.OrderBy(p => p.Key));

        public int GetHashCode(PeerState obj) => obj.Position.GetHashCode(StringComparison.Ordinal);
    }
}
