using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.Domain.Stats;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

// Directives and their receipts (migration 12). Each directive and receipt is an entity of the
// change feed (owner `hub`): its message is kept once, encrypted, in its last logged change, as
// every record's is (current state joins entities to change_log on last_seq), so key rotation,
// retention and the database-dump guarantees cover it too. The directive tables hold only what
// SQL runs on — state, deadlines and the instants overdue is judged from (Unix microseconds on
// both dialects) — so roll-up counts, overdue filters and paging never load a province-wide
// directive's tens of thousands of receipts. Every write runs under the feed's write lock (the head row, as ingest takes
// it): it appends the directive and receipt changes to the change feed at consecutive
// sequences in the same transaction, so the feed and the tables never disagree, and it makes
// the request-id check and the directive-number serial race-free on every replica.
public abstract partial class SqlHubStore
{
    // The current message of a directive (dl.payload at de.last_seq) and of a receipt (rl, re).
    private const string DirectiveColumns = "d.ord, dl.payload, de.last_seq, d.directive_id";

    private const string DirectiveFrom =
        "directives d JOIN entities de ON de.entity_type = 9 AND de.entity_key = d.directive_id JOIN change_log dl ON dl.seq = de.last_seq";

    private const string ReceiptColumns = "rl.payload, re.last_seq, re.entity_key";

    private const string ReceiptJoin =
        " JOIN entities re ON re.entity_type = 10 AND re.entity_key = r.directive_id || '/' || r.recipient_region_code JOIN change_log rl ON rl.seq = re.last_seq";

    /// <inheritdoc />
    public async Task<DirectiveWriteOutcome> IssueDirectiveAsync(DirectiveIssue issue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issue);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        if (await SeenDirectiveRequestAsync(connection, transaction, issue.Request, cancellationToken) is { } seen)
        {
            return seen;
        }

