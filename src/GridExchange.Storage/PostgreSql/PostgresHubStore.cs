using System.Data;
using System.Data.Common;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using GridExchange.Storage.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Storage.PostgreSql;

/// <summary>
/// The production store on PostgreSQL. Ingest uses binary COPY into a temporary staging
/// table and one set-based merge, never a statement per row.
/// </summary>
public sealed class PostgresHubStore : SqlHubStore
{
    // Any fixed number: all replicas take this advisory lock while migrating.
    private const long MigrationLockKey = 0x4752_4944_5845_0001;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenConnectionString;

    /// <summary>Creates the store over <paramref name="connectionString"/>.</summary>
    public PostgresHubStore(string connectionString, TimeProvider? clock = null)
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
        await using var command = new NpgsqlCommand("""
            SELECT e.entity_type, e.entity_key, e.version, e.source_system, e.scope_code, e.deleted
            FROM entities e JOIN unnest(@types, @keys) AS k(t, k) ON e.entity_type = k.t AND e.entity_key = k.k
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
        await using var command = new NpgsqlCommand(
            "SELECT source_change_id FROM source_changes WHERE source_system = @source AND source_change_id = ANY(@ids)",
            (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
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
    protected override async Task WriteAppliedAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AppliedChange> rows, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlConnection)connection;
        var tx = (NpgsqlTransaction)transaction;
        await using (var stage = new NpgsqlCommand("""
            CREATE TEMP TABLE ingest_stage (
                seq bigint, entity_type smallint, entity_key text COLLATE "C", region_code text COLLATE "C",
                old_region_code text COLLATE "C", parent_key text COLLATE "C", operation smallint, entity_version bigint,
                source_system text, source_change_id text, take_over boolean, committed_at timestamptz,
                updated_at timestamptz, payload bytea) ON COMMIT DROP
            """, npgsql, tx))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var writer = await npgsql.BeginBinaryImportAsync(
            "COPY ingest_stage FROM STDIN (FORMAT BINARY)", cancellationToken))
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
                await writer.WriteAsync(row.Planned.ParentKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync((short)change.Operation, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(change.EntityVersion, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(change.SourceSystem, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(change.SourceChangeId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Planned.OwnerChanged, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync(row.CommittedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(row.UpdatedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await WriteNullableAsync(writer, row.Payload, NpgsqlDbType.Bytea, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // One set-based statement: the log, the applied ids, the buckets, and current state from
        // each entity's last change in the batch (the planner already decided every version).
        await using var merge = new NpgsqlCommand("""
            WITH log AS (
                INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                        operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
                SELECT seq, entity_type, entity_key, region_code, old_region_code, left(region_code, 6), left(old_region_code, 6),
                       operation, entity_version, source_system, source_change_id, take_over, committed_at, payload
                FROM ingest_stage),
            ids AS (
                INSERT INTO source_changes (source_system, source_change_id, seq)
                SELECT source_system, source_change_id, seq FROM ingest_stage),
            buckets AS (
                INSERT INTO feed_buckets (bucket)
                SELECT left(region_code, 6) FROM ingest_stage
                UNION SELECT left(old_region_code, 6) FROM ingest_stage WHERE old_region_code IS NOT NULL
                ON CONFLICT DO NOTHING)
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload, deleted, last_seq)
            SELECT DISTINCT ON (entity_type, entity_key)
                   entity_type, entity_key, region_code, parent_key, entity_version, source_system, updated_at,
                   coalesce(payload, ''::bytea), operation = 2, seq
            FROM ingest_stage
            ORDER BY entity_type, entity_key, seq DESC
            ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                scope_code = excluded.scope_code, parent_key = excluded.parent_key, version = excluded.version,
                source_system = excluded.source_system, updated_at = excluded.updated_at, payload = excluded.payload,
                deleted = excluded.deleted, last_seq = excluded.last_seq
            """, npgsql, tx);
        await merge.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task BeforeCommitAsync(DbConnection connection, DbTransaction transaction, long lastSequence, CancellationToken cancellationToken)
    {
        // A wake-up for hubs sharing this database; delivered at commit, never the data itself.
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @seq)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        notify.Parameters.Add(new NpgsqlParameter<string>("channel", NotifyChannel));
        notify.Parameters.Add(new NpgsqlParameter<string>("seq", lastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await notify.ExecuteNonQueryAsync(cancellationToken);
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

        listening?.Invoke();
        while (true)
        {
            await connection.WaitAsync(cancellationToken);
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
