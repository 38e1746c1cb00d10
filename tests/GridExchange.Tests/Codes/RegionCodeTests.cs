using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class RegionCodeTests
{
    [Theory]
    [InlineData("370000000000", DivisionLevel.Province, "37")]
    [InlineData("370600000000", DivisionLevel.City, "3706")]
    [InlineData("370602000000", DivisionLevel.County, "370602")]
    [InlineData("370602001000", DivisionLevel.Township, "370602001")]
    [InlineData("370602001001", DivisionLevel.Village, "370602001001")]
    [InlineData("110101001001", DivisionLevel.Village, "110101001001")]
    [InlineData("419001000000", DivisionLevel.County, "419001")] // 济源: county-level unit under 90
    [InlineData("441900003000", DivisionLevel.Township, "441900003")] // 东莞: township without a county
    [InlineData("441900003001", DivisionLevel.Village, "441900003001")]
    [InlineData("820000000000", DivisionLevel.Province, "82")]
    public void TryParse_ValidCode_ReadsLevelAndPrefix(string value, DivisionLevel level, string prefix)
    {
        Assert.True(RegionCode.TryParse(value, out var code));
        Assert.Equal(value, code.Value);
        Assert.Equal(level, code.Level);
        Assert.Equal(prefix, code.Prefix);
        Assert.Equal(value, code.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("37060200100")] // 11 digits
    [InlineData("3706020010010")] // 13 digits
    [InlineData("37060200100A")]
    [InlineData(" 370602001001")]
    [InlineData("370602001001 ")]
    [InlineData("３７０６０２００１００１")] // full-width digits
    [InlineData("000000000000")]
    [InlineData("100000000000")] // province below 11
    [InlineData("190000000000")] // not a provincial code
    [InlineData("830000000000")] // above 82
    [InlineData("990000000000")]
    [InlineData("370002000000")] // county without a city
    [InlineData("370000001000")] // township without a city
    [InlineData("370000000001")] // village without anything above
    [InlineData("370602000001")] // village without a township
    [InlineData("370600000001")]
    public void TryParse_InvalidCode_ReturnsFalseAndDefault(string? value)
    {
        Assert.False(RegionCode.TryParse(value, out var code));
        Assert.Equal(default, code);
    }

    [Fact]
    public void Parse_ValidCode_ReturnsCode()
    {
        Assert.Equal(DivisionLevel.County, RegionCode.Parse("370602000000").Level);
    }

    [Fact]
    public void Parse_InvalidCode_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => RegionCode.Parse("370602000001"));
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("  ", ErrorReasons.RequiredField)]
    [InlineData("370602000001", ErrorReasons.InvalidCode)]
    [InlineData("370602", ErrorReasons.InvalidCode)]
    public void Validate_InvalidCode_FailsWithReason(string? value, string reason)
    {
        Assert.Equal(reason, RegionCode.Validate(value).Reason);
    }

    [Fact]
    public void Validate_ValidCode_IsOk()
    {
        Assert.Equal(CodeCheck.Ok, RegionCode.Validate("370602001001"));
    }

    [Theory]
    [InlineData("370602001001", "370602001000")]
    [InlineData("370602001000", "370602000000")]
    [InlineData("370602000000", "370600000000")]
    [InlineData("370600000000", "370000000000")]
    [InlineData("441900003000", "441900000000")] // township of a city without counties
    [InlineData("441900003001", "441900003000")]
    public void Parent_BelowProvince_IsTheLevelAbove(string value, string parent)
    {
        Assert.Equal(RegionCode.Parse(parent), RegionCode.Parse(value).Parent);
    }

    [Fact]
    public void Parent_Province_IsNull()
    {
        Assert.Null(RegionCode.Parse("370000000000").Parent);
    }

    [Fact]
    public void Parent_FollowedToTheTop_VisitsEveryLevel()
    {
        var levels = new List<DivisionLevel>();
        for (RegionCode? code = RegionCode.Parse("370602001001"); code is { } c; code = c.Parent)
        {
            levels.Add(c.Level);
        }

        Assert.Equal([DivisionLevel.Village, DivisionLevel.Township, DivisionLevel.County, DivisionLevel.City, DivisionLevel.Province], levels);
    }

    [Theory]
    [InlineData("370000000000", "370602001001", true)]
    [InlineData("370600000000", "370602001001", true)]
    [InlineData("370602000000", "370602001001", true)]
    [InlineData("370602001000", "370602001001", true)]
    [InlineData("441900000000", "441900003000", true)]
    [InlineData("370602001001", "370602001001", false)] // not its own ancestor
    [InlineData("370602001001", "370602001000", false)] // a child is not an ancestor
    [InlineData("370602000000", "370613001001", false)] // another county
    [InlineData("370602001000", "370602002001", false)]
    [InlineData("370000000000", "110101001001", false)]
    public void IsAncestorOf_Pairs_FollowsPrefixes(string ancestor, string descendant, bool expected)
    {
        Assert.Equal(expected, RegionCode.Parse(ancestor).IsAncestorOf(RegionCode.Parse(descendant)));
    }

    [Fact]
    public void IsAncestorOf_DefaultOnEitherSide_IsFalse()
    {
        var province = RegionCode.Parse("370000000000");

        Assert.False(default(RegionCode).IsAncestorOf(province));
        Assert.False(province.IsAncestorOf(default));
    }

    [Theory]
    [InlineData("370000000000", "370602001001007", true)] // province contains a grid
    [InlineData("370000000000", "37060200100100701", true)] // and a grid worker
    [InlineData("370602000000", "370602001001007", true)]
    [InlineData("370602000000", "370602000000", true)] // a region contains itself
    [InlineData("370602001001", "370602001001999", true)]
    [InlineData("370602000000", "370613001001007", false)] // another county's grid
    [InlineData("370602001000", "370602011001007", false)] // township 001 vs 011
    [InlineData("370600000000", "370700000000", false)]
    [InlineData("370000000000", "37", false)] // not a code shape
    [InlineData("370000000000", "3706020010010", false)]
    [InlineData("370000000000", "37060200100A", false)]
    [InlineData("370000000000", "", false)]
    [InlineData("370000000000", null, false)]
    public void Contains_Codes_IsAPrefixTestOnCodeShapes(string region, string? anyCode, bool expected)
    {
        Assert.Equal(expected, RegionCode.Parse(region).Contains(anyCode));
    }

    [Fact]
    public void Contains_DefaultRegion_ContainsNothing()
    {
        Assert.False(default(RegionCode).Contains("370602001001"));
    }

    [Fact]
    public void Default_Members_AreEmptyAndSafe()
    {
        var code = default(RegionCode);

        Assert.Equal(string.Empty, code.Value);
        Assert.Equal(string.Empty, code.Prefix);
        Assert.Null(code.Parent);
        Assert.Equal(string.Empty, code.ToString());
    }

    [Theory]
    [InlineData("370000", "370000000000", DivisionLevel.Province)]
    [InlineData("370600", "370600000000", DivisionLevel.City)]
    [InlineData("370602", "370602000000", DivisionLevel.County)]
    public void TryParseSixDigit_Gbt2260Code_PadsToRegionCode(string value, string expected, DivisionLevel level)
    {
        Assert.True(RegionCode.TryParseSixDigit(value, out var code));
        Assert.Equal(expected, code.Value);
        Assert.Equal(level, code.Level);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("37060")]
    [InlineData("370602001001")]
    [InlineData("370002")]
    [InlineData("990000")]
    public void TryParseSixDigit_InvalidCode_ReturnsFalse(string? value)
    {
        Assert.False(RegionCode.TryParseSixDigit(value, out _));
    }

    [Theory]
    [InlineData("37", "38")]
    [InlineData("3706", "3707")]
    [InlineData("3709", "371")]
    [InlineData("370699", "3707")]
    [InlineData("370602001", "370602002")]
    [InlineData("370602001999", "370602002")]
    [InlineData("370602001001999", "370602001002")]
    [InlineData("9", ":")] // all nines: ordinal fallback
    [InlineData("99", "9:")]
    [InlineData("ab", "ac")]
    [InlineData("a\uffff", "b")]
    public void PrefixUpperBound_Prefix_ReturnsExclusiveBound(string prefix, string expected)
    {
        Assert.Equal(System.Text.RegularExpressions.Regex.Unescape(expected), RegionCode.PrefixUpperBound(System.Text.RegularExpressions.Regex.Unescape(prefix)));
    }

    [Theory]
    [InlineData("37")]
    [InlineData("3706")]
    [InlineData("3709")]
    [InlineData("370699")]
    [InlineData("370602001")]
    public void PrefixUpperBound_RangeScan_SelectsExactlyTheCodesWithThePrefix(string prefix)
    {
        string[] codes =
        [
            "110101001001", "360000000000", "369999999999", "370000000000", "370600000000", "370602001001",
            "370602001001007", "37060200100100701", "370602001999", "370602002000", "370699000000",
            "370700000000", "370900000000", "370999999999999", "371000000000", "380000000000", "820000000000",
        ];
        var upper = RegionCode.PrefixUpperBound(prefix);

        foreach (var code in codes)
        {
            var inRange = string.CompareOrdinal(code, prefix) >= 0 && string.CompareOrdinal(code, upper) < 0;
            Assert.Equal(code.StartsWith(prefix, StringComparison.Ordinal), inRange);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uffff")]
    public void PrefixUpperBound_NoBound_Throws(string prefix)
    {
        Assert.Throws<ArgumentException>(() => RegionCode.PrefixUpperBound(System.Text.RegularExpressions.Regex.Unescape(prefix)));
    }
}
