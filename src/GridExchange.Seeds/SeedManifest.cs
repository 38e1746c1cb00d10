using System.Text.Json;
using System.Text.Json.Serialization;

namespace GridExchange.Seeds;

/// <summary>
/// The <c>manifest.json</c> of a seed directory: the parameters that reproduce it and, per file,
/// the source system, record counts and the SHA-256 of the uncompressed content.
/// </summary>
/// <remarks>
/// The hash covers the uncompressed NDJSON bytes: gzip output may differ between zlib builds,
/// the content may not. The manifest holds no timestamps or timings, so regenerating with the
/// same parameters reproduces it byte for byte.
/// </remarks>
public sealed class SeedManifest
{
    /// <summary>The manifest's own file name.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The version of this manifest layout.</summary>
    public int FormatVersion { get; set; } = 1;

    /// <summary>The version of the generator that wrote the files; output changes only with it.</summary>
    public string GeneratorVersion { get; set; } = string.Empty;

    /// <summary>The PRNG seed.</summary>
    public ulong Seed { get; set; }

    /// <summary>The scale profile: <c>sample</c> or <c>province</c>.</summary>
    public string Scale { get; set; } = string.Empty;

    /// <summary>The reference date (<c>yyyy-MM-dd</c>) for ages, deadlines and timestamps.</summary>
    public string AsOf { get; set; } = string.Empty;

    /// <summary>The 6-digit codes of the counties generated, in order.</summary>
    public IList<string> Counties { get; init; } = [];

    /// <summary>The files, <c>regions.ndjson.gz</c> first, then counties in code order.</summary>
    public IList<SeedFile> Files { get; init; } = [];

    /// <summary>Record counts per entity type over all files.</summary>
    public IDictionary<string, long> Totals { get; set; } = new Dictionary<string, long>();

    /// <summary>Writes the manifest as indented JSON.</summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var json = JsonSerializer.Serialize(this, Options);
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path + ".partial", json.ReplaceLineEndings("\n") + "\n");
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Reads <c>manifest.json</c> from a seed directory.</summary>
    /// <exception cref="InvalidDataException">The file is not a manifest.</exception>
    public static SeedManifest Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var stream = File.OpenRead(Path.Combine(directory, FileName));
        return JsonSerializer.Deserialize<SeedManifest>(stream, Options)
            ?? throw new InvalidDataException("The seed manifest is empty.");
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>One NDJSON-gzip file of a seed directory.</summary>
public sealed class SeedFile
{
    /// <summary>The file name, e.g. <c>370602.ndjson.gz</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The source system every change in the file carries, e.g. <c>county-370602</c>.</summary>
    public string SourceSystem { get; set; } = string.Empty;

    /// <summary>The 12-digit code of the region the file covers.</summary>
    public string RegionCode { get; set; } = string.Empty;

    /// <summary>The number of lines (one change each).</summary>
    public long Lines { get; set; }

    /// <summary>The size of the uncompressed content in bytes.</summary>
    public long UncompressedBytes { get; set; }

    /// <summary>Lower-case hex SHA-256 of the uncompressed content.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Record counts per entity type, keyed by the <c>EntityType</c> value name (e.g. <c>ENTITY_TYPE_PERSON</c>).</summary>
    public IDictionary<string, long> Records { get; init; } = new Dictionary<string, long>();
}
