using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class ContactTests
{
    [Theory]
    [InlineData("13812345678", true)]
    [InlineData("19912345678", true)]
    [InlineData("1381234567", false)]
    [InlineData("138123456789", false)]
    [InlineData("23812345678", false)]
    [InlineData("138-1234-5678", false)]
    [InlineData("13812345678\n", false)] // $ would have matched before the newline
    [InlineData("１３８１２３４５６７８", false)] // full-width digits
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsMobile_Value_MatchesElevenDigitsStartingWithOne(string? value, bool expected)
    {
        Assert.Equal(expected, Contact.IsMobile(value));
    }

    [Theory]
    [InlineData("0535-6123456", true)]
    [InlineData("05356123456", true)]
    [InlineData("010-12345678", true)]
    [InlineData("01012345678", true)]
    [InlineData("0535-61234567", true)]
    [InlineData("0535-612345", false)] // 6-digit local number
    [InlineData("0535--6123456", false)]
    [InlineData("535-6123456", false)]
    [InlineData("0535-6123456\n", false)]
    [InlineData("13812345678", false)]
    [InlineData(null, false)]
    public void IsLandline_Value_MatchesAreaCodeAndLocalNumber(string? value, bool expected)
    {
        Assert.Equal(expected, Contact.IsLandline(value));
    }

    [Theory]
    [InlineData("13812345678")]
    [InlineData("0535-6123456")]
    public void Validate_MobileOrLandline_IsOk(string value)
    {
        Assert.Equal(CodeCheck.Ok, Contact.Validate(value));
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("  ", ErrorReasons.RequiredField)]
    [InlineData("1381234567", ErrorReasons.InvalidFormat)]
    [InlineData("138 1234 5678", ErrorReasons.InvalidFormat)]
    [InlineData("000000000000000000000000000000000000000000000000000", ErrorReasons.InvalidLength)] // 51 characters
    public void Validate_InvalidContact_FailsWithReason(string? value, string reason)
    {
        Assert.Equal(reason, Contact.Validate(value).Reason);
    }
}
