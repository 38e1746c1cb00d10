using System.Buffers.Text;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Feed;

/// <summary>
/// A position in the hub's change log: the epoch of the log (a random id minted when the hub's
/// database was created, so a cursor from another database is recognised), the sequence of
/// the last change consumed, and a mark of that change (its commit time), so a cursor into a
/// log that was restored from a backup and has since taken other changes at the same sequence
/// numbers is recognised too. Encoded as an opaque, checksummed URL-safe string of at most 128
/// characters; clients never look inside.
/// </summary>
/// <remarks>
/// The text is <c>base64url("{version}.{epoch}.{sequence}.{mark}.{checksum}")</c>, the checksum
/// being 12 hex characters over everything before it. It catches damaged and hand-edited
/// cursors; it is not a secret (a cursor grants nothing: every read is checked against the
/// caller's scope). Version <c>c3</c> (issued now) adds the mark; <c>c2</c> (XXH3-64, no mark)
/// and <c>c1</c> (SHA-256, no mark), issued before, are still accepted with mark 0, so no
/// consumer holding one has to re-sync.
/// </remarks>
/// <param name="Epoch">The log's epoch: 32 lower-case hex characters.</param>
/// <param name="Sequence">The last sequence consumed; 0 = before the first change.</param>
/// <param name="Mark">
/// The commit time of the change at <paramref name="Sequence"/> in microseconds since
/// 1970-01-01 UTC (<see cref="MarkOf"/>); 0 when there is none or it is not known, and then it
/// is not checked.
/// </param>
public readonly record struct FeedCursor(string Epoch, long Sequence, long Mark = 0)
{
    private const string Current = "c3";
    private const string Unmarked = "c2";
    private const string Legacy = "c1";
    private const char Separator = '.';

    /// <summary>The longest encoded cursor, as promised by the contract.</summary>
    public const int MaxLength = 128;

    /// <summary>The mark of a change committed at <paramref name="committedAt"/>: microseconds since 1970-01-01 UTC.</summary>
    public static long MarkOf(DateTimeOffset committedAt) => (committedAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) / 10;

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

        // "c3." + 32 + "." + up to 19 digits + "." + up to 20 + "." + 12 = 89 bytes at most,
        // 120 characters of base64url.
        Span<byte> text = stackalloc byte[96];
        "c3."u8.CopyTo(text);
        var length = 3 + Encoding.ASCII.GetBytes(Epoch, text[3..]);
        text[length++] = (byte)Separator;
        Sequence.TryFormat(text[length..], out var digits, default, CultureInfo.InvariantCulture);
        length += digits;
        text[length++] = (byte)Separator;
        Mark.TryFormat(text[length..], out digits, default, CultureInfo.InvariantCulture);
        length += digits;
        var checksum = Checksum(Current, text[..length]);
        text[length++] = (byte)Separator;
        length += Encoding.ASCII.GetBytes(checksum, text[length..]);
        return Base64Url.EncodeToString(text[..length]);
    }

    /// <summary>
    /// Decodes a cursor produced by <see cref="Encode"/> (now or by an earlier version of the
    /// hub). Fails on anything else: wrong length, damaged text, a checksum that does not
    /// match, a negative sequence or mark.
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

        var marked = parts.Length == 5 && parts[0] == Current;
        if (!(marked || (parts.Length == 4 && parts[0] is Unmarked or Legacy)) || !IsEpoch(parts[1])
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        var mark = 0L;
        if (marked && !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out mark))
        {
            return false;
        }

        if (parts[^1] != Checksum(parts[0], Encoding.ASCII.GetBytes(string.Join(Separator, parts[..^1]))))
        {
            return false;
        }

        cursor = new FeedCursor(parts[1], sequence, mark);
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
