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
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"c1.{Epoch}.43.000000000000"));
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
