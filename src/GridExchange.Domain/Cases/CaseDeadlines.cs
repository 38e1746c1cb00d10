using GridExchange.Domain.Time;
using GridExchange.V1;

namespace GridExchange.Domain.Cases;

/// <summary>
/// The deadlines of a hub-managed case (DOMAIN §3.1): accept within
/// <see cref="AcceptYellowDays"/> working days or get a yellow card, within
/// <see cref="AcceptRedDays"/> or get a red one; the same for handling, counted from acceptance.
/// One real platform's defaults: 1 / 2 and 5 / 10.
/// </summary>
public sealed class CaseDeadlineSettings
{
    /// <summary>Working days to accept a reported or escalated case before a yellow card.</summary>
    public int AcceptYellowDays { get; init; } = 1;

    /// <summary>Working days to accept before a red card.</summary>
    public int AcceptRedDays { get; init; } = 2;

    /// <summary>Working days from acceptance to resolution before a yellow card.</summary>
    public int HandleYellowDays { get; init; } = 5;

    /// <summary>Working days from acceptance to resolution before a red card.</summary>
    public int HandleRedDays { get; init; } = 10;

    /// <summary>Public holidays (Beijing dates) that are not working days although on a weekday.</summary>
    public IReadOnlySet<DateOnly> Holidays { get; init; } = new HashSet<DateOnly>();

    /// <summary>Weekend days worked in exchange for a holiday (调休): working days although on a weekend.</summary>
    public IReadOnlySet<DateOnly> WorkingWeekendDays { get; init; } = new HashSet<DateOnly>();

    /// <summary>Whether <paramref name="date"/> (in China) is a working day.</summary>
    public bool IsWorkingDay(DateOnly date) =>
        WorkingWeekendDays.Contains(date)
        || (date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !Holidays.Contains(date));

    /// <summary>
    /// The instant <paramref name="days"/> working days after <paramref name="start"/>: the same
    /// Beijing time of day on the <paramref name="days"/>-th working day after the start's date. A
    /// start on a non-working day counts from 00:00 of the next working day (a case reported on
    /// Saturday has all of Monday for a one-day deadline).
    /// </summary>
    public DateTimeOffset AddWorkingDays(DateTimeOffset start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var local = start.ToOffset(ChinaTime.Offset);
        var date = DateOnly.FromDateTime(local.DateTime);
        var time = local.TimeOfDay;
        if (!IsWorkingDay(date))
        {
            date = NextWorkingDay(date);
            time = TimeSpan.Zero;
        }

        for (var i = 0; i < days; i++)
        {
            date = NextWorkingDay(date);
        }

        return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue) + time, ChinaTime.Offset).ToUniversalTime();
    }

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem() =>
        AcceptYellowDays < 0 || HandleYellowDays < 0 || AcceptRedDays < AcceptYellowDays || HandleRedDays < HandleYellowDays
            ? "Case deadlines must be 0 or more working days, and each red-card deadline at least its yellow-card one."
            : null;

    private DateOnly NextWorkingDay(DateOnly date)
    {
        // A year without a working day cannot be configured by mistake into an endless loop.
        for (var i = 0; i < 366; i++)
        {
            date = date.AddDays(1);
            if (IsWorkingDay(date))
            {
                return date;
            }
        }

        throw new InvalidOperationException("No working day within a year: check the holiday calendar.");
    }
}

