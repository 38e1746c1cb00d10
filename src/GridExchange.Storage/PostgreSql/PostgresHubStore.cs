using System.Data.Common;
using GridExchange.Storage.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Storage.PostgreSql;

/// <summary>
/// The production store on PostgreSQL. Bulk loads use binary COPY into a temporary staging
/// table and one set-based merge, never a statement per row.
/// </summary>
public sealed class PostgresHubStore : SqlHubStore
{
    // Any fixed number: all replicas take this advisory lock while migrating.
    private const long MigrationLockKey = 0x4752_4944_5845_0001;

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Creates the store over <paramref name="connectionString"/>.</summary>
    public PostgresHubStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
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
    public override async Task<long> BulkLoadAsync(IAsyncEnumerable<EntityRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var stage = new NpgsqlCommand(
            "CREATE TEMP TABLE entities_stage (LIKE entities INCLUDING DEFAULTS, ord bigserial) ON COMMIT DROP", connection, transaction))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        long count = 0;
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY entities_stage (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            await foreach (var record in records.WithCancellation(cancellationToken))
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync((short)record.Type, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(record.Key, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.ScopeCode, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.ParentKey, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.Version, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(record.SourceSystem, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.UpdatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(record.Payload.ToArray(), NpgsqlDbType.Bytea, cancellationToken);
                count++;
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // DISTINCT ON keeps the newest version per key when the input repeats one, and of equal
        // versions the first in input order (ord), as the SQLite adapter does.
        await using (var merge = new NpgsqlCommand("""
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload)
            SELECT DISTINCT ON (entity_type, entity_key)
                   entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload
            FROM entities_stage
            ORDER BY entity_type, entity_key, version DESC, ord
            ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                scope_code = excluded.scope_code, parent_key = excluded.parent_key, version = excluded.version,
                source_system = excluded.source_system, updated_at = excluded.updated_at, payload = excluded.payload
            WHERE excluded.version > entities.version
            """, connection, transaction))
        {
            await merge.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
