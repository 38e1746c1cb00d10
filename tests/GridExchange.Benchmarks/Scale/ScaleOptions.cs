using System.Globalization;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// The command line of the scale scenario:
/// <c>scale [--residents N] [--city CODE] [--seeds DIR] [--fresh N] [--checkpoint PERCENT] [--stats-calls N] [--keep-db]</c>.
/// </summary>
internal sealed record ScaleOptions
{
    /// <summary>
    /// 临沂市: 12 counties, the most of any Shandong city with 济南 and 潍坊; the generator's
    /// ≈ 0.75–0.8 million persons a county made it 8.33 million residents (14.49 million records) as generated on 2026-11-29.
    /// </summary>
    public const string DefaultCity = "3713";

    /// <summary>
    /// Persons a generated county has at least (the README's county has 727k; 烟台's 11 average
    /// 773k): used to choose how many counties to generate for <see cref="Residents"/>.
    /// </summary>
    public const int PersonsPerCountyAtLeast = 650_000;

    /// <summary>The 4-digit code of the city generated.</summary>
    public string City { get; init; } = DefaultCity;

    /// <summary>Residents to load, or null for the whole city.</summary>
    public long? Residents { get; init; }

    /// <summary>Where the seed files are (generated there unless already there with the same parameters).</summary>
    public string? SeedDirectory { get; init; }

    /// <summary>New versions and moves of existing residents submitted before each tail pull.</summary>
    public int FreshChanges { get; init; } = 100_000;

    /// <summary>The first tail measurement is taken after this share of the load.</summary>
    public double CheckpointShare { get; init; } = 0.10;

    /// <summary>Timed GetRegionStats calls at each level.</summary>
    public int StatsCalls { get; init; } = 50;

    /// <summary>Keep the database (and print its connection string) instead of dropping it.</summary>
    public bool KeepDatabase { get; init; }

    /// <summary>
    /// Counties to generate (the first ones of the city in code order; 0 = all of them): enough
    /// for <see cref="Residents"/>, and at least two so the county-scope figure has a whole to
    /// be a part of.
    /// </summary>
    public int Counties => Residents is { } residents ? (int)Math.Max(2, (residents + PersonsPerCountyAtLeast - 1) / PersonsPerCountyAtLeast) : 0;

    /// <summary>The seed directory: the given one, or one per parameter set under the temp directory, so a second run reuses it.</summary>
    public string SeedPath => SeedDirectory
        ?? Path.Combine(Path.GetTempPath(), "gridx-scale-seeds", Counties == 0 ? City : SubsetName(City, Counties));

    private static string SubsetName(string city, int counties) => string.Create(CultureInfo.InvariantCulture, $"{city}-first{counties}");

    /// <summary>Parses the arguments after <c>scale</c>; null (after printing usage) when they are wrong.</summary>
    public static ScaleOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ScaleOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            long number = 0;
            var isNumber = value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);
            switch (args[i])
            {
                case "--keep-db":
                    options = options with { KeepDatabase = true };
                    continue;
                case "--residents" when isNumber && number >= 1_000:
                    options = options with { Residents = number };
                    break;
                case "--city" when value is { Length: 4 } && isNumber:
                    options = options with { City = value };
                    break;
                case "--seeds" when !string.IsNullOrWhiteSpace(value):
                    options = options with { SeedDirectory = Path.GetFullPath(value) };
                    break;
                case "--fresh" when isNumber && number is >= 1_000 and <= 10_000_000:
                    options = options with { FreshChanges = (int)number };
                    break;
                case "--checkpoint" when isNumber && number is >= 1 and <= 90:
                    options = options with { CheckpointShare = number / 100.0 };
                    break;
                case "--stats-calls" when isNumber && number is >= 10 and <= 10_000:
                    options = options with { StatsCalls = (int)number };
                    break;
                default:
                    Console.Error.WriteLine(
                        "usage: GridExchange.Benchmarks scale [--residents N (>= 1000; default: the whole city)] [--city CODE (default 3713)] " +
                        "[--seeds DIR] [--fresh N (default 100000)] [--checkpoint PERCENT (default 10)] [--stats-calls N (default 50)] [--keep-db]");
                    return null;
            }

            i++;
        }

        return options;
    }
}
