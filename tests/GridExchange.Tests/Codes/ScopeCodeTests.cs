using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class ScopeCodeTests
{
    [Theory]
    [InlineData("370000000000", DivisionLevel.Province, "37")]
    [InlineData("370600000000", DivisionLevel.City, "3706")]
    [InlineData("370602000000", DivisionLevel.County, "370602")]
    [InlineData("370602001000", DivisionLevel.Township, "370602001")]
    [InlineData("370602001001", DivisionLevel.Village, "370602001001")]
    [InlineData("370602001001007", DivisionLevel.Grid, "370602001001007")]
    public void TryParseAny_RegionOrGridCode_ReturnsLevelAndPrefix(string code, DivisionLevel level, string prefix)
    {
        Assert.True(ScopeCode.TryParseAny(code, out var actualLevel, out var actualPrefix));
        Assert.Equal(level, actualLevel);
        Assert.Equal(prefix, actualPrefix);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("370602")]
    [InlineData("370602000001")]
    [InlineData("370602001001000")]
    [InlineData("37060200100100701")] // a worker is not a scope
    public void TryParseAny_OtherValues_ReturnsFalseAndEmptyPrefix(string? code)
    {
        Assert.False(ScopeCode.TryParseAny(code, out _, out var prefix));
        Assert.Equal(string.Empty, prefix);
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("37060200100100701", ErrorReasons.InvalidCode)]
    public void Validate_InvalidScope_FailsWithReason(string? code, string reason)
    {
        Assert.Equal(reason, ScopeCode.Validate(code).Reason);
    }

    [Theory]
    [InlineData("370602000000")]
    [InlineData("370602001001007")]
    public void Validate_ValidScope_IsOk(string code)
    {
        Assert.Equal(CodeCheck.Ok, ScopeCode.Validate(code));
    }

    [Theory]
    [InlineData("370602000000", "370602001001007", true)]
    [InlineData("370602001001007", "370602001001007", true)]
    [InlineData("370602001001007", "37060200100100702", true)]
    [InlineData("370602001001007", "370602001001008", false)]
    [InlineData("370602001001007", "370602001001", false)] // a grid does not contain its village
    [InlineData("370602000000", "370613001001007", false)]
    [InlineData("370602000001", "370602001001007", false)] // invalid scope contains nothing
    [InlineData(null, "370602001001007", false)]
    [InlineData("370602000000", null, false)]
    public void Contains_ScopeAndCode_IsAPrefixTest(string? scope, string? code, bool expected)
    {
        Assert.Equal(expected, ScopeCode.Contains(scope, code));
    }
}
