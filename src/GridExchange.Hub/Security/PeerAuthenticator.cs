using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Security;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Security;

/// <summary>
/// Turns a call's bearer token (and, where the peer's registration asks for one, its TLS client
/// certificate) into the <see cref="Caller"/> it stands for, or an UNAUTHENTICATED error.
/// </summary>
/// <remarks>
/// Look-ups are cached per token hash for <see cref="HubOptions.CredentialCacheSeconds"/>, so a
/// busy peer does not cost a database round trip per call; a revoked token or a disabled peer
/// stops working within that time on every replica (at once on the replica that made the
/// change, which calls <see cref="Forget"/>). Unknown tokens are cached too, so a flood of
/// bad tokens does not reach the database more than once per token and period.
/// </remarks>
internal sealed class PeerAuthenticator(IHubStore store, TimeProvider clock, IOptions<HubOptions> options)
{
    private const int MaxCached = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = TimeSpan.FromSeconds(Math.Max(0, options.Value.CredentialCacheSeconds));

    /// <summary>Authenticates a call: its <c>authorization</c> header and its connection.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED, reason UNAUTHENTICATED or CREDENTIAL_REVOKED.</exception>
    public ValueTask<Caller> AuthenticateAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return AuthenticateAsync(
            context.RequestHeaders.GetValue("authorization"), () => context.GetHttpContext().Connection.ClientCertificate, context.CancellationToken);
    }

    /// <summary>
    /// Authenticates an <c>authorization</c> header value (<c>Bearer gx1_…</c>) received outside
    /// gRPC (the Hangfire dashboard), with the connection's client certificate where the peer
    /// needs one.
    /// </summary>
    /// <exception cref="RpcException">UNAUTHENTICATED, reason UNAUTHENTICATED or CREDENTIAL_REVOKED.</exception>
    public async ValueTask<Caller> AuthenticateAsync(string? authorization, Func<X509Certificate2?> clientCertificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientCertificate);
        if (!BearerTokens.TryParseAuthorization(authorization, out var token))
        {
            throw Unauthenticated(ErrorReasons.Unauthenticated,
                "Send the peer's bearer token as metadata 'authorization: Bearer gx1_…'.");
        }

        var hash = Convert.ToHexString(BearerTokens.Hash(token));
        var now = clock.GetUtcNow();
        if (!_cache.TryGetValue(hash, out var entry) || entry.Expires <= now)
        {
            var credential = await store.FindCredentialAsync(Convert.FromHexString(hash), cancellationToken);
            entry = new Entry(credential, now + _lifetime);
            if (_lifetime > TimeSpan.Zero)
            {
                if (_cache.Count >= MaxCached)
                {
                    _cache.Clear();
                }

                _cache[hash] = entry;
            }
        }

        var caller = Check(entry.Credential);
        RequireClientCertificate(entry.Credential!.Peer!, clientCertificate);
        return caller;
    }

    /// <summary>Drops cached look-ups of <paramref name="peerId"/>'s tokens (after a change to its registration or credentials).</summary>
    public void Forget(string peerId)
    {
        foreach (var (hash, entry) in _cache)
        {
            if (entry.Credential?.PeerId == peerId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    private static Caller Check(PeerCredential? credential)
    {
        if (credential?.Peer is not { } peer)
        {
            throw Unauthenticated(ErrorReasons.Unauthenticated, "The bearer token is not known to this hub.");
        }

        if (credential.RevokedAt is not null)
        {
            throw Unauthenticated(ErrorReasons.CredentialRevoked,
                "The bearer token was revoked or rotated; ask the hub operator for the current one.");
        }

        if (!peer.Enabled)
        {
            throw Unauthenticated(ErrorReasons.CredentialRevoked, $"Peer '{peer.Id}' is disabled.");
        }

        return Caller.FromPeer(peer);
    }

    private static void RequireClientCertificate(V1.Peer peer, Func<X509Certificate2?> clientCertificate)
    {
        if (string.IsNullOrEmpty(peer.ClientCertificateSha256))
        {
            return;
        }

        var certificate = clientCertificate();
        if (certificate is null)
        {
            throw Unauthenticated(ErrorReasons.Unauthenticated,
                $"Peer '{peer.Id}' must present its registered TLS client certificate.");
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        if (!CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(fingerprint),
                System.Text.Encoding.ASCII.GetBytes(peer.ClientCertificateSha256.ToLowerInvariant())))
        {
            throw Unauthenticated(ErrorReasons.Unauthenticated,
                $"The TLS client certificate is not the one registered for peer '{peer.Id}'.");
        }
    }

    private static RpcException Unauthenticated(string reason, string message) =>
        RpcErrors.Status(StatusCode.Unauthenticated, reason, message);

    private sealed record Entry(PeerCredential? Credential, DateTimeOffset Expires);
}
