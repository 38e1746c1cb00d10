using System.Globalization;
using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Peers;

/// <summary>
/// The schedule of a peer's sync runs (<c>Peer.schedule</c>): a classic 5-field cron expression
/// — minute, hour, day of month, month, day of week — in China Standard Time.
/// </summary>
/// <remarks>
/// Deliberately the portable subset every cron dialect reads alike: <c>*</c>, numbers, ranges
/// <c>a-b</c>, steps <c>*/n</c> and <c>a-b/n</c>, lists <c>a,b</c>, English month and weekday
/// names (<c>JAN</c>, <c>MON</c>), day of week 0–7 with 0 and 7 both Sunday. Quartz/Cronos
/// extensions (<c>?</c>, <c>L</c>, <c>W</c>, <c>#</c>, a seconds field) are refused, so whatever
/// scheduler the sync engine hands the expression to (Hangfire reads a superset) runs exactly
/// what the operator was shown to be valid.
/// </remarks>
public static class CronSchedule
{
    /// <summary>The longest schedule accepted.</summary>
    public const int MaxLength = 100;

    private static readonly string[] FieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"];
    private static readonly (int Min, int Max)[] Ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] Days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>
    /// Validates a non-empty schedule. An empty schedule (no scheduled runs) is valid for a
    /// peer and is not passed here.
    /// </summary>
    /// <returns><see cref="CodeCheck.Ok"/>, or <see cref="ErrorReasons.InvalidLength"/> / <see cref="ErrorReasons.InvalidFormat"/> naming the field that is wrong.</returns>
    public static CodeCheck Validate(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.Length > MaxLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, $"A schedule is at most {MaxLength} characters.");
        }

        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5 || expression.Any(c => c != ' ' && char.IsWhiteSpace(c)))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat,
                "A schedule is a 5-field cron expression separated by spaces: minute hour day-of-month month day-of-week (China Standard Time), e.g. '*/5 * * * *'.");
        }

        for (var i = 0; i < fields.Length; i++)
        {
            if (CheckField(fields[i], i) is { } problem)
            {
                return CodeCheck.Fail(ErrorReasons.InvalidFormat,
                    $"Cron {FieldNames[i]} field '{fields[i]}': {problem} (allowed {Ranges[i].Min}-{Ranges[i].Max}, '*', ranges a-b, steps */n, lists a,b).");
            }
        }

        return CodeCheck.Ok;
    }

    private static string? CheckField(string field, int index)
    {
        foreach (var item in field.Split(','))
        {
            if (item.Length == 0)
            {
                return "empty list item";
            }

            var slash = item.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? item : item[..slash];
            if (slash >= 0)
            {
                var step = item[(slash + 1)..];
                if (!int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > Ranges[index].Max + 1)
                {
                    return $"step '{step}' is not a number from 1 to {Ranges[index].Max + 1}";
                }
            }

            if (range == "*")
            {
                continue;
            }

            var dash = range.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (Value(range, index) is null)
                {
                    return $"'{range}' is not a value of this field";
                }

                continue;
            }

            var low = Value(range[..dash], index);
            var high = Value(range[(dash + 1)..], index);
            if (low is null || high is null)
            {
                return $"'{range}' is not a range of this field's values";
            }

            if (low > high)
            {
                return $"range '{range}' runs backwards";
            }
        }

        return null;
    }

    private static int? Value(string text, int index)
    {
        var (min, max) = Ranges[index];
        if (text.Length is > 0 and <= 2 && text.All(char.IsAsciiDigit))
        {
            var value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
            return value >= min && value <= max ? value : null;
        }

        var names = index switch { 3 => Months, 4 => Days, _ => null };
        if (names is null)
        {
            return null;
        }

        var found = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        return found < 0 ? null : found + (index == 3 ? 1 : 0);
    }
}
