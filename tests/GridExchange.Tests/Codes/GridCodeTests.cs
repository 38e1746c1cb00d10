using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class GridCodeTests
{
    [Theory]
    [InlineData("370602001001001", 1, false)]
    [InlineData("370602001001899", 899, false)]
    [InlineData("370602001001900", 900, true)]
    [InlineData("370602001001999", 999, true)]
    [InlineData("441900003001012", 12, false)]
    public void TryParse_ValidCode_ReadsVillageSerialAndKind(string value, int serial, bool dedicated)
    {
        Assert.True(GridCode.TryParse(value, out var grid));
        Assert.Equal(value, grid.Value);
        Assert.Equal(value[..12], grid.Village.Value);
        Assert.Equal(DivisionLevel.Village, grid.Village.Level);
        Assert.Equal(serial, grid.Serial);
        Assert.Equal(dedicated, grid.IsDedicated);
        Assert.Equal(value, grid.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("370602001001000")] // serial 000
    [InlineData("37060200100100")] // 14 digits
    [InlineData("3706020010010011")] // 16 digits
    [InlineData("37060200100100A")]
    [InlineData("370602001000001")] // township, not village
    [InlineData("370602000000001")] // county
    [InlineData("370602000001001")] // invalid village code
    [InlineData("990602001001001")]
    [InlineData(" 370602001001001")]
    public void TryParse_InvalidCode_ReturnsFalse(string? value)
    {
        Assert.False(GridCode.TryParse(value, out var grid));
        Assert.Equal(default, grid);
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("370602001001000", ErrorReasons.InvalidCode)]
    [InlineData("370602001001", ErrorReasons.InvalidCode)]
    public void Validate_InvalidCode_FailsWithReason(string? value, string reason)
    {
        Assert.Equal(reason, GridCode.Validate(value).Reason);
    }

    [Fact]
    public void Validate_ValidCode_IsOk()
    {
        Assert.Equal(CodeCheck.Ok, GridCode.Validate("370602001001007"));
    }

    [Fact]
    public void Parse_InvalidCode_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => GridCode.Parse("370602001001000"));
    }

    [Theory]
    [InlineData(1, "370602001001001")]
    [InlineData(42, "370602001001042")]
    [InlineData(999, "370602001001999")]
    public void Create_VillageAndSerial_PadsSerialAndRoundTrips(int serial, string expected)
    {
        var grid = GridCode.Create(RegionCode.Parse("370602001001"), serial);

        Assert.Equal(expected, grid.Value);
        Assert.Equal(GridCode.Parse(expected), grid);
    }

    [Theory]
    [InlineData("370602001001", 0)]
    [InlineData("370602001001", 1000)]
    [InlineData("370602001000", 1)] // not a village
    public void Create_InvalidArguments_Throws(string village, int serial)
    {
        Assert.ThrowsAny<ArgumentException>(() => GridCode.Create(RegionCode.Parse(village), serial));
    }
}
