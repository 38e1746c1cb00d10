using System.Data.Common;
using System.Globalization;
using System.Text;
using GridExchange.Domain.Stats;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Storage;

// Region statistics (migration 14). The counters in region_stats are kept by triggers on
// entities in every writing transaction; this file reads them. The one input the triggers cannot
// compute in SQL, entities.stat_facet of grid workers and cases (it comes from the encrypted
// payload), is written with the row by every writer (ingest, the hub's directives and cases:
// AppliedChange.StatFacet) and stats_state.facet_seq moves with the head (MoveHeadSql), so a
// read normally finds nothing to classify. The catch-up below is the upgrade path: records that
// a hub before this one wrote with 0 (unclassified), on a store that held them when migration 14
// came, or that such a hub wrote afterwards, are classified from the change log, resuming at
// facet_seq, before a read answers. No SQL migration can do it: the payloads are encrypted.
public abstract partial class SqlHubStore
{
    // Rows classified per transaction, and transactions per read: a read after a long ingest
    // without stats calls catches up in steps of this size, and answers after MaxCatchUpSteps
    // with the rest left for the next read (the contract lets figures lag by a few minutes).
    // Each step also reads at most CatchUpWindow sequences of the log, so a step holds the feed
    // lock for a bounded time however sparse workers and cases are among the changes.
    // Settable for the tests, which make the steps tiny to exercise the resumption.
    internal int CatchUpBatch { get; set; } = 2_000;

    internal int CatchUpWindow { get; set; } = 50_000;

