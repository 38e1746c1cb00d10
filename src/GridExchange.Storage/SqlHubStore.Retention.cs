namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    /// <summary>Sequences examined per compaction statement (each its own short transaction).</summary>
    private const long CompactionStride = 20_000;

    /// <inheritdoc />
    /// <remarks>
    /// Steps that hold up ingest only for a moment, not for the whole compaction:
    /// <list type="number">
    /// <item>under the feed head's write lock, the cutoff (the first change committed at or
    /// after <paramref name="keepSince"/>) becomes the first retained sequence — from then
    /// on cursors before it get RESYNC_REQUIRED and no feed read looks below it;</item>
    /// <item>without that lock, below the cutoff every change that is not its entity's last
    /// one is deleted, a range of sequences per statement. Ingest only appends above the
    /// cutoff, and a row deleted here is never an entity's last below the cutoff, so digests
    /// as of any retained cursor read the same state before, during and after. Progress is
    /// recorded with each step, so a compaction cut short (crash, shutdown) is finished by the
    /// next run.</item>
    /// <item>payloads not under the active key are re-encrypted (<see cref="ReencryptPayloadsAsync"/>),
    /// also in short steps that resume where they stopped.</item>
    /// </list>
    /// </remarks>
    public async Task<RetentionResult> TrimLogAsync(DateTimeOffset keepSince, DateTimeOffset forgetRequestsBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        long cutoff;
        await using (var transaction = await BeginWriteAsync(connection, cancellationToken))
        {
            var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);
            await using var find = connection.CreateCommand();
            find.Transaction = transaction;
            find.CommandText = "SELECT min(seq) FROM change_log WHERE committed_at >= @since AND seq > @from";
            AddParameter(find, "since", ToDbInstant(keepSince));
            AddParameter(find, "from", head.FirstRetainedSequence - 1);
            var first = await find.ExecuteScalarAsync(cancellationToken);
            cutoff = Math.Max(
                head.FirstRetainedSequence,
                first is null or DBNull ? head.LastSequence + 1 : Convert.ToInt64(first, System.Globalization.CultureInfo.InvariantCulture));

            if (cutoff > head.FirstRetainedSequence)
            {
                await using var advance = connection.CreateCommand();
                advance.Transaction = transaction;
                advance.CommandText = "UPDATE feed_head SET first_retained_seq = @cutoff WHERE id = 1";
                AddParameter(advance, "cutoff", cutoff);
                await advance.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var removed = await CompactBelowAsync(connection, cutoff, cancellationToken);

        await using var forget = connection.CreateCommand();
        forget.CommandText = "DELETE FROM ingest_requests WHERE created_at < @before";
        AddParameter(forget, "before", ToDbInstant(forgetRequestsBefore));
        var requests = await forget.ExecuteNonQueryAsync(cancellationToken);

        // DirectiveService answers (migration 12) go with them: the contract promises a repeat
        // the first answer within 24 hours.
        await using var forgetDirectives = connection.CreateCommand();
        forgetDirectives.CommandText = "DELETE FROM directive_requests WHERE created_us < @before";
        AddParameter(forgetDirectives, "before", (forgetRequestsBefore - DateTimeOffset.UnixEpoch).Ticks / 10);
        requests += await forgetDirectives.ExecuteNonQueryAsync(cancellationToken);

        // CaseService answers (migration 13): the same 24-hour promise.
        await using var forgetCases = connection.CreateCommand();
        forgetCases.CommandText = "DELETE FROM hub_record_requests WHERE created_us < @before";
        AddParameter(forgetCases, "before", (forgetRequestsBefore - DateTimeOffset.UnixEpoch).Ticks / 10);
        requests += await forgetCases.ExecuteNonQueryAsync(cancellationToken);

        // After compaction, so that the rows it deleted are not re-encrypted first.
        var rekey = await ReencryptPayloadsAsync(cancellationToken);
        return new RetentionResult(cutoff, removed, requests, rekey.Rewritten);
    }

    /// <summary>
    /// Deletes, below <paramref name="cutoff"/>, every logged change that a later change of the
    /// same entity (also below the cutoff) supersedes. It walks the sequences not yet checked
    /// (from <c>log_compaction.compacted_to</c>) a stride at a time, one short transaction each:
    /// for every entity changed in the stride, its rows before its last one in the stride go
    /// (wherever they are below). The work is proportional to the changes since the last run,
    /// not to the size of the log.
    /// </summary>
    private async Task<long> CompactBelowAsync(System.Data.Common.DbConnection connection, long cutoff, CancellationToken cancellationToken)
    {
        long from;
        await using (var progress = connection.CreateCommand())
        {
            progress.CommandText = "SELECT compacted_to FROM log_compaction WHERE id = 1";
            from = Convert.ToInt64(await progress.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        long removed = 0;
        while (from < cutoff)
        {
            var to = Math.Min(from + CompactionStride, cutoff);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var trim = connection.CreateCommand())
            {
                trim.Transaction = transaction;
                trim.CommandText = """
                    DELETE FROM change_log WHERE seq IN (
                        SELECT o.seq
                        FROM (SELECT entity_type, entity_key, max(seq) AS last_seq
                              FROM change_log WHERE seq >= @from AND seq < @to
                              GROUP BY entity_type, entity_key) n
                        JOIN change_log o
                          ON o.entity_type = n.entity_type AND o.entity_key = n.entity_key AND o.seq < n.last_seq)
                    """;
                AddParameter(trim, "from", from);
                AddParameter(trim, "to", to);
                removed += await trim.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var advance = connection.CreateCommand())
            {
                advance.Transaction = transaction;
                advance.CommandText = "UPDATE log_compaction SET compacted_to = @to WHERE id = 1";
                AddParameter(advance, "to", to);
                await advance.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            from = to;
        }

        return removed;
    }
}
