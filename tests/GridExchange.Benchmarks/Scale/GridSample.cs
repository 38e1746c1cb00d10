using GridExchange.V1;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Which part of the generated counties a run loads when it asks for fewer residents than they
/// hold: whole grids, picked by a hash of the grid code, so a grid's houses, households,
/// persons and cases come together (a county is the generator's smallest unit, ≈ 0.7 million
/// persons) and the kept grids spread over every township. Region records (12-digit codes) are
/// always kept: they are the parents of everything else.
/// </summary>
internal sealed class GridSample
{
    private const uint Buckets = 10_000;
    private readonly uint _kept;

    /// <param name="share">The share of grids kept, 0–1.</param>
    public GridSample(double share)
    {
        Share = Math.Clamp(share, 0, 1);
        _kept = (uint)Math.Round(Share * Buckets);
    }

    /// <summary>The share of grids kept.</summary>
    public double Share { get; }

    /// <summary>Whether <paramref name="change"/> is loaded.</summary>
    public bool Keeps(Change change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Keeps(change.RegionCode);
    }

    /// <summary>
    /// Whether a seed file's raw line is loaded, judged by its <c>regionCode</c> field as the
    /// generator writes it (JsonFormatter's default layout), before the costly JSON parse: a
    /// small run keeps a tenth of two counties' lines. A line laid out otherwise is kept, and
    /// judged by <see cref="Keeps(Change)"/> once parsed.
    /// </summary>
    public bool KeepsLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        const string Field = "\"regionCode\": \"";
        var start = line.IndexOf(Field, StringComparison.Ordinal);
        if (_kept >= Buckets || start < 0)
        {
            return true;
        }

        start += Field.Length;
        var end = line.IndexOf('"', start);
        return end < 0 || Keeps(line[start..end]);
    }

    private bool Keeps(string regionCode) =>
        _kept >= Buckets || regionCode.Length != 15 || Fnv1a(regionCode) % Buckets < _kept;

    // FNV-1a: stable across runs and processes, unlike string.GetHashCode.
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
