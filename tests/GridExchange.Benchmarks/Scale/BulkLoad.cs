using System.Diagnostics;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Storage;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Figure 1: loads the city through <see cref="PairedIngest"/> (the store's ingest and the raw
/// COPY, batch by batch), printing progress every few seconds, and stops once at the
/// checkpoint share of the expected rows (or later, once enough residents are loaded to change)
/// for the first tail measurement.
/// </summary>
internal sealed class BulkLoad(PairedIngest paired, SeedBatchProducer producer, ResidentReservoir reservoir, long expectedRows)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    /// <summary>The last commit: its head positions the tail measurements.</summary>
    public IngestCommit? LastCommit { get; private set; }

    /// <summary>Wall time of the load, checkpoint pause excluded.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Time the loader waited for the producer (parsing and validation falling behind).</summary>
    public TimeSpan Starved { get; private set; }

    /// <summary>Runs the load; <paramref name="checkpoint"/> is called once, when the share of expected rows is loaded.</summary>
    public async Task RunAsync(double checkpointShare, Func<Task> checkpoint, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var paused = TimeSpan.Zero;
        var lastProgress = started;
        var checkpointDone = false;
        var rowsSeen = 0L;
        var batches = producer.Batches;
        while (true)
        {
            var waiting = Stopwatch.GetTimestamp();
            if (!await batches.WaitToReadAsync(cancellationToken))
            {
                break;
            }

            Starved += Stopwatch.GetElapsedTime(waiting);
            while (batches.TryRead(out var batch))
            {
                // The first 1,000 rows warm both paths up (JIT, connections) and are not timed:
                // the regions file's tiny batch alone would leave the first full batch cold.
                LastCommit = await paired.RunAsync(batch, cancellationToken, timed: rowsSeen >= BenchmarkOptions.BatchSize);
                rowsSeen += batch.Changes.Count;
                reservoir.Offer(batch.Changes);
                if (Stopwatch.GetElapsedTime(lastProgress) >= ProgressEvery)
                {
                    lastProgress = Stopwatch.GetTimestamp();
                    PrintProgress(Stopwatch.GetElapsedTime(started) - paused);
                }

                // Residents come after a county's houses and households in its file, so a small
                // run may reach the share before it has loaded enough of them to change.
                if (!checkpointDone && paired.Rows >= expectedRows * checkpointShare && reservoir.IsFull)
                {
                    checkpointDone = true;
                    PrintProgress(Stopwatch.GetElapsedTime(started) - paused);
                    var pausing = Stopwatch.GetTimestamp();
                    await checkpoint();
                    paused += Stopwatch.GetElapsedTime(pausing);
                }
            }
        }

        Elapsed = Stopwatch.GetElapsedTime(started) - paused;
        PrintProgress(Elapsed);
    }

    private void PrintProgress(TimeSpan elapsed) => Console.WriteLine(Report.Format(
        $"  [{DateTime.UtcNow:HH:mm:ss}] {paired.Rows:N0} of ≈ {expectedRows:N0} rows in {elapsed.TotalSeconds:0} s: {paired.Rows / elapsed.TotalSeconds:N0} rows/s overall; IngestAsync {paired.Rows / paired.IngestTime.TotalSeconds:N0} rows/s, raw COPY {paired.Rows / paired.RawTime.TotalSeconds:N0} rows/s ({paired.RawTime / paired.IngestTime:0.00}×); waited for parsing {Starved.TotalSeconds:0} s; GC heap {GC.GetTotalMemory(false) / 1048576.0:N0} MiB"));
}
