using System.Security.Cryptography;

namespace GridExchange.Storage.Protection;

/// <summary>
/// The store's encryption keys, bound from the <c>GridExchange:Encryption</c> configuration
/// section (environment: <c>GridExchange__Encryption__Keys__k2=…</c>). Every key is the base64 of
/// 32 random bytes (<c>openssl rand -base64 32</c>). Keys are secrets: keep them out of
/// appsettings.json in production, and back them up with the database — without them the
/// data cannot be read.
/// </summary>
public sealed class PayloadProtectionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "GridExchange:Encryption";

    /// <summary>
    /// Payload keys (AES-256-GCM) by id: 1–32 characters <c>A-Z a-z 0-9 . _ -</c>. Every key
    /// that encrypted a stored payload must stay here until the re-encryption pass has moved
    /// those payloads to the active key.
    /// </summary>
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>The id of the key new payloads are encrypted with; one of <see cref="Keys"/>.</summary>
    public string? ActiveKeyId { get; set; }

    /// <summary>
    /// The HMAC-SHA256 key of the citizen-ID index; distinct from every payload key. Changing it
    /// requires rebuilding the index (<see cref="RebuildCitizenIdIndex"/>).
    /// </summary>
    public string? IndexKey { get; set; }

    /// <summary>
    /// Rebuild the citizen-ID index at start-up when it was built with another index key (after
    /// rotating <see cref="IndexKey"/>). Set it for one start only: otherwise a start with a
    /// wrong index key fails instead of silently re-indexing under it.
    /// </summary>
    public bool RebuildCitizenIdIndex { get; set; }

    /// <summary>Whether any key setting is present (a partial set is an error, never a reason to fall back).</summary>
    public bool HasKeys => Keys.Count > 0 || !string.IsNullOrEmpty(ActiveKeyId) || !string.IsNullOrEmpty(IndexKey);

    /// <summary>A new set of random keys: one payload key (<paramref name="keyId"/>, active) and an index key.</summary>
    public static PayloadProtectionOptions Generate(string keyId)
    {
        var options = new PayloadProtectionOptions
        {
            ActiveKeyId = keyId,
            IndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(PayloadProtection.KeySize)),
        };
        options.Keys[keyId] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(PayloadProtection.KeySize));
        return options;
    }
}
