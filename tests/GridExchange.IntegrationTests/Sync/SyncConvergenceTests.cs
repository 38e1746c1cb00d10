using System.Diagnostics;
using GridExchange.Domain.Feed;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The sync engine end to end: an empty hub pulls three simulated counties and pushes to a
/// simulated city while the counties keep changing and every link drops calls and resets streams
/// mid-way, and one county and the city go into a 30-second black hole (calls accepted, never
/// answered). Then the changes and the faults stop together and everything must agree, digest for
/// digest, with every change applied exactly once; the time to converge is reported.
/// </summary>
public sealed class SyncConvergenceTests(ITestOutputHelper output)
{
    private const string City = "sim-3706";
    private const double Rate = 20;
    private static readonly TimeSpan BlackHole = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConvergenceLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sync_UnderDropsResetsAndABlackHole_ConvergesToTheCountiesAndTheCityHoldsTheHubsScope()
    {
        await using var harness = await SyncHarness.StartAsync(overrides: new Dictionary<string, string?>
        {
            // Small batches: more messages per export, so the resets hit mid-export.
            ["GridExchange:Sync:PullBatchSize"] = "250",
            ["GridExchange:Sync:PushBatchSize"] = "500",
        });
        var regions = await harness.LoadProvinceRegionsAsync();
        // Half the export streams are reset right after their first message: mid-way through a
        // full export, and (with the counties changing) mid-way through incremental runs too.
        var flaky = new FaultSettings { DropProbability = 0.2, ResetAfterMessages = 1, ResetProbability = 0.5 };
        var counties = new List<(string Id, SimulatorHost Host)>();
        var seed = 10;
        foreach (var code in new[] { "370602000000", "370611000000", "370612000000" })
        {
            var host = await harness.StartCountyAsync(code, flaky with { Seed = ++seed }, batchSize: 250);
            var id = $"sim-{code[..6]}";
            await harness.RegisterAsync(id, host);
            counties.Add((id, host));
        }

        var city = await harness.StartCityAsync(faults: new FaultSettings { DropProbability = 0.2, Seed = ++seed });
        // The city is not granted S3/S4: it gets masked copies, which digests do not see.
        await harness.RegisterAsync(City, city, classes: [DataClass.S1, DataClass.S2]);
        var (holeId, holeCounty) = counties[^1];
        var links = counties.Select(c => (c.Id, Link: SyncDirection.Pull, c.Host))
            .Append((Id: City, Link: SyncDirection.Push, Host: city)).ToList();
        var stats = links.ToDictionary(l => l.Id, _ => new LinkStats());

        // Every link runs back to back, each on its own, as the scheduler would run them: a link
        // stuck in the black hole does not hold the others up. A county starts changing (Rate
        // changes a second) once its first full export is in: from then on the hub gets every
        // change of its log through the incremental export, so its log must match the county's.
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var loops = links.Select(l => Task.Run(async () =>
        {
            var s = stats[l.Id];
            while (!stop.IsCancellationRequested)
            {
                var loadedBefore = s.Loaded;
                await harness.SyncAsync(l.Id, l.Link);
                var last = harness.LastRun(l.Id, l.Link);
                s.Ran(last?.LastResult?.Resumes ?? 0, last?.LastError, loadedBefore);
                if (l.Link == SyncDirection.Pull && last?.LastResult?.CaughtUp == true && l.Host.Generator!.Rate == 0 && !s.Loaded)
                {
                    s.Loaded = true;
                    l.Host.Generator.Rate = Rate;
                }

                await Task.Delay(100);
            }
        })).ToList();

        // Until every county's first export is in (under drops and resets).
        while (counties.Any(c => !stats[c.Id].Loaded))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "The counties' first exports did not complete within 60 s under faults.");
            Assert.DoesNotContain(loops, t => t.IsFaulted);
            await Task.Delay(100);
        }

        var loaded = watch.Elapsed;

        // The black hole: one county and the city accept every call and never answer, for 30 s of
        // wall time; the other links keep their drops and resets and every county keeps changing.
        holeCounty.Faults.Update(flaky with { Seed = 21, BlackHoleProbability = 1 });
        city.Faults.Update(new FaultSettings { Seed = 22, BlackHoleProbability = 1 });
        var monitor = new HoleMonitor();
        using var monitoring = new CancellationTokenSource();
        var monitorTask = Task.Run(async () =>
        {
            while (!monitoring.IsCancellationRequested)
            {
                monitor.Observe(holeId, await harness.StatusAsync(holeId), SyncDirection.Pull);
                monitor.Observe(City, await harness.StatusAsync(City), SyncDirection.Push);
                await Task.Delay(250);
            }
        });
        var holeWatch = Stopwatch.StartNew();
        while (holeWatch.Elapsed < BlackHole)
        {
            Assert.DoesNotContain(loops, t => t.IsFaulted);
            await Task.Delay(100);
        }

        // Calls the black-holed peers took and never answered (the count restarted with the hole).
        var holeCalls = (County: holeCounty.Faults.Calls, City: city.Faults.Calls);

        // The faults and the changes stop together.
        foreach (var (_, host) in counties)
        {
            host.Faults.Update(FaultSettings.None);
            host.Generator!.Rate = 0;
        }

        city.Faults.Update(FaultSettings.None);
        var underFaults = watch.Elapsed;
        var sinceFaults = Stopwatch.StartNew();
        var generated = counties.Sum(c => c.Host.Generator!.Committed);
        output.WriteLine($"Faults on for {underFaults.TotalSeconds:0.0} s: first exports in after {loaded.TotalSeconds:0.0} s, then a " +
            $"{BlackHole.TotalSeconds:0} s black hole on {holeId} and {City}; the counties made {generated} changes " +
            $"({string.Join(", ", counties.Select(c => $"{c.Id} {c.Host.Generator!.Committed}"))}).");
        output.WriteLine($"Calls black-holed: {holeId} {holeCalls.County}, {City} {holeCalls.City}.");

        // Faults off: the links keep running until every county's data is at the hub and the city
        // holds the hub's scope.
        var converged = false;
        var checks = 0;
        while (!converged && sinceFaults.Elapsed < ConvergenceLimit)
        {
            Assert.DoesNotContain(loops, t => t.IsFaulted);
            checks++;
            converged = await AgreeAsync(harness, counties, city);
            if (!converged)
            {
                await Task.Delay(200);
            }
        }

        var convergedAfter = sinceFaults.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        await monitoring.CancelAsync();
        await monitorTask;
        foreach (var (id, link, _) in links)
        {
            var s = stats[id];
            var status = await harness.StatusAsync(id);
            output.WriteLine($"{id} {link}: {s.Runs} runs, {s.Failed} failed after their retries, {s.Resumes} streams reopened after a reset " +
                $"({s.ResumesWhileChanging} of them in incremental runs); " +
                $"now: failures since success {status.Links.Single(x => x.Direction == link).ConsecutiveFailures}, circuit {status.CircuitState}.");
        }

        output.WriteLine($"Seen during the hole: {monitor}.");
        output.WriteLine($"Converged: {converged}, {convergedAfter.TotalSeconds:0.0} s after the faults ended ({checks} checks); " +
            $"{underFaults.TotalSeconds:0.0} s under faults, {watch.Elapsed.TotalSeconds:0.0} s in all.");
        Assert.True(converged, $"The hub and the city did not converge within {ConvergenceLimit.TotalSeconds:0} s of the faults ending.");
        // Still agreeing with every link stopped (nothing was in flight).
        Assert.True(await AgreeAsync(harness, counties, city), "The hub, the counties and the city disagree once the links stopped.");

        // The faults did bite: streams were reset mid-way and resumed from the committed checkpoint,
        // the counties changed under faults, and the black hole swallowed calls until the hub gave
        // up on them (DEADLINE_EXCEEDED), failing runs of both black-holed links.
        Assert.True(stats.Values.Sum(s => s.ResumesWhileChanging) > 0,
            "No stream was reset mid-way while the counties changed: the test did not exercise resumption.");
        Assert.True(generated > 0, "The counties made no changes under faults.");
        Assert.True(holeCalls.County >= 2 && holeCalls.City >= 2,
            $"The black-holed peers took too few calls ({holeCalls}): the hub did not time out and retry.");
        Assert.True(monitor.Failures(holeId) > 0 && monitor.DeadlineSeen(holeId), $"{holeId}'s pull link recorded no timed-out run in the hole: {monitor}.");
        Assert.True(monitor.Failures(City) > 0 && monitor.DeadlineSeen(City), $"{City}'s push link recorded no timed-out run in the hole: {monitor}.");
        Assert.True(stats[holeId].Failed > 0 && stats[City].Failed > 0, "The black-holed links never failed a run.");

        // Nothing applied twice, nothing lost: the hub's log holds each (record, version) once, and
        // for each county exactly the changes of the county's own log (its seed, then every change
        // it made), so the log is the regions plus the counties' logs.
        var store = harness.Hub.Services.GetRequiredService<IHubStore>();
        var hubLog = await ReadLogAsync(store);
        Assert.Equal(hubLog.Count, hubLog.Select(c => (c.Type, c.Key, c.Version)).Distinct().Count());
        long records = regions;
        foreach (var (id, host) in counties)
        {
            var countyLog = (await ReadLogAsync(host.Source!.Store)).Select(c => (c.Type, c.Key, c.Version)).ToHashSet();
            var fromCounty = hubLog.Where(c => c.SourceSystem == id).Select(c => (c.Type, c.Key, c.Version)).ToList();
            Assert.Equal(countyLog.Count, fromCounty.Count);
            Assert.True(countyLog.SetEquals(fromCounty), $"The hub's log of {id}'s records is not the county's log.");
            records += long.Parse((await host.GetStateAsync(CancellationToken.None)).Position, System.Globalization.CultureInfo.InvariantCulture);
        }

        var head = await store.GetFeedHeadAsync(CancellationToken.None);
        Assert.Equal(records, head.LastSequence);

        // A full export again: every record comes back and ingest reports it as a duplicate.
        var (resyncId, resyncCounty) = counties[0];
        var resync = await harness.TriggerAsync(resyncId, SyncDirection.Pull, fullResync: true);
        Assert.False(resync.AlreadyRunning);
        Assert.Equal("Succeeded", await harness.WaitForRunAsync(resync.RunId));
        var last = harness.LastRun(resyncId, SyncDirection.Pull)!;
        Assert.Equal(resync.RunId, last.RunId);
        var again = last.LastResult!;
        output.WriteLine($"Full resync of {resyncId}: {again.Applied} applied, {again.Duplicates} duplicates, {again.Stale} stale, {again.Deleted} deleted.");
        Assert.Equal(0, again.Applied);
        Assert.Equal(0, again.Deleted);
        Assert.Equal((await resyncCounty.GetStateAsync(CancellationToken.None)).TotalRecords, again.Duplicates + again.Stale);
        Assert.Equal(0, again.Rejected);
        Assert.Equal(records, (await store.GetFeedHeadAsync(CancellationToken.None)).LastSequence);

        // Every link healthy now; the city acked everything in its scope.
        foreach (var (id, _) in counties)
        {
            var pull = (await harness.StatusAsync(id)).Links.Single(l => l.Direction == SyncDirection.Pull);
            Assert.Equal(0, pull.ConsecutiveFailures);
            Assert.Equal("", pull.LastError);
        }

        var push = (await harness.StatusAsync(City)).Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.Equal(0, push.LagChanges);
        Assert.Equal("", push.LastError);
        Assert.Equal((await city.GetStateAsync(CancellationToken.None)).Position, push.Position);
    }

    // Whether every county's records are at the hub (digests per type) and the city holds the hub's scope.
    private static async Task<bool> AgreeAsync(SyncHarness harness, IEnumerable<(string Id, SimulatorHost Host)> counties, SimulatorHost city)
    {
        foreach (var (_, county) in counties)
        {
            if ((await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None))).Count > 0)
            {
                return false;
            }
        }

        return (await harness.DifferencesAsync(await city.GetStateAsync(CancellationToken.None))).Count == 0;
    }

    private static async Task<List<LoggedChange>> ReadLogAsync(IHubStore store)
    {
        var log = new List<LoggedChange>();
        for (long after = 0; ;)
        {
            var page = await store.ReadFeedAsync(new FeedQuery(after, FeedScope.All, 1000), CancellationToken.None);
            log.AddRange(page.Changes);
            if (page.CaughtUp || page.Changes.Count == 0)
            {
                return log;
            }

            after = page.Next;
        }
    }

    private sealed class LinkStats
    {
        private int _runs;
        private int _failed;
        private int _resumes;
        private int _resumesWhileChanging;

        public int Runs => Volatile.Read(ref _runs);

        public int Failed => Volatile.Read(ref _failed);

        public int Resumes => Volatile.Read(ref _resumes);

        public int ResumesWhileChanging => Volatile.Read(ref _resumesWhileChanging);

        private int _loaded;

        public bool Loaded
        {
            get => Volatile.Read(ref _loaded) == 1;
            set => Volatile.Write(ref _loaded, value ? 1 : 0);
        }

        public void Ran(int resumes, string? error, bool incremental)
        {
            Interlocked.Increment(ref _runs);
            Interlocked.Add(ref _resumes, resumes);
            if (incremental)
            {
                Interlocked.Add(ref _resumesWhileChanging, resumes);
            }

            if (error is not null)
            {
                Interlocked.Increment(ref _failed);
            }
        }
    }

    // What GetPeerStatus showed of the black-holed links: failed runs and their errors.
    private sealed class HoleMonitor
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (int Failures, string Error, bool Deadline, HashSet<CircuitState> Circuits)> _seen = [];

        public void Observe(string peerId, PeerStatus status, SyncDirection direction)
        {
            var link = status.Links.Single(l => l.Direction == direction);
            lock (_gate)
            {
                var seen = _seen.TryGetValue(peerId, out var s) ? s : (Failures: 0, Error: "", Deadline: false, Circuits: new HashSet<CircuitState>());
                seen.Circuits.Add(status.CircuitState);
                _seen[peerId] = (
                    Math.Max(seen.Failures, link.ConsecutiveFailures),
                    link.LastError.Length > 0 ? link.LastError : seen.Error,
                    seen.Deadline || link.LastError.StartsWith("DEADLINE_EXCEEDED", StringComparison.Ordinal),
                    seen.Circuits);
            }
        }

        public int Failures(string peerId)
        {
            lock (_gate)
            {
                return _seen.TryGetValue(peerId, out var s) ? s.Failures : 0;
            }
        }

        public bool DeadlineSeen(string peerId)
        {
            lock (_gate)
            {
                return _seen.TryGetValue(peerId, out var s) && s.Deadline;
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return string.Join("; ", _seen.Select(p =>
                    $"{p.Key}: up to {p.Value.Failures} failed runs in a row, last error '{p.Value.Error}', circuit {string.Join("/", p.Value.Circuits)}"));
            }
        }
    }
}
