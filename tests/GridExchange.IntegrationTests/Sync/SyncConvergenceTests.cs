using System.Diagnostics;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The sync engine end to end: an empty hub pulls two simulated counties and pushes to a
/// simulated city while the line drops calls and resets streams mid-way, then the faults stop and
/// everything must agree, digest for digest, with nothing applied twice.
/// </summary>
public sealed class SyncConvergenceTests(ITestOutputHelper output)
{
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";

    [Fact]
    public async Task Sync_UnderDropsAndResets_ConvergesToTheCountiesAndTheCityHoldsTheHubsScope()
    {
        await using var harness = await SyncHarness.StartAsync(overrides: new Dictionary<string, string?>
        {
            // Small batches: more messages per export, so the resets hit mid-export.
            ["GridExchange:Sync:PullBatchSize"] = "250",
            ["GridExchange:Sync:PushBatchSize"] = "500",
        });
        var regions = await harness.LoadProvinceRegionsAsync();
        var faults = new FaultSettings { DropProbability = 0.2, ResetAfterMessages = 5, ResetProbability = 0.5, Seed = 7 };
        var zhifu = await harness.StartCountyAsync(Zhifu, faults with { Seed = 11 }, batchSize: 250);
        var fushan = await harness.StartCountyAsync(Fushan, faults with { Seed = 12 }, batchSize: 250);
        var city = await harness.StartCityAsync(faults: new FaultSettings { DropProbability = 0.2, Seed = 13 });
        await harness.RegisterAsync("sim-370602", zhifu);
        await harness.RegisterAsync("sim-370611", fushan);
        // The city is not granted S3/S4: it gets masked copies, which digests do not see.
        await harness.RegisterAsync("sim-3706", city, classes: [DataClass.S1, DataClass.S2]);
        var counties = new[] { ("sim-370602", zhifu), ("sim-370611", fushan) };

        var watch = Stopwatch.StartNew();
        // Under faults: a few rounds of every link. Runs may fail (the pipeline gives up after its
        // retries); each resumes from what was committed.
        var rounds = 0;
        var resumes = 0;
        var failedRuns = 0;
        for (; rounds < 3; rounds++)
        {
            await Task.WhenAll(counties.Select(c => harness.SyncAsync(c.Item1)));
            await harness.SyncAsync("sim-3706");
            foreach (var (id, link) in counties.Select(c => (c.Item1, SyncDirection.Pull)).Append(("sim-3706", SyncDirection.Push)))
            {
                var lastRun = harness.LastRun(id, link);
                resumes += lastRun?.LastResult?.Resumes ?? 0;
                failedRuns += lastRun?.LastError is null ? 0 : 1;
            }
        }

        var underFaults = watch.Elapsed;
        output.WriteLine($"Under faults: calls served zhifu {zhifu.Faults.Calls}, fushan {fushan.Faults.Calls}, city {city.Faults.Calls}; " +
            $"streams reopened after a mid-stream reset {resumes}; runs that failed after their retries {failedRuns}.");
        // The faults did bite: streams were reset mid-way and resumed from the committed checkpoint.
        Assert.True(resumes > 0, "No stream was reset mid-way: the test did not exercise resumption.");
        zhifu.Faults.Update(FaultSettings.None);
        fushan.Faults.Update(FaultSettings.None);
        city.Faults.Update(FaultSettings.None);

        // Faults off: run until every county's data is at the hub and the city holds the hub's scope.
        var converged = false;
        while (!converged && watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            rounds++;
            await Task.WhenAll(counties.Select(c => harness.SyncAsync(c.Item1)));
            await harness.SyncAsync("sim-3706");
            converged = true;
            foreach (var (_, county) in counties)
            {
                converged &= (await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None))).Count == 0;
            }

            converged &= (await harness.DifferencesAsync(await city.GetStateAsync(CancellationToken.None))).Count == 0;
        }

        output.WriteLine($"Converged: {converged} after {watch.Elapsed.TotalSeconds:0.0} s and {rounds} rounds " +
            $"({underFaults.TotalSeconds:0.0} s of them under 20 % drops and resets).");
        foreach (var (id, _) in counties)
        {
            var status = await harness.StatusAsync(id);
            output.WriteLine($"{id}: pull position {status.Links[0].Position.Length} chars, failures since success {status.Links[0].ConsecutiveFailures}");
        }

        Assert.True(converged, "The hub and the city did not converge within 3 minutes.");

        // Nothing applied twice: with no changes made at the counties, the hub's log holds exactly
        // one change per record the counties hold (every retried or re-sent batch was a duplicate).
        var store = harness.Hub.Services.GetRequiredService<IHubStore>();
        var head = await store.GetFeedHeadAsync(CancellationToken.None);
        var records = regions + (await zhifu.GetStateAsync(CancellationToken.None)).TotalRecords + (await fushan.GetStateAsync(CancellationToken.None)).TotalRecords;
        Assert.Equal(records, head.LastSequence);

        // A full export again: every record comes back and ingest reports it as a duplicate.
        var resync = await harness.TriggerAsync("sim-370602", SyncDirection.Pull, fullResync: true);
        Assert.False(resync.AlreadyRunning);
        Assert.Equal("Succeeded", await harness.WaitForRunAsync(resync.RunId));
        var last = harness.LastRun("sim-370602", SyncDirection.Pull)!;
        Assert.Equal(resync.RunId, last.RunId);
        var again = last.LastResult!;
        output.WriteLine($"Full resync of sim-370602: {again.Applied} applied, {again.Duplicates} duplicates, {again.Stale} stale, {again.Deleted} deleted.");
        Assert.Equal(0, again.Applied);
        Assert.Equal(0, again.Deleted);
        Assert.Equal((await zhifu.GetStateAsync(CancellationToken.None)).TotalRecords, again.Duplicates + again.Stale);
        Assert.Equal(0, again.Rejected);
        Assert.Equal(records, (await store.GetFeedHeadAsync(CancellationToken.None)).LastSequence);

        // The city: every link healthy now.
        var cityStatus = await harness.StatusAsync("sim-3706");
        var push = cityStatus.Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.Equal(0, push.LagChanges);
        Assert.Equal("", push.LastError);
        Assert.Equal((await city.GetStateAsync(CancellationToken.None)).Position, push.Position);
    }
}
