using System.Diagnostics;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Hub.Startup;
using Npgsql;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// The scale scenario (issue 8): a generated city loaded through the store's bulk path, then
/// snapshot export, tail pulls at two log sizes, one county's share of a tail and region
/// statistics, each against a baseline measured in the same run.
/// </summary>
internal static class ScaleScenario
{
    private const string LoadArea = "Scale: bulk load";
    private const string TailArea = "Scale: tail pull";

    public static async Task<int> RunAsync(ScaleOptions options, CancellationToken cancellationToken)
    {
        var report = new Report();
        var runStarted = Stopwatch.GetTimestamp();
        Console.WriteLine(Report.Format($"GridExchange scale scenario: city {options.City}, {(options.Residents is { } r ? Report.Format($"{r:N0} residents") : "all its counties")}"));
        Console.WriteLine(Report.Format($".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}"));

        Console.WriteLine();
        Console.WriteLine("0. Seeds");
        var seeds = await CitySeeds.PrepareAsync(options, cancellationToken);
        var sample = new GridSample(options.Residents is { } residents ? (double)residents / seeds.Persons : 1);
        var expectedRows = (long)(seeds.Records * sample.Share);
        var expectedPersons = (long)(seeds.Persons * sample.Share);
        var fresh = (int)Math.Min(options.FreshChanges, (long)(expectedPersons * options.CheckpointShare));
        Console.WriteLine(Report.Format($"  {seeds.Manifest.Counties.Count} counties ({string.Join(", ", seeds.Manifest.Counties)}): {seeds.Persons:N0} persons, {seeds.Records:N0} records; loading {sample.Share:P1} of their grids ≈ {expectedPersons:N0} persons, {expectedRows:N0} records"));
        if (fresh < options.FreshChanges)
        {
            report.Note(Report.Format($"Fresh changes per tail: {fresh:N0} instead of {options.FreshChanges:N0}: only ≈ {expectedPersons * options.CheckpointShare:N0} residents are loaded at the first measurement."));
        }

        var plan = new ScalePlan(seeds, sample, expectedRows, fresh);
        var succeeded = await PostgresServer.RunAsync("Scale scenario",
            report, server => MeasureAsync(server, options, plan, report, cancellationToken), cancellationToken);

        Console.WriteLine();
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(Report.Format($"## Summary ({Stopwatch.GetElapsedTime(runStarted).TotalSeconds:0} s, the process's peak working set {process.PeakWorkingSet64 / 1048576.0:N0} MiB)"));
        Console.WriteLine();
        report.PrintSummary(Console.Out);
        return succeeded ? 0 : 1;
    }

    /// <summary>What the run loads: the seeds, the part of them kept, and the fresh changes per tail.</summary>
    private sealed record ScalePlan(CitySeeds Seeds, GridSample Sample, long ExpectedRows, int Fresh);

