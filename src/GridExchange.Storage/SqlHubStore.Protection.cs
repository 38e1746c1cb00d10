using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    /// <summary>The migration that adds the citizen-ID index and the protection state.</summary>
    internal const int ProtectionMigrationId = 9;

    /// <summary>Persons read (and index rows written) per step of an index build.</summary>
    private const int IndexBuildPage = 5_000;

    /// <summary>Sequences examined per step (each its own short transaction) of the re-encryption pass.</summary>
    private const long RekeyStride = 5_000;

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindPersonKeysByCitizenIdAsync(string citizenId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(citizenId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT index_key_check FROM protection_state WHERE id = 1;
            SELECT entity_key FROM citizen_id_index WHERE id_hash = @hash ORDER BY entity_key;
            """;
        AddParameter(command, "hash", Protection.HashCitizenId(citizenId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        EnsureIndexKey(await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? (byte[])reader.GetValue(0) : null);
        await reader.NextResultAsync(cancellationToken);
        var keys = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <inheritdoc />
    public async Task<long> RebuildCitizenIdIndexAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var indexed = await BuildCitizenIdIndexAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return indexed;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Walks the log from where the last pass for the active key stopped
    /// (<c>protection_state.rekey_next_seq</c>) up to the head, a stride of sequences per short
    /// transaction, rewriting every payload whose envelope is not under the active key (payloads
    /// stored in clear included) and recording progress with each step. Ingest only appends
    /// above the head and never rewrites a logged payload, so every payload below the recorded
    /// point stays under that key: a later run resumes there, and a change of the active key
    /// starts a new pass from the beginning. Runs beside ingest without taking its lock.
    /// </remarks>
    public async Task<PayloadRekeyResult> ReencryptPayloadsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var active = Protection.ActiveKeyId;
        var header = Protection.ActiveHeader;
        long next;
        long last;
        await using (var state = connection.CreateCommand())
        {
            state.CommandText = """
                SELECT rekey_key_id, rekey_next_seq FROM protection_state WHERE id = 1;
                SELECT last_seq FROM feed_head WHERE id = 1;
                """;
            await using var reader = await state.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException("The protection state row is missing: the store was not migrated.");
            }

            next = !reader.IsDBNull(0) && reader.GetString(0) == active ? reader.GetInt64(1) : 1;
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            last = reader.GetInt64(0);
        }

        long rewritten = 0;
        while (next <= last)
        {
            var to = Math.Min(next + RekeyStride, last + 1);
            await using var transaction = await BeginWriteAsync(connection, cancellationToken);
            var sequences = new List<long>();
            var payloads = new List<byte[]>();
            await using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = """
                    SELECT seq, entity_type, entity_key, payload FROM change_log
                    WHERE seq >= @from AND seq < @to AND payload IS NOT NULL AND substr(payload, 1, @headerLength) <> @header
                    ORDER BY seq
                    """;
                AddParameter(select, "from", next);
                AddParameter(select, "to", to);
                AddParameter(select, "headerLength", header.Length);
                AddParameter(select, "header", header);
                await using var reader = await select.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var sequence = reader.GetInt64(0);
                    var type = (EntityType)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
                    var binding = new PayloadBinding(sequence, type, reader.GetString(2));
                    var plaintext = Protection.Unprotect((byte[])reader.GetValue(3), binding);
                    sequences.Add(sequence);
                    payloads.Add(Protection.Protect(plaintext, binding));
                }
            }

            if (sequences.Count > 0)
            {
                await RewritePayloadsAsync(connection, transaction, sequences, payloads, cancellationToken);
            }

            await using (var advance = connection.CreateCommand())
            {
                advance.Transaction = transaction;
                advance.CommandText = "UPDATE protection_state SET rekey_key_id = @key, rekey_next_seq = @to WHERE id = 1";
                AddParameter(advance, "key", active);
                AddParameter(advance, "to", to);
                await advance.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            rewritten += sequences.Count;
            next = to;
        }

        return new PayloadRekeyResult(active, rewritten, next - 1);
    }

    /// <summary>Replaces the payloads of the log rows <paramref name="sequences"/> (re-encryption).</summary>
    protected virtual Task RewritePayloadsAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<long> sequences, IReadOnlyList<byte[]> payloads,
        CancellationToken cancellationToken) =>
        ExecuteEachAsync(connection, transaction, "UPDATE change_log SET payload = @payload WHERE seq = @seq",
            "payload", payloads, "seq", sequences, cancellationToken);

    /// <summary>Empties the citizen-ID index (a rebuild starts with it).</summary>
    protected virtual Task ClearCitizenIdIndexAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "DELETE FROM citizen_id_index", cancellationToken);

    /// <summary>Inserts citizen-ID index rows into an index known to hold none of <paramref name="keys"/>.</summary>
    protected virtual Task InsertCitizenIdIndexAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<string> keys, IReadOnlyList<byte[]> hashes,
        CancellationToken cancellationToken) =>
        ExecuteEachAsync(connection, transaction, "INSERT INTO citizen_id_index (entity_key, id_hash) VALUES (@key, @hash)",
            "key", keys, "hash", hashes, cancellationToken);

    // One prepared statement with two parameters, run once per pair of values (the dialects
    // without array parameters; PostgreSQL overrides both callers with set-based statements).
    private static async Task ExecuteEachAsync<TFirst, TSecond>(
        DbConnection connection, DbTransaction transaction, string sql,
        string firstName, IReadOnlyList<TFirst> firstValues, string secondName, IReadOnlyList<TSecond> secondValues,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(firstValues);
        ArgumentNullException.ThrowIfNull(secondValues);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var first = command.CreateParameter();
        first.ParameterName = firstName;
        command.Parameters.Add(first);
        var second = command.CreateParameter();
        second.ParameterName = secondName;
        command.Parameters.Add(second);
        for (var i = 0; i < firstValues.Count; i++)
        {
            first.Value = firstValues[i];
            second.Value = secondValues[i];
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// How a batch changes the citizen-ID index where it is a table of its own (SQLite; on
    /// PostgreSQL the hash is a column of the entities row): each person's last change in the batch sets its
    /// entry (an UPSERT with a citizen ID) or removes it (a DELETE, or an UPSERT without one —
    /// only for persons the store held before, <paramref name="stored"/>).
    /// </summary>
    protected CitizenIdIndexChanges PlanCitizenIdIndex(
        IReadOnlyList<AppliedChange> rows, IReadOnlyDictionary<Domain.Ingest.EntityId, Domain.Ingest.StoredEntity> stored)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(stored);
        var last = new Dictionary<string, AppliedChange>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Planned.Change.EntityType == EntityType.Person)
            {
                last[row.Planned.Change.EntityKey] = row;
            }
        }

        var changes = new CitizenIdIndexChanges();
        foreach (var (key, row) in last)
        {
            if (row.CitizenIdHash is { } hash)
            {
                changes.SetKeys.Add(key);
                changes.SetHashes.Add(hash);
            }
            else if (stored.ContainsKey(row.Planned.Entity))
            {
                changes.Removed.Add(key);
            }
        }

        return changes;
    }

    /// <summary>
    /// Throws unless <paramref name="stored"/> (the index's key check) matches this store's index
    /// key: a hub with another key must neither look up in the index (it would find nothing) nor
    /// extend it (its entries would be found by no one).
    /// </summary>
    protected void EnsureIndexKey(byte[]? stored)
    {
        if (stored is null)
        {
            throw new InvalidOperationException("The citizen-ID index has not been built: migrate the store first.");
        }

        if (!CryptographicOperations.FixedTimeEquals(stored, Protection.IndexKeyCheck))
        {
            throw new InvalidOperationException(
                $"The citizen-ID index was built with another index key than this hub's {PayloadProtectionOptions.Section}:IndexKey. "
                + $"Configure the key it was built with, or rebuild it with this one ({PayloadProtectionOptions.Section}:RebuildCitizenIdIndex=true for one start).");
        }
    }

    /// <summary>
    /// At migration: builds the citizen-ID index when it has never been built (a new store, or one
    /// upgraded to migration 9 with persons in it), and checks that it was built with this hub's
    /// index key otherwise — rebuilding it only when told to.
    /// </summary>
    private async Task CheckCitizenIdIndexAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        byte[]? check;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT index_key_check FROM protection_state WHERE id = 1";
            check = await read.ExecuteScalarAsync(cancellationToken) as byte[];
        }

        if (check is null
            || (Protection.RebuildCitizenIdIndex && !CryptographicOperations.FixedTimeEquals(check, Protection.IndexKeyCheck)))
        {
            await BuildCitizenIdIndexAsync(connection, transaction, cancellationToken);
            return;
        }

        EnsureIndexKey(check);
    }

    /// <summary>
    /// Rebuilds the citizen-ID index from the live persons' payloads in <paramref name="transaction"/>,
    /// holding the feed head's write lock so no batch commits meanwhile, and records the index
    /// key's check. Returns the number of persons indexed.
    /// </summary>
    private async Task<long> BuildCitizenIdIndexAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        await ClearCitizenIdIndexAsync(connection, transaction, cancellationToken);
        long indexed = 0;
        var after = "";
        while (true)
        {
            var keys = new List<string>();
            var hashes = new List<byte[]>();
            var read = 0;
            await using (var page = connection.CreateCommand())
            {
                page.Transaction = transaction;
                page.CommandText = $"""
                    SELECT e.entity_key, e.last_seq, l.payload
                    FROM entities e JOIN change_log l ON l.seq = e.last_seq
                    WHERE e.entity_type = {(int)EntityType.Person} AND e.entity_key > @after AND NOT e.deleted
                    ORDER BY e.entity_key
                    LIMIT {IndexBuildPage}
                    """;
                AddParameter(page, "after", after);
                await using var reader = await page.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    read++;
                    var key = reader.GetString(0);
                    var sequence = reader.GetInt64(1);
                    after = key;
                    var payload = reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2);
                    if (payload is null)
                    {
                        continue;
                    }

                    var person = Person.Parser.ParseFrom(Protection.Unprotect(payload, new PayloadBinding(sequence, EntityType.Person, key)));
                    if (person.CitizenId.Length > 0)
                    {
                        keys.Add(key);
                        hashes.Add(Protection.HashCitizenId(person.CitizenId));
                    }
                }
            }

            if (keys.Count > 0)
            {
                await InsertCitizenIdIndexAsync(connection, transaction, keys, hashes, cancellationToken);
                indexed += keys.Count;
            }

            if (read < IndexBuildPage)
            {
                break;
            }
        }

        await using var record = connection.CreateCommand();
        record.Transaction = transaction;
        record.CommandText = "UPDATE protection_state SET index_key_check = @check WHERE id = 1";
        AddParameter(record, "check", Protection.IndexKeyCheck);
        await record.ExecuteNonQueryAsync(cancellationToken);
        return indexed;
    }

    /// <summary>What a batch does to the citizen-ID index (<see cref="PlanCitizenIdIndex"/>).</summary>
    protected sealed class CitizenIdIndexChanges
    {
        /// <summary>Persons whose entry is set, in step with <see cref="SetHashes"/>.</summary>
        public List<string> SetKeys { get; } = [];

        /// <summary>The entries' hashes.</summary>
        public List<byte[]> SetHashes { get; } = [];

        /// <summary>Persons whose entry is removed.</summary>
        public List<string> Removed { get; } = [];
    }
}
