using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Geography;

internal enum TownshipKind
{
    /// <summary>街道, codes 001–099.</summary>
    Street,

    /// <summary>镇, codes 100–199.</summary>
    Town,

    /// <summary>乡, codes 200–399.</summary>
    Xiang,
}

/// <summary>
/// How big the generated province is. Two profiles are checked in: <see cref="Province"/>, sized
/// after DOMAIN.md §6 (about 13 townships a county, 38 villages a township, 180,000 grids, 35
/// million households), and <see cref="Sample"/>, the committed development sample. Changing
/// either changes the output: bump <see cref="SeedGenerator.GeneratorVersion"/> and regenerate
/// seeds/sample.
/// </summary>
internal abstract class ScaleProfile
{
    public static ScaleProfile Sample { get; } = new SampleProfile();

    public static ScaleProfile Province { get; } = new ProvinceProfile();

    public abstract string Name { get; }

    /// <summary>The counties generated when no --counties option is given.</summary>
    public abstract IReadOnlyList<string> DefaultCounties { get; }

    public abstract IReadOnlyList<TownshipKind> Townships(CountyInfo county, SeedRandom random);

    /// <summary>How many 社区 (codes 001–199) and 村 (200–399) a township has.</summary>
    public abstract (int Communities, int Villages) Villages(CountyKind county, TownshipKind township, SeedRandom random);

    public abstract int Households(bool community, SeedRandom random);

    /// <summary>How many dedicated grids (serials 901…) a community gets.</summary>
    public abstract int DedicatedGrids(bool firstCommunityOfCounty, SeedRandom random);

    public abstract int Cases(bool dedicatedGrid, SeedRandom random);

    public abstract int ServiceRequests(SeedRandom random);

    public static ScaleProfile? FromName(string name) => name switch
    {
        "sample" => Sample,
        "province" => Province,
        _ => null,
    };

    private sealed class ProvinceProfile : ScaleProfile
    {
        public override string Name => "province";

        public override IReadOnlyList<string> DefaultCounties { get; } = [.. ShandongDivisions.Counties.Select(c => c.Code6)];

        public override IReadOnlyList<TownshipKind> Townships(CountyInfo county, SeedRandom random)
        {
            var (count, streetPercent) = county.Kind switch
            {
                CountyKind.CoreDistrict => (random.Bell(8, 16), 92),
                CountyKind.District => (random.Bell(10, 17), 45),
                CountyKind.CountyCity => (random.Bell(12, 19), 30),
                _ => (random.Bell(10, 18), 15),
            };
            var xiangPercent = county.Kind == CountyKind.County ? 8 : 3;
            var kinds = new List<TownshipKind>(count);
            for (var i = 0; i < count; i++)
            {
                kinds.Add(random.Next(100) < streetPercent ? TownshipKind.Street
                    : random.Next(100) < xiangPercent ? TownshipKind.Xiang
                    : TownshipKind.Town);
            }

            return kinds;
        }

        public override (int Communities, int Villages) Villages(CountyKind county, TownshipKind township, SeedRandom random) => township switch
        {
            TownshipKind.Street => (random.Bell(8, 25), county == CountyKind.CoreDistrict ? random.Between(0, 3) : random.Between(0, 10)),
            TownshipKind.Town => (random.Between(1, 4), random.Bell(25, 70)),
            _ => (0, random.Bell(15, 40)),
        };

        public override int Households(bool community, SeedRandom random) =>
            community ? random.Bell(600, 2400) : random.Bell(100, 420);

        public override int DedicatedGrids(bool firstCommunityOfCounty, SeedRandom random) => random.Next(100) switch
        {
            < 2 => 2,
            < 10 => 1,
            _ => firstCommunityOfCounty ? 1 : 0,
        };

        public override int Cases(bool dedicatedGrid, SeedRandom random) =>
            dedicatedGrid ? random.Between(1, 4) : random.Bell(2, 10);

        public override int ServiceRequests(SeedRandom random) => random.Between(1, 6);
    }

    private sealed class SampleProfile : ScaleProfile
    {
        public override string Name => "sample";

        // 烟台市: a core district (all 街道) and two mixed districts.
        public override IReadOnlyList<string> DefaultCounties { get; } = ["370602", "370611", "370612"];

        public override IReadOnlyList<TownshipKind> Townships(CountyInfo county, SeedRandom random) =>
            county.Kind == CountyKind.CoreDistrict
                ? [TownshipKind.Street, TownshipKind.Street, TownshipKind.Street]
                : [TownshipKind.Street, TownshipKind.Town, TownshipKind.Xiang];

        public override (int Communities, int Villages) Villages(CountyKind county, TownshipKind township, SeedRandom random) => township switch
        {
            TownshipKind.Street => (2, county == CountyKind.CoreDistrict ? 0 : 1),
            TownshipKind.Town => (1, 2),
            _ => (0, 2),
        };

        public override int Households(bool community, SeedRandom random) =>
            community ? random.Bell(200, 520) : random.Bell(100, 300);

        public override int DedicatedGrids(bool firstCommunityOfCounty, SeedRandom random) => firstCommunityOfCounty ? 1 : 0;

        public override int Cases(bool dedicatedGrid, SeedRandom random) =>
            dedicatedGrid ? random.Between(2, 4) : random.Bell(3, 9);

        public override int ServiceRequests(SeedRandom random) => random.Between(2, 6);
    }
}
