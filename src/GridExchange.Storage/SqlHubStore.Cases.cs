using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using GridExchange.Domain.Cases;
using GridExchange.Domain.Codes;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

// Hub-managed cases and service requests (migration 13). As with directives, each record is an
// entity of the change feed (owner `hub`) whose message lives once, encrypted, in its last logged
// change; hub_records keeps beside it only what SQL needs (number, state, a case's waits and
// deadlines). Every write runs under the feed's write lock and appends the record's change at the
// next sequence in the same transaction, so the feed, the current state and hub_records never
// disagree, and the request-id check and number serial are race-free on every replica.
public abstract partial class SqlHubStore
{
    private const string TimesColumns =
        "hr.entity_key, hr.accept_yellow_us, hr.accept_red_us, hr.accept_end_us, hr.handle_yellow_us, hr.handle_red_us, hr.handle_end_us";

    /// <inheritdoc />
    public async Task<HubRecordOutcome> WriteHubRecordAsync(HubRecordWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
        if (await SeenHubRecordRequestAsync(connection, transaction, write.Request, cancellationToken) is { } seen)
        {
            return seen;
        }

        var current = write.IsNew ? null : await ReadHubRecordAsync(connection, transaction, write.Type, write.Key, cancellationToken);
        var number = write.NumberPrefix.Length == 0 ? "" : await NextNumberAsync(connection, transaction, write.Type, write.NumberPrefix, cancellationToken);
        var plan = write.Plan(current, number);
        var meta = plan.Entity switch
        {
            Case c => c.Meta,
            ServiceRequest r => r.Meta,
            _ => throw new InvalidOperationException("A hub record is a Case or a ServiceRequest."),
        };
        if (meta.Id != write.Key || meta.SourceSystem != Domain.Ingest.IngestPlanner.HubOwner)
        {
            throw new InvalidOperationException("A hub record write was planned for another record or owner.");
        }

        if (write.IsNew)
        {
            await using var taken = connection.CreateCommand();
            taken.Transaction = transaction;
            taken.CommandText = "SELECT 1 FROM hub_records WHERE entity_type = @type AND record_number = @number";
            AddParameter(taken, "type", (int)write.Type);
            AddParameter(taken, "number", plan.Number);
            if (await taken.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return new HubRecordOutcome([], Repeated: false, RequestIdReused: false, NumberTaken: true);
            }
        }

        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = write.IsNew
                ? """
                  INSERT INTO hub_records (entity_type, entity_key, record_number, grid_code, state, version,
                      accept_yellow_us, accept_red_us, accept_end_us, handle_yellow_us, handle_red_us, handle_end_us)
                  VALUES (@type, @key, @number, @grid, @state, @version, @ay, @ar, @ae, @hy, @hr, @he)
                  """
                : """
                  UPDATE hub_records SET state = @state, version = @version, accept_yellow_us = @ay, accept_red_us = @ar,
                      accept_end_us = @ae, handle_yellow_us = @hy, handle_red_us = @hr, handle_end_us = @he
                  WHERE entity_type = @type AND entity_key = @key
                  """;
            AddParameter(upsert, "type", (int)write.Type);
            AddParameter(upsert, "key", write.Key);
            AddParameter(upsert, "number", plan.Number);
            AddParameter(upsert, "grid", plan.GridCode);
            AddParameter(upsert, "state", plan.State);
            AddParameter(upsert, "version", meta.Version);
            var t = plan.Times;
            AddParameter(upsert, "ay", MicrosOrNull(t?.AcceptYellow));
            AddParameter(upsert, "ar", MicrosOrNull(t?.AcceptRed));
            AddParameter(upsert, "ae", MicrosOrNull(t?.AcceptEnd));
            AddParameter(upsert, "hy", MicrosOrNull(t?.HandleYellow));
            AddParameter(upsert, "hr", MicrosOrNull(t?.HandleRed));
            AddParameter(upsert, "he", MicrosOrNull(t?.HandleEnd));
            if (await upsert.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new InvalidOperationException($"Hub record {write.Key} has no row to update: it is not managed by the hub.");
            }
        }

        var change = new Change
        {
            EntityType = write.Type,
            EntityKey = write.Key,
            Operation = ChangeOperation.Upsert,
            EntityVersion = meta.Version,
            SourceSystem = Domain.Ingest.IngestPlanner.HubOwner,
            SourceChangeId = string.Create(CultureInfo.InvariantCulture, $"{write.Key}@{meta.Version}"),
        };
        if (plan.Entity is Case record)
        {
            change.CaseRecord = record;
        }
        else
        {
            change.ServiceRequest = (ServiceRequest)plan.Entity;
        }

        var sequence = await AppendHubChangesAsync(connection, transaction, head, [(change, plan.GridCode)], allNew: write.IsNew, cancellationToken);
        await using (var answer = connection.CreateCommand())
        {
            answer.Transaction = transaction;
            answer.CommandText = """
                INSERT INTO hub_record_requests (peer_id, request_id, method, request_hash, entity_key, response, created_us)
                VALUES (@caller, @request, @method, @hash, @key, @response, @at)
                """;
            AddParameter(answer, "caller", write.Request.CallerId);
            AddParameter(answer, "request", write.Request.RequestId);
            AddParameter(answer, "method", write.Request.Method);
            AddParameter(answer, "hash", write.Request.RequestHash);
            AddParameter(answer, "key", write.Key);
            AddParameter(answer, "response", Protection.Protect(plan.Response, HubAnswerBinding(write.Request)));
            AddParameter(answer, "at", Micros(Clock.GetUtcNow()));
            await answer.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        Signal.Pulse(sequence);
        return new HubRecordOutcome(plan.Response, Repeated: false, RequestIdReused: false);
    }

