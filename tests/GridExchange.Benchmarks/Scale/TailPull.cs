using System.Diagnostics;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Domain.Feed;
using GridExchange.Storage;
using GridExchange.V1;
using Npgsql;

namespace GridExchange.Benchmarks.Scale;

/// <summary>What one tail measurement found.</summary>
/// <param name="LogRows">Rows in change_log when measured (PostgreSQL's estimate after ANALYZE).</param>
/// <param name="Changes">Fresh changes in the tail.</param>
/// <param name="Seconds">Median time to pull them all over gRPC.</param>
/// <param name="County">The county whose scope was pulled.</param>
/// <param name="CountyChanges">Its changes in the tail.</param>
/// <param name="CountySeconds">Median time to pull them over gRPC with the county's scope.</param>
internal sealed record TailMeasurement(long LogRows, long Changes, double Seconds, string County, long CountyChanges, double CountySeconds);

/// <summary>
/// Figures 3 and 4: submits fresh changes (new versions and moves of loaded residents, through
/// the hub's store as SubmitChanges would) and pulls them over gRPC from the cursor at the log's
/// head before them: the whole tail, then one county's scope of it. A consumer that keeps up
/// only ever reads the tail, so its cost should not grow with the log.
/// </summary>
internal static class TailPull
{
    private const int Repetitions = 5;

    // Untimed pulls first: the first tail measurement is the process's first use of the pull
    // path, still partly on tier-0 code (runs at 0.3, 2 and 3 million residents all found the
    // smaller log the slower one, by up to 2×: warm-up, not size).
    private const int WarmUps = 2;

    public static async Task<TailMeasurement> RunAsync(
        BenchHub hub, NpgsqlDataSource dataSource, ResidentReservoir reservoir, int fresh, FeedHead head, string label, CancellationToken cancellationToken)
    {
        var cursor = new FeedCursor(head.Epoch, head.LastSequence).Encode();
        var submitting = Stopwatch.GetTimestamp();
        var batches = reservoir.FreshBatches(fresh);
        var changes = 0L;
        foreach (var batch in batches)
        {
            await IngestBenchmark.IngestAsync(hub.Store, batch, cancellationToken);
            changes += batch.Changes.Count;
        }

        Console.WriteLine(Report.Format($"  {label}: submitted {changes:N0} fresh changes in {batches.Count} batches ({Stopwatch.GetElapsedTime(submitting).TotalSeconds:0.0} s)"));

        // The same state at both sizes, whatever autovacuum had got round to: the log vacuumed
        // (visibility map and hint bits set, as on a log that is read more than written) and
        // analysed.
        await using (var analyze = dataSource.CreateCommand("VACUUM (ANALYZE) change_log; ANALYZE entities"))
        {
            analyze.CommandTimeout = 0;
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        long logRows;
        await using (var count = dataSource.CreateCommand("SELECT reltuples::bigint FROM pg_class WHERE relname = 'change_log'"))
        {
            logRows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var county = batches.Select(b => b.Changes[0].Change.RegionCode[..6]).Order(StringComparer.Ordinal).First();
        var countyChanges = batches.Where(b => b.Changes[0].Change.RegionCode.StartsWith(county, StringComparison.Ordinal)).Sum(b => (long)b.Changes.Count);
        var countyScope = new ChangeScope { RegionPrefixes = { county + "000000" } };
        var client = new ExchangeService.ExchangeServiceClient(hub.Consumer);
        var whole = await MedianSecondsAsync(() => PullBenchmark.PullAsync(client, null, cancellationToken, cursor), changes);
        var scoped = await MedianSecondsAsync(() => PullBenchmark.PullAsync(client, countyScope, cancellationToken, cursor), countyChanges);
        Console.WriteLine(Report.Format(
            $"  {label}: log ≈ {logRows:N0} rows; tail of {changes:N0} pulled in {whole:0.000} s ({changes / whole:N0} rows/s); county {county}: {countyChanges:N0} in {scoped:0.000} s"));
        return new TailMeasurement(logRows, changes, whole, county, countyChanges, scoped);
    }

    /// <summary><see cref="WarmUps"/> untimed pulls, then the median of <see cref="Repetitions"/> timed ones, each checked for the expected count.</summary>
    private static async Task<double> MedianSecondsAsync(Func<Task<long>> pull, long expected)
    {
        var seconds = new List<double>();
        for (var i = 0; i < WarmUps + Repetitions; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var rows = await pull();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (rows != expected)
            {
                throw new InvalidOperationException($"The tail pull read {rows:N0} changes; {expected:N0} were submitted.");
            }

            if (i >= WarmUps)
            {
                seconds.Add(elapsed);
            }
        }

        seconds.Sort();
        return seconds[seconds.Count / 2];
    }
}
