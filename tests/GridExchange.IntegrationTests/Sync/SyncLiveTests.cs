using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// Live mode over real sockets with real Hangfire servers: a live county is followed
/// (ExportChanges with <c>follow</c>) and a live city is pushed as soon as the hub's log grows,
/// with no schedule and no TriggerSync; the live link holds the link's lock, so a triggered run
/// finds it running; a stream reset mid-way is reopened; switching the peer back to scheduled
/// closes the live links.
/// </summary>
public abstract class SyncLiveTests(bool postgres, ITestOutputHelper output)
{
    private const string Zhifu = "370602000000";

    [Fact]
    public async Task LivePeers_GetChangesWithoutAnyRun_AndLeaveLiveModeWhenScheduled()
    {
        await using var harness = await SyncHarness.StartAsync(postgres, new Dictionary<string, string?>
        {
            ["GridExchange:Sync:LiveScanMs"] = "200",
            ["GridExchange:Sync:LiveCycleMs"] = "3000",
        });
        await harness.LoadProvinceRegionsAsync();
        var county = await harness.StartCountyAsync(Zhifu);
        var city = await harness.StartCityAsync();
        await harness.RegisterAsync("sim-370602", county, mode: SyncMode.Live);
        await harness.RegisterAsync("sim-3706", city, classes: [DataClass.S1, DataClass.S2], mode: SyncMode.Live);

        // The first live cycles bring the hub and the city up to date on their own.
        await WaitUntilAsync(async () => await ConvergedAsync(harness, county, city), TimeSpan.FromMinutes(2), "initial convergence");
        await WaitUntilAsync(async () => (await harness.StatusAsync("sim-370602")).Links.Single().LiveConnected, TimeSpan.FromSeconds(30), "live pull link");
        var cityLinks = (await harness.StatusAsync("sim-3706")).Links;
        Assert.Equal([SyncDirection.Push, SyncDirection.Directives], cityLinks.Select(l => l.Direction));
        await WaitUntilAsync(async () => (await harness.StatusAsync("sim-3706")).Links.All(l => l.LiveConnected), TimeSpan.FromSeconds(30), "live push links");

        // A live link holds the link's lock: a triggered run (and the recurring watchdog) finds it busy.
        var trigger = await harness.TriggerAsync("sim-370602", SyncDirection.Pull);
        Assert.True(trigger.AlreadyRunning);
        Assert.StartsWith("live:", trigger.RunId, StringComparison.Ordinal);

        // New changes at the county reach the hub and the city with no run scheduled or triggered.
        var latencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var before = county.Generator!.Committed;
            county.Generator.Rate = 5;
            await WaitUntilAsync(() => Task.FromResult(county.Generator.Committed > before), TimeSpan.FromSeconds(30), "a generated change");
            county.Generator.Rate = 0;
            var watch = Stopwatch.StartNew();
            await WaitUntilAsync(async () => await ConvergedAsync(harness, county, city), TimeSpan.FromSeconds(30), "live propagation");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"County commit → hub and city hold it (polled every 20 ms): {string.Join(", ", latencies.Select(l => $"{l:0} ms"))}");

        // A reset in the middle of the followed stream: the live link reopens it and keeps up.
        county.Faults.Update(new FaultSettings { ResetAfterMessages = 2, ResetProbability = 1 });
        county.Generator!.Rate = 20;
        await Task.Delay(TimeSpan.FromSeconds(2));
        county.Faults.Update(FaultSettings.None);
        county.Generator.Rate = 0;
        await WaitUntilAsync(async () => await ConvergedAsync(harness, county, city), TimeSpan.FromSeconds(60), "convergence after resets");
        var pull = (await harness.StatusAsync("sim-370602")).Links.Single();
        Assert.NotNull(pull.LastSuccessAt);

        // Back to scheduled: the live links close within a cycle or two, and the lock is free for runs.
        await harness.Admin.UpdatePeerAsync(new UpdatePeerRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Peer = new Peer { Id = "sim-370602", SyncMode = SyncMode.Scheduled },
            UpdateMask = new FieldMask { Paths = { "sync_mode" } },
        }, deadline: Calls.Deadline());
        await WaitUntilAsync(async () => !(await harness.StatusAsync("sim-370602")).Links.Single().LiveConnected, TimeSpan.FromSeconds(30), "live link closed");
        await WaitUntilAsync(async () => !(await harness.StatusAsync("sim-370602")).Links.Single().Running, TimeSpan.FromSeconds(30), "lock released");
        county.Generator.Rate = 20;
        await WaitUntilAsync(() => Task.FromResult(county.Generator.Committed > 0), TimeSpan.FromSeconds(30), "a generated change");
        await Task.Delay(TimeSpan.FromSeconds(1));
        county.Generator.Rate = 0;
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.NotEmpty(await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None)));
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Empty(await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None)));
    }

    private static async Task<bool> ConvergedAsync(SyncHarness harness, SimulatorHost county, SimulatorHost city)
    {
        try
        {
            return (await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None))).Count == 0
                && (await harness.DifferencesAsync(await city.GetStateAsync(CancellationToken.None))).Count == 0;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false; // the county's region record has not arrived yet
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"Not reached within {timeout.TotalSeconds:0} s: {what}.");
            await Task.Delay(20);
        }
    }
}

/// <summary>On the embedded default: SQLite store, in-memory Hangfire storage.</summary>
public sealed class SyncLiveOnSqliteTests(ITestOutputHelper output) : SyncLiveTests(postgres: false, output);

/// <summary>On PostgreSQL: the store, Hangfire's storage and the feed signal (LISTEN) as replicas share them.</summary>
public sealed class SyncLiveOnPostgresTests(ITestOutputHelper output) : SyncLiveTests(postgres: true, output);
