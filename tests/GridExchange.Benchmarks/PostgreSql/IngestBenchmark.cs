using System.Diagnostics;
using Google.Protobuf;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Workload;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.V1;
using Npgsql;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// Figure 1: rows/s of <see cref="PostgresHubStore.IngestAsync"/> on batches of 1,000 Person
/// changes, against one binary COPY per batch of the same rows into <see cref="RawChangeLog"/>,
/// interleaved batch by batch (<see cref="PairedIngest"/>).
/// </summary>
internal static class IngestBenchmark
{
    private const string Area = "PostgreSQL ingest";

    public static async Task RunAsync(string connectionString, BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        await using var store = new PostgresHubStore(connectionString, BenchKeys.Protection);
        await store.MigrateAsync(cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var paired = await PairedIngest.CreateAsync(store, dataSource, cancellationToken);

        var workload = new PersonWorkload(seed: 1, changePrefix: "pg");
        var batchNumber = 0;
        PreparedBatch Next() => Batches.Prepare(workload, PersonWorkload.Counties[batchNumber % PersonWorkload.Counties.Count],
            $"pg-{batchNumber++:D6}", BenchmarkOptions.BatchSize);

        // Warm-up: each path once.
        await paired.RunAsync(Next().ToIngestBatch(), cancellationToken, timed: false);

        var batches = options.Rows / BenchmarkOptions.BatchSize;
        var payloadBytes = 0L;
        for (var i = 0; i < batches; i++)
        {
            var batch = Next();
            await paired.RunAsync(batch.ToIngestBatch(), cancellationToken);
            payloadBytes += batch.Valid.Sum(v => (long)v.Change.Person.CalculateSize());
        }

        var (rows, ingestTime, rawTime) = (paired.Rows, paired.IngestTime, paired.RawTime);
        Console.WriteLine(Report.Format($"  {rows:N0} rows in {batches} batches of {BenchmarkOptions.BatchSize:N0}; Person payload {payloadBytes / (double)rows:N0} bytes on average; ingest {ingestTime.TotalSeconds:0.00} s, raw COPY {rawTime.TotalSeconds:0.00} s"));
        report.AddRate(Area, "PostgresHubStore.IngestAsync", rows / ingestTime.TotalSeconds,
            "binary COPY, same rows, same indexes", rows / rawTime.TotalSeconds, minRatio: 0.5);

        await ProfileAsync(store, Next, options.Quick ? 5 : 10, report, cancellationToken);
    }

    /// <summary>
    /// A short extra pass that says where an ingest batch spends its time: database time per
    /// statement (Npgsql's activities) and the in-process steps timed on the same batches.
    /// </summary>
    private static async Task ProfileAsync(PostgresHubStore store, Func<PreparedBatch> next, int batches, Report report, CancellationToken cancellationToken)
    {
        var prepared = Enumerable.Range(0, batches).Select(_ => next()).ToList();
        var validate = TimeSpan.Zero;
        var plan = TimeSpan.Zero;
        var serialise = TimeSpan.Zero;
        foreach (var batch in prepared)
        {
            var started = Stopwatch.GetTimestamp();
            _ = PersonWorkload.Validate(batch.County, batch.Request.Changes);
            validate += Stopwatch.GetElapsedTime(started);

            started = Stopwatch.GetTimestamp();
            _ = IngestPlanner.Plan(batch.Request.SourceSystem, batch.Valid, new Dictionary<EntityId, StoredEntity>(), new HashSet<string>());
            plan += Stopwatch.GetElapsedTime(started);

            started = Stopwatch.GetTimestamp();
            foreach (var valid in batch.Valid)
            {
                _ = EntityRecords.PayloadOf(valid.Change)!.ToByteArray();
            }

            serialise += Stopwatch.GetElapsedTime(started);
        }

        var total = TimeSpan.Zero;
        IReadOnlyList<(string Statement, int Count, TimeSpan Total)> sql;
        using (var profiler = new SqlProfiler())
        {
            foreach (var input in prepared.Select(b => b.ToIngestBatch()).ToList())
            {
                var started = Stopwatch.GetTimestamp();
                await IngestAsync(store, input, cancellationToken);
                total += Stopwatch.GetElapsedTime(started);
            }

            sql = profiler.Totals();
        }

        Console.WriteLine(Report.Format($"  Ingest profile, ms per batch of {BenchmarkOptions.BatchSize:N0} ({batches} batches, Npgsql tracing on):"));
        Console.WriteLine(Report.Format($"    {total.TotalMilliseconds / batches,8:0.00}  IngestAsync, wall"));
        foreach (var (statement, count, time) in sql)
        {
            Console.WriteLine(Report.Format($"    {time.TotalMilliseconds / batches,8:0.00}  SQL ×{count / (double)batches:0.#}: {statement}"));
        }

        var inSql = sql.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Total);
        Console.WriteLine(Report.Format($"    {(total - inSql).TotalMilliseconds / batches,8:0.00}  outside SQL (planner, answer, pool, awaits)"));
        Console.WriteLine(Report.Format($"    {plan.TotalMilliseconds / batches,8:0.00}  of which IngestPlanner.Plan (timed alone)"));
        Console.WriteLine(Report.Format($"    {serialise.TotalMilliseconds / batches,8:0.00}  payload ToByteArray (timed alone; runs inside the change_log COPY)"));
        Console.WriteLine(Report.Format($"    {validate.TotalMilliseconds / batches,8:0.00}  ChangeValidator.Validate (before the store, SubmitChanges only)"));
        report.AddInfo(Area, "profile: IngestAsync ms per 1,000-row batch", Report.Format($"{total.TotalMilliseconds / batches:0.0} ms"));
    }

    /// <summary>Ingests a batch and checks that every change was applied; returns the commit.</summary>
    public static async Task<IngestCommit> IngestAsync(IHubStore store, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(batch);
        var outcome = await store.IngestAsync(batch, cancellationToken);
        var commit = outcome.Commit ?? throw new InvalidOperationException($"Batch {batch.RequestId} was not committed.");
        if (commit.Plan.Any(p => p.Status != PlanStatus.Applied))
        {
            throw new InvalidOperationException($"Batch {batch.RequestId}: not every change was applied.");
        }

        return commit;
    }
}
