using GridExchange.Hub.Services;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>Which database failures the hub reports as retryable UNAVAILABLE.</summary>
public sealed class StoreErrorClassTests
{
    [Theory]
    [InlineData("08006", true)]  // connection failure
    [InlineData("57P01", true)]  // admin shutdown
    [InlineData("40001", true)]  // serialization failure
    [InlineData("53300", true)]  // too many connections
    [InlineData(null, true)]     // provider without SQLSTATE (SQLite busy)
    [InlineData("22021", false)] // invalid byte sequence: bad data, a retry repeats it
    [InlineData("23505", false)] // unique violation
    [InlineData("42P01", false)] // undefined table: a bug
    public void OnlyTransientSqlStates_AreUnavailable(string? sqlState, bool transient) =>
        Assert.Equal(transient, StoreUnavailableInterceptor.IsTransient(sqlState));
}
