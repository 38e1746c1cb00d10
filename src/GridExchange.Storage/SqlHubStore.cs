using System.Data;
using System.Data.Common;
using GridExchange.Domain.Codes;
using GridExchange.Storage.Migrations;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// What the two SQL adapters share: the same tables, the same queries, the same migration
/// bookkeeping. Adapters supply connections, their migrations, the bulk path and the few
/// type mappings that differ.
/// </summary>
public abstract partial class SqlHubStore : IHubStore, IAuditLog
{
    // A record's payload is kept once, in its last logged change (migration 4): current state
    // joins the log on last_seq, a primary-key look-up per row. The sequence is read too: the
    // payload's envelope is bound to it.
    private const string Columns =
        "e.entity_type, e.entity_key, e.scope_code, e.parent_key, e.version, e.source_system, e.updated_at, e.last_seq, l.payload";

    private const string FromCurrent = "entities e LEFT JOIN change_log l ON l.seq = e.last_seq";

    /// <summary>Creates the store over <paramref name="protection"/>'s keys: every payload it writes is encrypted with them.</summary>
    protected SqlHubStore(PayloadProtection protection)
    {
        ArgumentNullException.ThrowIfNull(protection);
        Protection = protection;
    }

    /// <summary>The keys payloads are encrypted with and citizen IDs hashed with.</summary>
    protected PayloadProtection Protection { get; }

    /// <inheritdoc />
    public abstract string Kind { get; }

    /// <summary>The dialect's migrations, in id order.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>
    /// The migrations the database had when this store last migrated it: all of them in
    /// production; fewer only where a test builds a database as an older hub left it, and a
    /// dialect's statement must then fit the older schema.
    /// </summary>
    protected IReadOnlySet<int> AppliedMigrations { get; private set; } = new HashSet<int>();

    /// <summary>Opens a new connection (pooled by the provider).</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Serialises schema changes across processes while <paramref name="connection"/> is open.</summary>
    protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Reads <c>updated_at</c>.</summary>
    protected abstract DateTimeOffset ReadInstant(DbDataReader reader, int ordinal);

    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(int.MaxValue, cancellationToken);

