using Grpc.Core;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Sync;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;
using Google.Protobuf.WellKnownTypes;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// Scheduling and administration of the sync engine: one run per peer and link at a time (the
/// distributed lock, on PostgreSQL storage as the replicas share it, and on the embedded
/// in-memory storage), recurring jobs that follow the registry, and TriggerSync/GetPeerStatus.
/// </summary>
public abstract class SyncSchedulingTests(bool postgres)
{
    private const string Zhifu = "370602000000";

    [Fact]
    public async Task PullRuns_ForOnePeer_NeverOverlap()
    {
        await using var harness = await SyncHarness.StartAsync(postgres);
        // Slow reads: a run takes a while, so the second one starts while the first holds the lock.
        var county = await harness.StartCountyAsync(Zhifu, new FaultSettings { SlowReadMs = 100 }, batchSize: 1000);
        await harness.RegisterAsync("sim-370602", county);
        var job = harness.Hub.Services.GetRequiredService<SyncJob>();

        var first = job.RunAsync("sim-370602", SyncDirection.Pull, false, null, CancellationToken.None);
        await WaitUntilAsync(() => county.Faults.Calls == 1);
        // A second run of the same link (as another replica's scheduler would start it) gives up
        // at once without calling the peer, and succeeds quietly.
        var second = job.RunAsync("sim-370602", SyncDirection.Pull, false, null, CancellationToken.None);
        await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(first.IsCompleted);
        Assert.Equal(1, county.Faults.Calls);

        // TriggerSync meanwhile: already running, naming the run that holds the lock.
        var trigger = await harness.TriggerAsync("sim-370602", SyncDirection.Pull);
        Assert.True(trigger.AlreadyRunning);
        Assert.StartsWith("direct-", trigger.RunId, StringComparison.Ordinal);
        Assert.True((await harness.StatusAsync("sim-370602")).Links[0].Running);

        await first.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(1, county.Faults.Calls);
        var status = await harness.StatusAsync("sim-370602");
        Assert.False(status.Links[0].Running);
        Assert.NotNull(status.LastSuccessAt);
        Assert.Equal(0, status.Links[0].ConsecutiveFailures);

        // Free again: a triggered run goes ahead.
        trigger = await harness.TriggerAsync("sim-370602", SyncDirection.Pull);
        Assert.False(trigger.AlreadyRunning);
        Assert.Equal("Succeeded", await harness.WaitForRunAsync(trigger.RunId));
        Assert.Equal(2, county.Faults.Calls);
    }

