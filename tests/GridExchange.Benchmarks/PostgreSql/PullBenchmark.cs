using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Workload;
using GridExchange.Domain.Feed;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// Figure 2: rows/s reading the whole feed, and one county's part of it, through the hub over
/// gRPC (PullChanges, 1,000 a page, the client parsing every change) and through
/// <see cref="IHubStore.ReadFeedAsync"/> directly, against a raw ordered binary COPY of the same
/// rows read fully by Npgsql. Paths alternate within each repetition; the median is reported.
/// </summary>
internal static class PullBenchmark
{
    private const string Area = "PostgreSQL pull";
    private const int PageSize = BenchmarkOptions.BatchSize;

    /// <summary>The county read by the scoped figures.</summary>
    public static readonly string County = PersonWorkload.Counties[0];

    public static async Task RunAsync(string connectionString, BenchHub hub, BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        var client = new ExchangeService.ExchangeServiceClient(hub.Consumer);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = hub.Store;
        var countyScope = new ChangeScope { RegionPrefixes = { PersonWorkload.RegionOf(County) } };
        var countyFeedScope = FeedScope.Create(countyScope.RegionPrefixes, []);
        var countyFilter = $"bucket = '{County}' OR old_bucket = '{County}'";

        // Right after the load the log has statistics (ANALYZE) but no visibility map yet; the
        // figures are measured on the steady state autovacuum leaves an insert-only table in
        // (VACUUM ANALYZE). The county check runs in both states: the plan differs.
        // One unpooled session for maintenance, counts and statistics, so its own scans are
        // published before the county checks read the counters.
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await admin.OpenAsync(cancellationToken);
        await ExecuteAsync(admin, "ANALYZE", cancellationToken);
        var total = await CountAsync(admin, null, cancellationToken);
        var countyRows = await CountAsync(admin, countyFilter, cancellationToken);
        Console.WriteLine(Report.Format($"  change_log holds {total:N0} rows, {countyRows:N0} of them ({countyRows * 100.0 / total:0.0}%) in county {County}"));
        await CheckScopeUsesIndexAsync(connectionString, admin, countyFeedScope, countyRows, total, "just loaded", report, cancellationToken);
        await ExecuteAsync(admin, "VACUUM ANALYZE", cancellationToken);

        var paths = new (string Name, long Expected, Func<Task<long>> Read)[]
        {
            ("raw ordered COPY, whole log", total, () => RawCopyAsync(dataSource, null, cancellationToken)),
            ("IHubStore.ReadFeedAsync, whole feed", total, () => ReadStoreAsync(store, FeedScope.All, cancellationToken)),
            ("PullChanges over gRPC, whole feed", total, () => PullAsync(client, null, cancellationToken)),
            ("raw ordered COPY, one county", countyRows, () => RawCopyAsync(dataSource, countyFilter, cancellationToken)),
            ("IHubStore.ReadFeedAsync, one county", countyRows, () => ReadStoreAsync(store, countyFeedScope, cancellationToken)),
            ("PullChanges over gRPC, one county", countyRows, () => PullAsync(client, countyScope, cancellationToken)),
            ("SubscribeChanges replay over gRPC, whole feed", total, () => ReplayAsync(client, total, cancellationToken)),
        };

        // Warm-up: each path once, in full.
        foreach (var path in paths)
        {
            await path.Read();
        }

        var seconds = paths.Select(_ => new List<double>()).ToArray();
        for (var repetition = 0; repetition < options.PullRepetitions; repetition++)
        {
            for (var i = 0; i < paths.Length; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var rows = await paths[i].Read();
                seconds[i].Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                if (rows != paths[i].Expected)
                {
                    throw new InvalidOperationException($"{paths[i].Name} read {rows:N0} rows; the log holds {paths[i].Expected:N0}.");
                }
            }
        }

        var median = seconds.Select(Median).ToArray();
        var readAhead = hub.ReadAhead;
        Console.WriteLine(Report.Format(
            $"  PullChanges read-ahead so far: {readAhead.Started:N0} pages read ahead, {readAhead.Used:N0} served, {readAhead.Expired:N0} expired, {readAhead.Evicted:N0} evicted, {readAhead.Failed:N0} failed"));
        for (var i = 0; i < paths.Length; i++)
        {
            Console.WriteLine(Report.Format($"  {paths[i].Name}: {paths[i].Expected:N0} rows, {string.Join(" / ", seconds[i].Select(s => s.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} s"));
        }

        double Rate(int i) => paths[i].Expected / median[i];
        report.AddRate(Area, "PullChanges over gRPC, whole feed", Rate(2), "raw ordered COPY", Rate(0), minRatio: 0.5);
        report.AddRate(Area, "IHubStore.ReadFeedAsync, whole feed", Rate(1), "raw ordered COPY", Rate(0), minRatio: 0.5);
        report.AddRate(Area, $"PullChanges over gRPC, county {County}", Rate(5), "raw ordered COPY of the county", Rate(3), minRatio: 0.5);
        report.AddRate(Area, $"IHubStore.ReadFeedAsync, county {County}", Rate(4), "raw ordered COPY of the county", Rate(3), minRatio: 0.5);
        report.AddRate(Area, "SubscribeChanges replay over gRPC, whole feed (streamed)", Rate(6), "raw ordered COPY", Rate(0), minRatio: null);
        report.AddInfo(Area, $"county {County}: share of time vs share of rows (gRPC)",
            Report.Format($"{median[5] / median[2] * 100:0.0}% of the whole-feed time"), "share of rows", Report.Format($"{countyRows * 100.0 / total:0.0}%"));

        await CheckScopeUsesIndexAsync(connectionString, admin, countyFeedScope, countyRows, total, "vacuumed", report, cancellationToken);
        await CallLatencyAsync(client, report, cancellationToken);
        await ProfileAsync(store, median[2] / (total / (double)PageSize), median[1] / (total / (double)PageSize), cancellationToken);
    }

