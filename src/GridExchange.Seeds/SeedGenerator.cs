using GridExchange.Seeds.Generation;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Output;

namespace GridExchange.Seeds;

/// <summary>
/// Generates a synthetic Shandong: one <c>&lt;county&gt;.ndjson.gz</c> per county, <c>regions.ndjson.gz</c>
/// and <c>manifest.json</c>. Every county has its own PRNG streams derived from (seed, county
/// code, …), so counties are generated in parallel, any subset reproduces the same county files,
/// and memory stays bounded by one county's structure plus one grid's people.
/// </summary>
public static class SeedGenerator
{
    /// <summary>
    /// The generator version recorded in the manifest. Bump it whenever a change alters the
    /// output for the same options, and regenerate seeds/sample.
    /// </summary>
    public const string GeneratorVersion = "1.0.0";

    /// <summary>Generates the seed files described by <paramref name="options"/>.</summary>
    /// <param name="options">What to generate.</param>
    /// <param name="progress">Receives each file as it completes; may be null.</param>
    /// <param name="ct">Stops between counties.</param>
    /// <returns>The manifest, also written to the output directory.</returns>
    /// <exception cref="ArgumentException">An unknown scale or county code.</exception>
    public static async Task<SeedManifest> GenerateAsync(SeedOptions options, IProgress<SeedFile>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var profile = ScaleProfile.FromName(options.Scale)
            ?? throw new ArgumentException($"Unknown scale '{options.Scale}'; expected sample or province.", nameof(options));
        var counties = SelectCounties(options, profile);
        var context = new GenerationContext(options.Seed, options.AsOf, profile);

        Directory.CreateDirectory(options.OutputDirectory);
        var temp = Path.Combine(options.OutputDirectory, ".spool");
        Directory.CreateDirectory(temp);
        try
        {
            var cities = counties.Select(c => c.City).Distinct().OrderBy(c => c.Code4, StringComparer.Ordinal).ToList();
            var regions = CountyGenerator.GenerateRegions(context, cities, options.OutputDirectory, temp);
            progress?.Report(regions);

            var files = new SeedFile[counties.Count];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = ct };
            await Parallel.ForEachAsync(Enumerable.Range(0, counties.Count), parallel, (i, token) =>
            {
                token.ThrowIfCancellationRequested();
                files[i] = CountyGenerator.Generate(context, counties[i], options.OutputDirectory, temp);
                progress?.Report(files[i]);
                return ValueTask.CompletedTask;
            });

            var manifest = new SeedManifest
            {
                GeneratorVersion = GeneratorVersion,
                Seed = options.Seed,
                Scale = profile.Name,
                AsOf = options.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                Counties = [.. counties.Select(c => c.Code6)],
                Files = [regions, .. files],
            };
            foreach (var file in manifest.Files)
            {
                foreach (var (type, count) in file.Records)
                {
                    manifest.Totals[type] = manifest.Totals.TryGetValue(type, out var total) ? total + count : count;
                }
            }

            manifest.Totals = SortTotals(manifest.Totals);
            manifest.Save(options.OutputDirectory);
            return manifest;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static Dictionary<string, long> SortTotals(IDictionary<string, long> totals)
    {
        var sorted = new Dictionary<string, long>();
        foreach (var type in Enum.GetValues<V1.EntityType>())
        {
            var name = ChangeFileWriter.EntityTypeName(type);
            if (totals.TryGetValue(name, out var count))
            {
                sorted[name] = count;
            }
        }

        return sorted;
    }

    private static List<CountyInfo> SelectCounties(SeedOptions options, ScaleProfile profile)
    {
        var codes = options.Counties.Count > 0 ? options.Counties : profile.DefaultCounties;
        var selected = new List<CountyInfo>();
        foreach (var code in codes)
        {
            var matches = ShandongDivisions.Counties.Where(c => code.Length == 4 ? c.City.Code4 == code : c.Code6 == code).ToList();
            if (matches.Count == 0)
            {
                throw new ArgumentException($"'{code}' is not a Shandong county (6 digits) or city (4 digits) code.", nameof(options));
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        selected.Sort((a, b) => string.CompareOrdinal(a.Code6, b.Code6));
        return options.MaxCounties > 0 ? selected.Take(options.MaxCounties).ToList() : selected;
    }
}
