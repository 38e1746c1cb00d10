using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Output;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

/// <summary>Generates one county file: its regions, then every grid's records section by section.</summary>
internal static class CountyGenerator
{
    public static string SourceSystem(CountyInfo county) => "county-" + county.Code6;

    public static string FileName(CountyInfo county) => county.Code6 + ".ndjson.gz";

    public static SeedFile Generate(GenerationContext context, CountyInfo county, string outputDirectory, string tempDirectory)
    {
        var plan = CountyPlanner.Plan(context.Seed, county, context.Profile);
        var source = SourceSystem(county);
        using var writer = new ChangeFileWriter(tempDirectory, source, Sections.Count);

        var cityCode = county.City.Code4 + "00000000";
        writer.Add(Sections.Regions, GenerationContext.RegionChange(context.Region(plan.Code12, RegionLevel.County, county.Name, cityCode, source)));
        foreach (var township in plan.Townships)
        {
            writer.Add(Sections.Regions, GenerationContext.RegionChange(context.Region(township.Code12, RegionLevel.Township, township.Name, plan.Code12, source)));
        }

        foreach (var village in plan.Villages)
        {
            writer.Add(Sections.Regions, GenerationContext.RegionChange(context.Region(village.Code12, RegionLevel.Village, village.Name, village.Township.Code12, source)));
        }

        var state = new CountyState(context, plan, source, writer);
        foreach (var grid in plan.Grids)
        {
            new GridGenerator(state, grid).Generate();
        }

        return writer.Complete(Path.Combine(outputDirectory, FileName(county)), plan.Code12);
    }

    /// <summary>The regions file: the province and the cities of the generated counties.</summary>
    public static SeedFile GenerateRegions(GenerationContext context, IEnumerable<CityInfo> cities, string outputDirectory, string tempDirectory)
    {
        const string Source = "province-" + ShandongDivisions.ProvinceCode2;
        var provinceCode = ShandongDivisions.ProvinceCode2 + "0000000000";
        using var writer = new ChangeFileWriter(tempDirectory, Source, 1);
        writer.Add(0, GenerationContext.RegionChange(context.Region(provinceCode, RegionLevel.Province, ShandongDivisions.ProvinceName, string.Empty, Source)));
        foreach (var city in cities)
        {
            writer.Add(0, GenerationContext.RegionChange(context.Region(city.Code4 + "00000000", RegionLevel.City, city.Name, provinceCode, Source)));
        }

        return writer.Complete(Path.Combine(outputDirectory, RegionsFileName), provinceCode);
    }

    public const string RegionsFileName = "regions.ndjson.gz";
}

/// <summary>The order of sections in a county file: parents before children.</summary>
internal static class Sections
{
    public const int Regions = 0;
    public const int Grids = 1;
    public const int GridWorkers = 2;
    public const int Houses = 3;
    public const int Households = 4;
    public const int Persons = 5;
    public const int Cases = 6;
    public const int ServiceRequests = 7;
    public const int Count = 8;
}