    [Fact]
    public async Task RecurringJobs_FollowTheRegistry()
    {
        await using var harness = await SyncHarness.StartAsync(postgres);
        var county = await harness.StartCountyAsync(Zhifu);
        var city = await harness.StartCityAsync();
        await harness.RegisterAsync("sim-370602", county, schedule: "*/5 * * * *");
        await harness.RegisterAsync("sim-3706", city, schedule: "0 * * * *");
        var storage = harness.Hub.Services.GetRequiredService<JobStorage>();

        Dictionary<string, RecurringJobDto> Jobs()
        {
            using var connection = storage.GetConnection();
            return connection.GetRecurringJobs().Where(j => j.Id.StartsWith(SyncJobIds.Prefix, StringComparison.Ordinal)).ToDictionary(j => j.Id);
        }

        var jobs = Jobs();
        Assert.Equal(["sync:directives:sim-3706", "sync:pull:sim-370602", "sync:push:sim-3706"], jobs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("0 * * * *", jobs["sync:directives:sim-3706"].Cron);
        Assert.Equal("*/5 * * * *", jobs["sync:pull:sim-370602"].Cron);
        Assert.Equal("Asia/Shanghai", jobs["sync:pull:sim-370602"].TimeZoneId);
        var status = await harness.StatusAsync("sim-3706");
        Assert.Equal([SyncDirection.Push, SyncDirection.Directives], status.Links.Select(l => l.Direction));
        Assert.All(status.Links, l => Assert.NotNull(l.NextRunAt));

        // A new schedule is taken over; disabling removes the job; an empty schedule means TriggerSync only.
        await UpdateAsync(harness, new Peer { Id = "sim-370602", Schedule = "*/10 * * * *" }, "schedule");
        Assert.Equal("*/10 * * * *", Jobs()["sync:pull:sim-370602"].Cron);
        await UpdateAsync(harness, new Peer { Id = "sim-370602", Enabled = false }, "enabled");
        await UpdateAsync(harness, new Peer { Id = "sim-3706", Schedule = "" }, "schedule");
        Assert.Empty(Jobs());
        Assert.All((await harness.StatusAsync("sim-3706")).Links, l => Assert.Null(l.NextRunAt));
        Assert.False((await harness.StatusAsync("sim-370602")).Enabled);
    }

    [Fact]
    public async Task ScheduledReconcile_TakesTheSchedulersLock_AndRestoresAMissingJob()
    {
        await using var harness = await SyncHarness.StartAsync(postgres);
        var county = await harness.StartCountyAsync(Zhifu);
        await harness.RegisterAsync("sim-370602", county, schedule: "*/5 * * * *");
        var storage = harness.Hub.Services.GetRequiredService<JobStorage>();
        var scheduler = harness.Hub.Services.GetRequiredService<SyncScheduler>();
        var locks = harness.Hub.Services.GetRequiredService<SyncLocks>();
        bool Scheduled()
        {
            using var connection = storage.GetConnection();
            return connection.GetRecurringJobs(["sync:pull:sim-370602"]).Any(j => !j.Removed && j.Cron is not null);
        }

        Assert.True(Scheduled());
        harness.Hub.Services.GetRequiredService<IRecurringJobManager>().RemoveIfExists("sync:pull:sim-370602");
        Assert.False(Scheduled());

        // Another replica reconciling now (it holds the lock): this run adds nothing and ends.
        using (locks.TryAcquire(SyncScheduler.ReconcileJobId, "other-replica", TimeSpan.FromSeconds(5)))
        {
            await scheduler.ReconcileScheduledAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(Scheduled());
        }

        await scheduler.ReconcileScheduledAsync(CancellationToken.None);
        Assert.True(Scheduled());
    }

    [Fact]
    public async Task TriggerSync_AndGetPeerStatus_AnswerAsTheContractSays()
    {
        await using var harness = await SyncHarness.StartAsync(postgres);
        await harness.LoadProvinceRegionsAsync();
        var county = await harness.StartCountyAsync(Zhifu);
        var city = await harness.StartCityAsync();
        await harness.RegisterAsync("sim-370602", county);
        await harness.RegisterAsync("sim-3706", city, classes: [DataClass.S1]);

        // Never run: links listed, nothing else.
        var fresh = await harness.StatusAsync("sim-370602");
        Assert.True(fresh.Enabled);
        Assert.Equal(CircuitState.Closed, fresh.CircuitState);
        var link = Assert.Single(fresh.Links);
        Assert.Equal(SyncDirection.Pull, link.Direction);
        Assert.Null(link.LastAttemptAt);
        Assert.Equal("", link.Position);

        // Every link of the peer, then the same request_id again: the first answer, no second run.
        var request = new TriggerSyncRequest { RequestId = Guid.NewGuid().ToString("N"), PeerId = "sim-370602" };
        var first = await harness.Admin.TriggerSyncAsync(request, deadline: Calls.Deadline());
        Assert.False(first.AlreadyRunning);
        Assert.Equal("Succeeded", await harness.WaitForRunAsync(first.RunId));
        var repeat = await harness.Admin.TriggerSyncAsync(request, deadline: Calls.Deadline());
        Assert.Equal(first, repeat);
        Assert.Equal(1, county.Faults.Calls);
        await ErrorAssert.ThrowsAsync(() => harness.Admin.TriggerSyncAsync(
                new TriggerSyncRequest { RequestId = request.RequestId, PeerId = "sim-370602", FullResync = true }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.InvalidArgument, "REQUEST_ID_REUSED");

        var pulled = await harness.StatusAsync("sim-370602");
        var checkpoint = await harness.Hub.Services.GetRequiredService<GridExchange.Storage.IHubStore>()
            .GetSourceCheckpointAsync("sim-370602", CancellationToken.None);
        Assert.Equal(checkpoint!.Checkpoint, pulled.Links[0].Position);
        Assert.NotNull(pulled.LastSuccessAt);
        Assert.Equal(0, pulled.LagChanges);
        Assert.Equal(0, pulled.LagSeconds);

        // The city: PUSH acked up to the hub's head, the sink holds that cursor.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Push));
        var pushed = await harness.StatusAsync("sim-3706");
        var push = pushed.Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.Equal((await city.GetStateAsync(CancellationToken.None)).Position, push.Position);
        Assert.Equal(0, push.LagChanges);
        Assert.Empty(await harness.DifferencesAsync(await city.GetStateAsync(CancellationToken.None)));

        // New data at the hub in the city's scope: lag until the next push.
        county.Generator!.Rate = 50;
        await WaitUntilAsync(() => county.Generator.Committed >= 5);
        county.Generator.Rate = 0;
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        var behind = (await harness.StatusAsync("sim-3706")).Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.InRange(behind.LagChanges, 1, 1000);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Push));
        Assert.Equal(0, (await harness.StatusAsync("sim-3706")).Links.Single(l => l.Direction == SyncDirection.Push).LagChanges);

        // Full resync of the city: a reload, and the city holds the same records.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Push, fullResync: true));
        Assert.Equal(1, harness.LastRun("sim-3706", SyncDirection.Push)!.LastResult!.Reloads);
        Assert.Empty(await harness.DifferencesAsync(await city.GetStateAsync(CancellationToken.None)));

        // Errors.
        await ErrorAssert.ThrowsAsync(() => harness.TriggerAsync("no-such-peer"), StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(() => harness.StatusAsync("no-such-peer"), StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(() => harness.StatusAsync("Bad Id!"), StatusCode.InvalidArgument, "INVALID_FORMAT");
        await ErrorAssert.ThrowsAsync(() => harness.TriggerAsync("sim-370602", SyncDirection.Push), StatusCode.FailedPrecondition, "ROLE_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => harness.TriggerAsync("sim-370602", SyncDirection.Directives), StatusCode.FailedPrecondition, "ROLE_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => harness.TriggerAsync("test-province"), StatusCode.FailedPrecondition, "ROLE_NOT_GRANTED");
        await UpdateAsync(harness, new Peer { Id = "sim-370602", Enabled = false }, "enabled");
        await ErrorAssert.ThrowsAsync(() => harness.TriggerAsync("sim-370602"), StatusCode.FailedPrecondition, "PEER_DISABLED");
        await ErrorAssert.ThrowsAsync(() => harness.Admin.TriggerSyncAsync(
                new TriggerSyncRequest { RequestId = "", PeerId = "sim-3706" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.InvalidArgument, "REQUIRED_FIELD");
        // Only ADMIN may ask.
        await ErrorAssert.ThrowsAsync(() => new AdminService.AdminServiceClient(harness.Hub.Channel)
                .GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = "sim-3706" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
    }

    private static Task<UpdatePeerResponse> UpdateAsync(SyncHarness harness, Peer patch, params string[] paths) =>
        harness.Admin.UpdatePeerAsync(new UpdatePeerRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Peer = patch,
            UpdateMask = new FieldMask { Paths = { paths } },
        }, deadline: Calls.Deadline()).ResponseAsync;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "Condition not met within 30 s.");
            await Task.Delay(10);
        }
    }
}

/// <summary>On the embedded default: SQLite store, in-memory Hangfire storage.</summary>
public sealed class SyncSchedulingOnSqliteTests() : SyncSchedulingTests(postgres: false);

/// <summary>On PostgreSQL: the store and Hangfire's storage (locks, recurring jobs) as replicas share them.</summary>
public sealed class SyncSchedulingOnPostgresTests() : SyncSchedulingTests(postgres: true);
