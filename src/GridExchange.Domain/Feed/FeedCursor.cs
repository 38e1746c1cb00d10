using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Feed;

/// <summary>
/// A position in the hub's change log: the epoch of the log (a random id minted when the hub's
/// database was created, so a cursor from another database is recognised) and the sequence of
/// the last change consumed. Encoded as an opaque, checksummed URL-safe string of at most 128
/// characters; clients never look inside.
/// </summary>
/// <param name="Epoch">The log's epoch: 32 lower-case hex characters.</param>
/// <param name="Sequence">The last sequence consumed; 0 = before the first change.</param>
public readonly record struct FeedCursor(string Epoch, long Sequence)
{
    private const string Version = "c1";
    private const char Separator = '.';

    /// <summary>The longest encoded cursor, as promised by the contract.</summary>
    public const int MaxLength = 128;

    /// <summary>Encodes the cursor.</summary>
    public string Encode()
    {
        var body = string.Join(Separator, Version, Epoch, Sequence.ToString(CultureInfo.InvariantCulture));
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(body + Separator + Checksum(body)));
    }

    /// <summary>
    /// Decodes a cursor produced by <see cref="Encode"/>. Fails on anything else: wrong
    /// length, damaged text, a checksum that does not match, a negative sequence.
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

        if (parts.Length != 4 || parts[0] != Version || !IsEpoch(parts[1])
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || parts[3] != Checksum(string.Join(Separator, parts[..3])))
        {
            return false;
        }

        cursor = new FeedCursor(parts[1], sequence);
        return true;
    }

    /// <summary>Whether <paramref name="epoch"/> has the form of an epoch (32 lower-case hex characters).</summary>
    public static bool IsEpoch(string? epoch) =>
        epoch is { Length: 32 } && epoch.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static string Checksum(string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(body)), 0, 6);
}
