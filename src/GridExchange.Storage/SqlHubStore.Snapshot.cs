using System.Data;
using System.Data.Common;
using System.Globalization;
using GridExchange.Domain.Codes;
using GridExchange.V1;

namespace GridExchange.Storage;

public abstract partial class SqlHubStore
{
    /// <inheritdoc />
    public async Task<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await BeginReadAsync(connection, cancellationToken);
            var head = await ReadHeadAsync(connection, transaction, "", cancellationToken);
            return new Snapshot(this, connection, transaction, head);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Snapshot(SqlHubStore store, DbConnection connection, DbTransaction transaction, FeedHead head) : IStoreSnapshot
    {
        public FeedHead Head { get; } = head;

        public async Task<IReadOnlyList<SnapshotRecord>> ReadAsync(
            EntityType type, string prefix, EntityPosition? after, int limit, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var conditions = new List<string>();
            if (prefix.Length > 0)
            {
                conditions.Add("e.scope_code >= @lo AND e.scope_code < @hi");
                AddParameter(command, "lo", prefix);
                AddParameter(command, "hi", RegionCode.PrefixUpperBound(prefix));
            }

            if (after is { } position)
            {
                conditions.Add("(e.scope_code, e.entity_key) > (@afterScope, @afterKey)");
                AddParameter(command, "afterScope", position.ScopeCode);
                AddParameter(command, "afterKey", position.Key);
            }

            command.CommandText = $"""
                SELECT e.entity_type, e.entity_key, e.scope_code, e.version, e.source_system, e.last_seq,
                       coalesce(l.committed_at, e.updated_at), l.payload
                FROM entities e LEFT JOIN change_log l ON l.seq = e.last_seq
                WHERE e.entity_type = @type AND NOT e.deleted{string.Concat(conditions.Select(c => " AND " + c))}
                ORDER BY e.scope_code, e.entity_key
                LIMIT @limit
                """;
            AddParameter(command, "type", (int)type);
            AddParameter(command, "limit", limit);
            var records = new List<SnapshotRecord>();
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var entityType = (EntityType)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
                var key = reader.GetString(1);
                var scope = reader.GetString(2);
                var version = reader.GetInt64(3);
                var source = reader.GetString(4);
                var sequence = reader.GetInt64(5);
                var committedAt = store.ReadInstant(reader, 6);
                records.Add(new SnapshotRecord(
                    entityType, key, scope, version, source, sequence, committedAt,
                    store.ReadPayload(reader, 7, new Protection.PayloadBinding(sequence, entityType, key))));
            }

            return records;
        }

        public async Task<IReadOnlyList<DigestEntry>> ReadDigestEntriesAsync(
            EntityType type, string prefix, long asOf, CancellationToken cancellationToken)
        {
            var entries = new List<DigestEntry>();
            var hi = RegionCode.PrefixUpperBound(prefix);

            // Records untouched since asOf are as they were then.
            await using (var current = connection.CreateCommand())
            {
                current.Transaction = transaction;
                current.CommandText = """
                    SELECT entity_key, version, scope_code FROM entities
                    WHERE entity_type = @type AND NOT deleted AND scope_code >= @lo AND scope_code < @hi AND last_seq <= @asOf
                    """;
                AddParameter(current, "type", (int)type);
                AddParameter(current, "lo", prefix);
                AddParameter(current, "hi", hi);
                AddParameter(current, "asOf", asOf);
                await using var reader = await current.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    entries.Add(new DigestEntry(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
                }
            }

            // Records changed since (wherever they are now) are read back from their last logged
            // change at or before asOf; retention keeps that row (see TrimLogAsync).
            await using (var changed = connection.CreateCommand())
            {
                changed.Transaction = transaction;
                changed.CommandText = """
                    SELECT l.entity_key, l.entity_version, l.region_code, l.operation
                    FROM entities e
                    JOIN change_log l ON l.seq = (
                        SELECT max(x.seq) FROM change_log x
                        WHERE x.entity_type = e.entity_type AND x.entity_key = e.entity_key AND x.seq <= @asOf)
                    WHERE e.entity_type = @type AND e.last_seq > @asOf
                    """;
                AddParameter(changed, "type", (int)type);
                AddParameter(changed, "asOf", asOf);
                await using var reader = await changed.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var region = reader.GetString(2);
                    var operation = (ChangeOperation)Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture);
                    if (operation == ChangeOperation.Upsert && string.CompareOrdinal(region, prefix) >= 0 && string.CompareOrdinal(region, hi) < 0)
                    {
                        entries.Add(new DigestEntry(reader.GetString(0), reader.GetInt64(1), region));
                    }
                }
            }

            return entries;
        }

        public async Task<long?> ReadMarkAsync(long sequence, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT committed_at FROM change_log WHERE seq = @seq";
            AddParameter(command, "seq", sequence);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Domain.Feed.FeedCursor.MarkOf(store.ReadInstant(reader, 0)) : null;
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