    /// <inheritdoc />
    public async Task<CaseRow?> GetCaseAsync(string caseId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caseId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns}, {TimesColumns} FROM {FromCurrent}
                LEFT JOIN hub_records hr ON hr.entity_type = e.entity_type AND hr.entity_key = e.entity_key
            WHERE e.entity_type = @type AND e.entity_key = @key AND NOT e.deleted
            """;
        AddParameter(command, "type", (int)EntityType.Case);
        AddParameter(command, "key", caseId);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadCaseRow(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CaseRow>> ListCasesAsync(string scopePrefix, EntityPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopePrefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The same keyset seek as ListInScopeAsync (see there why the lower bound may be left out);
        // the join is a primary-key probe per row served.
        var conditions = new List<string>();
        if (scopePrefix.Length > 0 && !(after is { } position && position.ScopeCode.StartsWith(scopePrefix, StringComparison.Ordinal)))
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
            SELECT {Columns}, {TimesColumns} FROM {FromCurrent}
                LEFT JOIN hub_records hr ON hr.entity_type = e.entity_type AND hr.entity_key = e.entity_key
            WHERE e.entity_type = @type AND NOT e.deleted {string.Concat(conditions.Select(c => " AND " + c))}
            ORDER BY e.scope_code, e.entity_key
            LIMIT @limit
            """;
        AddParameter(command, "type", (int)EntityType.Case);
        AddParameter(command, "limit", limit);
        var rows = new List<CaseRow>();
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadCaseRow(reader));
        }

        return rows;
    }

    private CaseRow ReadCaseRow(DbDataReader reader)
    {
        // Columns in order (SequentialAccess): the record, then hr.entity_key (null: no hub row) and the six instants.
        var record = ReadRecord(reader);
        var hubManaged = !reader.IsDBNull(9);
        var times = ReadTimes(reader, 10);
        return new CaseRow(record, hubManaged ? times : null);
    }

    private static CaseTimes ReadTimes(DbDataReader reader, int first)
    {
        DateTimeOffset? At(int i) => reader.IsDBNull(first + i)
            ? null
            : DateTimeOffset.UnixEpoch.AddTicks(Convert.ToInt64(reader.GetValue(first + i), CultureInfo.InvariantCulture) * 10);
        return new CaseTimes(At(0), At(1), At(2), At(3), At(4), At(5));
    }

    private async Task<HubRecordState?> ReadHubRecordAsync(
        DbConnection connection, DbTransaction transaction, EntityType type, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT {Columns}, {TimesColumns} FROM {FromCurrent}
                LEFT JOIN hub_records hr ON hr.entity_type = e.entity_type AND hr.entity_key = e.entity_key
            WHERE e.entity_type = @type AND e.entity_key = @key AND NOT e.deleted
            """;
        AddParameter(command, "type", (int)type);
        AddParameter(command, "key", key);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var record = ReadRecord(reader);
        var hubManaged = !reader.IsDBNull(9);
        var times = ReadTimes(reader, 10);
        return new HubRecordState(record, hubManaged && type == EntityType.Case ? times : null, hubManaged);
    }

    private static async Task<string> NextNumberAsync(
        DbConnection connection, DbTransaction transaction, EntityType type, string prefix, CancellationToken cancellationToken)
    {
        // The serial restarts per prefix (type letters and Beijing date); numbers a client chose
        // that happen to share the prefix but not the shape are skipped.
        await using var last = connection.CreateCommand();
        last.Transaction = transaction;
        last.CommandText = """
            SELECT record_number FROM hub_records
            WHERE entity_type = @type AND record_number >= @lo AND record_number < @hi
            ORDER BY record_number DESC
            """;
        AddParameter(last, "type", (int)type);
        AddParameter(last, "lo", prefix);
        AddParameter(last, "hi", prefix + "~");
        await using var reader = await last.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var number = reader.GetString(0);
            if (number.Length == prefix.Length + 6
                && int.TryParse(number.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var serial))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{prefix}{serial + 1:D6}");
            }
        }

        return prefix + "000001";
    }

    private async Task<HubRecordOutcome?> SeenHubRecordRequestAsync(
        DbConnection connection, DbTransaction transaction, DirectiveRequest request, CancellationToken cancellationToken) =>
        await FindStoredAnswerAsync(connection, transaction, "hub_record_requests", request, HubAnswerBinding(request), cancellationToken) is { } seen
            ? new HubRecordOutcome(seen.Answer, Repeated: !seen.Reused, RequestIdReused: seen.Reused)
            : null;

    // Answers carry names, phones and comments: encrypted like every payload, bound to the caller
    // and request id so one answer cannot be replayed as another's. Kept 24 hours (retention).
    private static PayloadBinding HubAnswerBinding(DirectiveRequest request) =>
        new(0, EntityType.Unspecified, $"case-request/{request.CallerId}/{request.RequestId}");

    private static object? MicrosOrNull(DateTimeOffset? value) => value is { } v ? Micros(v) : null;
}
