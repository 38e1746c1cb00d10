using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Codes;

public class CitizenIdTests
{
    private static readonly DateOnly Today = new(2025, 6, 15);

    [Theory]
    [InlineData("34052419800101001X")]
    [InlineData("370101190102039973")]
    [InlineData("370602198001011234")]
    [InlineData("370602200002290028")] // 29 February of a leap year
    [InlineData("370602190001010016")] // the earliest accepted date
    [InlineData("37060220250615001X")] // born today
    public void Validate_ValidId_IsOk(string id)
    {
        Assert.Equal(CodeCheck.Ok, CitizenId.Validate(id, Today));
    }

    [Theory]
    [InlineData("34052419800101001", 'X')]
    [InlineData("37010119010203997", '3')]
    [InlineData("37060219800101123", '4')]
    [InlineData("37060219800101000", '4')]
    public void ComputeCheckCharacter_KnownPrefix_MatchesGb11643(string first17, char expected)
    {
        Assert.Equal(expected, CitizenId.ComputeCheckCharacter(first17));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234567890123456")]
    [InlineData("123456789012345678")]
    [InlineData("1234567890123456A")]
    [InlineData("１２３４５６７８９０１２３４５６７")] // full-width digits
    public void ComputeCheckCharacter_NotSeventeenAsciiDigits_Throws(string first17)
    {
        Assert.Throws<ArgumentException>(() => CitizenId.ComputeCheckCharacter(first17.AsSpan()));
    }

    [Theory]
    [InlineData(null, ErrorReasons.RequiredField)]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("   ", ErrorReasons.RequiredField)]
    [InlineData(" 34052419800101001X", ErrorReasons.InvalidFormat)] // not trimmed
    [InlineData("34052419800101001X ", ErrorReasons.InvalidFormat)]
    [InlineData("340524 19800101001", ErrorReasons.InvalidFormat)]
    [InlineData("34052419800101001X\u3000", ErrorReasons.InvalidFormat)] // full-width space
    [InlineData("34052419800101001", ErrorReasons.InvalidLength)]
    [InlineData("34052419800101001XX", ErrorReasons.InvalidLength)]
    [InlineData("340524800101001", ErrorReasons.InvalidLength)] // legacy 15-digit
    [InlineData("34052419800101001x", ErrorReasons.InvalidFormat)] // lower-case x rejected
    [InlineData("3405241980010100X1", ErrorReasons.InvalidFormat)] // X not last
    [InlineData("A40524198001010011", ErrorReasons.InvalidFormat)]
    [InlineData("34052419800101001Y", ErrorReasons.InvalidFormat)]
    [InlineData("３４０５２４１９８００１０１００１X", ErrorReasons.InvalidFormat)] // full-width digits
    [InlineData("370602198002300011", ErrorReasons.InvalidDate)] // 30 February
    [InlineData("370602190002290013", ErrorReasons.InvalidDate)] // 1900 was not a leap year
    [InlineData("37060219801301001X", ErrorReasons.InvalidDate)] // month 13
    [InlineData("370602198001000017", ErrorReasons.InvalidDate)] // day 0
    [InlineData("370602189912310011", ErrorReasons.InvalidDate)] // before 1900
    [InlineData("370602202506160015", ErrorReasons.InvalidDate)] // tomorrow
    [InlineData("340524198001010010", ErrorReasons.InvalidCheckDigit)]
    [InlineData("370101190102039972", ErrorReasons.InvalidCheckDigit)]
    [InlineData("37010119010203997X", ErrorReasons.InvalidCheckDigit)]
    public void Validate_InvalidId_FailsWithReason(string? id, string reason)
    {
        var check = CitizenId.Validate(id, Today);

        Assert.False(check.IsValid);
        Assert.Equal(reason, check.Reason);
        Assert.False(string.IsNullOrEmpty(check.Message));
    }