    private static async Task MeasureAsync(PostgresServer server, ScaleOptions options, ScalePlan plan, Report report, CancellationToken cancellationToken)
    {
        var (seeds, sample, expectedRows, fresh) = plan;
        var database = await server.CreateDatabaseAsync("scale", cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var hub = await BenchHub.StartAsync(database, cancellationToken);
        foreach (var file in seeds.Manifest.Files)
        {
            await hub.Store.UpsertPeerAsync(SampleLoader.SourcePeer(file), cancellationToken);
        }

        Console.WriteLine();
        Console.WriteLine(Report.Format($"1. Bulk load (IHubStore.IngestAsync vs raw binary COPY, alternating batches of {BenchmarkOptions.BatchSize:N0}), with 3./4. at {options.CheckpointShare:P0}"));
        var paired = await PairedIngest.CreateAsync(hub.Store, dataSource, cancellationToken);
        var reservoir = new ResidentReservoir(fresh);
        var producer = new SeedBatchProducer(seeds, sample);
        var producing = producer.StartAsync(cancellationToken);
        var load = new BulkLoad(paired, producer, reservoir, expectedRows);
        TailMeasurement? early = null;
        await load.RunAsync(options.CheckpointShare, async () =>
            early = await TailPull.RunAsync(hub, dataSource, reservoir, fresh, load.LastCommit!.Head, Report.Format($"tail at {options.CheckpointShare:P0}"), cancellationToken),
            cancellationToken);
        await producing;
        ReportLoad(report, paired, producer, load);

        Console.WriteLine();
        Console.WriteLine("3./4. Tail pull after the whole load");
        var late = await TailPull.RunAsync(hub, dataSource, reservoir, fresh, load.LastCommit!.Head, "tail at 100%", cancellationToken);
        ReportTail(report, early ?? throw new InvalidOperationException("The load never reached its checkpoint."), late);
        reservoir.Clear();

        Console.WriteLine();
        Console.WriteLine("2. ExportSnapshot (whole city, over gRPC)");
        await SnapshotExport.RunAsync(hub, dataSource, expectedRows, report, cancellationToken);

        Console.WriteLine();
        Console.WriteLine("5. GetRegionStats (over gRPC)");
        await RegionStatsLatency.RunAsync(hub,
            [("province", "370000000000"), ("city", options.City + "00000000"), ("county", seeds.Manifest.Counties[0] + "000000")],
            options.StatsCalls, report, cancellationToken);

        await ReportDiskAsync(dataSource, report, cancellationToken);
        if (options.KeepDatabase)
        {
            server.Keep();
            report.Note($"Database kept (--keep-db): {database}");
        }
    }

    private static void ReportLoad(Report report, PairedIngest paired, SeedBatchProducer producer, BulkLoad load)
    {
        var rows = paired.Rows;
        Console.WriteLine(Report.Format(
            $"  {rows:N0} rows timed; IngestAsync {paired.IngestTime.TotalSeconds:0} s, raw COPY {paired.RawTime.TotalSeconds:0} s, wall {load.Elapsed.TotalSeconds:0} s; parsing {producer.ParseTime.TotalSeconds:0} s and validation {producer.ValidateTime.TotalSeconds:0} s on the producer ({producer.Read:N0} changes read), the loader waited {load.Starved.TotalSeconds:0} s for it"));
        report.AddRate(LoadArea, "IHubStore.IngestAsync, batches of 1,000", rows / paired.IngestTime.TotalSeconds,
            "binary COPY, same rows, LIKE change_log INCLUDING ALL", rows / paired.RawTime.TotalSeconds, minRatio: 0.5);
        report.AddInfo(LoadArea, "wall-clock load (both paths, the raw COPY included)", Report.Rate(rows / load.Elapsed.TotalSeconds),
            "rows loaded", Report.Format($"{rows:N0}"));
        // Both per row loaded: with --residents the read also gunzips the lines it skips unparsed.
        report.AddInfo(LoadArea, "outside the ratio, per 1,000 rows loaded: ChangeValidator.Validate / seed read (gunzip + JSON)",
            Report.Format($"{producer.ValidateTime.TotalMilliseconds * 1000 / rows:0.0} ms / {producer.ParseTime.TotalMilliseconds * 1000 / rows:0.0} ms"));
    }

    private static void ReportTail(Report report, TailMeasurement early, TailMeasurement late)
    {
        report.AddWithin(TailArea, Report.Format($"PullChanges of {late.Changes:N0} fresh changes, log ≈ {late.LogRows:N0} rows"), late.Seconds,
            Report.Format($"same, log ≈ {early.LogRows:N0} rows"), early.Seconds, "s", tolerance: 0.2);
        report.AddInfo(TailArea, Report.Format($"county {late.County} from the tail: share of time vs share of rows"),
            Report.Format($"{late.CountySeconds / late.Seconds * 100:0.0}% of the whole tail's time ({late.CountySeconds:0.000} s)"),
            "share of rows", Report.Format($"{late.CountyChanges * 100.0 / late.Changes:0.0}% ({late.CountyChanges:N0})"));
    }

    /// <summary>What the run's database takes on disk: the figure to scale up for the full city.</summary>
    private static async Task ReportDiskAsync(NpgsqlDataSource dataSource, Report report, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT pg_database_size(current_database()), pg_total_relation_size('change_log'), pg_total_relation_size('entities'),
                   pg_total_relation_size('raw_change_log')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        const double GiB = 1024.0 * 1024 * 1024;
        var text = Report.Format($"{reader.GetInt64(0) / GiB:0.00} GiB (change_log {reader.GetInt64(1) / GiB:0.00}, entities {reader.GetInt64(2) / GiB:0.00}, raw_change_log {reader.GetInt64(3) / GiB:0.00})");
        Console.WriteLine($"  database on disk: {text}");
        report.AddInfo("Scale: disk", "database size after the run", text);
    }
}
