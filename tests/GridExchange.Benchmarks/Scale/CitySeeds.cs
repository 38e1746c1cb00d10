using System.Diagnostics;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Seeds;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// The city's seed files: generated with <see cref="SeedGenerator"/> (<c>--scale province</c>,
/// the city's code, optionally its first counties) or, when the directory already holds a
/// manifest of the same parameters and generator version, reused as they are: generation takes
/// about 28 s a county on one core, the full city several minutes, and its output depends on
/// nothing but the parameters.
/// </summary>
internal sealed class CitySeeds
{
    private const ulong Seed = SeedOptions.DefaultSeed;
    private const string PersonRecords = "ENTITY_TYPE_PERSON";
    private const string ParametersFile = "scale-parameters.txt";

    private CitySeeds(string directory, SeedManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    /// <summary>The seed directory.</summary>
    public string Directory { get; }

    /// <summary>Its manifest.</summary>
    public SeedManifest Manifest { get; }

    /// <summary>Persons in all files.</summary>
    public long Persons => Manifest.Files.Sum(f => f.Records.TryGetValue(PersonRecords, out var n) ? n : 0);

    /// <summary>Records (lines) in all files.</summary>
    public long Records => Manifest.Files.Sum(f => f.Lines);

    /// <summary>Reuses or generates the seed files for <paramref name="options"/>.</summary>
    public static async Task<CitySeeds> PrepareAsync(ScaleOptions options, CancellationToken cancellationToken)
    {
        var directory = options.SeedPath;
        var seedOptions = new SeedOptions
        {
            Seed = Seed,
            Scale = "province",
            Counties = [options.City],
            MaxCounties = options.Counties,
            OutputDirectory = directory,
        };
        var parameters = Parameters(seedOptions);
        var existing = TryLoad(directory);
        if (existing is not null && Matches(existing, directory, parameters))
        {
            Console.WriteLine(Report.Format($"  reusing {directory}: {existing.Counties.Count} counties generated before with the same parameters"));
            return new CitySeeds(directory, existing);
        }

        Console.WriteLine(Report.Format($"  generating into {directory} (--scale province --counties {options.City}{(options.Counties > 0 ? Report.Format($" --max-counties {options.Counties}") : "")}, {seedOptions.Parallelism} at once)"));
        var started = Stopwatch.GetTimestamp();
        var progress = new Progress<SeedFile>(file => Console.WriteLine(Report.Format(
            $"    {file.Name}: {file.Lines:N0} records, {(file.Records.TryGetValue(PersonRecords, out var persons) ? persons : 0):N0} persons ({Stopwatch.GetElapsedTime(started).TotalSeconds:0} s)")));
        var manifest = await SeedGenerator.GenerateAsync(seedOptions, progress, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, ParametersFile), parameters, cancellationToken);
        Console.WriteLine(Report.Format($"  generated in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return new CitySeeds(directory, manifest);
    }

    private static SeedManifest? TryLoad(string directory)
    {
        try
        {
            return File.Exists(Path.Combine(directory, SeedManifest.FileName)) ? SeedManifest.Load(directory) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Same parameters (the marker written after a complete generation) and every file still
    /// there. A generation that was stopped leaves no marker, so it is redone.
    /// </summary>
    private static bool Matches(SeedManifest manifest, string directory, string parameters) =>
        File.Exists(Path.Combine(directory, ParametersFile))
        && File.ReadAllText(Path.Combine(directory, ParametersFile)) == parameters
        && manifest.Files.All(f => File.Exists(Path.Combine(directory, f.Name)));

    /// <summary>What the output depends on, as one line.</summary>
    private static string Parameters(SeedOptions options) => Report.Format(
        $"generator {SeedGenerator.GeneratorVersion}, seed {options.Seed}, scale {options.Scale}, counties {string.Join(',', options.Counties)}, max-counties {options.MaxCounties}\n");
}