    internal int MaxCatchUpSteps { get; set; } = 25;

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, RegionFigures>> ReadRegionFiguresAsync(
        IReadOnlyList<string> codes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(codes);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        for (var step = 0; step < MaxCatchUpSteps && await ClassifyStatFacetsAsync(connection, cancellationToken); step++)
        {
        }

        var counters = codes.Distinct(StringComparer.Ordinal).ToDictionary(c => c, _ => new List<RegionCounter>(), StringComparer.Ordinal);
        var receipts = counters.Keys.ToDictionary(c => c, _ => new List<ReceiptCounter>(), StringComparer.Ordinal);
        await using var transaction = await BeginReadAsync(connection, cancellationToken);
        if (counters.Count > 0)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var names = new StringBuilder();
            var i = 0;
            foreach (var code in counters.Keys)
            {
                names.Append(i == 0 ? "" : ", ").Append("@c").Append(i.ToString(CultureInfo.InvariantCulture));
                AddParameter(command, "c" + i.ToString(CultureInfo.InvariantCulture), code);
                i++;
            }

            // Exact keys of the primary keys: index probes per code, whatever the level. The
            // receipt counters come one row per directive and facet under the code; whether
            // those receipts are overdue now is judged from the directives' deadlines.
            command.CommandText = $"""
                SELECT code, entity_type, facet, n FROM region_stats WHERE code IN ({names}) AND n <> 0;
                SELECT s.code, s.facet, d.sign_deadline_us, d.completion_deadline_us, s.n
                FROM directive_region_stats s JOIN directives d ON d.directive_id = s.directive_id
                WHERE s.code IN ({names}) AND s.n <> 0;
                """;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counters[reader.GetString(0)].Add(new RegionCounter(
                    (EntityType)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                    Convert.ToInt16(reader.GetValue(2), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture)));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                receipts[reader.GetString(0)].Add(new ReceiptCounter(
                    Convert.ToInt16(reader.GetValue(1), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        var nowUs = (now - DateTimeOffset.UnixEpoch).Ticks / 10;
        return counters.ToDictionary(
            c => c.Key, c => new RegionFigures(c.Value, DirectiveComplianceCalculator.Compute(receipts[c.Key], nowUs)), StringComparer.Ordinal);
    }

    /// <summary>
    /// Classifies up to <see cref="CatchUpBatch"/> grid workers and cases whose last change lies
    /// after stats_state.facet_seq (only on a store with records written without their facet:
    /// every write now fills it and keeps facet_seq level with the head, see
    /// <see cref="MoveHeadSql"/>): sets entities.stat_facet from the payload (the triggers move
    /// the counters) and advances facet_seq. Runs under the feed lock, as ingest does, so the
    /// two never interleave their writes to entities and region_stats (no deadlock, no stale
    /// facet written over a newer change). Returns whether there may be more to classify.
    /// </summary>
    private async Task<bool> ClassifyStatFacetsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // An unlocked look first: when nothing was written since, a read takes no lock at all.
        if (!await FacetsBehindAsync(connection, cancellationToken))
        {
            return false;
        }

        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        long from, head;
        await using (var state = connection.CreateCommand())
        {
            state.Transaction = transaction;
            state.CommandText = $"SELECT last_seq FROM feed_head WHERE id = 1{LockHeadClause}; SELECT facet_seq FROM stats_state WHERE id = 1";
            await using var reader = await state.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            head = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            from = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
        }

        if (from >= head)
        {
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        var until = Math.Min(head, from + CatchUpWindow);

        // The changes that are still their entity's current state: an older one is superseded
        // by a later change, which this pass or a later one classifies.
        var found = new List<(long Seq, EntityType Type, string Key, short Facet)>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = $"""
                SELECT c.seq, c.entity_type, c.entity_key, c.payload, e.stat_facet
                FROM change_log c
                JOIN entities e ON e.entity_type = c.entity_type AND e.entity_key = c.entity_key AND e.last_seq = c.seq
                WHERE c.seq > @from AND c.seq <= @head AND c.entity_type IN ({(int)EntityType.GridWorker}, {(int)EntityType.Case})
                  AND c.payload IS NOT NULL
                ORDER BY c.seq
                LIMIT @limit
                """;
            AddParameter(read, "limit", CatchUpBatch);
            AddParameter(read, "from", from);
            AddParameter(read, "head", until);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seq = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
                var type = (EntityType)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
                var key = reader.GetString(2);
                var payload = Protection.Unprotect((byte[])reader.GetValue(3), new PayloadBinding(seq, type, key));
                var current = Convert.ToInt16(reader.GetValue(4), CultureInfo.InvariantCulture);
                var facet = StatFacets.Of(type, type == EntityType.Case ? Case.Parser.ParseFrom(payload) : GridWorker.Parser.ParseFrom(payload));
                found.Add((seq, type, key, facet));
                if (facet == current)
                {
                    // Already right (written by this hub's ingest, after a row that was not): no write.
                    found[^1] = (seq, type, key, short.MinValue);
                }
            }
        }

        var full = found.Count == CatchUpBatch;
        var reached = full ? found[^1].Seq : until;
        var more = reached < head;
        await using (var write = connection.CreateCommand())
        {
            write.Transaction = transaction;
            var sql = new StringBuilder();
            var changes = found.Where(f => f.Facet != short.MinValue).ToList();
            if (changes.Count > 0)
            {
                // One statement for the batch (the PostgreSQL trigger then runs once for it).
                sql.Append("UPDATE entities SET stat_facet = v.column4 FROM (VALUES ");
                for (var i = 0; i < changes.Count; i++)
                {
                    var n = i.ToString(CultureInfo.InvariantCulture);
                    sql.Append(i == 0 ? "" : ", ").Append($"(@t{n}, @k{n}, @s{n}, @f{n})");
                    AddParameter(write, "t" + n, (short)changes[i].Type);
                    AddParameter(write, "k" + n, changes[i].Key);
                    AddParameter(write, "s" + n, changes[i].Seq);
                    AddParameter(write, "f" + n, changes[i].Facet);
                }

                sql.Append(") AS v WHERE entities.entity_type = v.column1 AND entities.entity_key = v.column2 AND entities.last_seq = v.column3;\n");
            }

            sql.Append("UPDATE stats_state SET facet_seq = @reached WHERE id = 1;");
            AddParameter(write, "reached", reached);
            write.CommandText = sql.ToString();
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return more;
    }

    private static async Task<bool> FacetsBehindAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT last_seq FROM feed_head WHERE id = 1) > (SELECT facet_seq FROM stats_state WHERE id = 1)";
        return Convert.ToBoolean(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
