using System.Reflection;
using System.Text.RegularExpressions;
using GridExchange.Domain.Errors;

namespace GridExchange.Tests.Errors;

public class ErrorReasonsTests
{
    // The reasons the contract defines: the ErrorReason enum of errors.proto, read from the
    // generated code, so a reason added to the protos without a constant (or the reverse) fails.
    private static readonly string[] ContractReasons =
        GridExchange.V1.ErrorsReflection.Descriptor.EnumTypes.Single(e => e.Name == "ErrorReason").Values
            .Where(v => v.Number != 0)
            .Select(v => v.Name["ERROR_REASON_".Length..])
            .ToArray();

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
    public void Constants_EveryConstant_IsAContractReason()
    {
        Assert.True(ContractReasons.Length >= 34);
        Assert.All(Reasons().Values, value => Assert.Contains(value, ContractReasons));
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
