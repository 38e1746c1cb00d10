using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using GridExchange.Domain.Audit;
using GridExchange.V1;

namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    private const string AuditColumns =
        "seq, at, peer_id, method, request_id, scope, entity_types, record_count, data_classes, previous_hash, hash";

    /// <summary>Rows per INSERT statement when appending (11 parameters each; both engines allow far more).</summary>
    private const int AuditRowsPerStatement = 100;

    /// <summary>Rows per query when streaming a range for verification.</summary>
    private const int AuditReadPage = 1000;

    /// <inheritdoc />
    /// <remarks>
    /// The write transaction serialises appenders: PostgreSQL locks the one row of
    /// <c>audit_head</c> (its own lock, not the feed's, so auditing never waits for ingest),
    /// SQLite takes the database's write lock at BEGIN IMMEDIATE. Under that lock the head's last
    /// sequence and hash are read, the entries chained after them, inserted, and the head
    /// advanced, all in one transaction: a failed append leaves no trace, so sequences have no
    /// gaps and every entry links to the one committed before it, whichever process wrote it.
    /// </remarks>
    public async Task<IReadOnlyList<AuditLogEntry>> AppendAuditAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return [];
        }

        // Refuse a bad event before taking the lock.
        var normalized = events.Select(e => (e ?? throw new ArgumentException("An audit event is null.", nameof(events))).Normalize()).ToList();

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadAuditHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        var entries = AuditLogEntry.Chain(head.LastSequence, head.LastHash, normalized);

        // The head advances in the last insert's round trip: every round trip here is latency
        // a read of personal data waits for before it is sent.
        var chunks = entries.Chunk(AuditRowsPerStatement).ToList();
        foreach (var chunk in chunks)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            var sql = new StringBuilder($"INSERT INTO audit_log ({AuditColumns}) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                var entry = chunk[i];
                var e = entry.Event;
                sql.Append(CultureInfo.InvariantCulture,
                    $"{(i == 0 ? "" : ", ")}(@seq{i}, @at{i}, @peer{i}, @method{i}, @request{i}, @scope{i}, @types{i}, @count{i}, @classes{i}, @prev{i}, @hash{i})");
                AddParameter(insert, $"seq{i}", entry.Sequence);
                AddParameter(insert, $"at{i}", ToDbInstant(e.At));
                AddParameter(insert, $"peer{i}", e.PeerId);
                AddParameter(insert, $"method{i}", e.Method);
                AddParameter(insert, $"request{i}", e.RequestId);
                AddParameter(insert, $"scope{i}", e.Scope);
                AddParameter(insert, $"types{i}", FormatNumbers(e.EntityTypes.Select(t => (int)t)));
                AddParameter(insert, $"count{i}", e.RecordCount);
                AddParameter(insert, $"classes{i}", FormatNumbers(e.DataClasses.Select(c => (int)c)));
                AddParameter(insert, $"prev{i}", entry.PreviousHash);
                AddParameter(insert, $"hash{i}", entry.Hash);
            }

            if (ReferenceEquals(chunk, chunks[^1]))
            {
                sql.Append(";\nUPDATE audit_head SET last_seq = @headSeq, last_hash = @headHash WHERE id = 1");
                AddParameter(insert, "headSeq", entries[^1].Sequence);
                AddParameter(insert, "headHash", entries[^1].Hash);
            }

            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return entries;
    }

    /// <inheritdoc />
    public async Task<AuditHead> GetAuditHeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadAuditHeadAsync(connection, null, "", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<AuditPage> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        ArgumentOutOfRangeException.ThrowIfNegative(query.AfterSequence);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var conditions = new StringBuilder("seq > @after");
        AddParameter(command, "after", query.AfterSequence);
        if (!string.IsNullOrEmpty(query.PeerId))
        {
            conditions.Append(" AND peer_id = @peer");
            AddParameter(command, "peer", query.PeerId);
        }

        if (query.Since is { } since)
        {
            conditions.Append(" AND at >= @since");
            AddParameter(command, "since", ToDbInstant(since));
        }

        if (query.Before is { } before)
        {
            conditions.Append(" AND at < @before");
            AddParameter(command, "before", ToDbInstant(before));
        }

        // One row more than the page: whether there is a next page, without an empty last one.
        command.CommandText = $"SELECT {AuditColumns} FROM audit_log WHERE {conditions} ORDER BY seq LIMIT @limit";
        AddParameter(command, "limit", (long)query.Limit + 1);
        var entries = await ReadAuditEntriesAsync(command, cancellationToken);
        if (entries.Count <= query.Limit)
        {
            return new AuditPage(entries, null);
        }

        entries.RemoveAt(entries.Count - 1);
        return new AuditPage(entries, entries[^1].Sequence);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditLogEntry> ReadAuditRangeAsync(
        long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = Math.Max(fromSequence, 1) - 1;
        while (after < toSequence)
        {
            // Each page is read whole and its connection returned before the caller sees it: a
            // slow consumer holds no connection or transaction open. Appends only add entries
            // above the head, so pages read one after another see one log.
            List<AuditLogEntry> page;
            await using (var connection = await OpenConnectionAsync(cancellationToken))
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = $"SELECT {AuditColumns} FROM audit_log WHERE seq > @after AND seq <= @to ORDER BY seq LIMIT @limit";
                AddParameter(command, "after", after);
                AddParameter(command, "to", toSequence);
                AddParameter(command, "limit", AuditReadPage);
                page = await ReadAuditEntriesAsync(command, cancellationToken);
            }

            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count < AuditReadPage)
            {
                yield break;
            }

            after = page[^1].Sequence;
        }
    }

    /// <inheritdoc />
    public async Task<AuditVerification> VerifyAuditAsync(long fromSequence, long toSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromSequence);
        ArgumentOutOfRangeException.ThrowIfNegative(toSequence);
        var from = Math.Max(fromSequence, 1);
        if (toSequence > 0 && toSequence < from)
        {
            throw new ArgumentOutOfRangeException(nameof(toSequence), toSequence, "The range ends before it starts.");
        }

        var head = await GetAuditHeadAsync(cancellationToken);
        var through = toSequence == 0 ? head.LastSequence : Math.Min(toSequence, head.LastSequence);
        string? previousHash = AuditHash.Genesis;
        if (from > 1 && from <= through)
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT hash FROM audit_log WHERE seq = @seq";
            AddParameter(command, "seq", from - 1);
            previousHash = await command.ExecuteScalarAsync(cancellationToken) as string;
            if (previousHash is null)
            {
                return AuditVerification.PredecessorMissing(from);
            }
        }

        var verifier = new AuditChainVerifier(from, previousHash);
        await foreach (var entry in ReadAuditRangeAsync(from, through, cancellationToken))
        {
            if (!verifier.Add(entry))
            {
                break;
            }
        }

        return verifier.Finish(through, through == head.LastSequence ? head.LastHash : null);
    }

    private async Task<AuditHead> ReadAuditHeadAsync(
        DbConnection connection, DbTransaction? transaction, string lockClause, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1" + lockClause;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The audit head row is missing: the store was not migrated.");
        }

        return new AuditHead(reader.GetInt64(0), reader.GetString(1));
    }

    private async Task<List<AuditLogEntry>> ReadAuditEntriesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<AuditLogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // As stored, not normalised: verification must see exactly what the database holds.
            var auditEvent = new AuditEvent(
                ReadInstant(reader, 1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                [.. ParseNumbers(reader.GetString(6)).Select(n => (EntityType)n)],
                reader.GetInt64(7),
                [.. ParseNumbers(reader.GetString(8)).Select(n => (DataClass)n)]);
            entries.Add(new AuditLogEntry(reader.GetInt64(0), auditEvent, reader.GetString(9), reader.GetString(10)));
        }

        return entries;
    }

    /// <summary>Enum numbers as stored: ascending, comma-separated, no spaces ("4,5"; "" for none).</summary>
    private static string FormatNumbers(IEnumerable<int> numbers) =>
        string.Join(',', numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads <see cref="FormatNumbers"/> back. Text it cannot have written (edited by hand) reads
    /// as -1, a number no entry holds, so verification reports a wrong hash instead of failing.
    /// </summary>
    private static IEnumerable<int> ParseNumbers(string text) =>
        text.Length == 0
            ? []
            : text.Split(',').Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1);
}
