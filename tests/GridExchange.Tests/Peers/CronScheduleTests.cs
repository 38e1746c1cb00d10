using GridExchange.Domain.Errors;
using GridExchange.Domain.Peers;

namespace GridExchange.Tests.Peers;

public sealed class CronScheduleTests
{
    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("0 2 * * *")]
    [InlineData("0,30 8-18 * * MON-FRI")]
    [InlineData("15 3 1 JAN,jul *")]
    [InlineData("0 0 * * 0")]
    [InlineData("0 0 * * 7")]
    [InlineData("0-59/10 0-23/2 1-31/3 1-12/6 0-7/7")]
    [InlineData("  0   2 * * *  ")]
    public void Valid_FiveFieldExpressions_Pass(string expression) =>
        Assert.Equal(CodeCheck.Ok, CronSchedule.Validate(expression));

    [Theory]
    [InlineData("* * * *", "5-field")]
    [InlineData("0 * * * * *", "5-field")]
    [InlineData("0\t2 * * *", "5-field")]
    [InlineData("60 * * * *", "minute field '60'")]
    [InlineData("* 24 * * *", "hour field '24'")]
    [InlineData("* * 0 * *", "day-of-month field '0'")]
    [InlineData("* * 32 * *", "day-of-month field '32'")]
    [InlineData("* * * 13 *", "month field '13'")]
    [InlineData("* * * * 8", "day-of-week field '8'")]
    [InlineData("* * * * MON-SUNDAY", "day-of-week field")]
    [InlineData("MON * * * *", "minute field 'MON'")]
    [InlineData("*/0 * * * *", "step '0'")]
    [InlineData("*/x * * * *", "step 'x'")]
    [InlineData("30-10 * * * *", "runs backwards")]
    [InlineData("1,,2 * * * *", "empty list item")]
    [InlineData("? * * * *", "minute field '?'")]
    [InlineData("* * L * *", "day-of-month field 'L'")]
    [InlineData("* * * * 5#3", "day-of-week field '5#3'")]
    [InlineData("-1 * * * *", "minute field '-1'")]
    public void Invalid_Expressions_FailWithInvalidFormat_NamingTheField(string expression, string named)
    {
        var check = CronSchedule.Validate(expression);
        Assert.False(check.IsValid);
        Assert.Equal(ErrorReasons.InvalidFormat, check.Reason);
        Assert.Contains(named, check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlongExpressions_AreInvalidLength()
    {
        var check = CronSchedule.Validate("0 " + string.Join(',', Enumerable.Repeat("1", 60)) + " * * *");
        Assert.Equal(ErrorReasons.InvalidLength, check.Reason);
    }
}
