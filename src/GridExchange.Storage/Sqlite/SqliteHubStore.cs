using System.Data.Common;
using GridExchange.Storage.Migrations;
using Microsoft.Data.Sqlite;

namespace GridExchange.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file, WAL journal, so the hub runs with no setup.
/// Writers are serialised by SQLite itself; readers never block them.
/// </summary>
public sealed class SqliteHubStore : SqlHubStore
{
    private readonly string _connectionString;

    /// <summary>Creates the store over the file at <paramref name="path"/>, creating its folder.</summary>
    public SqliteHubStore(string path)
    {
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
    public override async Task<long> BulkLoadAsync(IAsyncEnumerable<EntityRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var connection = (SqliteConnection)await OpenConnectionAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload)
            VALUES (@type, @key, @scope, @parent, @version, @source, @updated, @payload)
            ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                scope_code = excluded.scope_code, parent_key = excluded.parent_key, version = excluded.version,
                source_system = excluded.source_system, updated_at = excluded.updated_at, payload = excluded.payload
            WHERE excluded.version > entities.version
            """;
        var type = command.Parameters.Add("@type", SqliteType.Integer);
        var key = command.Parameters.Add("@key", SqliteType.Text);
        var scope = command.Parameters.Add("@scope", SqliteType.Text);
        var parent = command.Parameters.Add("@parent", SqliteType.Text);
        var version = command.Parameters.Add("@version", SqliteType.Integer);
        var source = command.Parameters.Add("@source", SqliteType.Text);
        var updated = command.Parameters.Add("@updated", SqliteType.Integer);
        var payload = command.Parameters.Add("@payload", SqliteType.Blob);
        command.Prepare();

        long count = 0;
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            type.Value = (int)record.Type;
            key.Value = record.Key;
            scope.Value = record.ScopeCode;
            parent.Value = record.ParentKey;
            version.Value = record.Version;
            source.Value = record.SourceSystem;
            updated.Value = ToUnixMicroseconds(record.UpdatedAt);
            payload.Value = record.Payload.ToArray();
            await command.ExecuteNonQueryAsync(cancellationToken);
            count++;
        }

        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    private static long ToUnixMicroseconds(DateTimeOffset value) => (value - DateTimeOffset.UnixEpoch).Ticks / 10;
}
