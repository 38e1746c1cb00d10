namespace GridExchange.Domain.Time;

/// <summary>
/// China Standard Time (UTC+8, no daylight saving since 1991), in which "today" is reckoned for
/// birth dates, deadlines and working days. A fixed offset, so it needs no time-zone database.
/// </summary>
public static class ChinaTime
{
    /// <summary>The UTC offset of China Standard Time.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    /// <summary>The current instant in China Standard Time.</summary>
    public static DateTimeOffset Now(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return timeProvider.GetUtcNow().ToOffset(Offset);
    }

    /// <summary>The current date in China.</summary>
    public static DateOnly Today(TimeProvider timeProvider) => DateOnly.FromDateTime(Now(timeProvider).DateTime);
}
