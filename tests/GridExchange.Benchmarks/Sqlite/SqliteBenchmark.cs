using System.Diagnostics;
using Google.Protobuf;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.PostgreSql;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Workload;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GridExchange.Benchmarks.Sqlite;

/// <summary>
/// Secondary figures on the embedded store: <see cref="SqliteHubStore"/> ingest against plain
/// prepared INSERTs of the same rows into an identical table (same columns and indexes as
/// change_log) in one transaction per batch, and <see cref="IHubStore.ReadFeedAsync"/> against
/// one ordered SELECT of the whole log read fully. Same file, same pragmas.
/// </summary>
internal static class SqliteBenchmark
{
    private const string Area = "SQLite";
    private const int PageSize = BenchmarkOptions.BatchSize;

    public static async Task RunAsync(BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("gridx-bench-sqlite-");
        try
        {
            var path = Path.Combine(directory.FullName, "bench.db");
            await using var store = new SqliteHubStore(path, BenchKeys.Protection);
            await store.MigrateAsync(cancellationToken);
            var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
            await using (var connection = await OpenAsync(connectionString, cancellationToken))
            {
                await using var create = new SqliteCommand(RawTable, connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await IngestAsync(store, connectionString, options, report, cancellationToken);
            await PullAsync(store, connectionString, options, report, cancellationToken);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task IngestAsync(IHubStore store, string connectionString, BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        var workload = new PersonWorkload(seed: 2, changePrefix: "sqlite");
        var number = 0;
        PreparedBatch Next() => Batches.Prepare(workload, PersonWorkload.Counties[number % PersonWorkload.Counties.Count],
            $"sqlite-{number++:D6}", BenchmarkOptions.BatchSize);
        var rawSequence = 1L;

        var warm = Next();
        await IngestBenchmark.IngestAsync(store, warm.ToIngestBatch(), cancellationToken);
        await InsertRawAsync(connectionString, warm.Valid, rawSequence, cancellationToken);
        rawSequence += warm.Valid.Count;

        var batches = options.SqliteRows / BenchmarkOptions.BatchSize;
        var ingestTime = TimeSpan.Zero;
        var rawTime = TimeSpan.Zero;
        var rows = 0L;
        for (var i = 0; i < batches; i++)
        {
            var batch = Next();
            var input = batch.ToIngestBatch();
            var started = Stopwatch.GetTimestamp();
            await IngestBenchmark.IngestAsync(store, input, cancellationToken);
            var ingested = Stopwatch.GetTimestamp();
            await InsertRawAsync(connectionString, batch.Valid, rawSequence, cancellationToken);
            var inserted = Stopwatch.GetTimestamp();
            ingestTime += Stopwatch.GetElapsedTime(started, ingested);
            rawTime += Stopwatch.GetElapsedTime(ingested, inserted);
            rawSequence += batch.Valid.Count;
            rows += batch.Valid.Count;
        }

        Console.WriteLine(Report.Format($"  {rows:N0} rows in {batches} batches; ingest {ingestTime.TotalSeconds:0.00} s, raw INSERTs {rawTime.TotalSeconds:0.00} s"));
        report.AddRate(Area, "SqliteHubStore.IngestAsync", rows / ingestTime.TotalSeconds,
            "prepared INSERTs, one transaction, same indexes", rows / rawTime.TotalSeconds, minRatio: null);
    }

    private static async Task PullAsync(IHubStore store, string connectionString, BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        await ReadStoreAsync(store, 10 * PageSize, cancellationToken);
        await SelectRawAsync(connectionString, 10 * PageSize, cancellationToken);
        var storeSeconds = new List<double>();
        var rawSeconds = new List<double>();
        var rows = 0L;
        for (var i = 0; i < options.PullRepetitions; i++)
        {
            var started = Stopwatch.GetTimestamp();
            rows = await SelectRawAsync(connectionString, long.MaxValue, cancellationToken);
            rawSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            started = Stopwatch.GetTimestamp();
            var read = await ReadStoreAsync(store, long.MaxValue, cancellationToken);
            storeSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (read != rows)
            {
                throw new InvalidOperationException($"The store served {read:N0} rows; the log holds {rows:N0}.");
            }
        }

        var storeMedian = storeSeconds.Order().ElementAt(storeSeconds.Count / 2);
        var rawMedian = rawSeconds.Order().ElementAt(rawSeconds.Count / 2);
        Console.WriteLine(Report.Format($"  whole log {rows:N0} rows: store {storeMedian:0.000} s, raw SELECT {rawMedian:0.000} s (medians)"));
        report.AddRate(Area, "IHubStore.ReadFeedAsync, whole feed", rows / storeMedian, "ordered SELECT, read fully", rows / rawMedian, minRatio: null);
    }

    private static async Task<long> ReadStoreAsync(IHubStore store, long limit, CancellationToken cancellationToken)
    {
        var after = 0L;
        var rows = 0L;
        while (true)
        {
            var page = await store.ReadFeedAsync(new FeedQuery(after, FeedScope.All, PageSize), cancellationToken);
            rows += page.Changes.Count;
            after = page.Next;
            if (page.CaughtUp || rows >= limit)
            {
                return rows;
            }
        }
    }

    private static async Task<long> SelectRawAsync(string connectionString, long limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new SqliteCommand(
            "SELECT seq, entity_type, entity_key, region_code, old_region_code, operation, entity_version, source_system, source_change_id, take_over, committed_at, payload " +
            "FROM change_log ORDER BY seq LIMIT @limit", connection);
        command.Parameters.AddWithValue("@limit", limit == long.MaxValue ? -1 : limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = 0L;
        var checksum = 0L;
        while (await reader.ReadAsync(cancellationToken))
        {
            checksum += reader.GetInt64(0) + reader.GetInt64(1) + reader.GetString(2).Length + reader.GetString(3).Length;
            checksum += reader.IsDBNull(4) ? 0 : reader.GetString(4).Length;
            checksum += reader.GetInt64(5) + reader.GetInt64(6) + reader.GetString(7).Length + reader.GetString(8).Length;
            checksum += reader.GetInt64(9) + (reader.GetInt64(10) & 1);
            checksum += reader.IsDBNull(11) ? 0 : ((byte[])reader.GetValue(11)).Length;
            rows++;
        }

        GC.KeepAlive(checksum);
        return rows;
    }

    private static async Task InsertRawAsync(string connectionString, IReadOnlyList<ValidChange> changes, long firstSequence, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var insert = new SqliteCommand("""
            INSERT INTO raw_change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                        operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            VALUES (@seq, @type, @key, @region, NULL, @bucket, NULL, @operation, @version, @source, @changeId, 0, @committed, @payload)
            """, connection, transaction);
        var seq = insert.Parameters.Add("@seq", SqliteType.Integer);
        var type = insert.Parameters.Add("@type", SqliteType.Integer);
        var key = insert.Parameters.Add("@key", SqliteType.Text);
        var region = insert.Parameters.Add("@region", SqliteType.Text);
        var bucket = insert.Parameters.Add("@bucket", SqliteType.Text);
        var operation = insert.Parameters.Add("@operation", SqliteType.Integer);
        var version = insert.Parameters.Add("@version", SqliteType.Integer);
        var source = insert.Parameters.Add("@source", SqliteType.Text);
        var changeId = insert.Parameters.Add("@changeId", SqliteType.Text);
        var committed = insert.Parameters.Add("@committed", SqliteType.Integer);
        var payload = insert.Parameters.Add("@payload", SqliteType.Blob);
        var now = (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        var sequence = firstSequence;
        foreach (var valid in changes)
        {
            var change = valid.Change;
            seq.Value = sequence++;
            type.Value = (int)change.EntityType;
            key.Value = change.EntityKey;
            region.Value = valid.RegionCode;
            bucket.Value = FeedScope.BucketOf(valid.RegionCode!);
            operation.Value = (int)change.Operation;
            version.Value = change.EntityVersion;
            source.Value = change.SourceSystem;
            changeId.Value = change.SourceChangeId;
            committed.Value = now;
            payload.Value = change.Person.ToByteArray();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = new SqliteCommand("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;", connection);
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    // change_log's columns and indexes as SqliteMigrations creates them.
    private const string RawTable = """
        CREATE TABLE raw_change_log (
            seq              INTEGER PRIMARY KEY,
            entity_type      INTEGER NOT NULL,
            entity_key       TEXT NOT NULL,
            region_code      TEXT NOT NULL,
            old_region_code  TEXT,
            bucket           TEXT NOT NULL,
            old_bucket       TEXT,
            operation        INTEGER NOT NULL,
            entity_version   INTEGER NOT NULL,
            source_system    TEXT NOT NULL,
            source_change_id TEXT NOT NULL,
            take_over        INTEGER NOT NULL,
            committed_at     INTEGER NOT NULL,
            payload          BLOB
        );
        CREATE INDEX ix_raw_change_log_bucket ON raw_change_log (bucket, seq);
        CREATE INDEX ix_raw_change_log_old_bucket ON raw_change_log (old_bucket, seq) WHERE old_bucket IS NOT NULL;
        CREATE INDEX ix_raw_change_log_entity ON raw_change_log (entity_type, entity_key, seq);
        CREATE INDEX ix_raw_change_log_committed ON raw_change_log (committed_at);
        """;
}
