using System.Data.Common;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.V1;

namespace GridExchange.Storage;

// The peer registry as AdminService writes it and the sync engine reads it. The registration is
// kept whole in peers.payload (the contract's Peer message, every field: level, region, endpoint,
// roles, grants, schedule, sync mode, enabled, certificate fingerprint, timestamps), so a field
// the contract adds later is stored without a migration. Registries are small (a province has a
// few hundred systems), so filters run over the parsed rows rather than over columns that every
// writer would have to keep in step.
public abstract partial class SqlHubStore
{
    /// <summary>
    /// SQL taking the registry's write lock inside a write transaction, so two RegisterPeer calls
    /// for one id (or two updates of one peer) run one after the other on every replica; empty
    /// where the write transaction itself serialises writers (SQLite's BEGIN IMMEDIATE).
    /// </summary>
    protected virtual string LockPeersSql => "";

    /// <inheritdoc />
    public async Task<Peer?> FindPeerAsync(string peerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadPeerAsync(connection, null, peerId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Peer>> ListEnabledPeersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload, updated_at FROM peers ORDER BY peer_id";
        var peers = new List<Peer>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var peer = ReadPeerRow(reader);
            if (peer.Enabled)
            {
                peers.Add(peer);
            }
        }

        return peers;
    }

    /// <inheritdoc />
    public async Task<PeerWriteOutcome> WritePeerAsync(PeerWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        if (LockPeersSql.Length > 0)
        {
            await ExecuteAsync(connection, transaction, LockPeersSql, cancellationToken);
        }

        await using (var seen = connection.CreateCommand())
        {
            seen.Transaction = transaction;
            seen.CommandText = "SELECT request_hash, response FROM admin_requests WHERE peer_id = @caller AND request_id = @request";
            AddParameter(seen, "caller", write.CallerId);
            AddParameter(seen, "request", write.RequestId);
            await using var reader = await seen.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var hash = (byte[])reader.GetValue(0);
                return CryptographicOperations.FixedTimeEquals(hash, write.RequestHash)
                    ? new PeerWriteOutcome((byte[])reader.GetValue(1), Repeated: true, RequestIdReused: false)
                    : new PeerWriteOutcome([], Repeated: false, RequestIdReused: true);
            }
        }

        // Whole microseconds: what both databases keep, so the answer shows the times a later
        // GetPeer reads back.
        var clock = Clock.GetUtcNow();
        var now = new DateTimeOffset(clock.UtcTicks - (clock.UtcTicks % 10), TimeSpan.Zero);
        var current = await ReadPeerAsync(connection, transaction, write.PeerId, cancellationToken);
        var plan = write.Plan(current, now);

        if (plan.Registration is { } registration)
        {
            if (registration.Id != write.PeerId)
            {
                throw new InvalidOperationException($"The plan for peer '{write.PeerId}' wrote peer '{registration.Id}'.");
            }

            await using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO peers (peer_id, region_code, payload, updated_at) VALUES (@id, @region, @payload, @at)
                ON CONFLICT (peer_id) DO UPDATE SET region_code = excluded.region_code, payload = excluded.payload, updated_at = excluded.updated_at
                """;
            AddParameter(upsert, "id", registration.Id);
            AddParameter(upsert, "region", registration.RegionCode);
            AddParameter(upsert, "payload", registration.ToByteArray());
            AddParameter(upsert, "at", ToDbInstant(registration.UpdatedAt?.ToDateTimeOffset() ?? now));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (plan.TokenSha256 is { } token)
        {
            await StoreCredentialAsync(connection, transaction, write.PeerId, token, plan.RevokeOtherTokens, cancellationToken);
        }

        await using (var answer = connection.CreateCommand())
        {
            answer.Transaction = transaction;
            answer.CommandText = """
                INSERT INTO admin_requests (peer_id, request_id, method, request_hash, target_peer_id, response, created_at)
                VALUES (@caller, @request, @method, @hash, @target, @response, @at)
                """;
            AddParameter(answer, "caller", write.CallerId);
            AddParameter(answer, "request", write.RequestId);
            AddParameter(answer, "method", write.Method);
            AddParameter(answer, "hash", write.RequestHash);
            AddParameter(answer, "target", write.PeerId);
            AddParameter(answer, "response", plan.Response);
            AddParameter(answer, "at", ToDbInstant(now));
            await answer.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new PeerWriteOutcome(plan.Response, Repeated: false, RequestIdReused: false);
    }

    private async Task<Peer?> ReadPeerAsync(DbConnection connection, DbTransaction? transaction, string peerId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT payload, updated_at FROM peers WHERE peer_id = @id";
        AddParameter(command, "id", peerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadPeerRow(reader) : null;
    }

    /// <summary>
    /// A peers row (payload, updated_at) as the registry shows it. The row's updated_at is the
    /// last write by any writer, so it is <c>updated_at</c>. Registrations written before the
    /// admin RPCs (the sample loader, the first-start operator, an older hub) carry no
    /// <c>created_at</c>: their last write is the best known, and UpdatePeer keeps it from then on.
    /// </summary>
    private Peer ReadPeerRow(DbDataReader reader)
    {
        var peer = Peer.Parser.ParseFrom((byte[])reader.GetValue(0));
        peer.UpdatedAt = Timestamp.FromDateTimeOffset(ReadInstant(reader, 1));
        peer.CreatedAt ??= peer.UpdatedAt;
        return peer;
    }
}
