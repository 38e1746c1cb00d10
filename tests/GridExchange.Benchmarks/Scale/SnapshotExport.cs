using System.Diagnostics;
using Grpc.Core;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.V1;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Figure 2: the whole city's current state through <c>ExportSnapshot</c> over gRPC (the client
/// counting every record of every chunk) against one raw ordered binary COPY of the same rows
/// as the store's snapshot read selects them (<c>SqlHubStore.Snapshot.ReadAsync</c>: current
/// entities joined to their last logged change, in (type, scope_code, key) order), and the
/// process's peak memory during the export.
/// </summary>
internal static class SnapshotExport
{
    private const string Area = "Scale: snapshot";

    /// <summary>What the store's snapshot read returns, for every type at once, in the order the hub walks it.</summary>
    private const string RawQuery = """
        SELECT e.entity_type, e.entity_key, e.scope_code, e.version, e.source_system, e.last_seq,
               coalesce(l.committed_at, e.updated_at), l.payload
        FROM entities e LEFT JOIN change_log l ON l.seq = e.last_seq
        WHERE NOT e.deleted
        ORDER BY e.entity_type, e.scope_code, e.entity_key
        """;

    /// <summary>
    /// Small states are read three times, the paths alternating, and the medians compared: a
    /// few seconds each are at the mercy of whatever else the machine runs. A large state
    /// (minutes each) is read once each.
    /// </summary>
    private const long RepeatBelowRows = 2_000_000;

    public static async Task RunAsync(BenchHub hub, NpgsqlDataSource dataSource, long expectedRows, Report report, CancellationToken cancellationToken)
    {
        var repetitions = expectedRows < RepeatBelowRows ? 3 : 1;
        var rawSeconds = new List<double>();
        var exportSeconds = new List<double>();
        var rawRows = 0L;
        var exported = 0L;
        var atRest = long.MaxValue;
        var (peakWorkingSet, peakHeap) = (0L, 0L);
        for (var i = 0; i < repetitions; i++)
        {
            var started = Stopwatch.GetTimestamp();
            rawRows = await RawCopyAsync(dataSource, cancellationToken);
            rawSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);

            // Memory is sampled during each export; the working set before it is taken from a
            // collected heap, so the peak can be read as what the export adds to a hub at rest.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            atRest = Math.Min(atRest, Environment.WorkingSet);
            await using (var sampler = new MemorySampler())
            {
                started = Stopwatch.GetTimestamp();
                exported = await ExportAsync(hub, rawRows, cancellationToken);
                exportSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                await sampler.DisposeAsync();
                peakWorkingSet = Math.Max(peakWorkingSet, sampler.PeakWorkingSet);
                peakHeap = Math.Max(peakHeap, sampler.PeakGcHeap);
            }

            Console.WriteLine(Report.Format(
                $"  raw ordered COPY of the current state: {rawRows:N0} rows in {rawSeconds[^1]:0.0} s; ExportSnapshot over gRPC: {exported:N0} records in {exportSeconds[^1]:0.0} s"));
        }

        const double MiB = 1024 * 1024;
        Console.WriteLine(Report.Format(
            $"  memory: working set {atRest / MiB:N0} MiB at rest, peak {peakWorkingSet / MiB:N0} MiB; GC heap peak {peakHeap / MiB:N0} MiB (hub and client: one process)"));
        report.AddRate(Area, Report.Format($"ExportSnapshot over gRPC, whole city{(repetitions > 1 ? $" (median of {repetitions})" : "")}"), exported / Median(exportSeconds),
            "raw ordered COPY of the current state", rawRows / Median(rawSeconds), minRatio: 0.5);
        report.AddLimit(Area, "peak working set during the export (hub + client, one process)", peakWorkingSet / MiB, "MiB", 1024);
        report.AddInfo(Area, "peak GC heap during the export", Report.Format($"{peakHeap / MiB:N0} MiB"),
            "working set at rest", Report.Format($"{atRest / MiB:N0} MiB"));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Reads the whole snapshot as a consumer does, checking it ends with SnapshotEnd and counts what it sent.</summary>
    private static async Task<long> ExportAsync(BenchHub hub, long expected, CancellationToken cancellationToken)
    {
        var client = new ExchangeService.ExchangeServiceClient(hub.Consumer);
        // The hub refuses an ExportSnapshot without a deadline; 10 million records take tens of minutes.
        using var call = client.ExportSnapshot(new ExportSnapshotRequest(), deadline: DateTime.UtcNow.AddHours(4), cancellationToken: cancellationToken);
        var records = 0L;
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (message.Chunk is { } chunk)
            {
                records += chunk.Records.Count;
            }
            else if (message.End is { } end)
            {
                if (end.RecordCount != records || records != expected)
                {
                    throw new InvalidOperationException($"ExportSnapshot sent {records:N0} records and said {end.RecordCount:N0}; the raw read found {expected:N0}.");
                }

                return records;
            }
        }

        throw new InvalidOperationException("ExportSnapshot ended without SnapshotEnd.");
    }

    /// <summary>The baseline: <see cref="RawQuery"/> by <see cref="RawOrderedCopy"/> (walking ix_entities_scope, as the store's pages do).</summary>
    private static Task<long> RawCopyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        RawOrderedCopy.ReadAsync(dataSource, RawQuery, ReadStateRowAsync, cancellationToken);

    private static async Task<long> ReadStateRowAsync(NpgsqlBinaryExporter reader, CancellationToken cancellationToken)
    {
        long checksum = await reader.ReadAsync<short>(NpgsqlDbType.Smallint, cancellationToken);
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += await reader.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken);
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += await reader.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken);
        checksum += (await reader.ReadAsync<DateTime>(NpgsqlDbType.TimestampTz, cancellationToken)).Ticks & 1;
        checksum += (await RawOrderedCopy.ReadNullableAsync<byte[]>(reader, NpgsqlDbType.Bytea, cancellationToken))?.Length ?? 0;
        return checksum;
    }
}
