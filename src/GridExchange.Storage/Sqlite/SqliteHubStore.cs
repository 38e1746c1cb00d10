using System.Data.Common;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using GridExchange.Storage.Migrations;
using GridExchange.Storage.Protection;
using Microsoft.Data.Sqlite;

namespace GridExchange.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file, WAL journal, so the hub runs with no setup.
/// Writers are serialised by SQLite itself; readers never block them.
/// </summary>
public sealed class SqliteHubStore : SqlHubStore
{
    private readonly string _connectionString;

    /// <summary>Creates the store over the file at <paramref name="path"/>, creating its folder; payloads are encrypted with <paramref name="protection"/>.</summary>
    public SqliteHubStore(string path, PayloadProtection protection, TimeProvider? clock = null)
        : base(protection)
    {
        Clock = clock ?? TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        FilePath = full;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public override string Kind => "sqlite";

    /// <inheritdoc />
    protected override IReadOnlyList<Migration> Migrations => SqliteMigrations.All;

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // WAL lets readers run beside the single writer; busy_timeout waits instead of failing.
        pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <inheritdoc />
    protected override DateTimeOffset ReadInstant(DbDataReader reader, int ordinal) =>
        DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(ordinal) * 10);

    /// <inheritdoc />
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // BEGIN IMMEDIATE: the write lock is taken now, so the state read for planning cannot
        // change before commit and sequences are handed out one writer at a time.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    /// <inheritdoc />
    protected override Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // In WAL mode every read in one transaction sees the snapshot taken at its first read.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    /// <inheritdoc />
    protected override object ToDbInstant(DateTimeOffset value) => ToUnixMicroseconds(value);

