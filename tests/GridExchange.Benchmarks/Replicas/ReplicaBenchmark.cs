using System.Diagnostics;
using System.Runtime.InteropServices;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Workload;
using GridExchange.Domain.Security;
using GridExchange.Storage.PostgreSql;
using GridExchange.TestSupport;
using GridExchange.V1;
using Npgsql;

namespace GridExchange.Benchmarks.Replicas;

/// <summary>
/// The <c>replicas</c> mode: scale-out over hub processes on one PostgreSQL database. N changes
/// are loaded once and three replica processes (the built hub, each in its own process) are
/// started and warmed up; then K consumers, each pulling the whole feed with PullChanges, are
/// spread over 1, 2 and 3 of them, in alternating rounds, and the aggregate rows/s (median of
/// the rounds) is compared with 1 replica. A last run with 3 replicas kills one with SIGKILL mid-way:
/// its consumers resume from their last cursor on the next replica, and every consumer must
/// have seen sequences 1..N once each, in order.
/// </summary>
internal static class ReplicaBenchmark
{
    private const string Area = "Replicas";
    private const int Rounds = 3;

    // The load averages read during the run, for the closing note.
    private static readonly List<double> Loads = [];

    /// <summary>Runs the mode; the exit code (0 measured, 1 could not measure or a guarantee broke, 2 bad arguments).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = ReplicaOptions.Parse(args);
        if (options is null)
        {
            return 2;
        }

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        var token = cancellation.Token;
        var started = Stopwatch.GetTimestamp();
        Console.WriteLine(Report.Format($"GridExchange benchmarks, replicas: {options.Rows:N0} rows, {options.Consumers} consumers each pulling the whole feed, 1 to {ReplicaOptions.MaxReplicas} hub processes on one PostgreSQL"));
        Console.WriteLine(Report.Format($".NET {Environment.Version}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));

        var report = new Report();
        var failed = false;
        PostgresServer? server = null;
        var replicas = new List<HubLauncher>();
        try
        {
            server = await PostgresServer.StartAsync(token);
            Console.WriteLine($"PostgreSQL {await server.VersionAsync(token)}: {server.Description}");
            var database = await server.CreateDatabaseAsync("replicas", token);
            var consumerToken = await LoadAsync(database, options, token);
            var head = (long)options.Rows;

            // Every replica is started and warmed up before any figure: an untimed pass of each
            // configuration (a fresh process keeps getting faster for a while: tiered JIT, pools).
            // Then the runs over 1, 2 and 3 of them alternate, Rounds times, in turn forwards and
            // backwards (1 2 3, 3 2 1, 1 2 3), so a drift of the machine's load hits all alike, and
            // the median of each is reported.
            replicas.Add(await HubReplica.StartAsync(database, token));
            replicas.AddRange(await Task.WhenAll(Enumerable.Range(1, ReplicaOptions.MaxReplicas - 1).Select(_ => HubReplica.StartAsync(database, token))));
            Console.WriteLine(Report.Format($"{replicas.Count} replicas listening: {string.Join(", ", replicas.Select(r => $"pid {r.ProcessId}"))}; load average {LoadAverage()}"));
            var figures = Enumerable.Range(1, ReplicaOptions.MaxReplicas).ToDictionary(count => count, _ => new List<double>());
            for (var round = 0; round <= Rounds; round++)
            {
                var order = round % 2 == 1 ? figures.Keys.Reverse() : figures.Keys;
                foreach (var count in order)
                {
                    var result = await PullAllAsync([.. replicas.Take(count)], options.Consumers, consumerToken, head, killAt: null, token);
                    failed |= !Check(result);
                    var label = round == 0 ? "warm-up" : Report.Format($"round {round}");
                    if (round > 0)
                    {
                        figures[count].Add(result.RowsPerSecond);
                    }

                    Console.WriteLine(Report.Format($"  {label}: {count} replica(s), {options.Consumers} consumers: {result.Rows:N0} rows in {result.Elapsed.TotalSeconds:0.00} s, {result.RowsPerSecond:N0} rows/s (load average {LoadAverage()})"));
                }
            }

            var single = Median(figures[1]);
            foreach (var (count, rates) in figures)
            {
                report.AddRate(Area, Report.Format($"{count} replica(s), {options.Consumers} consumers pulling the whole feed: aggregate, median of {Rounds}"),
                    Median(rates), "1 replica, same consumers", single, minRatio: null);
            }

            Console.WriteLine();
            Console.WriteLine(Report.Format($"Kill run: {ReplicaOptions.MaxReplicas} replicas, replica {ReplicaOptions.MaxReplicas - 1} killed (SIGKILL) at 40 % of the rows delivered"));
            var killed = await PullAllAsync(replicas, options.Consumers, consumerToken, head, killAt: 0.4, token);
            var guaranteed = Check(killed);
            failed |= !guaranteed;
            Console.WriteLine(Report.Format($"  {killed.Rows:N0} rows in {killed.Elapsed.TotalSeconds:0.00} s; {killed.FailOvers} consumer fail-overs; exit code of the killed replica {killed.ExitCode}"));
            report.AddRate(Area, Report.Format($"{ReplicaOptions.MaxReplicas} replicas, one killed mid-run, {options.Consumers} consumers: aggregate"),
                killed.RowsPerSecond, "1 replica, same consumers", single, minRatio: null);
            report.AddInfo(Area, "kill run: every consumer saw sequences 1..head once each, in order",
                guaranteed ? Report.Format($"no gap, no duplicate ({options.Consumers} consumers × {head:N0}, {killed.FailOvers} resumed elsewhere)") : "GAP OR DUPLICATE: " + killed.Problem);
            var errors = replicas.SelectMany(r => r.Errors).ToList();
            if (errors.Count > 0)
            {
                report.Note($"The replicas logged {errors.Count} error lines, the first: {errors[0]}");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failed = true;
            Console.Error.WriteLine($"Replica benchmark failed: {e}");
            report.Note($"Replica benchmark failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }

            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        report.Note(Report.Format($"{Environment.ProcessorCount} cores run PostgreSQL, every replica and every consumer (1-minute load average {Loads.DefaultIfEmpty().Min():0.0}–{Loads.DefaultIfEmpty().Max():0.0} during the run): the work is CPU-bound on the same cores, so the aggregate cannot grow with the replicas here, and on a machine busy with other work more processes also take a larger share of it. The figures show the mechanism (any replica serves any consumer's cursor, a killed replica's consumers carry on elsewhere) and the guarantees, not capacity."));
        Console.WriteLine();
        Console.WriteLine(Report.Format($"## Summary ({Stopwatch.GetElapsedTime(started).TotalSeconds:0} s)"));
        Console.WriteLine();
        report.PrintSummary(Console.Out);
        return failed ? 1 : 0;
    }

    // Loads the rows through the store (batches of 1,000 from five counties, as the ingest
    // benchmark does), registers the consumer and returns its token.
    private static async Task<string> LoadAsync(string database, ReplicaOptions options, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var store = new PostgresHubStore(database, BenchKeys.Protection);
        await store.MigrateAsync(cancellationToken);
        var workload = new PersonWorkload(seed: 5, changePrefix: "rep");
        var batches = options.Rows / ReplicaOptions.BatchSize;
        for (var i = 0; i < batches; i++)
        {
            var batch = Batches.Prepare(workload, PersonWorkload.Counties[i % PersonWorkload.Counties.Count], $"rep-{i:D6}", ReplicaOptions.BatchSize);
            await IngestBenchmark.IngestAsync(store, batch.ToIngestBatch(), cancellationToken);
        }

        await using (var admin = new NpgsqlConnection(database))
        {
            await admin.OpenAsync(cancellationToken);
            await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE", admin);
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }

        var consumer = BenchHub.ConsumerPeer();
        await store.UpsertPeerAsync(consumer, cancellationToken);
        var token = BearerTokens.NewToken();
        await store.IssueCredentialAsync(consumer.Id, BearerTokens.Hash(token), revokeOthers: false, cancellationToken);
        Console.WriteLine(Report.Format($"Loaded {options.Rows:N0} rows in {batches} batches through PostgresHubStore.IngestAsync in {watch.Elapsed.TotalSeconds:0.0} s"));
        return token;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // The 1-minute load average (Linux), to read the figures by: other work on the machine moves them.
    private static string LoadAverage()
    {
        if (!File.Exists("/proc/loadavg")
            || !double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load))
        {
            return "?";
        }

        Loads.Add(load);
        return Report.Format($"{load:0.00}");
    }

    /// <summary>One run: consumer i starts on replica i mod count and pulls the whole feed.</summary>
    /// <param name="killAt">Kill the last replica once this share of all rows is delivered; null: no kill.</param>
    private static async Task<RunResult> PullAllAsync(
        IReadOnlyList<HubLauncher> replicas, int consumers, string token, long head, double? killAt, CancellationToken cancellationToken)
    {
        var delivered = 0L;
        var clock = Stopwatch.StartNew();
        var reading = Enumerable.Range(0, consumers)
            .Select(i => Task.Run(() => ConsumeAsync(replicas, i % replicas.Count, token, rows => Interlocked.Add(ref delivered, rows), cancellationToken), cancellationToken))
            .ToList();
        int? exitCode = null;
        if (killAt is { } share)
        {
            var victim = replicas[^1];
            while (Interlocked.Read(ref delivered) < share * consumers * head && !reading.All(r => r.IsCompleted))
            {
                await Task.Delay(10, cancellationToken);
            }

            exitCode = await victim.KillAsync();
        }

        var results = await Task.WhenAll(reading);
        clock.Stop();
        var rows = results.Sum(r => r.Rows);
        return new RunResult(rows, clock.Elapsed, rows / clock.Elapsed.TotalSeconds, results.Sum(r => r.FailOvers), exitCode,
            results.Select(r => r.Problem).FirstOrDefault(p => p is not null) ?? results.Select((r, i) => r.Last != head ? $"consumer {i} ended at {r.Last}, not {head}" : null).FirstOrDefault(p => p is not null));
    }

    // Pulls the whole feed from the start; on a failure of a replica that died, resumes from the
    // last cursor on the next replica. Checks each sequence is the one after the last.
    private static async Task<ConsumerResult> ConsumeAsync(
        IReadOnlyList<HubLauncher> replicas, int replica, string token, Action<long> progress, CancellationToken cancellationToken)
    {
        var channel = NewChannel(replicas[replica].Address);
        try
        {
            var client = new ExchangeService.ExchangeServiceClient(Authenticated(channel, token));
            var cursor = "";
            var last = 0L;
            var rows = 0L;
            var failOvers = 0;
            string? problem = null;
            while (true)
            {
                PullChangesResponse page;
                try
                {
                    page = await client.PullChangesAsync(new PullChangesRequest { Cursor = cursor, PageSize = ReplicaOptions.BatchSize },
                        deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellationToken);
                }
                catch (RpcException)
                {
                    if (!await DiedAsync(replicas[replica]))
                    {
                        throw;
                    }

                    failOvers++;
                    replica = (replica + 1) % replicas.Count;
                    channel.Dispose();
                    channel = NewChannel(replicas[replica].Address);
                    client = new ExchangeService.ExchangeServiceClient(Authenticated(channel, token));
                    continue;
                }

                foreach (var change in page.Changes)
                {
                    if (change.Sequence != last + 1)
                    {
                        problem ??= $"sequence {change.Sequence} after {last}";
                    }

                    last = change.Sequence;
                }

                rows += page.Changes.Count;
                progress(page.Changes.Count);
                cursor = page.NextCursor;
                if (page.CaughtUp)
                {
                    return new ConsumerResult(rows, last, failOvers, problem);
                }
            }
        }
        finally
        {
            channel.Dispose();
        }
    }

    private static bool Check(RunResult result)
    {
        if (result.Problem is not null)
        {
            Console.Error.WriteLine($"  GUARANTEE BROKEN: {result.Problem}");
            return false;
        }

        return true;
    }

    // Whether the replica died (or dies within a few seconds: the client may see its sockets
    // close before this process has reaped it). A failure of a live replica is not excused.
    private static async Task<bool> DiedAsync(HubLauncher replica)
    {
        for (var i = 0; i < 100 && !replica.HasExited; i++)
        {
            await Task.Delay(50);
        }

        return replica.HasExited;
    }

    // A bulk consumer's channel, as the pull benchmark's: a 16 MiB HTTP/2 stream receive window.
    private static GrpcChannel NewChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 16 * 1024 * 1024,
        HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = BenchHub.ReceiveWindow },
    });

    private static CallInvoker Authenticated(GrpcChannel channel, string token) => channel.Intercept(metadata =>
    {
        metadata.Add("authorization", "Bearer " + token);
        return metadata;
    });

    private sealed record ConsumerResult(long Rows, long Last, int FailOvers, string? Problem);

    private sealed record RunResult(long Rows, TimeSpan Elapsed, double RowsPerSecond, int FailOvers, int? ExitCode, string? Problem);
}
