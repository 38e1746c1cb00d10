using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Security;

/// <summary>
/// Peer bearer tokens: <c>gx1_</c> followed by 43 base64url characters (32 random bytes). The
/// hub keeps only <see cref="Hash"/> of a token; the token itself is shown once, when issued.
/// </summary>
/// <remarks>
/// Tokens carry 256 bits of entropy, so a plain SHA-256 is the right hash (as for API keys):
/// a slow password hash would add latency to every call and no protection.
/// </remarks>
public static class BearerTokens
{
    /// <summary>The prefix every token starts with (lets secret scanners recognise one).</summary>
    public const string Prefix = "gx1_";

    /// <summary>Characters in a token.</summary>
    public const int Length = 47;

    private const int SecretBytes = 32;

    /// <summary>A new random token.</summary>
    public static string NewToken() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>
    /// A token derived from <paramref name="key"/> and the request that issues it, so that a
    /// repeated request returns the same token while the hub stores only its hash.
    /// </summary>
    /// <param name="key">The hub's token key (at least 32 bytes).</param>
    /// <param name="purpose">What issues it, e.g. <c>register</c> or <c>rotate</c>.</param>
    /// <param name="peerId">The peer the token is for.</param>
    /// <param name="requestId">The issuing request's id.</param>
    public static string Derive(ReadOnlySpan<byte> key, string purpose, string peerId, string requestId)
    {
        if (key.Length < SecretBytes)
        {
            throw new ArgumentException($"The token key needs at least {SecretBytes} bytes.", nameof(key));
        }

        var message = Encoding.UTF8.GetBytes($"gridexchange-token\0{purpose}\0{peerId}\0{requestId}");
        return Prefix + Base64Url.EncodeToString(HMACSHA256.HashData(key, message));
    }

    /// <summary>SHA-256 of the token's text: what the store keeps and looks up.</summary>
    public static byte[] Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>
    /// Reads the token from an <c>authorization</c> header value <c>Bearer gx1_…</c> (scheme
    /// case-insensitive, one space). False when absent or not shaped like a token.
    /// </summary>
    public static bool TryParseAuthorization(string? header, out string token)
    {
        token = string.Empty;
        const string Scheme = "Bearer ";
        if (header is null || header.Length != Scheme.Length + Length
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var candidate = header[Scheme.Length..];
        if (!candidate.StartsWith(Prefix, StringComparison.Ordinal) || !Base64Url.IsValid(candidate.AsSpan(Prefix.Length), out var decoded)
            || decoded != SecretBytes)
        {
            return false;
        }

        token = candidate;
        return true;
    }
}