    /// <inheritdoc />
    protected override async Task<Dictionary<EntityId, StoredEntity>> LoadStatesAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyCollection<EntityId> ids, CancellationToken cancellationToken)
    {
        await using var command = (SqliteCommand)connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        command.CommandText = """
            SELECT version, source_system, scope_code, deleted FROM entities WHERE entity_type = @type AND entity_key = @key
            """;
        var type = command.Parameters.Add("@type", SqliteType.Integer);
        var key = command.Parameters.Add("@key", SqliteType.Text);
        var states = new Dictionary<EntityId, StoredEntity>();
        foreach (var id in ids)
        {
            type.Value = (int)id.Type;
            key.Value = id.Key;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                states[id] = new StoredEntity(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), ReadBool(reader, 3));
            }
        }

        return states;
    }

    /// <inheritdoc />
    protected override async Task<HashSet<string>> LoadSeenAsync(
        DbConnection connection, DbTransaction transaction, string sourceSystem, IReadOnlyCollection<string> changeIds, CancellationToken cancellationToken)
    {
        await using var command = (SqliteCommand)connection.CreateCommand();
        command.Transaction = (SqliteTransaction)transaction;
        command.CommandText = "SELECT 1 FROM source_changes WHERE source_system = @source AND source_change_id = @id";
        command.Parameters.AddWithValue("@source", sourceSystem);
        var id = command.Parameters.Add("@id", SqliteType.Text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var changeId in changeIds)
        {
            id.Value = changeId;
            if (await command.ExecuteScalarAsync(cancellationToken) is not null)
            {
                seen.Add(changeId);
            }
        }

        return seen;
    }

    /// <inheritdoc />
    protected override async Task WriteAppliedAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AppliedChange> rows,
        IReadOnlyDictionary<EntityId, StoredEntity> stored, CancellationToken cancellationToken)
    {
        var sqlite = (SqliteConnection)connection;
        var tx = (SqliteTransaction)transaction;
        await using var log = new SqliteCommand("""
            INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                    operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            VALUES (@seq, @type, @key, @region, @oldRegion, @bucket, @oldBucket, @operation, @version, @source, @changeId,
                    @takeOver, @committed, @payload);
            INSERT INTO source_changes (source_system, source_change_id, seq) VALUES (@source, @changeId, @seq);
            INSERT OR IGNORE INTO feed_buckets (bucket) VALUES (@bucket);
            INSERT OR IGNORE INTO feed_buckets (bucket) SELECT @oldBucket WHERE @oldBucket IS NOT NULL;
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, deleted, last_seq, stat_facet)
            VALUES (@type, @key, @region, @parent, @version, @source, @updated, @deleted, @seq, @facet)
            ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                scope_code = excluded.scope_code, parent_key = excluded.parent_key, version = excluded.version,
                source_system = excluded.source_system, updated_at = excluded.updated_at,
                deleted = excluded.deleted, last_seq = excluded.last_seq,
                stat_facet = excluded.stat_facet;
            """, sqlite, tx);
        var seq = log.Parameters.Add("@seq", SqliteType.Integer);
        var type = log.Parameters.Add("@type", SqliteType.Integer);
        var key = log.Parameters.Add("@key", SqliteType.Text);
        var region = log.Parameters.Add("@region", SqliteType.Text);
        var oldRegion = log.Parameters.Add("@oldRegion", SqliteType.Text);
        var bucket = log.Parameters.Add("@bucket", SqliteType.Text);
        var oldBucket = log.Parameters.Add("@oldBucket", SqliteType.Text);
        var operation = log.Parameters.Add("@operation", SqliteType.Integer);
        var version = log.Parameters.Add("@version", SqliteType.Integer);
        var source = log.Parameters.Add("@source", SqliteType.Text);
        var changeId = log.Parameters.Add("@changeId", SqliteType.Text);
        var takeOver = log.Parameters.Add("@takeOver", SqliteType.Integer);
        var committed = log.Parameters.Add("@committed", SqliteType.Integer);
        var payload = log.Parameters.Add("@payload", SqliteType.Blob);
        var parent = log.Parameters.Add("@parent", SqliteType.Text);
        var updated = log.Parameters.Add("@updated", SqliteType.Integer);
        var deleted = log.Parameters.Add("@deleted", SqliteType.Integer);
        var facet = log.Parameters.Add("@facet", SqliteType.Integer);
        foreach (var row in rows)
        {
            var change = row.Planned.Change;
            seq.Value = row.Sequence;
            type.Value = (int)change.EntityType;
            key.Value = change.EntityKey;
            region.Value = row.Planned.RegionCode;
            oldRegion.Value = (object?)row.Planned.OldRegionCode ?? DBNull.Value;
            bucket.Value = row.Bucket;
            oldBucket.Value = (object?)row.OldBucket ?? DBNull.Value;
            operation.Value = (int)change.Operation;
            version.Value = change.EntityVersion;
            source.Value = change.SourceSystem;
            changeId.Value = change.SourceChangeId;
            takeOver.Value = row.Planned.OwnerChanged ? 1 : 0;
            committed.Value = ToUnixMicroseconds(row.CommittedAt);
            payload.Value = (object?)row.SerializePayload(Protection) ?? DBNull.Value;
            parent.Value = row.Planned.ParentKey;
            updated.Value = ToUnixMicroseconds(row.UpdatedAt);
            deleted.Value = change.Operation == ChangeOperation.Delete ? 1 : 0;
            facet.Value = row.StatFacet;
            await log.ExecuteNonQueryAsync(cancellationToken);
        }

        var index = PlanCitizenIdIndex(rows, stored);
        if (index.Removed.Count > 0)
        {
            await using var remove = new SqliteCommand("DELETE FROM citizen_id_index WHERE entity_key = @key", sqlite, tx);
            var removeKey = remove.Parameters.Add("@key", SqliteType.Text);
            foreach (var removed in index.Removed)
            {
                removeKey.Value = removed;
                await remove.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (index.SetKeys.Count > 0)
        {
            await using var set = new SqliteCommand("""
                INSERT INTO citizen_id_index (entity_key, id_hash) VALUES (@key, @hash)
                ON CONFLICT (entity_key) DO UPDATE SET id_hash = excluded.id_hash WHERE id_hash <> excluded.id_hash
                """, sqlite, tx);
            var setKey = set.Parameters.Add("@key", SqliteType.Text);
            var setHash = set.Parameters.Add("@hash", SqliteType.Blob);
            for (var i = 0; i < index.SetKeys.Count; i++)
            {
                setKey.Value = index.SetKeys[i];
                setHash.Value = index.SetHashes[i];
                await set.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private static long ToUnixMicroseconds(DateTimeOffset value) => (value - DateTimeOffset.UnixEpoch).Ticks / 10;
}
