using System.Data.Common;
using System.Globalization;
using GridExchange.V1;

namespace GridExchange.Storage;

// The sync engine's durable link state (sync_links, migration 11) and the owner listing a pulled
// full export is reconciled with. Kept apart from ingest: nothing here takes the log's lock.
public abstract partial class SqlHubStore : ISyncStore
{
    /// <inheritdoc />
    public async Task<SyncLinkState?> GetSyncLinkAsync(string peerId, SyncDirection direction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT position, last_attempt_at, last_success_at, last_error, last_error_at, consecutive_failures, lag_changes, lag_seconds
            FROM sync_links WHERE peer_id = @peer AND direction = @direction
            """;
        AddParameter(command, "peer", peerId);
        AddParameter(command, "direction", (short)direction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new SyncLinkState(
            peerId,
            direction,
            reader.GetString(0),
            Instant(reader, 1),
            Instant(reader, 2),
            reader.GetString(3),
            Instant(reader, 4),
            Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture),
            Convert.ToInt64(reader.GetValue(6), CultureInfo.InvariantCulture),
            Convert.ToInt64(reader.GetValue(7), CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public async Task SaveSyncLinkAsync(SyncLinkState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sync_links (peer_id, direction, position, last_attempt_at, last_success_at, last_error, last_error_at,
                                    consecutive_failures, lag_changes, lag_seconds, updated_at)
            VALUES (@peer, @direction, @position, @attempt, @success, @error, @error_at, @failures, @lag, @lag_seconds, @now)
            ON CONFLICT (peer_id, direction) DO UPDATE SET
                position = excluded.position, last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at,
                last_error = excluded.last_error, last_error_at = excluded.last_error_at, consecutive_failures = excluded.consecutive_failures,
                lag_changes = excluded.lag_changes, lag_seconds = excluded.lag_seconds, updated_at = excluded.updated_at
            """;
        AddParameter(command, "peer", state.PeerId);
        AddParameter(command, "direction", (short)state.Direction);
        AddParameter(command, "position", state.Position);
        AddParameter(command, "attempt", state.LastAttemptAt is { } attempt ? ToDbInstant(attempt) : null);
        AddParameter(command, "success", state.LastSuccessAt is { } success ? ToDbInstant(success) : null);
        AddParameter(command, "error", state.LastError);
        AddParameter(command, "error_at", state.LastErrorAt is { } errorAt ? ToDbInstant(errorAt) : null);
        AddParameter(command, "failures", state.ConsecutiveFailures);
        AddParameter(command, "lag", state.LagChanges);
        AddParameter(command, "lag_seconds", state.LagSeconds);
        AddParameter(command, "now", ToDbInstant(Clock.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OwnedRecord>> ListOwnedRecordsAsync(string sourceSystem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceSystem);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT entity_type, entity_key, version, scope_code FROM entities
            WHERE source_system = @source AND NOT deleted ORDER BY entity_type, entity_key
            """;
        AddParameter(command, "source", sourceSystem);
        var records = new List<OwnedRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new OwnedRecord(
                (EntityType)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3)));
        }

        return records;
    }

    private DateTimeOffset? Instant(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadInstant(reader, ordinal);
}
