using System.Globalization;

namespace GridExchange.Benchmarks;

/// <summary>
/// The command line: <c>[--rows N] [--quick] [--no-sqlite]</c>. Sizes are chosen so the default
/// run takes at most about three minutes on two cores and <c>--quick</c> at most about 40 s.
/// </summary>
internal sealed record BenchmarkOptions
{
    /// <summary>Changes per ingest batch (SubmitChanges' maximum) and rows per pull page.</summary>
    public const int BatchSize = 1000;

    /// <summary>Rows ingested (and then pulled) on PostgreSQL.</summary>
    public int Rows { get; init; } = 200_000;

    /// <summary>Rows ingested (and then pulled) on SQLite.</summary>
    public int SqliteRows { get; init; } = 100_000;

    /// <summary>How long the streaming writer runs.</summary>
    public TimeSpan StreamingDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Timed repetitions of each pull path (the median is reported).</summary>
    public int PullRepetitions { get; init; } = 3;

    /// <summary>Whether to run the SQLite figures.</summary>
    public bool Sqlite { get; init; } = true;

    /// <summary>Whether this is the quick run.</summary>
    public bool Quick { get; init; }

    /// <summary>Parses the arguments; null (after printing usage) when they are wrong or help is asked for.</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var quick = args.Contains("--quick");
        var options = quick
            ? new BenchmarkOptions { Rows = 20_000, SqliteRows = 10_000, StreamingDuration = TimeSpan.FromSeconds(5), Quick = true }
            : new BenchmarkOptions();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--no-sqlite":
                    options = options with { Sqlite = false };
                    break;
                case "--rows" when i + 1 < args.Count
                    && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) && rows >= BatchSize:
                    options = options with { Rows = rows, SqliteRows = Math.Max(BatchSize, rows / 2) };
                    i++;
                    break;
                default:
                    Console.Error.WriteLine("usage: GridExchange.Benchmarks [--rows N (>= 1000)] [--quick] [--no-sqlite]\n   or: GridExchange.Benchmarks scale [--help | options, see README \"Scale scenario\"]");
                    return null;
            }
        }

        return options;
    }
}
