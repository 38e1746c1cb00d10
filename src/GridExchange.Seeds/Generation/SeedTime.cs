namespace GridExchange.Seeds.Generation;

/// <summary>Beijing time (UTC+8, no daylight saving) and working-day arithmetic, weekends only (holidays are configuration in the hub).</summary>
internal static class SeedTime
{
    public static readonly TimeSpan Offset = GridExchange.Domain.Time.ChinaTime.Offset;

    /// <summary>Midnight at the start of <paramref name="date"/> in Beijing.</summary>
    public static DateTimeOffset StartOf(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), Offset);

    public static DateTimeOffset AddWorkingDays(DateTimeOffset instant, int days)
    {
        var local = instant.ToOffset(Offset);
        while (days > 0)
        {
            local = local.AddDays(1);
            if (local.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                days--;
            }
        }

        return local;
    }

    public static string Date(DateTimeOffset instant) =>
        instant.ToOffset(Offset).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    public static string Date(DateOnly date) => date.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
}
