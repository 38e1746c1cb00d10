using System.Globalization;

namespace GridExchange.Seeds.Cli;

/// <summary>Parses the generator's command line; no dependency, the options are few.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage: dotnet run --project src/GridExchange.Seeds -c Release -- [options]

          --seed N            PRNG seed (default 42)
          --scale NAME        sample (default; the committed seeds/sample) or province (~100 million residents)
          --out DIR           output directory (required)
          --as-of YYYY-MM-DD  reference date for ages, deadlines and timestamps (default 2026-11-01)
          --counties LIST     comma-separated county (370602) or city (3706) codes (default: the scale's own)
          --max-counties N    generate only the first N selected counties
          --parallel N        counties generated at once (default: processor count; output is the same)
          --help              show this text
        """;

    public static bool TryParse(IReadOnlyList<string> args, out SeedOptions options, out string? error)
    {
        options = new SeedOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                error = string.Empty;
                return false;
            }

            if (i + 1 >= args.Count)
            {
                error = $"Option {name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--seed" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed):
                    options = options with { Seed = seed };
                    break;
                case "--scale" when value is "sample" or "province":
                    options = options with { Scale = value };
                    break;
                case "--out":
                    options = options with { OutputDirectory = value };
                    break;
                case "--as-of" when DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var asOf):
                    options = options with { AsOf = asOf };
                    break;
                case "--counties":
                    options = options with { Counties = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                case "--max-counties" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var max):
                    options = options with { MaxCounties = max };
                    break;
                case "--parallel" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parallel) && parallel > 0:
                    options = options with { Parallelism = parallel };
                    break;
                default:
                    error = $"Unknown option or bad value: {name} {value}";
                    return false;
            }
        }

        if (string.IsNullOrEmpty(options.OutputDirectory))
        {
            error = "--out is required.";
            return false;
        }

        return true;
    }
}
