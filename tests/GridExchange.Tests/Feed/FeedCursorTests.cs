using GridExchange.Domain.Feed;

namespace GridExchange.Tests.Feed;

public class FeedCursorTests
{
    private const string Epoch = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 1_764_000_000_123_456L)]
    [InlineData(long.MaxValue, long.MaxValue)]
    public void Encode_ThenDecode_RoundTrips(long sequence, long mark)
    {
        var text = new FeedCursor(Epoch, sequence, mark).Encode();
        Assert.True(text.Length <= FeedCursor.MaxLength);
        Assert.True(FeedCursor.TryDecode(text, out var back));
        Assert.Equal(new FeedCursor(Epoch, sequence, mark), back);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(987_654_321L, 1_764_000_000_123_456L)]
    [InlineData(long.MaxValue, long.MaxValue)]
    public void Encode_IsTheDocumentedTextForm(long sequence, long mark)
    {
        // Cursors handed out earlier stay valid only while the form is stable: pin it.
        var body = $"c3.{Epoch}.{sequence}.{mark}";
        var expected = WithXxh3Checksum(body);
        Assert.Equal(expected, new FeedCursor(Epoch, sequence, mark).Encode());
    }

    [Fact]
    public void Decode_StillAcceptsTheSecondVersion_WithoutAMark()
    {
        // Issued by hubs before c3: accepted, with nothing to check against the log.
        var body = $"c2.{Epoch}.4711";
        var unmarked = WithXxh3Checksum(body);
        Assert.True(FeedCursor.TryDecode(unmarked, out var cursor));
        Assert.Equal(new FeedCursor(Epoch, 4711, 0), cursor);

        // A c2 cursor with a mark added, or a c3 one without, is damage.
        var withMark = $"c2.{Epoch}.4711.5";
        Assert.False(FeedCursor.TryDecode(WithXxh3Checksum(withMark), out _));
        var withoutMark = $"c3.{Epoch}.4711";
        Assert.False(FeedCursor.TryDecode(WithXxh3Checksum(withoutMark), out _));
    }

    [Fact]
    public void MarkOf_IsMicrosecondsSinceTheUnixEpoch() =>
        Assert.Equal(1_000_001L, FeedCursor.MarkOf(DateTimeOffset.UnixEpoch.AddTicks(10_000_017)));

    [Fact]
    public void Decode_StillAcceptsTheFirstVersion_WithItsSha256Checksum()
    {
        // Issued by hubs before c2: a consumer holding one must not be forced to re-sync.
        var body = $"c1.{Epoch}.4711";
        var checksum = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(body)), 0, 6);
        var legacy = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{body}.{checksum}"));
        Assert.True(FeedCursor.TryDecode(legacy, out var cursor));
        Assert.Equal(new FeedCursor(Epoch, 4711), cursor);

        // Each version's checksum is its own: a c1 body with a c2 checksum is damage.
        var mixed = WithXxh3Checksum(body);
        Assert.False(FeedCursor.TryDecode(mixed, out _));
    }

    [Fact]
    public void Encode_RefusesAnEpochOfTheWrongLength() =>
        Assert.Throws<InvalidOperationException>(() => new FeedCursor("abc", 1).Encode());

    [Fact]
    public void Decode_RejectsDamagedTruncatedAndForeignText()
    {
        var text = new FeedCursor(Epoch, 42).Encode();
        Assert.False(FeedCursor.TryDecode(text[..^1], out _));
        Assert.False(FeedCursor.TryDecode(text[..^4], out _));
        Assert.False(FeedCursor.TryDecode(text + "A", out _));
        Assert.False(FeedCursor.TryDecode("", out _));
        Assert.False(FeedCursor.TryDecode(null, out _));
        Assert.False(FeedCursor.TryDecode("not a cursor", out _));
        Assert.False(FeedCursor.TryDecode(new string('A', 200), out _));

        // A hand-edited sequence or mark breaks the checksum.
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"c2.{Epoch}.43.000000000000"));
        Assert.False(FeedCursor.TryDecode(forged, out _));
        var good = System.Text.Encoding.ASCII.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(new FeedCursor(Epoch, 42, 77).Encode()));
        var edited = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(good.Replace(".42.77.", ".42.78.", StringComparison.Ordinal)));
        Assert.False(FeedCursor.TryDecode(edited, out _));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsEpoch_AcceptsOnly32LowerHex(string? epoch, bool expected) => Assert.Equal(expected, FeedCursor.IsEpoch(epoch));

    /// <summary>The text form of <paramref name="body"/> with its XXH3 checksum (versions c2 and c3), built independently of FeedCursor.</summary>
    private static string WithXxh3Checksum(string body)
    {
        var checksum = Convert.ToHexStringLower(System.IO.Hashing.XxHash3.Hash(System.Text.Encoding.ASCII.GetBytes(body)), 0, 6);
        return System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{body}.{checksum}"));
    }
}