    [Fact]
    public void Validate_AnyFailure_DoesNotEchoTheId()
    {
        const string Id = "340524198001010010";

        var check = CitizenId.Validate(Id, Today);

        Assert.DoesNotContain(Id, check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FutureDateBecomesPast_PassesOnceTodayArrives()
    {
        const string Id = "370602202506160015"; // verified check character, born 2025-06-16

        Assert.Equal(ErrorReasons.InvalidDate, CitizenId.Validate(Id, Today).Reason);
        Assert.True(CitizenId.Validate(Id, Today.AddDays(1)).IsValid);
    }

    [Theory]
    [InlineData("34052419800101001X", "340524", 1980, 1, 1, 1, true)]
    [InlineData("370101190102039973", "370101", 1901, 2, 3, 997, true)]
    [InlineData("370602200002290028", "370602", 2000, 2, 29, 2, false)]
    public void TryParse_ValidId_ReturnsEncodedFields(string id, string address, int year, int month, int day, int sequence, bool isMale)
    {
        Assert.True(CitizenId.TryParse(id, Today, out var info));
        Assert.Equal(new CitizenIdInfo(address, new DateOnly(year, month, day), sequence, isMale), info);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("34052419800101001x")]
    [InlineData("340524198001010010")]
    public void TryParse_InvalidId_ReturnsFalseAndDefault(string? id)
    {
        Assert.False(CitizenId.TryParse(id, Today, out var info));
        Assert.Equal(default, info);
    }

    [Theory]
    [InlineData("340524", 1980, 1, 1, 1, "34052419800101001X")]
    [InlineData("370101", 1901, 2, 3, 997, "370101190102039973")]
    [InlineData("370602", 1980, 1, 1, 123, "370602198001011234")]
    [InlineData("370602", 1980, 1, 1, 0, "370602198001010004")]
    public void Create_ValidParts_ProducesKnownId(string address, int year, int month, int day, int sequence, string expected)
    {
        Assert.Equal(expected, CitizenId.Create(address, new DateOnly(year, month, day), sequence));
    }

    [Fact]
    public void Create_EveryDayOfALeapYear_RoundTripsThroughTryParse()
    {
        for (var date = new DateOnly(2024, 1, 1); date.Year == 2024; date = date.AddDays(1))
        {
            var sequence = date.DayOfYear % 1000;
            var id = CitizenId.Create("370602", date, sequence);

            Assert.True(CitizenId.TryParse(id, Today, out var info), id);
            Assert.Equal(new CitizenIdInfo("370602", date, sequence, sequence % 2 == 1), info);
        }
    }

    [Theory]
    [InlineData("37060", 0)]
    [InlineData("3706021", 0)]
    [InlineData("37060A", 0)]
    [InlineData("370602", -1)]
    [InlineData("370602", 1000)]
    public void Create_InvalidParts_Throws(string address, int sequence)
    {
        Assert.ThrowsAny<ArgumentException>(() => CitizenId.Create(address, new DateOnly(1980, 1, 1), sequence));
    }

    [Fact]
    public void Create_BirthBefore1900_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CitizenId.Create("370602", new DateOnly(1899, 12, 31), 1));
    }

    [Theory]
    [InlineData("34052419800101001X", 1980, 1, 1, true)]
    [InlineData("370602200002290028", 2000, 2, 29, false)]
    [InlineData("370602202506160015", 2025, 6, 16, true)] // future dates are Validate's concern
    public void CheckConsistency_MatchingFields_IsOk(string id, int year, int month, int day, bool isMale)
    {
        Assert.Equal(CodeCheck.Ok, CitizenId.CheckConsistency(id, new DateOnly(year, month, day), isMale));
    }

    [Theory]
    [InlineData("34052419800101001X", 1980, 1, 2, true)] // date off by a day
    [InlineData("34052419800101001X", 1980, 1, 1, false)] // odd sequence is male
    [InlineData("370602200002290028", 2000, 2, 29, true)] // even sequence is female
    [InlineData("370602200002290028", 2000, 3, 1, false)]
    public void CheckConsistency_DisagreeingFields_FailsInconsistent(string id, int year, int month, int day, bool isMale)
    {
        Assert.Equal(ErrorReasons.InconsistentFields, CitizenId.CheckConsistency(id, new DateOnly(year, month, day), isMale).Reason);
    }

    [Theory]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("340524198001010010", ErrorReasons.InvalidCheckDigit)]
    [InlineData("34052419800101001x", ErrorReasons.InvalidFormat)]
    public void CheckConsistency_MalformedId_ReportsTheIdsOwnFailure(string id, string reason)
    {
        Assert.Equal(reason, CitizenId.CheckConsistency(id, new DateOnly(1980, 1, 1), true).Reason);
    }

    [Theory]
    [InlineData("340524800101001", "34052419800101001X")]
    [InlineData("370602800101123", "370602198001011234")]
    public void TryUpgradeLegacy_ValidLegacyNumber_InsertsCenturyAndCheck(string legacy, string expected)
    {
        Assert.True(CitizenId.TryUpgradeLegacy(legacy, Today, out var id));
        Assert.Equal(expected, id);
        Assert.True(CitizenId.Validate(id, Today).IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("34052480010100")] // 14 digits
    [InlineData("34052480010100X")]
    [InlineData("340524800230001")] // 30 February
    [InlineData("370602000229002")] // 1900 was not a leap year
    [InlineData("340524800101997")] // centenarian sequence: born before 1900
    public void TryUpgradeLegacy_InvalidLegacyNumber_ReturnsFalse(string? legacy)
    {
        Assert.False(CitizenId.TryUpgradeLegacy(legacy, Today, out var id));
        Assert.Equal(string.Empty, id);
    }
}
