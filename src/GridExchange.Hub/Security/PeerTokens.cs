using System.Security.Cryptography;
using System.Text;
using GridExchange.Domain.Security;
using GridExchange.Storage.Protection;

namespace GridExchange.Hub.Security;

/// <summary>
/// Issues the bearer tokens of RegisterPeer and RotatePeerToken. A token is derived
/// (<see cref="BearerTokens.Derive"/>) from a hub secret and the issuing request — purpose, peer,
/// caller and request id — so a repeated request returns the same token although the hub stores
/// only its hash: nothing that could reproduce a token is ever written to the database.
/// </summary>
/// <remarks>
/// The secret is derived (HKDF-SHA256, its own label) from the store's index key
/// (<c>GridExchange:Encryption:IndexKey</c>): every replica already shares that key, it is kept
/// out of the database, and the derived key is independent of the citizen-ID hashes made with it.
/// After the index key is rotated, a repeat of a request answered before cannot reproduce its
/// token; the hub says so (FAILED_PRECONDITION) instead of returning a token that does not work.
/// </remarks>
internal sealed class PeerTokens
{
    private static readonly byte[] Label = "gridexchange/v1/bearer-token-key"u8.ToArray();

    private readonly byte[] _key;

    public PeerTokens(PayloadProtectionOptions keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (string.IsNullOrEmpty(keys.IndexKey))
        {
            throw new InvalidOperationException($"{PayloadProtectionOptions.Section}:IndexKey is not set; peer tokens are derived from it.");
        }

        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(keys.IndexKey), 32, salt: [], info: Label);
    }

    /// <summary>The token <paramref name="callerId"/>'s request <paramref name="requestId"/> issues to <paramref name="peerId"/> for <paramref name="purpose"/>.</summary>
    /// <param name="purpose"><c>register</c> or <c>rotate</c>.</param>
    public string Issue(string purpose, string peerId, string callerId, string requestId)
    {
        // Request ids are unique per caller, so the caller is part of the request's identity; a
        // peer id never holds '/', so the joined string is unambiguous.
        var request = new StringBuilder(callerId).Append('/').Append(requestId).ToString();
        return BearerTokens.Derive(_key, purpose, peerId, request);
    }
}
