using GridExchange.PeerSimulator.Source;

namespace GridExchange.Tests.PeerSimulator;

public sealed class ExportCheckpointTests
{
    [Fact]
    public void Encode_RoundTrips_WithAnyKey()
    {
        var checkpoint = new ExportCheckpoint(new string('a', 32), ExportPhase.Records, 1234, 5, "370602001001003", "p-370602-0000123|\n/x", 0, 0);

        Assert.True(ExportCheckpoint.TryDecode(checkpoint.Encode(), out var decoded));
        Assert.Equal(checkpoint, decoded);
        Assert.True(checkpoint.Encode().Length <= 1024);
        Assert.DoesNotContain('=', checkpoint.Encode());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a checkpoint")]
    [InlineData("Z3hzaW0y")] // base64 of another prefix
    public void TryDecode_Foreign_False(string text)
    {
        Assert.False(ExportCheckpoint.TryDecode(text, out _));
    }
}
