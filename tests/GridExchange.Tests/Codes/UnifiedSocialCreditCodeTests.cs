using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class UnifiedSocialCreditCodeTests
{
    [Theory]
    [InlineData("91350100M000100Y43")]
    [InlineData("91512081MA62K0260E")]
    [InlineData("91370602MA3C000005")]
    public void Validate_ValidCode_IsOk(string code)
    {
        Assert.Equal(CodeCheck.Ok, UnifiedSocialCreditCode.Validate(code));
    }

    [Theory]
    [InlineData("91350100M000100Y4", '3')]
    [InlineData("91512081MA62K0260", 'E')]
    public void ComputeCheckCharacter_DomainVectors_MatchesGb32100(string first17, char expected)
    {
        Assert.Equal(expected, UnifiedSocialCreditCode.ComputeCheckCharacter(first17));
    }

    [Theory]
    [InlineData("")]
    [InlineData("91350100M000100Y")]
    [InlineData("91350100M000100Y43")]
    [InlineData("91350100M000100I4")]
    [InlineData("91350100m000100Y4")]
    public void ComputeCheckCharacter_NotSeventeenAlphabetCharacters_Throws(string first17)
    {
        Assert.Throws<ArgumentException>(() => UnifiedSocialCreditCode.ComputeCheckCharacter(first17));
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData(" \t", ErrorReasons.RequiredField)]
    [InlineData("91350100M000100Y43 ", ErrorReasons.InvalidFormat)]
    [InlineData("91350100 M000100Y4", ErrorReasons.InvalidFormat)]
    [InlineData("91350100M000100Y4", ErrorReasons.InvalidLength)]
    [InlineData("91350100M000100Y433", ErrorReasons.InvalidLength)]
    [InlineData("91350100M000100Y4Z", ErrorReasons.InvalidFormat)] // the DOMAIN's invalid vector: Z is not in the alphabet
    [InlineData("91350100I000100Y43", ErrorReasons.InvalidFormat)]
    [InlineData("91350100O000100Y43", ErrorReasons.InvalidFormat)]
    [InlineData("91350100S000100Y43", ErrorReasons.InvalidFormat)]
    [InlineData("91350100V000100Y43", ErrorReasons.InvalidFormat)]
    [InlineData("91350100Z000100Y43", ErrorReasons.InvalidFormat)]
    [InlineData("91350100m000100y43", ErrorReasons.InvalidFormat)] // lower case rejected
    [InlineData("91512081MA62K0260e", ErrorReasons.InvalidFormat)]
    [InlineData("91350100M000100Y4-", ErrorReasons.InvalidFormat)]
    [InlineData("91350100M000100Y44", ErrorReasons.InvalidCheckDigit)]
    [InlineData("91512081MA62K0260F", ErrorReasons.InvalidCheckDigit)]
    [InlineData("91350100M000100Y34", ErrorReasons.InvalidCheckDigit)] // transposition
    public void Validate_InvalidCode_FailsWithReason(string? code, string reason)
    {
        var check = UnifiedSocialCreditCode.Validate(code);

        Assert.False(check.IsValid);
        Assert.Equal(reason, check.Reason);
    }

    [Theory]
    [InlineData("91350100M000100Y4", "91350100M000100Y43")]
    [InlineData("91512081MA62K0260", "91512081MA62K0260E")]
    public void Create_ValidPrefix_AppendsCheckCharacter(string first17, string expected)
    {
        Assert.Equal(expected, UnifiedSocialCreditCode.Create(first17));
    }

    [Fact]
    public void Create_EveryCheckValue_ProducesValidCodes()
    {
        // Varying the last body character walks the check value through all 31 residues.
        var checks = new HashSet<char>();
        foreach (var c in UnifiedSocialCreditCode.Alphabet)
        {
            var code = UnifiedSocialCreditCode.Create("91370602MA3C0000" + c);
            Assert.True(UnifiedSocialCreditCode.Validate(code).IsValid, code);
            checks.Add(code[^1]);
        }

        Assert.Equal(31, checks.Count);
    }
}
