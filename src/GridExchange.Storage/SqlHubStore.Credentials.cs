using System.Data.Common;
using GridExchange.V1;

namespace GridExchange.Storage;

// Peer credentials: bearer tokens are stored only as the SHA-256 of their text.
public abstract partial class SqlHubStore
{
    /// <inheritdoc />
    public async Task<PeerCredential?> FindCredentialAsync(ReadOnlyMemory<byte> tokenSha256, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.peer_id, c.issued_at, c.revoked_at, p.payload
            FROM peer_credentials c LEFT JOIN peers p ON p.peer_id = c.peer_id
            WHERE c.token_sha256 = @hash
            """;
        AddParameter(command, "hash", tokenSha256.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PeerCredential(
            reader.GetString(0),
            ReadInstant(reader, 1),
            reader.IsDBNull(2) ? null : ReadInstant(reader, 2),
            reader.IsDBNull(3) ? null : Peer.Parser.ParseFrom((byte[])reader.GetValue(3)));
    }

    /// <inheritdoc />
    public async Task IssueCredentialAsync(string peerId, ReadOnlyMemory<byte> tokenSha256, bool revokeOthers, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await StoreCredentialAsync(connection, transaction, peerId, tokenSha256.ToArray(), revokeOthers, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// <see cref="IssueCredentialAsync"/> inside <paramref name="transaction"/>: also how
    /// RegisterPeer and RotatePeerToken issue, in the transaction that stores their answer.
    /// </summary>
    private async Task StoreCredentialAsync(
        DbConnection connection, DbTransaction transaction, string peerId, byte[] hash, bool revokeOthers, CancellationToken cancellationToken)
    {
        var now = ToDbInstant(Clock.GetUtcNow());
        if (revokeOthers)
        {
            await using var revoke = connection.CreateCommand();
            revoke.Transaction = transaction;
            revoke.CommandText = """
                UPDATE peer_credentials SET revoked_at = @at
                WHERE peer_id = @peer AND revoked_at IS NULL AND token_sha256 <> @hash
                """;
            AddParameter(revoke, "at", now);
            AddParameter(revoke, "peer", peerId);
            AddParameter(revoke, "hash", hash);
            await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO peer_credentials (token_sha256, peer_id, issued_at) VALUES (@hash, @peer, @at)
                ON CONFLICT (token_sha256) DO NOTHING
                """;
            AddParameter(insert, "hash", hash);
            AddParameter(insert, "peer", peerId);
            AddParameter(insert, "at", now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // A hash already stored is a repeat only if it is this peer's, and still live.
        await using var check = connection.CreateCommand();
        check.Transaction = transaction;
        check.CommandText = "SELECT peer_id, revoked_at FROM peer_credentials WHERE token_sha256 = @hash";
        AddParameter(check, "hash", hash);
        await using var reader = await check.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetString(0) != peerId || !reader.IsDBNull(1))
        {
            throw new InvalidOperationException("This token hash is already stored for another peer or was revoked; issue a new token.");
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Peer>> ListPeersAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // peer_id compares byte-wise on both engines (COLLATE "C" on PostgreSQL, migration 10).
        command.CommandText = "SELECT payload, updated_at FROM peers WHERE peer_id > @after ORDER BY peer_id LIMIT @limit";
        AddParameter(command, "after", afterId ?? "");
        AddParameter(command, "limit", limit);
        var peers = new List<Peer>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            peers.Add(ReadPeerRow(reader));
        }

        return peers;
    }

    /// <inheritdoc />
    public async Task<int> RevokeCredentialsAsync(string peerId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE peer_credentials SET revoked_at = @at WHERE peer_id = @peer AND revoked_at IS NULL";
        AddParameter(command, "at", ToDbInstant(Clock.GetUtcNow()));
        AddParameter(command, "peer", peerId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
