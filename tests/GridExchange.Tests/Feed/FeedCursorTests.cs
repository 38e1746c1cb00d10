using GridExchange.Domain.Feed;

namespace GridExchange.Tests.Feed;

public class FeedCursorTests
{
    private const string Epoch = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public void Encode_ThenDecode_RoundTrips(long sequence)
    {
        var text = new FeedCursor(Epoch, sequence).Encode();
        Assert.True(text.Length <= FeedCursor.MaxLength);
        Assert.True(FeedCursor.TryDecode(text, out var back));
        Assert.Equal(new FeedCursor(Epoch, sequence), back);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(987_654_321L)]
    [InlineData(long.MaxValue)]
    public void Encode_IsTheDocumentedTextForm(long sequence)
    {
        // Cursors handed out earlier stay valid only while the form is stable: pin it.
        var body = $"c2.{Epoch}.{sequence}";
        var checksum = Convert.ToHexStringLower(System.IO.Hashing.XxHash3.Hash(System.Text.Encoding.ASCII.GetBytes(body)), 0, 6);
        var expected = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{body}.{checksum}"));
        Assert.Equal(expected, new FeedCursor(Epoch, sequence).Encode());
    }

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
        var mixed = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(
            $"{body}.{Convert.ToHexStringLower(System.IO.Hashing.XxHash3.Hash(System.Text.Encoding.ASCII.GetBytes(body)), 0, 6)}"));
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

        // A hand-edited sequence breaks the checksum.
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"c2.{Epoch}.43.000000000000"));
        Assert.False(FeedCursor.TryDecode(forged, out _));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsEpoch_AcceptsOnly32LowerHex(string? epoch, bool expected) => Assert.Equal(expected, FeedCursor.IsEpoch(epoch));
}
