using System.Diagnostics;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using Npgsql;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// The ingest figure's two paths run on the same batch, one right after the other:
/// <see cref="PostgresHubStore.IngestAsync"/> and one binary COPY of the same rows into
/// <see cref="RawChangeLog"/>. Alternating batch by batch keeps both tables growing alike and
/// sharing whatever the server does in the background (checkpoints, autovacuum), so their ratio
/// holds even when the machine's speed drifts during a long load. Only the two calls are timed.
/// </summary>
internal sealed class PairedIngest(IHubStore store, NpgsqlDataSource dataSource)
{
    private long _rawSequence = 1;

    /// <summary>Rows ingested by timed batches.</summary>
    public long Rows { get; private set; }

    /// <summary>Time spent in the store's ingest.</summary>
    public TimeSpan IngestTime { get; private set; }

    /// <summary>Time spent in the raw COPY.</summary>
    public TimeSpan RawTime { get; private set; }

    /// <summary>Creates the baseline table next to the (migrated) store's <c>change_log</c>.</summary>
    public static async Task<PairedIngest> CreateAsync(IHubStore store, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await RawChangeLog.CreateAsync(dataSource, cancellationToken);
        return new PairedIngest(store, dataSource);
    }

    /// <summary>Ingests <paramref name="batch"/> through the store, then COPYs the same rows raw; returns the store's commit.</summary>
    /// <param name="timed">False for warm-up batches, which are written but not counted.</param>
    public async Task<IngestCommit> RunAsync(IngestBatch batch, CancellationToken cancellationToken, bool timed = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var started = Stopwatch.GetTimestamp();
        var commit = await IngestBenchmark.IngestAsync(store, batch, cancellationToken);
        var ingested = Stopwatch.GetTimestamp();
        await RawChangeLog.CopyAsync(dataSource, batch.Changes, _rawSequence, TimeProvider.System.GetUtcNow(), cancellationToken);
        var copied = Stopwatch.GetTimestamp();
        _rawSequence += batch.Changes.Count;
        if (timed)
        {
            IngestTime += Stopwatch.GetElapsedTime(started, ingested);
            RawTime += Stopwatch.GetElapsedTime(ingested, copied);
            Rows += batch.Changes.Count;
        }

        return commit;
    }
}
