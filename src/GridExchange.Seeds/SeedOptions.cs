namespace GridExchange.Seeds;

/// <summary>What to generate. Output depends only on these (and the generator version), never on the clock or the machine.</summary>
public sealed record SeedOptions
{
    /// <summary>The default seed of the committed sample.</summary>
    public const ulong DefaultSeed = 42;

    /// <summary>The default reference date: fixed, so that ages and deadlines never drift with the wall clock.</summary>
    public static readonly DateOnly DefaultAsOf = new(2026, 11, 1);

    /// <summary>The PRNG seed.</summary>
    public ulong Seed { get; init; } = DefaultSeed;

    /// <summary><c>sample</c> (the committed development sample) or <c>province</c> (DOMAIN.md §6 scale).</summary>
    public string Scale { get; init; } = "sample";

    /// <summary>The reference date for ages, deadlines and timestamps.</summary>
    public DateOnly AsOf { get; init; } = DefaultAsOf;

    /// <summary>
    /// County (6-digit) or city (4-digit) codes to generate; empty for the scale's default
    /// (the three sample counties, or all 136 for the province).
    /// </summary>
    public IReadOnlyList<string> Counties { get; init; } = [];

    /// <summary>Generate at most this many of the selected counties (0 = all).</summary>
    public int MaxCounties { get; init; }

    /// <summary>Counties generated at once; does not change the output.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The output directory; created if missing. Existing seed files in it are overwritten.</summary>
    public string OutputDirectory { get; init; } = string.Empty;
}
