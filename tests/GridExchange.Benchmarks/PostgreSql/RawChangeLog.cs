using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.V1;
using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// The ingest baseline: a plain copy of <c>change_log</c> (<c>LIKE change_log INCLUDING ALL</c>:
/// same columns, collations, primary key and the same four secondary indexes) written by
/// nothing but one binary COPY per batch. It is what the database can take for the log alone;
/// the store also plans, writes current state, the applied ids, the checkpoint and the answer.
/// </summary>
internal static class RawChangeLog
{
    /// <summary>The baseline table's name.</summary>
    public const string Table = "raw_change_log";

    /// <summary>Creates the table next to <c>change_log</c> (the store must be migrated first).</summary>
    public static async Task CreateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"CREATE TABLE {Table} (LIKE change_log INCLUDING ALL)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Copies <paramref name="changes"/> as change_log rows numbered from <paramref name="firstSequence"/>,
    /// serialising each payload as the store does, in one COPY (its own transaction).
    /// </summary>
    public static async Task CopyAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<ValidChange> changes, long firstSequence, DateTimeOffset committedAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {Table} (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket, operation, entity_version, " +
            "source_system, source_change_id, take_over, committed_at, payload) FROM STDIN (FORMAT BINARY)", cancellationToken);
        var sequence = firstSequence;
        foreach (var valid in changes)
        {
            var change = valid.Change;
            var region = valid.RegionCode!;
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(sequence++, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync((short)change.EntityType, NpgsqlDbType.Smallint, cancellationToken);
            await writer.WriteAsync(change.EntityKey, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(region, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteNullAsync(cancellationToken);
            await writer.WriteAsync(FeedScope.BucketOf(region), NpgsqlDbType.Text, cancellationToken);
            await writer.WriteNullAsync(cancellationToken);
            await writer.WriteAsync((short)change.Operation, NpgsqlDbType.Smallint, cancellationToken);
            await writer.WriteAsync(change.EntityVersion, NpgsqlDbType.Bigint, cancellationToken);
            await writer.WriteAsync(change.SourceSystem, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(change.SourceChangeId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
            await writer.WriteAsync(committedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(PayloadBytes(change), NpgsqlDbType.Bytea, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    /// <summary>The payload as the store serialises it (any entity type: the scale load writes them all).</summary>
    private static byte[] PayloadBytes(Change change) => (EntityRecords.PayloadOf(change)
        ?? throw new InvalidOperationException($"Change {change.SourceChangeId} has no payload.")).ToByteArray();
}
