using System.Globalization;
using GridExchange.Seeds.Names;
using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Geography;

/// <summary>
/// A county's structure: townships, villages and grids with codes, names, positions and
/// household counts. Small (a few thousand objects for the largest county), so it is built up
/// front; the people in each grid are generated later, one grid at a time.
/// </summary>
internal sealed record CountyPlan(CountyInfo County, string Code12, int LonMicro, int LatMicro, IReadOnlyList<TownshipPlan> Townships)
{
    public IEnumerable<VillagePlan> Villages => Townships.SelectMany(t => t.Villages);

    public IEnumerable<GridPlan> Grids => Villages.SelectMany(v => v.Grids);
}

internal sealed record TownshipPlan(string Code12, string Name, TownshipKind Kind, int LonMicro, int LatMicro, IReadOnlyList<VillagePlan> Villages);

internal sealed record VillagePlan(
    string Code12,
    string Name,
    bool IsCommunity,
    TownshipPlan Township,
    IReadOnlyList<string> Roads,
    IReadOnlyList<GridPlan> Grids)
{
    /// <summary>"XX街道XX社区", the part of an address below the county.</summary>
    public string AddressStem => Township.Name + Name;
}

/// <summary>A grid; <see cref="Dedicated"/> grids (serial 900+) cover a school, market or enterprise and have no households.</summary>
internal sealed record GridPlan(
    string Code15,
    int Serial,
    string Name,
    string? Dedicated,
    int Households,
    int AreaHundredthsKm2,
    int LonMicro,
    int LatMicro,
    int HalfWidthMicro,
    int HalfHeightMicro)
{
    public VillagePlan Village { get; set; } = null!;
}

internal static class CountyPlanner
{
    private const ulong StructureStream = 1;

    // Degrees per km in Shandong (latitude 35-38°): 1° of latitude ≈ 111 km, of longitude ≈ 89 km.
    private const double KmPerDegreeLat = 111.0;
    private const double KmPerDegreeLon = 89.0;

    private static readonly string[] DedicatedKinds = ["学校", "农贸市场", "工业园", "医院"];

    public static CountyPlan Plan(ulong seed, CountyInfo county, ScaleProfile profile)
    {
        var random = SeedRandom.Derive(seed, ulong.Parse(county.Code6, CultureInfo.InvariantCulture), StructureStream);
        var spread = county.Kind == CountyKind.CoreDistrict ? 60_000 : 450_000;
        var countyLon = county.City.CentreLonMicro + random.Between(-spread, spread);
        var countyLat = county.City.CentreLatMicro + random.Between(-spread * 3 / 4, spread * 3 / 4);

        var kinds = profile.Townships(county, random).OrderBy(k => k).ToList();
        var townshipNames = new HashSet<string>(StringComparer.Ordinal);
        var townships = new List<TownshipPlan>(kinds.Count);
        int street = 0, town = 0, xiang = 0;
        var firstCommunity = true;
        foreach (var kind in kinds)
        {
            var (serial, suffix) = kind switch
            {
                TownshipKind.Street => (++street, "街道"),
                TownshipKind.Town => (99 + ++town, "镇"),
                _ => (199 + ++xiang, "乡"),
            };
            string name;
            do
            {
                name = PlaceNames.TownshipStem(random) + suffix;
            }
            while (!townshipNames.Add(name));

            var code = county.Code6 + serial.ToString("D3", CultureInfo.InvariantCulture) + "000";
            var tSpread = county.Kind == CountyKind.CoreDistrict ? 30_000 : 150_000;
            var villages = new List<VillagePlan>();
            var township = new TownshipPlan(code, name, kind, countyLon + random.Between(-tSpread, tSpread), countyLat + random.Between(-tSpread, tSpread), villages);
            var (communities, plainVillages) = profile.Villages(county.Kind, kind, random);
            var villageNames = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < communities + plainVillages; i++)
            {
                var isCommunity = i < communities;
                var villageSerial = isCommunity ? i + 1 : 200 + (i - communities + 1);
                string villageName;
                do
                {
                    villageName = isCommunity ? PlaceNames.CommunityName(random) : PlaceNames.VillageName(random);
                }
                while (!villageNames.Add(villageName));

                var villageCode = code[..9] + villageSerial.ToString("D3", CultureInfo.InvariantCulture);
                var households = profile.Households(isCommunity, random);
                var dedicated = isCommunity ? profile.DedicatedGrids(firstCommunity, random) : 0;
                firstCommunity &= !isCommunity;
                villages.Add(PlanVillage(random, township, villageCode, villageName, isCommunity, households, dedicated));
            }

            townships.Add(township);
        }

