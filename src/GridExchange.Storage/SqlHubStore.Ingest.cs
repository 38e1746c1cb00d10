using System.Data.Common;
using System.Globalization;
using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Stats;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    /// <summary>The clock that stamps commits.</summary>
    protected TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public FeedSignal Signal { get; } = new();

    /// <summary>
    /// Begins the write transaction of a batch. Writers must be serialised from here to commit:
    /// PostgreSQL locks the feed head row (see <see cref="LockHeadClause"/>), SQLite takes its
    /// write lock at BEGIN IMMEDIATE.
    /// </summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Appended to the head read of a write transaction: <c>FOR UPDATE</c> where rows can be locked.</summary>
    protected virtual string LockHeadClause => "";

    /// <summary>Reads what the store holds of <paramref name="ids"/> (live or tombstoned).</summary>
    protected abstract Task<Dictionary<EntityId, StoredEntity>> LoadStatesAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyCollection<EntityId> ids, CancellationToken cancellationToken);

    /// <summary>Returns which of <paramref name="changeIds"/> were applied for <paramref name="sourceSystem"/> before.</summary>
    protected abstract Task<HashSet<string>> LoadSeenAsync(
        DbConnection connection, DbTransaction transaction, string sourceSystem, IReadOnlyCollection<string> changeIds, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="rows"/> to the log, records their source_change_ids and the
    /// buckets they touch, and sets current state to each entity's last row.
    /// <paramref name="stored"/> is what the store held of the batch's entities, read under the
    /// same write lock: an entity not in it is new.
    /// </summary>
    protected abstract Task WriteAppliedAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AppliedChange> rows,
        IReadOnlyDictionary<EntityId, StoredEntity> stored, CancellationToken cancellationToken);

    /// <summary>
    /// True when <see cref="WriteAppliedAsync"/> fails with an error that
    /// <see cref="IsAppliedBefore"/> recognises if one of the rows' (source_system,
    /// source_change_id) was applied before. Ingest then skips looking the ids up when the
    /// batch plans as all-new (the usual case), and on that error runs the batch again with the
    /// look-up.
    /// </summary>
    protected virtual bool WriteRejectsAppliedIds => false;

    /// <summary>Whether <paramref name="exception"/> says a source_change_id written was applied before.</summary>
    protected virtual bool IsAppliedBefore(Exception exception) => false;

    /// <summary>Converts an instant to the dialect's column value.</summary>
    protected abstract object ToDbInstant(DateTimeOffset value);

    /// <summary>
    /// Adds to <paramref name="command"/> (the batch's last statements, run just before commit)
    /// what the dialect does at commit: PostgreSQL's NOTIFY. Returns the SQL to append.
    /// </summary>
    protected virtual string BeforeCommitSql(DbCommand command, long lastSequence) => "";

    /// <inheritdoc />
    public async Task<IngestOutcome> IngestAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!WriteRejectsAppliedIds)
        {
            return await IngestOnceAsync(batch, lookUpApplied: true, cancellationToken);
        }

        try
        {
            return await IngestOnceAsync(batch, lookUpApplied: false, cancellationToken);
        }
        catch (Exception e) when (IsAppliedBefore(e))
        {
            // A source re-sent a change id with a new version or for another record: nothing of
            // the first attempt was committed; the look-up reports it as DUPLICATE.
            return await IngestOnceAsync(batch, lookUpApplied: true, cancellationToken);
        }
    }

    private async Task<IngestOutcome> IngestOnceAsync(IngestBatch batch, bool lookUpApplied, CancellationToken cancellationToken)
    {
        // The batch's CPU work that needs no sequence (serialising each message, hashing citizen
        // IDs: about 9 ms a batch of 1,000 persons) runs on another core while the first round
        // trips wait for the database.
        var preparing = Task.Run(() => Prepare(batch.Changes), cancellationToken);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);

        // One round trip: the head (locked for the batch), an earlier answer to this request_id,
        // the source's checkpoint (the answer carries it) and the citizen-ID index's key check.
        FeedHead head;
        string storedCheckpoint;
        await using (var start = connection.CreateCommand())
        {
            start.Transaction = transaction;
            start.CommandText = $"""
                SELECT {HeadColumns} FROM feed_head WHERE id = 1{LockHeadClause};
                SELECT request_hash, response FROM ingest_requests WHERE source_system = @source AND request_id = @request;
                SELECT checkpoint FROM source_checkpoints WHERE source_system = @source;
                SELECT index_key_check FROM protection_state WHERE id = 1;
                """;
            AddParameter(start, "source", batch.SourceSystem);
            AddParameter(start, "request", batch.RequestId);
            await using var reader = await start.ExecuteReaderAsync(cancellationToken);
            head = await ReadHeadRowAsync(reader, cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var hash = (byte[])reader.GetValue(0);
                return hash.AsSpan().SequenceEqual(batch.RequestHash)
                    ? new IngestOutcome(null, (byte[])reader.GetValue(1), false)
                    : new IngestOutcome(null, null, true);
            }

            await reader.NextResultAsync(cancellationToken);
            storedCheckpoint = await reader.ReadAsync(cancellationToken) ? reader.GetString(0) : "";
            await reader.NextResultAsync(cancellationToken);
            EnsureIndexKey(await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? (byte[])reader.GetValue(0) : null);
        }

        var ids = batch.Changes.Select(c => new EntityId(c.Change.EntityType, c.Change.EntityKey)).Distinct().ToList();
        var stored = ids.Count == 0 ? [] : await LoadStatesAsync(connection, transaction, ids, cancellationToken);
        var changeIds = batch.Changes.Select(c => c.Change.SourceChangeId).Distinct(StringComparer.Ordinal).ToList();
        var seen = !lookUpApplied || changeIds.Count == 0
            ? []
            : await LoadSeenAsync(connection, transaction, batch.SourceSystem, changeIds, cancellationToken);
        var plan = IngestPlanner.Plan(batch.SourceSystem, batch.Changes, stored, seen);
        if (!lookUpApplied && plan.Any(p => p.Status != PlanStatus.Applied))
        {
            // Something is stale, rejected or repeated: a change applied before may be among
            // them (a re-sent batch plans as stale without the look-up), so look the ids up.
            seen = await LoadSeenAsync(connection, transaction, batch.SourceSystem, changeIds, cancellationToken);
            plan = IngestPlanner.Plan(batch.SourceSystem, batch.Changes, stored, seen);
        }

        // Microsecond precision: what both databases keep, so a read-back equals what was stamped.
        var now = Clock.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
        var sequence = head.LastSequence;
        var rows = new List<AppliedChange>();
        var sequences = new Dictionary<int, long>();
        var prepared = await preparing;
        foreach (var planned in plan.Where(p => p.Status == PlanStatus.Applied))
        {
            sequence++;
            sequences[planned.Index] = sequence;
            var record = prepared[planned.Index];
            rows.Add(new AppliedChange(
                sequence, planned, now, EntityRecords.UpdatedAtOf(planned.Change) ?? now, record.Message, record.CitizenIdHash, record.StatFacet));
        }

        if (rows.Count > 0)
        {
            await WriteAppliedAsync(connection, transaction, rows, stored, cancellationToken);
        }

        var checkpoint = batch.SourceCheckpoint ?? storedCheckpoint;
        var commit = new IngestCommit(
            plan, sequences, rows.Count > 0 ? head with { LastSequence = sequence, LastMark = FeedCursor.MarkOf(now) } : head, checkpoint, now);

        // One round trip for the rest: the head, the checkpoint, the answer, the wake-up.
        await using (var finish = connection.CreateCommand())
        {
            finish.Transaction = transaction;
            var sql = new System.Text.StringBuilder();
            if (rows.Count > 0)
            {
                sql.Append(MoveHeadSql(finish, head.LastSequence, sequence));
            }

            if (batch.SourceCheckpoint is not null)
            {
                sql.Append("""
                    INSERT INTO source_checkpoints (source_system, checkpoint, committed_at) VALUES (@source, @checkpoint, @at)
                    ON CONFLICT (source_system) DO UPDATE SET checkpoint = excluded.checkpoint, committed_at = excluded.committed_at;

                    """);
                AddParameter(finish, "checkpoint", batch.SourceCheckpoint);
            }

            sql.Append("""
                INSERT INTO ingest_requests (source_system, request_id, request_hash, response, created_at)
                VALUES (@source, @request, @hash, @response, @at);

                """);
            AddParameter(finish, "source", batch.SourceSystem);
            AddParameter(finish, "request", batch.RequestId);
            AddParameter(finish, "hash", batch.RequestHash);
            AddParameter(finish, "response", batch.EncodeResponse(commit));
            AddParameter(finish, "at", ToDbInstant(now));
            if (rows.Count > 0)
            {
                sql.Append(BeforeCommitSql(finish, sequence));
            }

            finish.CommandText = sql.ToString();
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (rows.Count > 0)
        {
            Signal.Pulse(sequence);
        }

        return new IngestOutcome(commit, null, false);
    }

    /// <summary>
    /// The statements that end a write of the sequences after <paramref name="before"/> up to
    /// <paramref name="last"/> (the caller adds <c>@at</c>, the commit time): the head moves, and
    /// so does stats_state.facet_seq when it was level with the head. Every row of the write
    /// carries its stat facet, so when the changes before it were classified (always, on a store
    /// migrated before it held records) the changes up to <paramref name="last"/> are too, and
    /// the statistics read finds nothing to catch up on, without taking a lock. It stays behind
    /// only on a store with changes written without facets (by a hub before this one), for the
    /// catch-up to classify (see <see cref="ReadRegionFiguresAsync"/>).
    /// </summary>
    private static string MoveHeadSql(DbCommand command, long before, long last)
    {
        AddParameter(command, "seq", last);
        AddParameter(command, "before", before);
        return """
            UPDATE feed_head SET last_seq = @seq, last_committed_at = @at WHERE id = 1;
            UPDATE stats_state SET facet_seq = @seq WHERE id = 1 AND facet_seq = @before;

            """;
    }

    /// <inheritdoc />
    public async Task<FeedHead> GetFeedHeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadHeadAsync(connection, null, "", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SourceCheckpoint?> GetSourceCheckpointAsync(string sourceSystem, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadCheckpointAsync(connection, null, sourceSystem, cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpsertPeerAsync(Peer peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO peers (peer_id, region_code, payload, updated_at) VALUES (@id, @region, @payload, @at)
            ON CONFLICT (peer_id) DO UPDATE SET region_code = excluded.region_code, payload = excluded.payload, updated_at = excluded.updated_at
            """;
        AddParameter(command, "id", peer.Id);
        AddParameter(command, "region", peer.RegionCode);
        AddParameter(command, "payload", peer.ToByteArray());
        AddParameter(command, "at", ToDbInstant(Clock.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Peer?> GetPeerAsync(string peerId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM peers WHERE peer_id = @id";
        AddParameter(command, "id", peerId);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] payload ? Peer.Parser.ParseFrom(payload) : null;
    }

    /// <summary>Reads the feed head, inside <paramref name="transaction"/> when given.</summary>
    protected async Task<FeedHead> ReadHeadAsync(
        DbConnection connection, DbTransaction? transaction, string lockClause, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {HeadColumns} FROM feed_head WHERE id = 1" + lockClause;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadHeadRowAsync(reader, cancellationToken);
    }

    /// <summary>The feed_head columns <see cref="ReadHeadRowAsync"/> reads.</summary>
    private const string HeadColumns = "epoch, last_seq, first_retained_seq, last_committed_at";

    /// <summary>Reads the head from the current result of <paramref name="reader"/> (<see cref="HeadColumns"/> first).</summary>
    private async Task<FeedHead> ReadHeadRowAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The feed head row is missing: the store was not migrated.");
        }

        return new FeedHead(
            reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? 0 : FeedCursor.MarkOf(ReadInstant(reader, 3)));
    }

    private async Task<SourceCheckpoint?> ReadCheckpointAsync(
        DbConnection connection, DbTransaction? transaction, string sourceSystem, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT checkpoint, committed_at FROM source_checkpoints WHERE source_system = @source";
        AddParameter(command, "source", sourceSystem);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new SourceCheckpoint(reader.GetString(0), ReadInstant(reader, 1))
            : null;
    }

    /// <summary>Reads a boolean column on either dialect.</summary>
    protected static bool ReadBool(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Convert.ToBoolean(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The serialised message of each UPSERT of <paramref name="changes"/>, the index hash of each
    /// person's citizen ID and each record's statistics facet, by request index.
    /// </summary>
    private Dictionary<int, PreparedRecord> Prepare(IReadOnlyList<ValidChange> changes)
    {
        var prepared = new Dictionary<int, PreparedRecord>(changes.Count);
        foreach (var valid in changes)
        {
            var change = valid.Change;
            if (change.Operation != ChangeOperation.Upsert)
            {
                prepared[valid.Index] = new PreparedRecord(null, null, StatFacets.Unclassified);
                continue;
            }

            var hash = change.EntityType == EntityType.Person && change.Person is { CitizenId.Length: > 0 } person
                ? Protection.HashCitizenId(person.CitizenId)
                : null;
            var payload = EntityRecords.PayloadOf(change)!;
            prepared[valid.Index] = new PreparedRecord(payload.ToByteArray(), hash, StatFacets.Of(change.EntityType, payload));
        }

        return prepared;
    }

    /// <summary>What <see cref="Prepare"/> computes for one change.</summary>
    private sealed record PreparedRecord(byte[]? Message, byte[]? CitizenIdHash, short StatFacet);

    /// <summary>One applied change, ready to write.</summary>
    /// <param name="Sequence">Its sequence.</param>
    /// <param name="Planned">Its plan.</param>
    /// <param name="CommittedAt">The commit time.</param>
    /// <param name="UpdatedAt">When the source changed the record (meta.updated_at, else the commit time).</param>
    /// <param name="Message">The serialised entity message (UPSERT), null for DELETE.</param>
    /// <param name="CitizenIdHash">The index hash of a person's citizen ID, null when it has none or for DELETE.</param>
    /// <param name="StatFacet">
    /// The record's statistics facet (<see cref="StatFacets.Of"/>: a grid worker's employment, a
    /// case's open/overdue/colour; <see cref="StatFacets.Unclassified"/> for other types and for
    /// DELETE), written to <c>entities.stat_facet</c> with the row, so that the region counters'
    /// triggers count the record right away and no read has to decrypt it later.
    /// </param>
    protected sealed record AppliedChange(
        long Sequence, PlannedChange Planned, DateTimeOffset CommittedAt, DateTimeOffset UpdatedAt, byte[]? Message, byte[]? CitizenIdHash,
        short StatFacet)
    {
        /// <summary>
        /// The message encrypted into its envelope, bound to this row, or null (DELETE). Called
        /// once, as the row is written: on PostgreSQL the server takes in the COPY's earlier rows
        /// meanwhile.
        /// </summary>
        public byte[]? SerializePayload(PayloadProtection protection)
        {
            ArgumentNullException.ThrowIfNull(protection);
            return Message is null
                ? null
                : protection.Protect(Message, new PayloadBinding(Sequence, Planned.Change.EntityType, Planned.Change.EntityKey));
        }

        /// <summary>The log bucket of the record's region.</summary>
        public string Bucket => FeedScope.BucketOf(Planned.RegionCode);

        /// <summary>The log bucket of the region it left, when it moved.</summary>
        public string? OldBucket => Planned.OldRegionCode is { } old ? FeedScope.BucketOf(old) : null;
    }
}
