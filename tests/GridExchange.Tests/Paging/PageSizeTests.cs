using GridExchange.Domain.Errors;
using GridExchange.Domain.Paging;

namespace GridExchange.Tests.Paging;

public class PageSizeTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 1)]
    [InlineData(100, 100)]
    [InlineData(999, 999)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1000)]
    [InlineData(int.MaxValue, 1000)]
    public void Normalize_NonNegative_DefaultsAndClamps(int requested, int expected)
    {
        Assert.Equal(expected, PageSize.Normalize(requested));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Normalize_Negative_Throws(int requested)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PageSize.Normalize(requested));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(5000)] // clamped, not rejected
    public void Validate_NonNegative_IsOk(int requested)
    {
        Assert.Equal(CodeCheck.Ok, PageSize.Validate(requested));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Validate_Negative_FailsInvalidPageSize(int requested)
    {
        Assert.Equal(ErrorReasons.InvalidPageSize, PageSize.Validate(requested).Reason);
    }

    [Fact]
    public void Constants_Contract_AreDefault100AndMax1000()
    {
        Assert.Equal(100, PageSize.Default);
        Assert.Equal(1000, PageSize.Max);
    }
}
