using Google.Protobuf.WellKnownTypes;
using GridExchange.Seeds.Geography;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

/// <summary>The parameters every generated record depends on.</summary>
internal sealed class GenerationContext(ulong seed, DateOnly asOf, ScaleProfile profile)
{
    /// <summary>Valid-from of every generated region (a fixed registry baseline, not a real gazette date).</summary>
    public const string RegionsValidFrom = "20210101";

    public ulong Seed { get; } = seed;

    public DateOnly AsOf { get; } = asOf;

    public ScaleProfile Profile { get; } = profile;

    /// <summary>The as-of date at 00:00 Beijing time; every generated instant lies before it.</summary>
    public DateTimeOffset AsOfInstant { get; } = SeedTime.StartOf(asOf);

    private Timestamp UpdatedAt => Timestamp.FromDateTimeOffset(AsOfInstant);

    public EntityMeta Meta(string id, string sourceSystem) => new()
    {
        Id = id,
        SourceSystem = sourceSystem,
        Version = 1,
        UpdatedAt = UpdatedAt,
    };

    public Region Region(string code, RegionLevel level, string name, string parentCode, string sourceSystem) => new()
    {
        Meta = Meta(code, sourceSystem),
        Code = code,
        Level = level,
        Name = name,
        ParentCode = parentCode,
        ValidFrom = RegionsValidFrom,
    };

    public static Change RegionChange(Region region) => new()
    {
        EntityType = EntityType.Region,
        EntityKey = region.Code,
        RegionCode = region.Code,
        Region = region,
    };
}
