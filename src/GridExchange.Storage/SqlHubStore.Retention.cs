namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    /// <inheritdoc />
    public async Task<RetentionResult> TrimLogAsync(DateTimeOffset keepSince, DateTimeOffset forgetRequestsBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var head = await ReadHeadAsync(connection, transaction, LockHeadClause, cancellationToken);

        await using var find = connection.CreateCommand();
        find.Transaction = transaction;
        find.CommandText = "SELECT min(seq) FROM change_log WHERE committed_at >= @since AND seq > @from";
        AddParameter(find, "since", ToDbInstant(keepSince));
        AddParameter(find, "from", head.FirstRetainedSequence - 1);
        var first = await find.ExecuteScalarAsync(cancellationToken);
        var cutoff = first is null or DBNull ? head.LastSequence + 1 : Convert.ToInt64(first, System.Globalization.CultureInfo.InvariantCulture);

        long removed = 0;
        if (cutoff > head.FirstRetainedSequence)
        {
            // Compaction, not plain truncation: below the cutoff only each entity's last change
            // survives, so the state as of any retained cursor can still be read back from the
            // log (digests as of a cursor). Everything else before the cutoff goes, and cursors
            // before it are answered with RESYNC_REQUIRED.
            await using var trim = connection.CreateCommand();
            trim.Transaction = transaction;
            trim.CommandText = """
                DELETE FROM change_log
                WHERE seq < @cutoff AND EXISTS (
                    SELECT 1 FROM change_log n
                    WHERE n.entity_type = change_log.entity_type AND n.entity_key = change_log.entity_key
                      AND n.seq > change_log.seq AND n.seq < @cutoff)
                """;
            AddParameter(trim, "cutoff", cutoff);
            removed = await trim.ExecuteNonQueryAsync(cancellationToken);

            await using var advance = connection.CreateCommand();
            advance.Transaction = transaction;
            advance.CommandText = "UPDATE feed_head SET first_retained_seq = @cutoff WHERE id = 1";
            AddParameter(advance, "cutoff", cutoff);
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var forget = connection.CreateCommand();
        forget.Transaction = transaction;
        forget.CommandText = "DELETE FROM ingest_requests WHERE created_at < @before";
        AddParameter(forget, "before", ToDbInstant(forgetRequestsBefore));
        var requests = await forget.ExecuteNonQueryAsync(cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return new RetentionResult(Math.Max(cutoff, head.FirstRetainedSequence), removed, requests);
    }
}
