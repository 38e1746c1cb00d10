using System.Globalization;
using System.Text;

namespace GridExchange.Storage;

// When each peer last called the hub successfully (peer_activity, migration 15): written by the
// hubs' periodic flush of what they saw in memory, read by GetPeerStatus.
public abstract partial class SqlHubStore
{
    /// <summary>Peers per upsert statement (2 parameters each; far below both engines' limits). A flush holds one per peer that called.</summary>
    private const int ActivityRowsPerStatement = 1000;

    /// <inheritdoc />
    /// <remarks>
    /// Rows go in peer-id order, so two replicas flushing the same peers at once lock their rows
    /// in the same order (no deadlock on PostgreSQL). The update is skipped where the stored
    /// instant is not older: no row version is written for nothing.
    /// </remarks>
    public async Task RecordLastCallsAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastCalls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lastCalls);
        if (lastCalls.Count == 0)
        {
            return;
        }

        // One instant per peer (the latest), or the upsert would touch a row twice.
        var latest = new SortedDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (peerId, at) in lastCalls)
        {
            ArgumentNullException.ThrowIfNull(peerId, nameof(lastCalls));
            if (!latest.TryGetValue(peerId, out var known) || at > known)
            {
                latest[peerId] = at;
            }
        }

        await using var connection = await OpenConnectionAsync(cancellationToken);
        foreach (var chunk in latest.Chunk(ActivityRowsPerStatement))
        {
            await using var command = connection.CreateCommand();
            var sql = new StringBuilder("INSERT INTO peer_activity (peer_id, last_call_at) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ", ")}(@peer{i}, @at{i})");
                AddParameter(command, $"peer{i}", chunk[i].Key);
                AddParameter(command, $"at{i}", ToDbInstant(chunk[i].Value));
            }

            sql.Append("""

                ON CONFLICT (peer_id) DO UPDATE SET last_call_at = excluded.last_call_at
                WHERE excluded.last_call_at > peer_activity.last_call_at
                """);
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetLastCallAsync(string peerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_call_at FROM peer_activity WHERE peer_id = @peer";
        AddParameter(command, "peer", peerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadInstant(reader, 0) : null;
    }
}