        return new CountyPlan(county, county.Code6 + "000000", countyLon, countyLat, townships);
    }

    private static VillagePlan PlanVillage(SeedRandom random, TownshipPlan township, string code, string name, bool isCommunity, int households, int dedicated)
    {
        var roads = new List<string>();
        var roadCount = isCommunity ? random.Between(2, 4) : 1;
        while (roads.Count < roadCount)
        {
            var road = PlaceNames.RoadName(random);
            if (!roads.Contains(road))
            {
                roads.Add(road);
            }
        }

        var sizes = SplitHouseholds(random, households);
        var grids = new List<GridPlan>(sizes.Count + dedicated);
        var vSpread = isCommunity ? 15_000 : 40_000;
        var originLon = township.LonMicro + random.Between(-vSpread, vSpread);
        var originLat = township.LatMicro + random.Between(-vSpread, vSpread);

        // Basic grids tile the village west→east, then north→south, in serial order.
        var columns = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(sizes.Count)));
        var areaPerGrid = isCommunity ? random.Between(8, 45) : random.Between(60, 320);
        var half = HalfSides(areaPerGrid);
        for (var i = 0; i < sizes.Count; i++)
        {
            var serial = i + 1;
            var lon = originLon + ((i % columns) * 2 * half.Width);
            var lat = originLat - ((i / columns) * 2 * half.Height);
            grids.Add(new GridPlan(code + serial.ToString("D3", CultureInfo.InvariantCulture), serial, name + "第" + ChineseNumber(serial) + "网格",
                null, sizes[i], areaPerGrid, lon, lat, half.Width, half.Height));
        }

        for (var d = 0; d < dedicated; d++)
        {
            var serial = 901 + d;
            var kind = DedicatedKinds[random.Next(DedicatedKinds.Length)];
            var area = random.Between(2, 30);
            var dHalf = HalfSides(area);
            var lon = originLon + (columns * 2 * half.Width) + dHalf.Width;
            var lat = originLat - (d * 2 * dHalf.Height);
            var label = kind == "学校" ? PlaceNames.TownshipStem(random) + "学校" : name[..^2] + kind;
            grids.Add(new GridPlan(code + serial.ToString("D3", CultureInfo.InvariantCulture), serial, label + "专属网格",
                kind, 0, area, lon, lat, dHalf.Width, dHalf.Height));
        }

        var village = new VillagePlan(code, name, isCommunity, township, roads, grids);
        foreach (var grid in grids)
        {
            grid.Village = village;
        }

        return village;
    }

    /// <summary>Splits a village's households into basic grids of 100–300 households, about 200 each.</summary>
    private static List<int> SplitHouseholds(SeedRandom random, int households)
    {
        var min = (households + 299) / 300;
        var max = Math.Max(1, households / 100);
        var target = random.Between(170, 230);
        var count = Math.Clamp((households + (target / 2)) / target, min, max);
        var sizes = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            sizes.Add((households / count) + (i < households % count ? 1 : 0));
        }

        // Jitter pairs so that grids differ, staying within 100–300.
        for (var i = 0; i + 1 < count; i++)
        {
            var room = sizes[i] / 6;
            var move = Math.Clamp(
                random.Between(-room, room),
                Math.Max(sizes[i] - 300, 100 - sizes[i + 1]),
                Math.Min(sizes[i] - 100, 300 - sizes[i + 1]));
            sizes[i] -= move;
            sizes[i + 1] += move;
        }

        return sizes;
    }

    private static (int Width, int Height) HalfSides(int areaHundredthsKm2)
    {
        // Math.Sqrt is exactly rounded (IEEE 754), so this is reproducible on every runtime.
        var sideKm = Math.Sqrt(areaHundredthsKm2 / 100.0);
        return ((int)(sideKm / KmPerDegreeLon * 500_000), (int)(sideKm / KmPerDegreeLat * 500_000));
    }

    public static string ChineseNumber(int n)
    {
        const string Digits = "零一二三四五六七八九";
        if (n < 10)
        {
            return Digits[n].ToString();
        }

        if (n < 100)
        {
            var tens = n / 10;
            var ones = n % 10;
            return (tens == 1 ? string.Empty : Digits[tens].ToString()) + "十" + (ones == 0 ? string.Empty : Digits[ones].ToString());
        }

        return n.ToString(CultureInfo.InvariantCulture);
    }
}
