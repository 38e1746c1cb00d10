using System.Diagnostics;

namespace GridExchange.Benchmarks.Infrastructure;

/// <summary>
/// Where database time goes, without touching the store: listens to Npgsql's
/// <see cref="ActivitySource"/> (one activity per command and per COPY) and sums durations by
/// statement. Only switched on for the short profiling pass after the timed runs, since
/// listening costs a little.
/// </summary>
internal sealed class SqlProfiler : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly Dictionary<string, (int Count, TimeSpan Total)> _totals = [];
    private readonly Lock _gate = new();

    public SqlProfiler()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Total time and count per statement, longest first.</summary>
    public IReadOnlyList<(string Statement, int Count, TimeSpan Total)> Totals()
    {
        lock (_gate)
        {
            return [.. _totals.Select(t => (t.Key, t.Value.Count, t.Value.Total)).OrderByDescending(t => t.Total)];
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Activity activity)
    {
        var text = activity.GetTagItem("db.query.text") as string ?? activity.GetTagItem("db.statement") as string ?? activity.DisplayName;
        var key = Shorten(text);
        lock (_gate)
        {
            var (count, total) = _totals.GetValueOrDefault(key);
            _totals[key] = (count + 1, total + activity.Duration);
        }
    }

    private static string Shorten(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 70 ? flat : flat[..70] + "…";
    }
}