/// <summary>
/// The two waits of a hub-managed case and their deadlines: the accept wait (from the report or
/// the escalation until ACCEPT or VOID) and the handle wait (from ACCEPT until the case is
/// RESOLVED; a failed verification resumes it). A wait's end stays set when it is over, so a card
/// earned by finishing late is kept; escalation starts a fresh accept wait at the level above and
/// clears the handle wait. What the overdue level and the warning colour are computed from at
/// read time; the stores keep them in columns (migration 13).
/// </summary>
/// <param name="AcceptYellow">Yellow-card accept deadline; null when no accept wait has started.</param>
/// <param name="AcceptRed">Red-card accept deadline.</param>
/// <param name="AcceptEnd">When the accept wait ended; null while waiting.</param>
/// <param name="HandleYellow">Yellow-card handle deadline; null before acceptance.</param>
/// <param name="HandleRed">Red-card handle deadline.</param>
/// <param name="HandleEnd">When the case was resolved; null while handling.</param>
public sealed record CaseTimes(
    DateTimeOffset? AcceptYellow, DateTimeOffset? AcceptRed, DateTimeOffset? AcceptEnd,
    DateTimeOffset? HandleYellow, DateTimeOffset? HandleRed, DateTimeOffset? HandleEnd)
{
    /// <summary>How far behind its deadlines the case is at <paramref name="now"/> (never changes its state).</summary>
    public OverdueLevel OverdueAt(DateTimeOffset now)
    {
        var card = Math.Max(Card(AcceptYellow, AcceptRed, AcceptEnd, now), Card(HandleYellow, HandleRed, HandleEnd, now));
        return card switch
        {
            2 => OverdueLevel.RedCard,
            1 => OverdueLevel.YellowCard,
            _ => OverdueLevel.None,
        };
    }

    // A deadline is missed when the wait ended after it, or is still running past it.
    private static int Card(DateTimeOffset? yellow, DateTimeOffset? red, DateTimeOffset? end, DateTimeOffset now)
    {
        if (yellow is not { } y)
        {
            return 0;
        }

        var t = end ?? now;
        return red is { } r && t > r ? 2 : t > y ? 1 : 0;
    }
}

/// <summary>
/// The four-colour warning (四色预警, DOMAIN §3.1): red &gt; orange &gt; yellow &gt; blue, from the
/// case's grade (GB/T 31000 5.8), scale (5.55) and overdue level. The colour is the highest of:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>grade — EXTRAORDINARY or MAJOR: red; LARGER: orange; GENERAL: yellow; unset: blue;</item>
/// <item>scale — MAJOR_GROUP: red; GENERAL_GROUP: orange; INDIVIDUAL: yellow; unset: blue;</item>
/// <item>overdue — RED_CARD: red; YELLOW_CARD: orange (a case behind its deadline may escalate); none: blue.</item>
/// </list>
/// So a case that is neither graded nor sized nor late is blue (latent), an ordinary individual
/// matter yellow, a group matter or a late one orange, a major one or a red card red.
/// </remarks>
public static class CaseWarnings
{
    /// <summary>The colour of a case with <paramref name="grade"/>, <paramref name="scale"/> and <paramref name="overdue"/>.</summary>
    public static WarningColor Color(CaseGrade grade, EventScale scale, OverdueLevel overdue)
    {
        var byGrade = grade switch
        {
            CaseGrade.Extraordinary or CaseGrade.Major => WarningColor.Red,
            CaseGrade.Larger => WarningColor.Orange,
            CaseGrade.General => WarningColor.Yellow,
            _ => WarningColor.Blue,
        };
        var byScale = scale switch
        {
            EventScale.MajorGroup => WarningColor.Red,
            EventScale.GeneralGroup => WarningColor.Orange,
            EventScale.Individual => WarningColor.Yellow,
            _ => WarningColor.Blue,
        };
        var byOverdue = overdue switch
        {
            OverdueLevel.RedCard => WarningColor.Red,
            OverdueLevel.YellowCard => WarningColor.Orange,
            _ => WarningColor.Blue,
        };
        return (WarningColor)Math.Max((int)byGrade, Math.Max((int)byScale, (int)byOverdue));
    }

    /// <summary>
    /// Sets <paramref name="record"/>'s overdue level and warning colour as of <paramref name="now"/>
    /// from <paramref name="times"/>; returns it. Applied to hub-managed cases on every read, so a
    /// deadline passing changes what readers see without a write (and without changing the state).
    /// </summary>
    public static Case Mark(Case record, CaseTimes times, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(times);
        record.OverdueLevel = times.OverdueAt(now);
        record.WarningColor = Color(record.Grade, record.Scale, record.OverdueLevel);
        return record;
    }
}
