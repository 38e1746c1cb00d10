using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Names;

/// <summary>
/// Plausible synthetic place names below county level: townships (XX街道, XX镇, XX乡), communities
/// (XX社区), villages in the Jiaodong style (王家疃村, 孙家夼村, 东石村) and roads.
/// </summary>
internal static class PlaceNames
{
    private const string First = "东西南北中新大小上下前后高白青凤龙金石桃柳杏清福兴永安和文华港海山河泉林松马黄红古双三望朝";
    private const string Second = "山河泉湖园阳城桥岭峰台坡沟口店集埠安兴华丰源宁平川水庄屯崖滩门里岗亭";
    private const string VillageSuffix = "庄疃夼泊屯沟洼埠";
    private const string RoadFirst = "解放胜利幸福建设文化人民和平中山长江黄河泰山海港青年民主新华振华团结富民兴业友谊光明";
    private const string RoadSuffix = "路街";

    public static string TownshipStem(SeedRandom random) => TwoChar(random);

    public static string CommunityName(SeedRandom random) => TwoChar(random) + "社区";

    public static string VillageName(SeedRandom random) => random.Next(10) switch
    {
        < 6 => Names.PersonNames.Surname(random) + "家" + Pick(random, VillageSuffix) + "村",
        < 8 => Pick(random, "东西南北前后上下") + TwoChar(random) + "村",
        _ => TwoChar(random) + "村",
    };

    public static string RoadName(SeedRandom random)
    {
        var i = random.Next(RoadFirst.Length / 2) * 2;
        var stem = RoadFirst.Substring(i, 2);
        return random.Next(4) switch
        {
            0 => stem + "大街",
            1 => Pick(random, "东西南北") + stem + Pick(random, RoadSuffix),
            _ => stem + Pick(random, RoadSuffix),
        };
    }

    private static string TwoChar(SeedRandom random) => Pick(random, First) + Pick(random, Second);

    private static string Pick(SeedRandom random, string chars) => chars[random.Next(chars.Length)].ToString();
}
