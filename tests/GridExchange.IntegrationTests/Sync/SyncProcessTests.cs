using System.Diagnostics;
using System.Globalization;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;
using Npgsql;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The sync engine with the hub as separate OS processes on one PostgreSQL database (the built
/// hub, started as an operator starts it): a hub killed with SIGKILL in the middle of a pull run
/// and restarted converges with nothing applied twice; two replicas, both running Hangfire
/// servers, never run one link at once, and when the replica running it is killed the other
/// carries on.
/// </summary>
public sealed class SyncProcessTests(ITestOutputHelper output)
{
    private const string Zhifu = "370602000000";
    private const string PeerId = "sim-370602";
    private const string CityId = "sim-3706";

    [Fact]
    public async Task Pull_HubKilledMidRun_RestartedHubConverges_NothingAppliedTwice()
    {
        var database = await PostgresServer.NewDatabaseAsync("crash");
        // Slow reads: a full export of the county (≈ 9,700 records, 20 messages of 500) takes seconds.
        await using var county = await SyncHarness.StartCountySimulatorAsync(Zhifu, new FaultSettings { SlowReadMs = 150 }, batchSize: 500);
        var total = (await county.GetStateAsync(CancellationToken.None)).TotalRecords;
        var settings = Settings();

        long atKill;
        await using (var first = await HubProcess.StartAsync(database, settings, registerTestPeers: true))
        {
            await SyncHarness.RegisterAsync(first.Admin, PeerId, county);
            var run = await TriggerAsync(first, SyncDirection.Pull);
            Assert.False(run.AlreadyRunning);
            // Mid-way: some batches committed (each with its checkpoint), most not yet.
            await WaitUntilAsync(async () => await ScalarAsync(database, "SELECT count(*) FROM change_log") >= 1000, TimeSpan.FromSeconds(60));
            Assert.True((await StatusAsync(first)).Links[0].Running);
            var exitCode = await first.KillAsync();
            // 128 + 9: the process died of SIGKILL (Process.Kill on Linux), no shutdown code ran.
            Assert.Equal(137, exitCode);
            atKill = await ScalarAsync(database, "SELECT count(*) FROM change_log");
            output.WriteLine($"Killed hub {first.ProcessId} (exit {exitCode}) with {atKill} of {total} records applied.");
            Assert.Empty(first.Errors);
        }

        Assert.InRange(atKill, 1, total - 1);

        var watch = Stopwatch.StartNew();
        await using var second = await HubProcess.StartAsync(database, settings, registerTestPeers: false);
        var started = watch.Elapsed;
        // The killed run's lock died with its process: the link is free on the restarted hub at once.
        Assert.False((await StatusAsync(second)).Links[0].Running);
        var restartedAt = DateTime.UtcNow;
        var again = await TriggerAsync(second, SyncDirection.Pull);
        Assert.False(again.AlreadyRunning);
        PeerLinkStatus link = null!;
        await WaitUntilAsync(async () =>
        {
            link = (await StatusAsync(second)).Links[0];
            return !link.Running && link.LastSuccessAt is { } success && success.ToDateTime() >= restartedAt.AddSeconds(-1);
        }, TimeSpan.FromSeconds(60));
        output.WriteLine($"Restarted hub {second.ProcessId} listening after {started.TotalSeconds:0.0} s; converged {watch.Elapsed.TotalSeconds:0.0} s after the restart began.");

        Assert.Empty(await SyncHarness.DifferencesAsync(second.Exchange, await county.GetStateAsync(CancellationToken.None)));
        // Nothing applied twice: one logged change per county record, no source change twice.
        Assert.Equal(total, await ScalarAsync(database, "SELECT count(*) FROM change_log"));
        Assert.Equal(0, await ScalarAsync(database,
            "SELECT count(*) FROM (SELECT 1 FROM change_log GROUP BY source_system, source_change_id HAVING count(*) > 1) AS twice"));
        Assert.Equal("", link.LastError);
        Assert.Equal(0, link.ConsecutiveFailures);
        Assert.Equal(await CheckpointAsync(database), link.Position);
        Assert.Empty(second.Errors);
    }

    [Fact]
    public async Task Push_HubKilledMidReload_RestartedHubBringsTheCityToItsScope()
    {
        var database = await PostgresServer.NewDatabaseAsync("crashpush");
        await using var county = await SyncHarness.StartCountySimulatorAsync(Zhifu, batchSize: 500);
        await using var city = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            RegionCode = "370600000000",
            Role = PeerRoleKind.Sink,
            Token = SyncHarness.PeerToken,
        });
        var settings = Settings();
        settings["GridExchange:Sync:PushBatchSize"] = "250";
        long atKill;
        await using (var first = await HubProcess.StartAsync(database, settings, registerTestPeers: true))
        {
            await LoadProvinceRegionsAsync(database, first);
            await SyncHarness.RegisterAsync(first.Admin, PeerId, county);
            // The city is not granted S3/S4: it gets masked copies, which digests do not see.
            await SyncHarness.RegisterAsync(first.Admin, CityId, city, classes: [DataClass.S1, DataClass.S2]);
            await SyncAndWaitAsync(first);
            // A slow city: its first push (a reload of ≈ 9,700 records in batches of 250) takes seconds.
            city.Faults.Update(new FaultSettings { LatencyMs = 200 });
            Assert.False((await TriggerAsync(first, SyncDirection.Push, peerId: CityId)).AlreadyRunning);
            await WaitUntilAsync(async () => (await city.GetStateAsync(CancellationToken.None)).TotalRecords >= 1000, TimeSpan.FromSeconds(60));
            Assert.Equal(137, await first.KillAsync());
            atKill = (await city.GetStateAsync(CancellationToken.None)).TotalRecords;
            Assert.Empty(first.Errors);
        }

        var total = (await county.GetStateAsync(CancellationToken.None)).TotalRecords;
        output.WriteLine($"Killed the hub with {atKill} of the city's {total} county records pushed.");
        Assert.InRange(atKill, 1, total - 1);
        city.Faults.Update(FaultSettings.None);
        var watch = Stopwatch.StartNew();
        await using var second = await HubProcess.StartAsync(database, settings, registerTestPeers: false);
        await SyncAndWaitAsync(second, SyncDirection.Push, CityId);
        output.WriteLine($"The restarted hub brought the city to its scope {watch.Elapsed.TotalSeconds:0.0} s after the restart began.");

        var state = await city.GetStateAsync(CancellationToken.None);
        Assert.Empty(await SyncHarness.DifferencesAsync(second.Exchange, state));
        // The city holds each record once: the county's records and the regions under the city.
        Assert.Equal(total + 1, state.TotalRecords);
        var push = (await StatusAsync(second, CityId)).Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.Equal("", push.LastError);
        Assert.Equal(state.Position, push.Position);
        Assert.Equal(0, push.LagChanges);
        Assert.Empty(second.Errors);
    }

    [Fact]
    public async Task TwoReplicas_RunAPeersLinkOneAtATime_AndWhenOneIsKilledTheOtherKeepsSyncing()
    {
        var database = await PostgresServer.NewDatabaseAsync("replicas");
        await using var county = await SyncHarness.StartCountySimulatorAsync(Zhifu, batchSize: 500);
        var settings = Settings();
        await using var a = await HubProcess.StartAsync(database, settings, registerTestPeers: true);
        await using var b = await HubProcess.StartAsync(database, settings, registerTestPeers: false);
        var replicas = new[] { a, b };
        await SyncHarness.RegisterAsync(a.Admin, PeerId, county);
        // The first (full) export, then changes flow at the county while both replicas are asked
        // to run the link over and over: their Hangfire workers fetch the runs from the shared queue.
        await SyncAndWaitAsync(b);
        county.Generator!.Rate = 20;
        county.Faults.Update(new FaultSettings { SlowReadMs = 100 });
        var alreadyRunning = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(12))
        {
            var answers = await Task.WhenAll(replicas.Select(r => TriggerAsync(r, SyncDirection.Pull)));
            alreadyRunning += answers.Count(x => x.AlreadyRunning);
            await Task.Delay(150);
        }

        await WaitUntilAsync(async () => !(await StatusAsync(a)).Links[0].Running, TimeSpan.FromSeconds(30));
        var runsA = Runs(a);
        var runsB = Runs(b);
        var gaveUp = replicas.Sum(r => r.CountLines("another run holds the lock"));
        output.WriteLine($"Runs that pulled: replica A {runsA}, replica B {runsB}; runs that found the lock taken and gave up: {gaveUp}; " +
            $"TriggerSync answered already_running {alreadyRunning} times; ExportChanges streams {county.ExportStreams.Total}, at most {county.ExportStreams.Max} at once.");
        Assert.True(runsA > 0 && runsB > 0, "Both replicas should have run the link.");
        Assert.Equal(1, county.ExportStreams.Max);

        // Kill the replica that is running the link, mid-run; the other must go on syncing.
        county.Faults.Update(new FaultSettings { SlowReadMs = 400 });
        var run = await TriggerAsync(a, SyncDirection.Pull, fullResync: true);
        Assert.False(run.AlreadyRunning);
        HubProcess? runner = null;
        await WaitUntilAsync(async () =>
        {
            var server = await ProcessingServerAsync(database, run.RunId);
            runner = replicas.FirstOrDefault(r => server?.Contains($":{r.ProcessId}:", StringComparison.Ordinal) == true);
            return runner is not null && county.ExportStreams.Current == 1;
        }, TimeSpan.FromSeconds(30));
        var survivor = runner == a ? b : a;
        Assert.Equal(137, await runner!.KillAsync());
        var killed = Stopwatch.StartNew();
        county.Faults.Update(FaultSettings.None);
        var before = county.Generator.Committed;
        await WaitUntilAsync(() => Task.FromResult(county.Generator.Committed >= before + 20), TimeSpan.FromSeconds(30));
        county.Generator.Rate = 0;
        var converged = false;
        while (!converged && killed.Elapsed < TimeSpan.FromSeconds(45))
        {
            await SyncAndWaitAsync(survivor);
            converged = (await SyncHarness.DifferencesAsync(survivor.Exchange, await county.GetStateAsync(CancellationToken.None))).Count == 0;
        }

        output.WriteLine($"Killed the replica running the link ({(runner == a ? "A" : "B")}); the other had every change of the county " +
            $"(including {county.Generator.Committed - before} made after the kill) {killed.Elapsed.TotalSeconds:0.0} s later.");
        Assert.True(converged, "The surviving replica did not bring the county's changes in within 45 s of the kill.");
        Assert.Equal(1, county.ExportStreams.Max);
        Assert.Equal(0, await ScalarAsync(database,
            "SELECT count(*) FROM (SELECT 1 FROM change_log GROUP BY source_system, source_change_id HAVING count(*) > 1) AS twice"));
        Assert.Empty(a.Errors);
        Assert.Empty(b.Errors);
    }

    private static Dictionary<string, string?> Settings()
    {
        var settings = SyncHarness.FastSettings();
        settings["GridExchange:Sync:PullBatchSize"] = "500";
        return settings;
    }

    private static int Runs(HubProcess hub) => hub.CountLines($"sync:pull:{PeerId}: ");

    private static async Task<TriggerSyncResponse> TriggerAsync(HubProcess hub, SyncDirection direction, bool fullResync = false, string peerId = PeerId) =>
        await hub.Admin.TriggerSyncAsync(new TriggerSyncRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            PeerId = peerId,
            Direction = direction,
            FullResync = fullResync,
        }, deadline: Calls.Deadline());

    private static async Task<PeerStatus> StatusAsync(HubProcess hub, string peerId = PeerId) =>
        (await hub.Admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = peerId }, deadline: Calls.Deadline())).Status;

    // Triggers a run of the link through the hub and waits until a run that started after it succeeded.
    private static async Task SyncAndWaitAsync(HubProcess hub, SyncDirection direction = SyncDirection.Pull, string peerId = PeerId)
    {
        async Task<PeerLinkStatus> LinkAsync() => (await StatusAsync(hub, peerId)).Links.Single(l => l.Direction == direction);
        var asked = DateTime.UtcNow.AddSeconds(-1);
        var trigger = await TriggerAsync(hub, direction, peerId: peerId);
        if (trigger.AlreadyRunning)
        {
            await WaitUntilAsync(async () => !(await LinkAsync()).Running, TimeSpan.FromSeconds(60));
            trigger = await TriggerAsync(hub, direction, peerId: peerId);
            Assert.False(trigger.AlreadyRunning);
        }

        await WaitUntilAsync(async () =>
        {
            var link = await LinkAsync();
            return !link.Running && link.LastSuccessAt is { } success && success.ToDateTime() >= asked;
        }, TimeSpan.FromSeconds(60));
    }

    // The sample's province and city region records, as SyncHarness.LoadProvinceRegionsAsync submits them.
    private static async Task LoadProvinceRegionsAsync(string database, HubProcess hub)
    {
        await using var store = new GridExchange.Storage.PostgreSql.PostgresHubStore(database, TestKeys.Protection);
        await SyncHarness.LoadProvinceRegionsAsync(store, hub.Exchange);
    }

    // The Hangfire server (name:pid:guid) processing job <runId>, from the shared storage; null until it is fetched.
    private static async Task<string?> ProcessingServerAsync(string database, string runId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT data::text FROM hangfire.state WHERE jobid = @job AND name = 'Processing' ORDER BY id DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("job", long.Parse(runId, CultureInfo.InvariantCulture));
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task<string> CheckpointAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT checkpoint FROM source_checkpoints WHERE source_system = @peer", connection);
        command.Parameters.AddWithValue("peer", PeerId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"Condition not met within {timeout.TotalSeconds:0} s.");
            await Task.Delay(20);
        }
    }
}