    /// <summary>
    /// The fixed cost of a call, apart from the rows: PullChanges at the head (one round trip to
    /// read the head; no rows, nothing to audit) and a one-row page (the store's read
    /// transaction, then the audit append before it is sent), 200 calls each after a warm-up,
    /// paced to stay inside the hub's default per-peer rate limit (200 calls/s, bursts of 1,000).
    /// The difference is what every page a consumer waits for costs on top of its rows.
    /// </summary>
    private static async Task CallLatencyAsync(ExchangeService.ExchangeServiceClient client, Report report, CancellationToken cancellationToken)
    {
        const int Calls = 200;
        Task<PullChangesResponse> Pull(string cursor, int size) => client.PullChangesAsync(
            new PullChangesRequest { Cursor = cursor, PageSize = size }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync;

        var tail = "";
        while (true)
        {
            var page = await Pull(tail, PageSize);
            tail = page.NextCursor;
            if (page.CaughtUp)
            {
                break;
            }
        }

        async Task<double> TimeAsync(string cursor, int size)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            for (var i = 0; i < Calls / 4; i++)
            {
                await Pull(cursor, size);
            }

            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < Calls; i++)
            {
                await Pull(cursor, size);
            }

            return Stopwatch.GetElapsedTime(started).TotalMilliseconds / Calls;
        }

