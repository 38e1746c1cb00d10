using System.Buffers.Text;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Feed;

/// <summary>
/// A position in the hub's change log: the epoch of the log (a random id minted when the hub's
/// database was created, so a cursor from another database is recognised) and the sequence of
/// the last change consumed. Encoded as an opaque, checksummed URL-safe string of at most 128
/// characters; clients never look inside.
/// </summary>
/// <remarks>
/// The text is <c>base64url("{version}.{epoch}.{sequence}.{checksum}")</c>, the checksum being
/// 12 hex characters over <c>"{version}.{epoch}.{sequence}"</c>. It catches damaged and
/// hand-edited cursors; it is not a secret (a cursor grants nothing: every read is checked
/// against the caller's scope). Version <c>c2</c> (issued now) uses XXH3-64, because every
/// change served carries its cursor and SHA-256 cost a microsecond each; version <c>c1</c>
/// (SHA-256, issued before) is still accepted, so no consumer holding one has to re-sync.
/// </remarks>
/// <param name="Epoch">The log's epoch: 32 lower-case hex characters.</param>
/// <param name="Sequence">The last sequence consumed; 0 = before the first change.</param>
public readonly record struct FeedCursor(string Epoch, long Sequence)
{
    private const string Current = "c2";
    private const string Legacy = "c1";
    private const char Separator = '.';

    /// <summary>The longest encoded cursor, as promised by the contract.</summary>
    public const int MaxLength = 128;

    /// <summary>Encodes the cursor.</summary>
    /// <remarks>
    /// Runs once per change served: the text is built in one stack buffer and only the result
    /// is allocated.
    /// </remarks>
    public string Encode()
    {
        if (Epoch is not { Length: 32 })
        {
            throw new InvalidOperationException("A cursor's epoch is 32 hex characters.");
        }

        // "c2." + 32 + "." + up to 19 digits + "." + 12 = 68 bytes at most.
        Span<byte> text = stackalloc byte[80];
        "c2."u8.CopyTo(text);
        var length = 3 + Encoding.ASCII.GetBytes(Epoch, text[3..]);
        text[length++] = (byte)Separator;
        Sequence.TryFormat(text[length..], out var digits, default, CultureInfo.InvariantCulture);
        length += digits;
        var checksum = Checksum(Current, text[..length]);
        text[length++] = (byte)Separator;
        length += Encoding.ASCII.GetBytes(checksum, text[length..]);
        return Base64Url.EncodeToString(text[..length]);
    }

    /// <summary>
    /// Decodes a cursor produced by <see cref="Encode"/> (now or by an earlier version of the
    /// hub). Fails on anything else: wrong length, damaged text, a checksum that does not
    /// match, a negative sequence.
    /// </summary>
    public static bool TryDecode(string? text, out FeedCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return false;
        }

        string[] parts;
        try
        {
            parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split(Separator);
        }
        catch (FormatException)
        {
            return false;
        }

        if (parts.Length != 4 || parts[0] is not (Current or Legacy) || !IsEpoch(parts[1])
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || parts[3] != Checksum(parts[0], Encoding.ASCII.GetBytes(string.Join(Separator, parts[..3]))))
        {
            return false;
        }

        cursor = new FeedCursor(parts[1], sequence);
        return true;
    }

    /// <summary>Whether <paramref name="epoch"/> has the form of an epoch (32 lower-case hex characters).</summary>
    public static bool IsEpoch(string? epoch) =>
        epoch is { Length: 32 } && epoch.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static string Checksum(string version, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        if (version == Legacy)
        {
            SHA256.HashData(body, hash);
        }
        else
        {
            XxHash3.Hash(body, hash);
        }

        return Convert.ToHexStringLower(hash[..6]);
    }
}
