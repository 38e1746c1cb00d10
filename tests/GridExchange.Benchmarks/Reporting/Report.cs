using System.Globalization;
using System.Text;

namespace GridExchange.Benchmarks.Reporting;

/// <summary>Whether a figure meets its target.</summary>
internal enum Verdict
{
    /// <summary>No target: context only.</summary>
    None,

    /// <summary>Meets the target.</summary>
    Pass,

    /// <summary>Misses the target.</summary>
    Miss,
}

/// <summary>One line of the summary.</summary>
/// <param name="Area">What is measured (e.g. "PostgreSQL ingest").</param>
/// <param name="Figure">The measured path.</param>
/// <param name="Value">Its value, formatted with unit.</param>
/// <param name="Baseline">The same-run baseline it is compared with, or "".</param>
/// <param name="BaselineValue">The baseline's value, formatted, or "".</param>
/// <param name="Ratio">Figure ÷ baseline, formatted, or "".</param>
/// <param name="Target">The target, or "".</param>
/// <param name="Verdict">Whether it is met.</param>
internal sealed record SummaryLine(
    string Area, string Figure, string Value, string Baseline, string BaselineValue, string Ratio, string Target, Verdict Verdict);

/// <summary>
/// Collects the run's figures and prints them: a line as each is measured, and a markdown
/// summary at the end. Figures are compared only with baselines measured in the same run.
/// </summary>
internal sealed class Report
{
    private readonly List<SummaryLine> _lines = [];
    private readonly List<string> _notes = [];

    /// <summary>Records a throughput figure against a same-run baseline, with an optional minimum ratio.</summary>
    public void AddRate(string area, string figure, double rowsPerSecond, string baseline, double baselineRowsPerSecond, double? minRatio)
    {
        var ratio = rowsPerSecond / baselineRowsPerSecond;
        var verdict = minRatio is { } min ? (ratio >= min ? Verdict.Pass : Verdict.Miss) : Verdict.None;
        Add(new SummaryLine(area, figure, Rate(rowsPerSecond), baseline, Rate(baselineRowsPerSecond),
            Format($"{ratio:0.00}×"), minRatio is { } m ? Format($"≥ {m:0.0#}×") : "", verdict));
    }

    /// <summary>Records a measurement with an upper limit (e.g. a latency).</summary>
    public void AddLimit(string area, string figure, double value, string unit, double limit)
    {
        Add(new SummaryLine(area, figure, Format($"{value:0.0} {unit}"), "", "", "", Format($"< {limit:0} {unit}"),
            value < limit ? Verdict.Pass : Verdict.Miss));
    }

    /// <summary>
    /// Records a figure that should stay within ±<paramref name="tolerance"/> of a same-run
    /// baseline (e.g. a time at two table sizes): the ratio must lie in [1 − t, 1 + t].
    /// </summary>
    public void AddWithin(string area, string figure, double value, string baseline, double baselineValue, string unit, double tolerance)
    {
        var ratio = value / baselineValue;
        Add(new SummaryLine(area, figure, Format($"{value:0.###} {unit}"), baseline, Format($"{baselineValue:0.###} {unit}"),
            Format($"{ratio:0.00}×"), Format($"±{tolerance * 100:0}%"),
            Math.Abs(ratio - 1) <= tolerance ? Verdict.Pass : Verdict.Miss));
    }

    /// <summary>Records a figure for context, without a target.</summary>
    public void AddInfo(string area, string figure, string value, string baseline = "", string baselineValue = "", string ratio = "")
    {
        Add(new SummaryLine(area, figure, value, baseline, baselineValue, ratio, "", Verdict.None));
    }

    /// <summary>Records a note printed under the summary (skipped parts, errors).</summary>
    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine($"  note: {note}");
    }

    /// <summary>Writes the markdown summary.</summary>
    public void PrintSummary(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = new StringBuilder();
        text.AppendLine("| area | figure | value | baseline (same run) | baseline value | ratio | target | result |");
        text.AppendLine("|---|---|---:|---|---:|---:|---|---|");
        foreach (var line in _lines)
        {
            var result = line.Verdict switch { Verdict.Pass => "PASS", Verdict.Miss => "MISS", _ => "" };
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {line.Area} | {line.Figure} | {line.Value} | {line.Baseline} | {line.BaselineValue} | {line.Ratio} | {line.Target} | {result} |");
        }

        foreach (var note in _notes)
        {
            text.AppendLine();
            text.Append("- ").AppendLine(note);
        }

        output.Write(text.ToString());
    }

    /// <summary>Formats rows per second.</summary>
    public static string Rate(double rowsPerSecond) => Format($"{rowsPerSecond:N0} rows/s");

    /// <summary>Formats with the invariant culture.</summary>
    public static string Format(FormattableString value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.ToString(CultureInfo.InvariantCulture);
    }

    private void Add(SummaryLine line)
    {
        _lines.Add(line);
        var target = line.Target.Length == 0 ? "" : $"  [target {line.Target}: {line.Verdict.ToString().ToUpperInvariant()}]";
        var against = line.Baseline.Length == 0 ? "" : $"  vs {line.Baseline} {line.BaselineValue}{(line.Ratio.Length == 0 ? "" : " = " + line.Ratio)}";
        Console.WriteLine($"  {line.Area} | {line.Figure}: {line.Value}{against}{target}");
    }
}
