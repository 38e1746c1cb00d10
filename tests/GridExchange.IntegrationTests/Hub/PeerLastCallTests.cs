using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// <c>PeerStatus.last_call_at</c> over a real socket, on each store: unset until the peer's first
/// successful call, set within the flush interval after one (never earlier than the call), left
/// alone by refused calls (PERMISSION_DENIED, INVALID_ARGUMENT), and moved forward by a
/// subscription the peer ends itself. The hubs flush every 200 ms here (default 5 s).
/// </summary>
public abstract class PeerLastCallTests(HubFixture fixture)
{
    /// <summary>The flush interval of the tests' hubs.</summary>
    internal const int FlushMs = 200;

    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";

    private HubInstance Hub => fixture.Hub;

    private AdminService.AdminServiceClient Admin => new(TestPeers.Authenticated(Hub.RawChannel, "hub-admin"));

    /// <summary>Registers a county consumer of Zhifu with its test token; returns its id.</summary>
    internal static async Task<string> RegisterAsync(IHubStore store)
    {
        var id = $"calls-{Guid.NewGuid():N}"[..24];
        await store.UpsertPeerAsync(new Peer
        {
            Id = id,
            Name = "芝罘区网格化平台",
            Level = RegionLevel.County,
            RegionCode = Zhifu,
            Roles = { PeerRole.Consumer },
            DataClasses = { DataClass.S1 },
            EntityTypes = { EntityType.Region, EntityType.Grid },
            Enabled = true,
        }, CancellationToken.None);
        await TestPeers.IssueAsync(store, id, CancellationToken.None);
        return id;
    }