        var empty = await TimeAsync(tail, PageSize);
        var oneRow = await TimeAsync("", 1);
        Console.WriteLine(Report.Format($"  PullChanges call latency: {empty:0.00} ms at the head (no rows), {oneRow:0.00} ms for a one-row page (store read, audit append)"));
        report.AddInfo(Area, "PullChanges latency, one-row page (store read + audit append)", Report.Format($"{oneRow:0.00} ms"), "at the head, no rows", Report.Format($"{empty:0.00} ms"));
    }

    /// <summary>
    /// Shows from PostgreSQL's own counters whether a county read seeks the bucket index or
    /// walks the log: a separate store reads the county once, its server backends are ended so
    /// they publish their statistics, and the counters of change_log are compared with those
    /// taken before. Rows touched close to the county's rows means an index seek; close to the
    /// whole log means a scan.
    /// </summary>
    private static async Task CheckScopeUsesIndexAsync(
        string connectionString, NpgsqlConnection admin, FeedScope scope, long countyRows, long totalRows, string state, Report report, CancellationToken cancellationToken)
    {
        await ExecuteAsync(admin, "SELECT pg_stat_force_next_flush()", cancellationToken);
        await Task.Delay(200, cancellationToken);
        var before = await ScanCountersAsync(admin, cancellationToken);
        const string Probe = "gridx-bench-scope-probe";
        var probeConnection = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = Probe }.ToString();
        TimeSpan elapsed;
        await using (var probe = new GridExchange.Storage.PostgreSql.PostgresHubStore(probeConnection, BenchKeys.Protection))
        {
            var reading = Stopwatch.GetTimestamp();
            await ReadStoreAsync(probe, scope, cancellationToken);
            elapsed = Stopwatch.GetElapsedTime(reading);
        }

        // A backend publishes all its counters when it exits; make sure the probe's have.
        await ExecuteAsync(admin, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{Probe}'", cancellationToken);

        // Exiting backends publish asynchronously: wait until the counters stop moving.
        var after = before;
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10)
            && (after == before || Stopwatch.GetElapsedTime(lastChange) < TimeSpan.FromMilliseconds(600)))
        {
            await Task.Delay(100, cancellationToken);
            var now = await ScanCountersAsync(admin, cancellationToken);
            if (now != after)
            {
                after = now;
                lastChange = Stopwatch.GetTimestamp();
            }
        }

        if (after == before)
        {
            report.Note("The county index check found no published statistics within 10 s; no figure.");
            return;
        }

        var touched = after.RowsTouched - before.RowsTouched;
        var bucketEntries = after.BucketEntriesRead - before.BucketEntriesRead;
        Console.WriteLine(Report.Format($"  county read, log {state}, through a separate store ({elapsed.TotalMilliseconds:N0} ms, first read): change_log rows touched {touched:N0} (sequential {after.SeqRowsRead - before.SeqRowsRead:N0}, by index {after.IndexRowsFetched - before.IndexRowsFetched:N0}), ix_change_log_bucket entries read {bucketEntries:N0}; county rows {countyRows:N0} of {totalRows:N0}"));
        report.AddInfo(Area, $"county read, log {state}: change_log rows touched / bucket-index entries read",
            Report.Format($"{touched:N0} / {bucketEntries:N0}"), "county rows / log rows", Report.Format($"{countyRows:N0} / {totalRows:N0}"));
    }

    /// <summary>PostgreSQL's access counters for change_log and its bucket index.</summary>
    private readonly record struct ScanCounters(long SeqRowsRead, long IndexRowsFetched, long BucketEntriesRead)
    {
        public long RowsTouched => SeqRowsRead + IndexRowsFetched;
    }

    private static async Task<ScanCounters> ScanCountersAsync(NpgsqlConnection admin, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.seq_tup_read, coalesce(t.idx_tup_fetch, 0), i.idx_tup_read
            FROM pg_stat_user_tables t JOIN pg_stat_user_indexes i ON i.relid = t.relid
            WHERE t.relname = 'change_log' AND i.indexrelname = 'ix_change_log_bucket'
            """, admin);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ScanCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Where a PullChanges page spends its time: the steps the hub and the client run per page,
    /// timed one by one on real pages (the hub's steps as <c>PullChanges</c> runs them:
    /// <c>ProjectedChange</c> and <c>PullResponses</c>; the typed path it replaced for
    /// comparison), next to the measured gRPC and store times per page; and the database steps
    /// alone: the read with the consumer's own scope (its jurisdiction, as PullChanges reads it)
    /// and one page's audit append.
    /// </summary>
    private static async Task ProfileAsync(IHubStore store, double grpcSecondsPerPage, double storeSecondsPerPage, CancellationToken cancellationToken)
    {
        const int Pages = 10;
        var pages = new List<FeedPage>();
        var after = 0L;
        for (var i = 0; i < Pages; i++)
        {
            var page = await store.ReadFeedAsync(new FeedQuery(after, FeedScope.All, PageSize), cancellationToken);
            pages.Add(page);
            after = page.Next;
        }

        var logged = pages.SelectMany(p => p.Changes).ToList();
        var epoch = pages[0].Head.Epoch;
        double Time(Action step)
        {
            // Warm up for half a second first: the steps are short, and timed straight away they
            // would run (partly) as unoptimised first-tier JIT code the hub long left behind.
            var warming = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(warming) < TimeSpan.FromMilliseconds(500))
            {
                step();
            }

            var best = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var started = Stopwatch.GetTimestamp();
                step();
                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds / Pages);
            }

            return best;
        }

        var cursors = Time(() => logged.ForEach(l => new FeedCursor(epoch, l.Sequence).Encode()));
        var parse = Time(() => logged.ForEach(l => Person.Parser.ParseFrom(l.Payload)));
        List<Change> changes = [];
        var project = Time(() => changes = logged.ConvertAll(l => FeedChanges.Project(l, FeedScope.All, epoch)!));
        var sizes = Time(() => changes.ForEach(c => c.CalculateSize()));
        var responses = changes.Chunk(PageSize).Select(chunk => new PullChangesResponse { Changes = { chunk }, NextCursor = "x" }).ToList();
        // Serialised into a reused buffer writer, as grpc-dotnet writes a response into its pipe.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4 * 1024 * 1024);
        var serialise = Time(() => responses.ForEach(r =>
        {
            buffer.ResetWrittenCount();
            r.WriteTo(buffer);
        }));
        // What PullChanges does now: project to ProjectedChange values and write the response
        // bytes from them (PullResponses), with no Change built.
        var direct = Time(() =>
        {
            for (var page = 0; page < Pages; page++)
            {
                var projected = new List<ProjectedChange>(PageSize);
                foreach (var l in logged.Skip(page * PageSize).Take(PageSize))
                {
                    projected.Add(ProjectedChange.Of(l, FeedScope.All, epoch)!.Value);
                }

                var response = new PullChangesResponse { NextCursor = "x" };
                PullResponses.Attach(response, projected);
                _ = PullResponses.Encode(response);
            }
        });
        var wire = responses.ConvertAll(r => r.ToByteArray());
        var clientParse = Time(() => wire.ForEach(w => PullChangesResponse.Parser.ParseFrom(w)));

        // The database steps of a page as PullChanges runs them: the read with the scope the hub
        // reads for the consumer (its jurisdiction, the province: FeedRequests.Scope fills an empty
        // request scope with it), which is not the unscoped read of the store figures, and the
        // page's audit append on its own.
        async Task<double> TimeAsync(Func<Task> step)
        {
            for (var i = 0; i < Pages; i++)
            {
                await step();
            }

            var best = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < Pages; i++)
                {
                    await step();
                }

                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds / Pages);
            }

            return best;
        }

        var jurisdiction = FeedScope.Create([BenchHub.ConsumerRegion], []);
        var readAfter = 0L;
        var scopedRead = await TimeAsync(async () =>
        {
            var page = await store.ReadFeedAsync(new FeedQuery(readAfter, jurisdiction, PageSize), cancellationToken);
            readAfter = page.CaughtUp ? 0 : page.Next;
        });
        readAfter = 0;
        var unscopedRead = await TimeAsync(async () =>
        {
            var page = await store.ReadFeedAsync(new FeedQuery(readAfter, FeedScope.All, PageSize), cancellationToken);
            readAfter = page.CaughtUp ? 0 : page.Next;
        });
        var auditLog = (GridExchange.Storage.IAuditLog)store;
        var auditAppend = await TimeAsync(() => auditLog.AppendAuditAsync(
            new GridExchange.Domain.Audit.AuditEvent(DateTimeOffset.UtcNow, "bench-profile", "/gridexchange.v1.ExchangeService/PullChanges", "",
                ExchangeGrpcService.ScopeText(jurisdiction), [EntityType.Person], PageSize, [DataClass.S2, DataClass.S3]),
            cancellationToken));
        var grpc = grpcSecondsPerPage * 1000;
        var storeRead = storeSecondsPerPage * 1000;

        Console.WriteLine(Report.Format($"  Pull profile, ms per page of {PageSize:N0} ({wire.Average(w => w.Length) / 1024:N0} KiB on the wire):"));
        Console.WriteLine(Report.Format($"    {grpc,8:0.00}  PullChanges over gRPC, measured (median run); the steps below are timed alone:"));
        Console.WriteLine(Report.Format($"    {storeRead,8:0.00}  IHubStore.ReadFeedAsync (median run)"));
        Console.WriteLine(Report.Format($"    {scopedRead,8:0.00}  IHubStore.ReadFeedAsync of the consumer's jurisdiction (what PullChanges reads; {unscopedRead:0.00} unscoped, same pages)"));
        Console.WriteLine(Report.Format($"    {auditAppend,8:0.00}  audit append of one page's entry (IAuditLog.AppendAuditAsync, alone)"));
        Console.WriteLine(Report.Format($"    {direct,8:0.00}  response written from the log rows (ProjectedChange + PullResponses: what PullChanges does), including"));
        Console.WriteLine(Report.Format($"    {cursors,8:0.00}    per-change cursor (FeedCursor.Encode: XXH3 + Base64)"));
        Console.WriteLine(Report.Format($"    {clientParse,8:0.00}  response parse (client)"));
        Console.WriteLine(Report.Format($"    {storeRead + direct + clientParse,8:0.00}  sum of the steps timed alone (HTTP/2, scheduling and GC not included; read-ahead overlaps the store read)"));
        Console.WriteLine(Report.Format($"  not done any more, for comparison:"));
        Console.WriteLine(Report.Format($"    {project + sizes + serialise,8:0.00}  typed path: Change envelopes (FeedChanges.Project, stored payload bytes) {project:0.00} + CalculateSize {sizes:0.00} + serialisation {serialise:0.00}"));
        Console.WriteLine(Report.Format($"    {parse,8:0.00}  parsing every payload into a Person, as the hub did before it sent stored bytes"));
    }

    /// <summary>
    /// Pulls the feed page by page from <paramref name="cursor"/> (the start when empty) until
    /// caught up, checking order and payload type; returns the changes received.
    /// </summary>
    internal static async Task<long> PullAsync(
        ExchangeService.ExchangeServiceClient client, ChangeScope? scope, CancellationToken cancellationToken, string cursor = "")
    {
        var rows = 0L;
        var last = 0L;
        while (true)
        {
            var response = await client.PullChangesAsync(
                new PullChangesRequest { Cursor = cursor, Scope = scope, PageSize = PageSize },
                deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellationToken);
            foreach (var change in response.Changes)
            {
                if (change.Sequence <= last || change.PayloadCase != Change.PayloadOneofCase.Person)
                {
                    throw new InvalidOperationException($"Unexpected change {change.Sequence} after {last}.");
                }

                last = change.Sequence;
                rows++;
            }

            cursor = response.NextCursor;
            if (response.CaughtUp)
            {
                return rows;
            }
        }
    }

    /// <summary>Replays the feed from its start through SubscribeChanges until <paramref name="total"/> changes have arrived.</summary>
    private static async Task<long> ReplayAsync(ExchangeService.ExchangeServiceClient client, long total, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(TimeSpan.FromMinutes(2));
        using var call = client.SubscribeChanges(new SubscribeChangesRequest(), cancellationToken: stop.Token);
        var rows = 0L;
        var last = 0L;
        await foreach (var item in call.ResponseStream.ReadAllAsync(stop.Token))
        {
            if (item.Change is not { } change)
            {
                continue;
            }

            if (change.Sequence <= last || change.PayloadCase != Change.PayloadOneofCase.Person)
            {
                throw new InvalidOperationException($"Unexpected change {change.Sequence} after {last}.");
            }

            last = change.Sequence;
            if (++rows == total)
            {
                break;
            }
        }

        await stop.CancelAsync();
        return rows;
    }

    /// <summary>Reads the feed through the store, as the hub's PullChanges does, without the wire.</summary>
    private static async Task<long> ReadStoreAsync(IHubStore store, FeedScope scope, CancellationToken cancellationToken)
    {
        var after = 0L;
        var rows = 0L;
        while (true)
        {
            var page = await store.ReadFeedAsync(new FeedQuery(after, scope, PageSize), cancellationToken);
            rows += page.Changes.Count;
            after = page.Next;
            if (page.CaughtUp)
            {
                return rows;
            }
        }
    }

    /// <summary>The baseline: the log's rows (or one county's) in sequence order by <see cref="RawOrderedCopy"/>.</summary>
    private static Task<long> RawCopyAsync(NpgsqlDataSource dataSource, string? filter, CancellationToken cancellationToken) =>
        RawOrderedCopy.ReadAsync(dataSource, $"SELECT * FROM change_log{(filter is null ? "" : $" WHERE {filter}")} ORDER BY seq", ReadLogRowAsync, cancellationToken);

    private static async Task<long> ReadLogRowAsync(NpgsqlBinaryExporter reader, CancellationToken cancellationToken)
    {
        var checksum = await reader.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken);
        checksum += await reader.ReadAsync<short>(NpgsqlDbType.Smallint, cancellationToken);
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += (await RawOrderedCopy.ReadNullableAsync<string>(reader, NpgsqlDbType.Text, cancellationToken))?.Length ?? 0;
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += (await RawOrderedCopy.ReadNullableAsync<string>(reader, NpgsqlDbType.Text, cancellationToken))?.Length ?? 0;
        checksum += await reader.ReadAsync<short>(NpgsqlDbType.Smallint, cancellationToken);
        checksum += await reader.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken);
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += (await reader.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken)).Length;
        checksum += await reader.ReadAsync<bool>(NpgsqlDbType.Boolean, cancellationToken) ? 1 : 0;
        checksum += (await reader.ReadAsync<DateTime>(NpgsqlDbType.TimestampTz, cancellationToken)).Ticks & 1;
        checksum += (await RawOrderedCopy.ReadNullableAsync<byte[]>(reader, NpgsqlDbType.Bytea, cancellationToken))?.Length ?? 0;
        return checksum;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string? filter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM change_log{(filter is null ? "" : $" WHERE {filter}")}", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
