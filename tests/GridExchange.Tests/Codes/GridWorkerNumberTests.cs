using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class GridWorkerNumberTests
{
    [Theory]
    [InlineData("37060200100100701", 1)]
    [InlineData("37060200100100799", 99)]
    public void TryParse_ValidNumber_ReadsGridAndSequence(string value, int sequence)
    {
        Assert.True(GridWorkerNumber.TryParse(value, out var number));
        Assert.Equal(value, number.Value);
        Assert.Equal(GridCode.Parse(value[..15]), number.Grid);
        Assert.Equal(sequence, number.Sequence);
        Assert.Equal(value, number.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("37060200100100700")] // sequence 00
    [InlineData("37060200100100001")] // grid serial 000
    [InlineData("3706020010010071")] // 16 digits
    [InlineData("370602001001007011")] // 18 digits
    [InlineData("3706020010010070A")]
    [InlineData("37060200000100701")] // invalid village
    public void TryParse_InvalidNumber_ReturnsFalse(string? value)
    {
        Assert.False(GridWorkerNumber.TryParse(value, out var number));
        Assert.Equal(default, number);
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData(" ", ErrorReasons.RequiredField)]
    [InlineData("37060200100100700", ErrorReasons.InvalidCode)]
    public void Validate_InvalidNumber_FailsWithReason(string? value, string reason)
    {
        Assert.Equal(reason, GridWorkerNumber.Validate(value).Reason);
    }

    [Fact]
    public void Validate_ValidNumber_IsOk()
    {
        Assert.Equal(CodeCheck.Ok, GridWorkerNumber.Validate("37060200100100701"));
    }

    [Fact]
    public void Parse_InvalidNumber_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => GridWorkerNumber.Parse("37060200100100700"));
    }

    [Fact]
    public void Create_GridAndSequence_PadsSequenceAndRoundTrips()
    {
        var number = GridWorkerNumber.Create(GridCode.Parse("370602001001007"), 3);

        Assert.Equal("37060200100100703", number.Value);
        Assert.Equal(GridWorkerNumber.Parse("37060200100100703"), number);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Create_SequenceOutOfRange_Throws(int sequence)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GridWorkerNumber.Create(GridCode.Parse("370602001001007"), sequence));
    }

    [Fact]
    public void Create_DefaultGrid_Throws()
    {
        Assert.Throws<ArgumentException>(() => GridWorkerNumber.Create(default, 1));
    }
}
