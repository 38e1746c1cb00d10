using System.Reflection;
using System.Text.RegularExpressions;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Errors;

public class ErrorReasonsTests
{
    private static readonly string[] ContractReasons =
    [
        "RESYNC_REQUIRED", "STALE_VERSION", "OUT_OF_JURISDICTION", "INVALID_CHECK_DIGIT", "INVALID_CODE",
        "INVALID_FORMAT", "INVALID_LENGTH", "INVALID_DATE", "REQUIRED_FIELD", "INCONSISTENT_FIELDS",
        "PAYLOAD_MISMATCH", "UNSUPPORTED_ENTITY_TYPE", "NOT_FOUND", "DUPLICATE", "ILLEGAL_TRANSITION",
        "VERSION_CONFLICT", "INVALID_CURSOR", "INVALID_PAGE_TOKEN", "INVALID_PAGE_SIZE", "UNAUTHENTICATED",
        "CREDENTIAL_REVOKED", "ROLE_NOT_GRANTED", "DATA_CLASS_NOT_GRANTED", "DIRECTIVE_NOT_DOWNWARD",
        "RATE_LIMITED", "DEADLINE_REQUIRED", "MESSAGE_TOO_LARGE", "NOT_YET_AVAILABLE",
    ];

    private static Dictionary<string, string> Reasons() =>
        typeof(ErrorReasons)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(ErrorReasons.Domain))
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Constants_EveryValue_EqualsItsNameInScreamingSnakeCase()
    {
        foreach (var (name, value) in Reasons())
        {
            var expected = Regex.Replace(name, "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant();
            Assert.Equal(expected, value);
        }
    }

    [Fact]
    public void Constants_AllContractReasons_ArePresent()
    {
        var values = Reasons().Values.ToHashSet();
        Assert.All(ContractReasons, reason => Assert.Contains(reason, values));
    }

    [Fact]
    public void Domain_Value_IsThePackageName()
    {
        Assert.Equal("gridexchange.v1", ErrorReasons.Domain);
    }

    [Fact]
    public void Ok_Always_IsValidWithoutReasonOrMessage()
    {
        Assert.Equal(new CodeCheck(true, null, null), CodeCheck.Ok);
    }

    [Fact]
    public void Fail_WithReasonAndMessage_IsInvalidAndCarriesBoth()
    {
        var check = CodeCheck.Fail(ErrorReasons.InvalidCode, "bad");

        Assert.False(check.IsValid);
        Assert.Equal("INVALID_CODE", check.Reason);
        Assert.Equal("bad", check.Message);
    }

    [Theory]
    [InlineData("", "message")]
    [InlineData("INVALID_CODE", "")]
    public void Fail_EmptyArgument_Throws(string reason, string message)
    {
        Assert.Throws<ArgumentException>(() => CodeCheck.Fail(reason, message));
    }
}
