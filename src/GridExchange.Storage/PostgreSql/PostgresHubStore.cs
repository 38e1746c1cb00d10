using System.Data;
using System.Data.Common;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using GridExchange.Storage.Migrations;
using GridExchange.Storage.Protection;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Storage.PostgreSql;

/// <summary>
/// The production store on PostgreSQL. Ingest uses binary COPY straight into the tables and
/// one set-based update of existing records, never a statement per row.
/// </summary>
public sealed class PostgresHubStore : SqlHubStore
{
    // Any fixed number: all replicas take this advisory lock while migrating.
    private const long MigrationLockKey = 0x4752_4944_5845_0001;

    // Taken by every administrative write to the peer registry (AdminService), on every replica.
    private const long PeerRegistryLockKey = 0x4752_4944_5845_0002;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenConnectionString;

    /// <summary>Creates the store over <paramref name="connectionString"/>, encrypting payloads with <paramref name="protection"/>.</summary>
    public PostgresHubStore(string connectionString, PayloadProtection protection, TimeProvider? clock = null)
        : base(protection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Clock = clock ?? TimeProvider.System;
        _dataSource = NpgsqlDataSource.Create(connectionString);

        // The LISTEN connection idles for hours: a keepalive query every 30 s (and TCP
        // keepalives) finds a link that died silently (a NAT or firewall dropping idle flows),
        // so WaitAsync fails and the listener's retry pipeline reconnects, instead of waiting
        // for ever on a dead socket while subscribers fall back to their 1-second re-read.
        _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            KeepAlive = 30,
            TcpKeepAlive = true,
            Pooling = false,
        }.ConnectionString;
    }

    /// <inheritdoc />
    public override string Kind => "postgresql";

    /// <inheritdoc />
    protected override IReadOnlyList<Migration> Migrations => PostgresMigrations.All;

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        AddParameter(command, "key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override string LockPeersSql => $"SELECT pg_advisory_xact_lock({PeerRegistryLockKey})";

    /// <inheritdoc />
    protected override DateTimeOffset ReadInstant(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    /// <inheritdoc />
    protected override string LockHeadClause => " FOR UPDATE";

    /// <inheritdoc />
    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    /// <inheritdoc />
    protected override async Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        await readOnly.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    /// <inheritdoc />
    protected override object ToDbInstant(DateTimeOffset value) => value.UtcDateTime;

    /// <inheritdoc />
    /// <remarks>
    /// Row values ordered by (bucket, seq): only ix_change_log_bucket yields that order, so the
    /// planner cannot instead walk the primary key through the rest of the log and filter on the
    /// bucket, which it does for a dense bucket (a county's fifth of the log) while VACUUM has not
    /// yet set the visibility map. SQLite keeps the equality form: it seeks a row-value range on
    /// its first column only, which would rescan the bucket from its start on every page.
    /// </remarks>
    protected override (string Where, string OrderBy) BucketSeek(string bucket) =>
        ($"(bucket, seq) > ({bucket}, @after) AND (bucket, seq) <= ({bucket}, @head)", "bucket, seq");

    /// <inheritdoc />
    protected override async Task<Dictionary<EntityId, StoredEntity>> LoadStatesAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyCollection<EntityId> ids, CancellationToken cancellationToken)
    {
        // One primary-key probe per id, whatever the statistics say: LIMIT 1 keeps the planner
        // from flattening the lateral subquery into a join, whose plan followed statistics that
        // lag behind a growing table (measured over a 200,000-row load: 10.4 ms a batch on
        // average as a join, 4.5 ms as probes).
        await using var command = new NpgsqlCommand("""
            SELECT e.entity_type, e.entity_key, e.version, e.source_system, e.scope_code, e.deleted
            FROM unnest(@types, @keys) AS k(t, k)
            CROSS JOIN LATERAL (
                SELECT * FROM entities x WHERE x.entity_type = k.t AND x.entity_key = k.k LIMIT 1) AS e
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter<short[]>("types", ids.Select(i => (short)i.Type).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("keys", ids.Select(i => i.Key).ToArray()));
        var states = new Dictionary<EntityId, StoredEntity>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            states[new EntityId((EntityType)reader.GetInt16(0), reader.GetString(1))] =
                new StoredEntity(reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetBoolean(5));
        }

        return states;
    }

    /// <inheritdoc />
    protected override async Task<HashSet<string>> LoadSeenAsync(
        DbConnection connection, DbTransaction transaction, string sourceSystem, IReadOnlyCollection<string> changeIds, CancellationToken cancellationToken)
    {
        // One primary-key probe per id, as for states above.
        await using var command = new NpgsqlCommand("""
            SELECT s.source_change_id FROM unnest(@ids) AS i(id)
            CROSS JOIN LATERAL (
                SELECT x.source_change_id FROM source_changes x WHERE x.source_system = @source AND x.source_change_id = i.id LIMIT 1) AS s
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("source", sourceSystem));
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", [.. changeIds]));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            seen.Add(reader.GetString(0));
        }

        return seen;
    }

    /// <inheritdoc />
    protected override bool WriteRejectsAppliedIds => true;

    /// <inheritdoc />
    protected override bool IsAppliedBefore(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "source_changes_pkey" };

    /// <inheritdoc />
    /// <remarks>
    /// Binary COPY straight into the tables, no staging: the batch holds the head lock, the
    /// planner has decided every row, and <paramref name="stored"/> says which entities exist,
    /// so new ones are copied and only the existing ones are updated (by one statement over
    /// arrays). The applied ids are copied without a look-up first: the primary key refuses
    /// one applied before (see <see cref="IsAppliedBefore"/>), and the batch runs again.
    /// </remarks>
    protected override async Task WriteAppliedAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AppliedChange> rows,
        IReadOnlyDictionary<EntityId, StoredEntity> stored, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        var tx = (NpgsqlTransaction)transaction;

        // The ids first: a repeat fails here, before the larger copies.
        await using (var writer = await npgsql.BeginBinaryImportAsync(
            "COPY source_changes (source_system, source_change_id, seq) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(row.Planned.Change.SourceSystem, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.Change.SourceChangeId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Sequence, NpgsqlDbType.Bigint, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await using (var writer = await npgsql.BeginBinaryImportAsync(
            "COPY change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket, operation, entity_version, " +
            "source_system, source_change_id, take_over, committed_at, payload) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                var change = row.Planned.Change;
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(row.Sequence, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync((short)change.EntityType, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(change.EntityKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.RegionCode, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(writer, row.Planned.OldRegionCode, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Bucket, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(writer, row.OldBucket, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync((short)change.Operation, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(change.EntityVersion, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(change.SourceSystem, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(change.SourceChangeId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.OwnerChanged, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync(row.CommittedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await WriteNullableAsync(writer, row.SerializePayload(Protection), NpgsqlDbType.Bytea, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // Current state is each entity's last change in the batch.
        var last = new Dictionary<EntityId, AppliedChange>(rows.Count);
        foreach (var row in rows)
        {
            last[row.Planned.Entity] = row;
        }

        var created = last.Where(l => !stored.ContainsKey(l.Key)).Select(l => l.Value).ToList();
        var updated = last.Where(l => stored.ContainsKey(l.Key)).Select(l => l.Value).ToList();
        if (created.Count > 0)
        {
            await using var writer = await npgsql.BeginBinaryImportAsync(
                "COPY entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, deleted, last_seq, stat_facet, " +
                "citizen_id_hash) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in created)
            {
                var change = row.Planned.Change;
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync((short)change.EntityType, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(change.EntityKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.RegionCode, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.ParentKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(change.EntityVersion, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(change.SourceSystem, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.UpdatedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(change.Operation == ChangeOperation.Delete, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync(row.Sequence, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(row.StatFacet, NpgsqlDbType.Smallint, cancellationToken);
                await WriteNullableAsync(writer, row.CitizenIdHash, NpgsqlDbType.Bytea, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // The existing entities and the buckets in one round trip.
        await using var rest = new NpgsqlBatch(npgsql, tx);
        NpgsqlBatchCommand? update = null;
        if (updated.Count > 0)
        {
            // One primary-key probe per row, whatever the statistics say (as in LoadStatesAsync):
            // joined on the keys, the planner followed statistics that lag behind a growing table
            // into a hash join over a sequential scan of all entities, a cost that grows with the
            // table (auto_explain on the benchmark: 5-8 ms for 80 rows at 10,000 entities). The
            // LIMIT 1 keeps the lateral probe from being flattened; the row is then updated by its
            // physical id (a TID scan). Nothing else writes entities under the feed lock.
            update = new NpgsqlBatchCommand("""
                UPDATE entities e SET scope_code = u.scope_code, parent_key = u.parent_key, version = u.version,
                    source_system = u.source_system, updated_at = u.updated_at, deleted = u.deleted, last_seq = u.last_seq,
                    stat_facet = u.stat_facet, citizen_id_hash = u.citizen_id_hash
                FROM (
                    SELECT x.row_id, u.*
                    FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                        AS u(entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, deleted, last_seq, stat_facet,
                             citizen_id_hash)
                    CROSS JOIN LATERAL (
                        SELECT ctid AS row_id FROM entities x WHERE x.entity_type = u.entity_type AND x.entity_key = u.entity_key LIMIT 1) AS x
                ) AS u
                WHERE e.ctid = u.row_id
                """);
            update.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. updated.Select(r => (short)r.Planned.Change.EntityType)] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. updated.Select(r => r.Planned.Change.EntityKey)] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. updated.Select(r => r.Planned.RegionCode)] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. updated.Select(r => r.Planned.ParentKey)] });
            update.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. updated.Select(r => r.Planned.Change.EntityVersion)] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. updated.Select(r => r.Planned.Change.SourceSystem)] });
            update.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. updated.Select(r => r.UpdatedAt.UtcDateTime)] });
            update.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. updated.Select(r => r.Planned.Change.Operation == ChangeOperation.Delete)] });
            update.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. updated.Select(r => r.Sequence)] });
            update.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. updated.Select(r => r.StatFacet)] });
            update.Parameters.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. updated.Select(r => r.CitizenIdHash)] });
            rest.BatchCommands.Add(update);
        }

        var buckets = new NpgsqlBatchCommand("INSERT INTO feed_buckets (bucket) SELECT unnest($1) ON CONFLICT DO NOTHING");
        buckets.Parameters.Add(new NpgsqlParameter<string[]>
        {
            TypedValue = [.. rows.Select(r => r.Bucket).Concat(rows.Select(r => r.OldBucket).OfType<string>()).Distinct(StringComparer.Ordinal)],
        });
        rest.BatchCommands.Add(buckets);
        await rest.ExecuteNonQueryAsync(cancellationToken);
        if (update is not null && update.RecordsAffected != updated.Count)
        {
            // The planner read these rows under the head lock; nothing else removes entities.
            throw new InvalidOperationException(
                $"Current state changed under the feed lock: {update.RecordsAffected} of {updated.Count} records updated.");
        }
    }

    /// <inheritdoc />
    protected override async Task RewritePayloadsAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<long> sequences, IReadOnlyList<byte[]> payloads,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE change_log c SET payload = u.payload FROM unnest(@seqs, @payloads) AS u(seq, payload) WHERE c.seq = u.seq
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]>("seqs", [.. sequences]));
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("payloads", [.. payloads]));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Migration 17: the citizen-ID hash is a column of the person's entities row.</summary>
    private const int CitizenIdInEntitiesMigration = 17;

    // Whether the index is still a table of its own: only on a database a test built as an
    // older hub left it, while the store's start-up check fills the index.
    private bool CitizenIdIndexIsATable => AppliedMigrations.Count > 0 && !AppliedMigrations.Contains(CitizenIdInEntitiesMigration);

    /// <inheritdoc />
    protected override Task ClearCitizenIdIndexAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        CitizenIdIndexIsATable
            ? base.ClearCitizenIdIndexAsync(connection, transaction, cancellationToken)
            : ExecuteAsync(connection, transaction, "UPDATE entities SET citizen_id_hash = NULL WHERE citizen_id_hash IS NOT NULL", cancellationToken);

    /// <inheritdoc />
    protected override async Task InsertCitizenIdIndexAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<string> keys, IReadOnlyList<byte[]> hashes,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            CitizenIdIndexIsATable
                ? "INSERT INTO citizen_id_index (entity_key, id_hash) SELECT * FROM unnest(@keys, @hashes)"
                : $"""
                  UPDATE entities e SET citizen_id_hash = u.id_hash FROM unnest(@keys, @hashes) AS u(entity_key, id_hash)
                  WHERE e.entity_type = {(int)EntityType.Person} AND e.entity_key = u.entity_key
                  """,
            (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. keys]));
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("hashes", [.. hashes]));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override string BeforeCommitSql(DbCommand command, long lastSequence)
    {
        // A wake-up for hubs sharing this database; delivered at commit, never the data itself.
        ArgumentNullException.ThrowIfNull(command);
        AddParameter(command, "notifyChannel", NotifyChannel);
        AddParameter(command, "notifySeq", lastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "SELECT pg_notify(@notifyChannel, @notifySeq);";
    }

    /// <summary>
    /// Listens for commits announced by every hub process on this database (NOTIFY at commit)
    /// and pulses <see cref="SqlHubStore.Signal"/>, so a subscription on one replica wakes for a
    /// commit made on another. Runs until cancelled or the connection fails (the caller retries).
    /// </summary>
    /// <param name="listening">Called once LISTEN is in place.</param>
    /// <param name="cancellationToken">Stops listening.</param>
    public async Task ListenAsync(Action? listening, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_listenConnectionString);
        await connection.OpenAsync(cancellationToken);
        connection.Notification += (_, e) =>
        {
            if (long.TryParse(e.Payload, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
            {
                Signal.Pulse(sequence);
            }
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            // Complete before anyone is told LISTEN is in place.
            Signal.SetComplete(true);
            listening?.Invoke();
            while (true)
            {
                await connection.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            // Commits of other processes go unannounced until LISTEN is back: readers re-read.
            Signal.SetComplete(false);
        }
    }

    /// <summary>The LISTEN/NOTIFY channel on which commits are announced.</summary>
    public const string NotifyChannel = "gridexchange_feed";

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : class
    {
        if (value is null)
        {
            await writer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await writer.WriteAsync(value, type, cancellationToken);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