        var directive = issue.Directive.Clone();
        var serial = 1;
        await using (var last = connection.CreateCommand())
        {
            last.Transaction = transaction;
            // The serial restarts per issuer and day; the number's prefix is exactly that.
            last.CommandText = "SELECT MAX(directive_number) FROM directives WHERE directive_number >= @lo AND directive_number < @hi";
            AddParameter(last, "lo", issue.NumberPrefix);
            AddParameter(last, "hi", issue.NumberPrefix + "~");
            if (await last.ExecuteScalarAsync(cancellationToken) is string max && max.Length == issue.NumberPrefix.Length + 4)
            {
                serial = int.Parse(max.AsSpan(issue.NumberPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture) + 1;
            }
        }

        directive.DirectiveNumber = string.Create(CultureInfo.InvariantCulture, $"{issue.NumberPrefix}{serial:D4}");
        long ordinal;
        await using (var next = connection.CreateCommand())
        {
            next.Transaction = transaction;
            next.CommandText = "SELECT COALESCE(MAX(ord), 0) + 1 FROM directives";
            ordinal = Convert.ToInt64(await next.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO directives (directive_id, ord, issuer_region_code, directive_number, state, version,
                    sign_deadline_us, completion_deadline_us, withdrawn_us, issued_us, recipient_count)
                VALUES (@id, @ord, @issuer, @number, @state, @version, @sign, @complete, NULL, @issued, @count)
                """;
            AddParameter(insert, "id", directive.Meta.Id);
            AddParameter(insert, "ord", ordinal);
            AddParameter(insert, "issuer", directive.IssuerRegionCode);
            AddParameter(insert, "number", directive.DirectiveNumber);
            AddParameter(insert, "state", (int)directive.State);
            AddParameter(insert, "version", directive.Meta.Version);
            AddParameter(insert, "sign", Micros(directive.SignForDeadline));
            AddParameter(insert, "complete", Micros(directive.CompletionDeadline));
            AddParameter(insert, "issued", Micros(directive.IssuedAt));
            AddParameter(insert, "count", directive.RecipientCount);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertReceiptsAsync(connection, transaction, issue.Receipts, cancellationToken);

        // Directive first, then its receipts: a consumer of the feed meets the directive before
        // any receipt naming it.
        var changes = new List<(Change, string)>(issue.Receipts.Count + 1) { (DirectiveFeedChange(directive), directive.IssuerRegionCode) };
        changes.AddRange(issue.Receipts.Select(r => (ReceiptFeedChange(r, directive), r.RecipientRegionCode)));
        var sequence = await AppendHubChangesAsync(connection, transaction, head, changes, allNew: true, cancellationToken);
        var response = issue.EncodeResponse(directive);
        await StoreDirectiveAnswerAsync(connection, transaction, issue.Request, directive.Meta.Id, response, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Signal.Pulse(sequence);
        return new DirectiveWriteOutcome(response, Repeated: false, RequestIdReused: false, sequence);
    }

    /// <inheritdoc />
    public async Task<DirectiveWriteOutcome> ChangeReceiptAsync(ReceiptChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        if (await SeenDirectiveRequestAsync(connection, transaction, change.Request, cancellationToken) is { } seen)
        {
            return seen;
        }

        var directive = (await ReadDirectiveAsync(connection, transaction, change.DirectiveId, cancellationToken))?.Directive;
        var current = directive is null ? null : await ReadReceiptAsync(connection, transaction, change.DirectiveId, change.RecipientRegionCode, cancellationToken);
        var receipt = change.Plan(directive, current);
        if (directive is null || current is null || receipt.RecipientRegionCode != change.RecipientRegionCode || receipt.DirectiveId != change.DirectiveId)
        {
            throw new InvalidOperationException("A receipt change was planned for a receipt the store does not hold.");
        }

        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE directive_receipts SET state = @state, version = @version, signed_us = @signed, completed_us = @completed
                WHERE directive_id = @id AND recipient_region_code = @recipient
                """;
            AddReceiptParameters(update, receipt);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var rolled = await RollUpAsync(connection, transaction, directive, cancellationToken);
        if (rolled.State != directive.State)
        {
            // The roll-up moved: that is a change of the directive (its version rises with it).
            rolled.Meta.Version = directive.Meta.Version + 1;
            rolled.Meta.UpdatedAt = receipt.Meta.UpdatedAt;
            await UpdateDirectiveAsync(connection, transaction, rolled, cancellationToken);
        }

        var changes = new List<(Change, string)> { (ReceiptFeedChange(receipt, rolled), receipt.RecipientRegionCode) };
        if (rolled.State != directive.State)
        {
            changes.Add((DirectiveFeedChange(rolled), rolled.IssuerRegionCode));
        }

        var sequence = await AppendHubChangesAsync(connection, transaction, head, changes, allNew: false, cancellationToken);
        var response = change.EncodeResponse(rolled, receipt);
        await StoreDirectiveAnswerAsync(connection, transaction, change.Request, change.DirectiveId, response, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Signal.Pulse(sequence);
        return new DirectiveWriteOutcome(response, Repeated: false, RequestIdReused: false, sequence);
    }

    /// <inheritdoc />
    public async Task<DirectiveWriteOutcome> WithdrawDirectiveAsync(DirectiveWithdrawal withdrawal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        if (await SeenDirectiveRequestAsync(connection, transaction, withdrawal.Request, cancellationToken) is { } seen)
        {
            return seen;
        }

        var stored = await ReadDirectiveAsync(connection, transaction, withdrawal.DirectiveId, cancellationToken);
        var directive = withdrawal.Plan(stored?.Directive);
        if (stored is null || directive.Meta.Id != withdrawal.DirectiveId || directive.WithdrawnAt is null)
        {
            throw new InvalidOperationException("A withdrawal was planned for a directive the store does not hold.");
        }

        // Every receipt not final is withdrawn with the directive; completed ones stay completed.
        var open = new List<DirectiveReceipt>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = $"""
                SELECT {ReceiptColumns} FROM directive_receipts r{ReceiptJoin}
                WHERE r.directive_id = @id AND r.state IN ({StateList(DirectiveTransitions.States.Where(DirectiveTransitions.CanWithdraw))})
                ORDER BY r.recipient_region_code
                """;
            AddParameter(read, "id", withdrawal.DirectiveId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                open.Add(withdrawal.WithdrawReceipt(ReadReceiptRow(reader, 0)));
            }
        }

        foreach (var receipt in open)
        {
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE directive_receipts SET state = @state, version = @version, signed_us = @signed, completed_us = @completed
                WHERE directive_id = @id AND recipient_region_code = @recipient
                """;
            AddReceiptParameters(update, receipt);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await UpdateDirectiveAsync(connection, transaction, directive, cancellationToken);
        var changes = new List<(Change, string)>(open.Count + 1) { (DirectiveFeedChange(directive), directive.IssuerRegionCode) };
        changes.AddRange(open.Select(r => (ReceiptFeedChange(r, directive), r.RecipientRegionCode)));
        var sequence = await AppendHubChangesAsync(connection, transaction, head, changes, allNew: false, cancellationToken);
        var response = withdrawal.EncodeResponse(directive);
        await StoreDirectiveAnswerAsync(connection, transaction, withdrawal.Request, withdrawal.DirectiveId, response, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Signal.Pulse(sequence);
        return new DirectiveWriteOutcome(response, Repeated: false, RequestIdReused: false, sequence);
    }

    /// <inheritdoc />
    public async Task<Directive?> GetDirectiveAsync(string directiveId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directiveId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return (await ReadDirectiveAsync(connection, null, directiveId, cancellationToken))?.Directive;
    }

    /// <inheritdoc />
    public async Task<DirectiveReceipt?> GetReceiptAsync(string directiveId, string recipientRegionCode, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadReceiptAsync(connection, null, directiveId, recipientRegionCode, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ReceiptCounts> CountReceiptsAsync(ReceiptScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT state, COUNT(*),
                SUM(CASE WHEN {SignOverdue("r")} THEN 1 ELSE 0 END),
                SUM(CASE WHEN {CompletionOverdue("r")} THEN 1 ELSE 0 END)
            FROM directive_receipts r
            WHERE r.directive_id = @id{RecipientRange(command, scope.RecipientPrefix)}
            GROUP BY state
            """;
        AddScopeParameters(command, scope);
        var byState = new Dictionary<DirectiveState, int>();
        int sign = 0, complete = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = (DirectiveState)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
            byState[state] = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
            sign += Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture);
            complete += Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture);
        }

        return new ReceiptCounts(byState, sign, complete);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DirectiveReceipt>> ListReceiptsAsync(ReceiptQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var filters = new StringBuilder();
        if (query.States.Count > 0)
        {
            filters.Append(CultureInfo.InvariantCulture, $" AND r.state IN ({StateList(query.States)})");
        }

        if (query.OverdueOnly)
        {
            filters.Append(CultureInfo.InvariantCulture, $" AND ({SignOverdue("r")} OR {CompletionOverdue("r")})");
        }

        command.CommandText = $"""
            SELECT {ReceiptColumns} FROM directive_receipts r{ReceiptJoin}
            WHERE r.directive_id = @id AND r.recipient_region_code > @after{RecipientRange(command, query.Scope.RecipientPrefix)}{filters}
            ORDER BY r.recipient_region_code
            LIMIT @limit
            """;
        AddScopeParameters(command, query.Scope);
        AddParameter(command, "after", query.AfterRecipient);
        AddParameter(command, "limit", query.Limit);
        var receipts = new List<DirectiveReceipt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            receipts.Add(ReadReceiptRow(reader, 0));
        }

        return receipts;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ListedDirective>> ListDirectivesAsync(DirectiveQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();

        // A receipt under the caller's jurisdiction (optionally an overdue one), and any overdue
        // receipt: the issuer judges overdue over all of its directive's receipts.
        var range = RecipientRange(command, query.RecipientPrefix);
        var overdue = $"({SignOverdue("r", "d.")} OR {CompletionOverdue("r", "d.")})";
        var received = $"(d.issuer_region_code <> @me AND EXISTS (SELECT 1 FROM directive_receipts r WHERE r.directive_id = d.directive_id{range}"
            + (query.OverdueOnly ? $" AND {overdue}" : "") + "))";
        var issued = "d.issuer_region_code = @me"
            + (query.OverdueOnly ? $" AND EXISTS (SELECT 1 FROM directive_receipts r WHERE r.directive_id = d.directive_id AND {overdue})" : "");
        var visible = (query.Issued, query.Received) switch
        {
            (true, true) => $"(({issued}) OR {received})",
            (true, false) => $"({issued})",
            (false, true) => received,
            _ => "1 = 0",
        };
        var states = query.States.Count > 0 ? $" AND d.state IN ({StateList(query.States)})" : "";
        command.CommandText = $"""
            SELECT {DirectiveColumns} FROM {DirectiveFrom}
            WHERE d.ord < @before AND {visible}{states}
            ORDER BY d.ord DESC
            LIMIT @limit
            """;
        AddParameter(command, "me", query.IssuerRegion);
        AddParameter(command, "now", Micros(query.Now));
        AddParameter(command, "before", query.BeforeOrdinal);
        AddParameter(command, "limit", query.Limit);
        var directives = new List<ListedDirective>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = ReadDirectiveRow(reader);
            directives.Add(row);
        }

        return directives;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UndeliveredReceipt>> ListUndeliveredReceiptsAsync(string recipientPrefix, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipientPrefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {DirectiveColumns}, {ReceiptColumns}
            FROM directive_receipts r JOIN directives d ON d.directive_id = r.directive_id
                JOIN entities de ON de.entity_type = 9 AND de.entity_key = d.directive_id JOIN change_log dl ON dl.seq = de.last_seq{ReceiptJoin}
            WHERE r.delivered_us IS NULL{RecipientRange(command, recipientPrefix)}
            ORDER BY d.ord, r.recipient_region_code
            LIMIT @limit
            """;
        AddParameter(command, "limit", limit);
        var list = new List<UndeliveredReceipt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new UndeliveredReceipt(ReadDirectiveRow(reader).Directive, ReadReceiptRow(reader, 4)));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task MarkReceiptsDeliveredAsync(string directiveId, string recipientPrefix, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipientPrefix);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE directive_receipts AS r SET delivered_us = @at
            WHERE r.directive_id = @id AND r.delivered_us IS NULL{RecipientRange(command, recipientPrefix)}
            """;
        AddParameter(command, "at", Micros(at));
        AddParameter(command, "id", directiveId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Overdue as DirectiveOverdue computes it: the wait ends at signing for / completion, else at
    // @end (the withdrawal, else now). For many directives at once (ListDirectives) the end is the
    // directive's own withdrawal, else @now.
    private static string SignOverdue(string r, string? directive = null) => directive is null
        ? $"COALESCE({r}.signed_us, @end) > @signDeadline"
        : $"COALESCE({r}.signed_us, {directive}withdrawn_us, @now) > {directive}sign_deadline_us";

    private static string CompletionOverdue(string r, string? directive = null) => directive is null
        ? $"COALESCE({r}.completed_us, @end) > @completeDeadline"
        : $"COALESCE({r}.completed_us, {directive}withdrawn_us, @now) > {directive}completion_deadline_us";

    private static string RecipientRange(DbCommand command, string prefix)
    {
        if (prefix.Length == 0)
        {
            return "";
        }

        AddParameter(command, "rlo", prefix);
        AddParameter(command, "rhi", RegionCode.PrefixUpperBound(prefix));
        return " AND r.recipient_region_code >= @rlo AND r.recipient_region_code < @rhi";
    }

    private static void AddScopeParameters(DbCommand command, ReceiptScope scope)
    {
        AddParameter(command, "id", scope.DirectiveId);
        AddParameter(command, "end", Micros(scope.End));
        AddParameter(command, "signDeadline", Micros(scope.SignForDeadline));
        AddParameter(command, "completeDeadline", Micros(scope.CompletionDeadline));
    }

    // Enum values from the contract, never caller text: safe to inline.
    private static string StateList(IEnumerable<DirectiveState> states) =>
        string.Join(", ", states.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)));

    private static long Micros(DateTimeOffset value) => (value - DateTimeOffset.UnixEpoch).Ticks / 10;

    private static long Micros(Timestamp value) => Micros(value.ToDateTimeOffset());

    private static object? MicrosOrNull(Timestamp? value) => value is null ? null : Micros(value);

    private static void AddReceiptParameters(DbCommand command, DirectiveReceipt receipt)
    {
        AddParameter(command, "id", receipt.DirectiveId);
        AddParameter(command, "recipient", receipt.RecipientRegionCode);
        AddParameter(command, "state", (int)receipt.State);
        AddParameter(command, "version", receipt.Meta.Version);
        AddParameter(command, "signed", MicrosOrNull(receipt.SignedForAt));
        AddParameter(command, "completed", MicrosOrNull(receipt.CompletedAt));
    }

    // Overdue flags are computed at read time, never stored.
    // Overdue flags are judged at read time, never stored; the directive rides along (see ReceiptFeedChange).
    private static DirectiveReceipt Stored(DirectiveReceipt receipt, Directive directive)
    {
        var copy = receipt.Clone();
        copy.SignForOverdue = copy.CompletionOverdue = false;
        copy.Directive = directive;
        return copy;
    }

    private async Task InsertReceiptsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<DirectiveReceipt> receipts, CancellationToken cancellationToken)
    {
        // Multi-row inserts of a few hundred rows: a province-wide directive's tens of thousands
        // of receipts in a few dozen statements, on both dialects (SQLite allows 32,766 parameters).
        const int Chunk = 200;
        for (var start = 0; start < receipts.Count; start += Chunk)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            var sql = new StringBuilder("INSERT INTO directive_receipts (directive_id, recipient_region_code, state, version, signed_us, completed_us, delivered_us) VALUES ");
            var end = Math.Min(start + Chunk, receipts.Count);
            for (var i = start; i < end; i++)
            {
                var r = receipts[i];
                var n = (i - start).ToString(CultureInfo.InvariantCulture);
                sql.Append(i > start ? ", " : "").Append(CultureInfo.InvariantCulture, $"(@d{n}, @r{n}, @s{n}, @v{n}, NULL, NULL, NULL)");
                AddParameter(insert, "d" + n, r.DirectiveId);
                AddParameter(insert, "r" + n, r.RecipientRegionCode);
                AddParameter(insert, "s" + n, (int)r.State);
                AddParameter(insert, "v" + n, r.Meta.Version);
            }

            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task UpdateDirectiveAsync(DbConnection connection, DbTransaction transaction, Directive directive, CancellationToken cancellationToken)
    {
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE directives SET state = @state, version = @version, withdrawn_us = @withdrawn WHERE directive_id = @id";
        AddParameter(update, "id", directive.Meta.Id);
        AddParameter(update, "state", (int)directive.State);
        AddParameter(update, "version", directive.Meta.Version);
        AddParameter(update, "withdrawn", MicrosOrNull(directive.WithdrawnAt));
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The directive with its roll-up recomputed from the stored receipts (a copy; version unchanged).</summary>
    private static async Task<Directive> RollUpAsync(DbConnection connection, DbTransaction transaction, Directive directive, CancellationToken cancellationToken)
    {
        var states = new List<DirectiveState>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT DISTINCT state FROM directive_receipts WHERE directive_id = @id";
            AddParameter(command, "id", directive.Meta.Id);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                states.Add((DirectiveState)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        var rolled = directive.Clone();
        rolled.State = DirectiveTransitions.RollUp(directive.WithdrawnAt is not null, states);
        return rolled;
    }

    private async Task<ListedDirective?> ReadDirectiveAsync(DbConnection connection, DbTransaction? transaction, string directiveId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {DirectiveColumns} FROM {DirectiveFrom} WHERE d.directive_id = @id";
        AddParameter(command, "id", directiveId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDirectiveRow(reader) : null;
    }

    private ListedDirective ReadDirectiveRow(DbDataReader reader)
    {
        var binding = new PayloadBinding(reader.GetInt64(2), EntityType.Directive, reader.GetString(3));
        var directive = Directive.Parser.ParseFrom(ReadPayload(reader, 1, binding));
        return new ListedDirective(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), directive);
    }

    /// <summary>
    /// A receipt from <see cref="ReceiptColumns"/> starting at <paramref name="first"/>, without the
    /// directive the stored copy carries for the feed (answers carry the current one beside it).
    /// </summary>
    private DirectiveReceipt ReadReceiptRow(DbDataReader reader, int first)
    {
        var binding = new PayloadBinding(reader.GetInt64(first + 1), EntityType.DirectiveReceipt, reader.GetString(first + 2));
        var receipt = DirectiveReceipt.Parser.ParseFrom(ReadPayload(reader, first, binding));
        receipt.Directive = null;
        return receipt;
    }

    private async Task<DirectiveReceipt?> ReadReceiptAsync(
        DbConnection connection, DbTransaction? transaction, string directiveId, string recipient, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {ReceiptColumns} FROM directive_receipts r{ReceiptJoin} WHERE r.directive_id = @id AND r.recipient_region_code = @recipient";
        AddParameter(command, "id", directiveId);
        AddParameter(command, "recipient", recipient);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadReceiptRow(reader, 0) : null;
    }

    private async Task<DirectiveWriteOutcome?> SeenDirectiveRequestAsync(
        DbConnection connection, DbTransaction transaction, DirectiveRequest request, CancellationToken cancellationToken) =>
        await FindStoredAnswerAsync(connection, transaction, "directive_requests", request, AnswerBinding(request), cancellationToken) is { } seen
            ? new DirectiveWriteOutcome(seen.Answer, Repeated: !seen.Reused, RequestIdReused: seen.Reused)
            : null;

    /// <summary>
    /// The earlier answer to <paramref name="request"/> kept in <paramref name="table"/>
    /// (directive_requests, hub_record_requests), decrypted; <c>Reused</c> (and no answer) when
    /// its request id came with a different request; null when the id is new.
    /// </summary>
    private async Task<(byte[] Answer, bool Reused)?> FindStoredAnswerAsync(
        DbConnection connection, DbTransaction transaction, string table, DirectiveRequest request, PayloadBinding binding, CancellationToken cancellationToken)
    {
        await using var seen = connection.CreateCommand();
        seen.Transaction = transaction;
        seen.CommandText = $"SELECT request_hash, response FROM {table} WHERE peer_id = @caller AND request_id = @request";
        AddParameter(seen, "caller", request.CallerId);
        AddParameter(seen, "request", request.RequestId);
        await using var reader = await seen.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var hash = (byte[])reader.GetValue(0);
        return CryptographicOperations.FixedTimeEquals(hash, request.RequestHash)
            ? (Protection.Unprotect((byte[])reader.GetValue(1), binding), false)
            : ([], true);
    }

    private async Task StoreDirectiveAnswerAsync(
        DbConnection connection, DbTransaction transaction, DirectiveRequest request, string directiveId, byte[] response, CancellationToken cancellationToken)
    {
        await using var answer = connection.CreateCommand();
        answer.Transaction = transaction;
        answer.CommandText = """
            INSERT INTO directive_requests (peer_id, request_id, method, request_hash, directive_id, response, created_us)
            VALUES (@caller, @request, @method, @hash, @directive, @response, @at)
            """;
        AddParameter(answer, "caller", request.CallerId);
        AddParameter(answer, "request", request.RequestId);
        AddParameter(answer, "method", request.Method);
        AddParameter(answer, "hash", request.RequestHash);
        AddParameter(answer, "directive", directiveId);
        AddParameter(answer, "response", Protection.Protect(response, AnswerBinding(request)));
        AddParameter(answer, "at", Micros(Clock.GetUtcNow()));
        await answer.ExecuteNonQueryAsync(cancellationToken);
    }

    // Answers carry directive text, names and feedback [S2]: encrypted like every payload, bound
    // to the caller and request id so that one answer cannot be replayed as another's. Answers
    // are needed for 24 hours (the contract's repeat window) and forgotten with the ingest
    // answers by retention, long before a retired key is dropped.
    private static PayloadBinding AnswerBinding(DirectiveRequest request) =>
        new(0, EntityType.Unspecified, $"directive-request/{request.CallerId}/{request.RequestId}");

    private static Change DirectiveFeedChange(Directive directive) => new()
    {
        EntityType = EntityType.Directive,
        EntityKey = directive.Meta.Id,
        Operation = ChangeOperation.Upsert,
        EntityVersion = directive.Meta.Version,
        SourceSystem = IngestPlanner.HubOwner,
        SourceChangeId = string.Create(CultureInfo.InvariantCulture, $"{directive.Meta.Id}@{directive.Meta.Version}"),
        Directive = directive,
    };

    // The receipt as the feed and snapshots carry it: with its directive (DirectiveReceipt.directive).
    private static Change ReceiptFeedChange(DirectiveReceipt receipt, Directive directive) => new()
    {
        EntityType = EntityType.DirectiveReceipt,
        EntityKey = receipt.Meta.Id,
        Operation = ChangeOperation.Upsert,
        EntityVersion = receipt.Meta.Version,
        SourceSystem = IngestPlanner.HubOwner,
        SourceChangeId = string.Create(CultureInfo.InvariantCulture, $"{receipt.Meta.Id}@{receipt.Meta.Version}"),
        DirectiveReceipt = Stored(receipt, directive),
    };

    /// <summary>
    /// Appends hub-originated changes (owner <c>hub</c>) to the change log at the sequences after
    /// <paramref name="head"/>, through the same row writer as ingest (log, current state,
    /// buckets, encryption), and moves the head; the caller holds the head's write lock and
    /// commits. Returns the last sequence written.
    /// </summary>
    private async Task<long> AppendHubChangesAsync(
        DbConnection connection, DbTransaction transaction, FeedHead head, IReadOnlyList<(Change Change, string Region)> changes,
        bool allNew, CancellationToken cancellationToken)
    {
        var ids = changes.Select(c => new EntityId(c.Change.EntityType, c.Change.EntityKey)).Distinct().ToList();
        var stored = allNew ? [] : await LoadStatesAsync(connection, transaction, ids, cancellationToken);

        // Microseconds, as ingest stamps: what both databases keep.
        var now = Clock.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
        var rows = new List<AppliedChange>(changes.Count);
        var sequence = head.LastSequence;
        for (var i = 0; i < changes.Count; i++)
        {
            var (change, region) = changes[i];
            sequence++;
            var planned = new PlannedChange(i, change, PlanStatus.Applied, null, null, 0, region, null, "", OwnerChanged: false);
            var payload = EntityRecords.PayloadOf(change)!;
            var updatedAt = (change.Directive?.Meta ?? change.DirectiveReceipt?.Meta ?? change.CaseRecord?.Meta ?? change.ServiceRequest?.Meta)?.UpdatedAt?.ToDateTimeOffset() ?? now;
            rows.Add(new AppliedChange(sequence, planned, now, updatedAt, payload.ToByteArray(), null, StatFacets.Of(change.EntityType, payload)));
        }

        await WriteAppliedAsync(connection, transaction, rows, stored, cancellationToken);
        await using var finish = connection.CreateCommand();
        finish.Transaction = transaction;
        finish.CommandText = MoveHeadSql(finish, head.LastSequence, sequence) + BeforeCommitSql(finish, sequence);
        AddParameter(finish, "at", ToDbInstant(now));
        await finish.ExecuteNonQueryAsync(cancellationToken);
        return sequence;
    }
}
