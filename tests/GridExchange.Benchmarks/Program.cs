using System.Diagnostics;
using System.Runtime.InteropServices;
using GridExchange.Benchmarks;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Sqlite;

// Benchmarks are not tests: figures are compared with baselines measured in this run and
// reported, and the exit code is 0 whatever they are. Only a run that could not measure at
// all (no PostgreSQL, a crash) exits 1.
if (args is ["scale", .. var scaleArgs])
{
    // The scale scenario runs for as long as the city takes (20+ minutes at 10 million
    // residents): no overall time limit, Ctrl+C stops it (and still drops its database).
    var scaleOptions = GridExchange.Benchmarks.Scale.ScaleOptions.Parse(scaleArgs);
    if (scaleOptions is null)
    {
        return 2;
    }

    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    return await GridExchange.Benchmarks.Scale.ScaleScenario.RunAsync(scaleOptions, stop.Token);
}

if (args is ["replicas", ..])
{
    return await GridExchange.Benchmarks.Replicas.ReplicaBenchmark.RunAsync(args[1..]);
}

var options = BenchmarkOptions.Parse(args);
if (options is null)
{
    return 2;
}

var report = new Report();
var runStarted = Stopwatch.GetTimestamp();
using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(options.Quick ? 5 : 15));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
var token = cancellation.Token;

Console.WriteLine(Report.Format($"GridExchange benchmarks ({(options.Quick ? "quick" : "default")}): {options.Rows:N0} PostgreSQL rows, {(options.Sqlite ? Report.Format($"{options.SqliteRows:N0}") : "no")} SQLite rows"));
Console.WriteLine(Report.Format($".NET {Environment.Version}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}"));

var failed = !await PostgresServer.RunAsync("PostgreSQL benchmarks", report, async server =>
{
    var database = await server.CreateDatabaseAsync("feed", token);

    Console.WriteLine();
    Console.WriteLine("1. Ingest (PostgreSQL)");
    await IngestBenchmark.RunAsync(database, options, report, token);

    Console.WriteLine();
    Console.WriteLine("2. Pull (PostgreSQL, hub in-process over gRPC)");
    await using var hub = await BenchHub.StartAsync(database, token);
    await PullBenchmark.RunAsync(database, hub, options, report, token);

    Console.WriteLine();
    Console.WriteLine("3. Streaming latency (PostgreSQL, SubmitChanges → SubscribeChanges over gRPC)");
    await StreamingBenchmark.RunAsync(hub, options, report, token);
}, token);

if (options.Sqlite)
{
    Console.WriteLine();
    Console.WriteLine("4. Ingest and pull (SQLite, embedded store)");
    try
    {
        await SqliteBenchmark.RunAsync(options, report, token);
    }
    catch (Exception e) when (e is not OutOfMemoryException)
    {
        failed = true;
        Console.Error.WriteLine($"SQLite benchmarks failed: {e}");
        report.Note($"SQLite benchmarks failed: {e.GetType().Name}: {e.Message}");
    }
}
else
{
    report.Note("SQLite figures skipped (--no-sqlite).");
}

Console.WriteLine();
Console.WriteLine(Report.Format($"## Summary ({Stopwatch.GetElapsedTime(runStarted).TotalSeconds:0} s)"));
Console.WriteLine();
report.PrintSummary(Console.Out);
return failed ? 1 : 0;