    /// <summary>
    /// Applies the migrations up to <paramref name="throughId"/> only: how the tests build a
    /// database as an older hub left it, to prove that the later migrations upgrade it.
    /// </summary>
    internal async Task MigrateAsync(int throughId, CancellationToken cancellationToken)
    {
        // One transaction under the migration lock: the bookkeeping table is created inside it
        // too, because concurrent CREATE TABLE IF NOT EXISTS races on PostgreSQL's catalog.
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockForMigrationAsync(connection, transaction, cancellationToken);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL)
            """, cancellationToken);

        var applied = new HashSet<int>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT id FROM schema_migrations";
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        foreach (var migration in Migrations.Where(m => m.Id <= throughId && !applied.Contains(m.Id)).OrderBy(m => m.Id))
        {
            applied.Add(migration.Id);
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_migrations (id, name, applied_at) VALUES (@id, @name, @at)";
            AddParameter(record, "id", migration.Id);
            AddParameter(record, "name", migration.Name);
            AddParameter(record, "at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        AppliedMigrations = applied;
        if (throughId >= ProtectionMigrationId)
        {
            await CheckCitizenIdIndexAsync(connection, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="sql"/> in a transaction of its own (tests only: rows as an older hub wrote them).</summary>
    internal async Task ExecuteSqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, sql, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Runs a query and returns its rows as they come from the provider (tests only: what the database holds, raw).</summary>
    internal async Task<IReadOnlyList<object?[]>> QuerySqlAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM schema_migrations ORDER BY id";
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }

        return ids;
    }

    /// <inheritdoc />
    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM entities LIMIT 1";
        return await command.ExecuteScalarAsync(cancellationToken) is null;
    }

    /// <inheritdoc />
    public async Task<EntityRecord?> GetAsync(EntityType type, string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM {FromCurrent} WHERE e.entity_type = @type AND e.entity_key = @key AND NOT e.deleted";
        AddParameter(command, "type", (int)type);
        AddParameter(command, "key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EntityRecord>> ListInScopeAsync(
        EntityType type, string scopePrefix, EntityPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopePrefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The row-value comparison lets both engines seek the index to the position after the
        // last row served. The lower prefix bound is left out when that position already lies in
        // the prefix: SQLite would otherwise start every page's scan at the prefix and skip all
        // earlier rows, making a walk through a county quadratic.
        var conditions = new List<string>();
        var seekFromPosition = after is { } position && position.ScopeCode.StartsWith(scopePrefix, StringComparison.Ordinal);
        if (scopePrefix.Length > 0 && !seekFromPosition)
        {
            conditions.Add("e.scope_code >= @lo");
            AddParameter(command, "lo", scopePrefix);
        }

        if (after is { } from)
        {
            conditions.Add("(e.scope_code, e.entity_key) > (@afterScope, @afterKey)");
            AddParameter(command, "afterScope", from.ScopeCode);
            AddParameter(command, "afterKey", from.Key);
        }

        if (scopePrefix.Length > 0)
        {
            conditions.Add("e.scope_code < @hi");
            AddParameter(command, "hi", RegionCode.PrefixUpperBound(scopePrefix));
        }

        command.CommandText = $"""
            SELECT {Columns} FROM {FromCurrent}
            WHERE e.entity_type = @type AND NOT e.deleted {string.Concat(conditions.Select(c => " AND " + c))}
            ORDER BY e.scope_code, e.entity_key
            LIMIT @limit
            """;
        AddParameter(command, "type", (int)type);
        AddParameter(command, "limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EntityRecord>> ListChildrenAsync(
        EntityType type, string parentKey, EntityPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parentKey);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The type as a literal: ix_entities_parent holds regions only (entity_type = 1), and
        // a parameter would not let the planner prove that the partial index applies.
        command.CommandText = $"""
            SELECT {Columns} FROM {FromCurrent}
            WHERE e.entity_type = {(int)type} AND e.parent_key = @parent AND e.entity_key > @afterKey AND NOT e.deleted
            ORDER BY e.entity_key
            LIMIT @limit
            """;
        AddParameter(command, "parent", parentKey);
        AddParameter(command, "afterKey", after?.Key ?? "");
        AddParameter(command, "limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs one statement in <paramref name="transaction"/>.</summary>
    protected static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds a named parameter; both providers bind <c>@name</c>.</summary>
    protected static void AddParameter(DbCommand command, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private async Task<IReadOnlyList<EntityRecord>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var records = new List<EntityRecord>();
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    private EntityRecord ReadRecord(DbDataReader reader)
    {
        // Columns in order: the readers run with SequentialAccess.
        var type = (EntityType)Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
        var key = reader.GetString(1);
        var scope = reader.GetString(2);
        var parent = reader.GetString(3);
        var version = reader.GetInt64(4);
        var source = reader.GetString(5);
        var updatedAt = ReadInstant(reader, 6);
        var sequence = reader.GetInt64(7);
        return new EntityRecord(type, key, scope, parent, version, source, updatedAt, ReadPayload(reader, 8, new PayloadBinding(sequence, type, key)));
    }

    /// <summary>
    /// Reads a live record's payload from its last logged change, decrypted. Retention never
    /// deletes that change, so a missing one means the store was damaged: say so rather than
    /// serve a record without its data.
    /// </summary>
    internal byte[] ReadPayload(DbDataReader reader, int ordinal, in PayloadBinding binding) =>
        reader.IsDBNull(ordinal)
            ? throw new InvalidOperationException($"Record {binding.Key} has no logged payload at its last sequence: the store is damaged.")
            : Protection.Unprotect((byte[])reader.GetValue(ordinal), binding);
}
