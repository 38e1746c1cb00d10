using GridExchange.Domain.Codes;
using GridExchange.Domain.Time;
using Microsoft.Extensions.Time.Testing;

namespace GridExchange.Tests.Time;

public class ChinaTimeTests
{
    [Theory]
    [InlineData("2025-06-14T15:59:59Z", 2025, 6, 14)]
    [InlineData("2025-06-14T16:00:00Z", 2025, 6, 15)] // midnight in Beijing
    [InlineData("2024-12-31T16:00:00Z", 2025, 1, 1)]
    public void Today_UtcInstant_IsTheDateAtUtcPlusEight(string utc, int year, int month, int day)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(new DateOnly(year, month, day), ChinaTime.Today(time));
    }

    [Fact]
    public void Now_AnyInstant_HasOffsetEightHours()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 14, 12, 0, 0, TimeSpan.Zero));

        var now = ChinaTime.Now(time);

        Assert.Equal(TimeSpan.FromHours(8), now.Offset);
        Assert.Equal(time.GetUtcNow(), now);
    }

    [Fact]
    public void Today_BabyBornJustAfterMidnightInBeijing_IdIsValidThoughUtcDateIsYesterday()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 14, 15, 30, 0, TimeSpan.Zero));
        var id = CitizenId.Create("370602", new DateOnly(2025, 6, 15), 2);

        Assert.False(CitizenId.Validate(id, ChinaTime.Today(time)).IsValid);
        time.Advance(TimeSpan.FromHours(1)); // 00:30 in Beijing, still 14 June in UTC
        Assert.True(CitizenId.Validate(id, ChinaTime.Today(time)).IsValid);
    }
}