    /// <summary>Polls GetPeerStatus until <paramref name="done"/> holds for its last_call_at (or 15 s pass).</summary>
    internal static async Task<Timestamp?> WaitForLastCallAsync(AdminService.AdminServiceClient admin, string peerId, Func<Timestamp?, bool> done)
    {
        var give = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var status = (await admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = peerId }, deadline: Calls.Deadline())).Status;
            if (done(status.LastCallAt) || DateTime.UtcNow > give)
            {
                return status.LastCallAt;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Now, to the microsecond below (as the stores keep instants).</summary>
    internal static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % 10));
    }

    private async Task<Timestamp?> LastCallAsync(string peerId) =>
        (await Admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = peerId }, deadline: Calls.Deadline())).Status.LastCallAt;

    // Long enough for several flushes on a loaded machine.
    private static Task SeveralFlushesAsync() => Task.Delay(FlushMs * 5);

    private Task RefusedCallsAsync(string peerId)
    {
        var headers = TestPeers.As(peerId);
        var registry = new RegistryService.RegistryServiceClient(Hub.RawChannel);
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        return Task.WhenAll(
            // Refused by the service (outside its jurisdiction), by the interceptor (a role it lacks), and as invalid.
            ErrorAssert.ThrowsAsync(() => exchange.PullChangesAsync(
                    new PullChangesRequest { PageSize = 1, Scope = new ChangeScope { RegionPrefixes = { Fushan } } }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "OUT_OF_JURISDICTION"),
            ErrorAssert.ThrowsAsync(() => exchange.GetSourceCheckpointAsync(
                    new GetSourceCheckpointRequest { SourceSystem = peerId }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED"),
            ErrorAssert.InvalidArgumentAsync(() => registry.GetRegionAsync(
                    new GetRegionRequest { RegionCode = "37060200000X" }, headers, Calls.Deadline()).ResponseAsync,
                "region_code", "INVALID_CODE"));
    }

    [Fact]
    public async Task LastCallAt_IsUnsetUntilACallSucceeds_ThenSetWithinTheFlushInterval_AndRefusedCallsLeaveItAlone()
    {
        var id = await RegisterAsync(Hub.Services.GetRequiredService<IHubStore>());
        Assert.Null(await LastCallAsync(id));

        // Refused calls only: still unset, while the operator's own calls are flushed meanwhile.
        await RefusedCallsAsync(id);
        await SeveralFlushesAsync();
        Assert.NotNull(await WaitForLastCallAsync(Admin, "hub-admin", at => at is not null));
        Assert.Null(await LastCallAsync(id));

        // A successful call: shown within the flush interval, not before the call.
        var before = Now();
        await new RegistryService.RegistryServiceClient(Hub.RawChannel)
            .GetRegionAsync(new GetRegionRequest { RegionCode = Zhifu }, TestPeers.As(id), Calls.Deadline());
        var after = DateTimeOffset.UtcNow;
        var first = await WaitForLastCallAsync(Admin, id, at => at is not null);
        Assert.NotNull(first);
        Assert.InRange(first.ToDateTimeOffset(), before, after);

        // Refused again: unchanged.
        await RefusedCallsAsync(id);
        await SeveralFlushesAsync();
        Assert.Equal(first, await LastCallAsync(id));

        // A subscription the peer ends itself (the stream's normal end) counts when it ends.
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var head = (await exchange.PullChangesAsync(new PullChangesRequest { PageSize = 1, Scope = new ChangeScope { RegionPrefixes = { Zhifu } } },
            TestPeers.As(id), Calls.Deadline())).NextCursor;
        var pulled = await WaitForLastCallAsync(Admin, id, at => at is not null && at > first);
        Assert.True(pulled > first, $"{pulled} after {first}");
        using (var subscription = new CancellationTokenSource())
        {
            using var call = exchange.SubscribeChanges(
                new SubscribeChangesRequest { Cursor = head, Scope = new ChangeScope { RegionPrefixes = { Zhifu } } },
                TestPeers.As(id), DateTime.UtcNow.AddSeconds(60), subscription.Token);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            await SeveralFlushesAsync();
            Assert.Equal(pulled, await LastCallAsync(id));
            before = Now();
            await subscription.CancelAsync();
        }

        var ended = await WaitForLastCallAsync(Admin, id, at => at is not null && at > pulled);
        Assert.NotNull(ended);
        Assert.True(ended.ToDateTimeOffset() >= before, $"{ended} not before the subscription ended ({before:O})");
    }
}

/// <summary>The hub on SQLite, flushing last calls every <see cref="PeerLastCallTests.FlushMs"/> ms.</summary>
public sealed class LastCallSqliteHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() => HubInstance.StartAsync(NewSqlitePath("gridx-lastcall-"), null,
        settings: new Dictionary<string, string?> { ["GridExchange:LastCallFlushMs"] = PeerLastCallTests.FlushMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

/// <summary>The hub on its own PostgreSQL database, flushing last calls every <see cref="PeerLastCallTests.FlushMs"/> ms.</summary>
public sealed class LastCallPostgresHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() => await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("lastcall"),
        settings: new Dictionary<string, string?> { ["GridExchange:LastCallFlushMs"] = PeerLastCallTests.FlushMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

/// <summary>On the embedded SQLite store.</summary>
public sealed class PeerLastCallOnSqliteTests(LastCallSqliteHubFixture fixture)
    : PeerLastCallTests(fixture), IClassFixture<LastCallSqliteHubFixture>;

/// <summary>On PostgreSQL.</summary>
public sealed class PeerLastCallOnPostgresTests(LastCallPostgresHubFixture fixture)
    : PeerLastCallTests(fixture), IClassFixture<LastCallPostgresHubFixture>;

/// <summary>
/// Two hub replicas on one PostgreSQL database: a call served by one shows in the other's
/// GetPeerStatus within the flush interval (each replica flushes what it served; both read the
/// same table).
/// </summary>
public sealed class PeerLastCallReplicaTests
{
    [Fact]
    public async Task ACallServedByOneReplica_ShowsInTheOthersPeerStatus()
    {
        var database = await PostgresServer.NewDatabaseAsync("lastcall-replicas");
        var settings = new Dictionary<string, string?>
        {
            ["GridExchange:LastCallFlushMs"] = PeerLastCallTests.FlushMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var a = await HubInstance.StartAsync(null, database, settings: settings);
        await using var b = await HubInstance.StartAsync(null, database, runHangfire: false, settings: settings);
        var id = await PeerLastCallTests.RegisterAsync(a.Services.GetRequiredService<IHubStore>());
        var adminOfB = new AdminService.AdminServiceClient(TestPeers.Authenticated(b.RawChannel, "hub-admin"));
        Assert.Null((await adminOfB.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = id }, deadline: Calls.Deadline())).Status.LastCallAt);

        var before = PeerLastCallTests.Now();
        await new RegistryService.RegistryServiceClient(a.RawChannel)
            .GetRegionAsync(new GetRegionRequest { RegionCode = "370602000000" }, TestPeers.As(id), Calls.Deadline());
        var after = DateTimeOffset.UtcNow;
        var seen = await PeerLastCallTests.WaitForLastCallAsync(adminOfB, id, at => at is not null);
        Assert.NotNull(seen);
        Assert.InRange(seen.ToDateTimeOffset(), before, after);
        Assert.Empty(a.ErrorLog.Errors);
        Assert.Empty(b.ErrorLog.Errors);
    }
}

/// <summary>A hub that stops flushes what it noted since its last flush: calls are not lost to a clean shutdown.</summary>
public sealed class PeerLastCallShutdownTests
{
    [Fact]
    public async Task StoppingTheHub_FlushesTheLastCalls()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-lastcall-stop-").FullName;
        try
        {
            var path = Path.Combine(directory, "hub.db");
            string id;
            var hub = await HubInstance.StartAsync(path, null, runHangfire: false,
                settings: new Dictionary<string, string?> { ["GridExchange:LastCallFlushMs"] = "600000" });
            try
            {
                id = await PeerLastCallTests.RegisterAsync(hub.Services.GetRequiredService<IHubStore>());
                await new RegistryService.RegistryServiceClient(hub.RawChannel)
                    .GetRegionAsync(new GetRegionRequest { RegionCode = "370602000000" }, TestPeers.As(id), Calls.Deadline());
                Assert.Null(await hub.Services.GetRequiredService<IHubStore>().GetLastCallAsync(id, CancellationToken.None));
            }
            finally
            {
                await hub.DisposeAsync();
            }

            Assert.Empty(hub.ErrorLog.Errors);
            await using var store = new GridExchange.Storage.Sqlite.SqliteHubStore(path, TestKeys.Protection);
            Assert.NotNull(await store.GetLastCallAsync(id, CancellationToken.None));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
