namespace GridExchange.Seeds.Geography;

/// <summary>The kind of a county-level unit, read from its name and core-district status.</summary>
internal enum CountyKind
{
    /// <summary>A city's central district: almost only 街道 and 社区.</summary>
    CoreDistrict,

    /// <summary>Any other 区.</summary>
    District,

    /// <summary>县级市.</summary>
    CountyCity,

    /// <summary>县.</summary>
    County,
}

internal sealed record CityInfo(string Code4, string Name, int CentreLonMicro, int CentreLatMicro);

internal sealed record CountyInfo(string Code6, string Name, CountyKind Kind, CityInfo City, int Index);

/// <summary>
/// Shandong's 16 prefecture-level cities and 136 county-level units with their GB/T 2260 codes
/// and names (as of 2021: 莱芜 3712 merged into 济南 as 370116/370117 in 2019, 长岛 into 蓬莱区
/// 370614 in 2020, so 3712 is unused and 菏泽 is 3717). Below county level everything is synthetic.
/// </summary>
internal static class ShandongDivisions
{
    public const string ProvinceCode2 = "37";
    public const string ProvinceName = "山东省";

    private static readonly (string Code, string Name, int Lon, int Lat, string Counties)[] Data =
    [
        ("3701", "济南市", 117_000_000, 36_650_000, "370102 历下区*,370103 市中区*,370104 槐荫区*,370105 天桥区*,370112 历城区,370113 长清区,370114 章丘区,370115 济阳区,370116 莱芜区,370117 钢城区,370124 平阴县,370126 商河县"),
        ("3702", "青岛市", 120_380_000, 36_070_000, "370202 市南区*,370203 市北区*,370211 黄岛区,370212 崂山区,370213 李沧区*,370214 城阳区,370215 即墨区,370281 胶州市,370283 平度市,370285 莱西市"),
        ("3703", "淄博市", 118_050_000, 36_780_000, "370302 淄川区,370303 张店区*,370304 博山区,370305 临淄区,370306 周村区,370321 桓台县,370322 高青县,370323 沂源县"),
        ("3704", "枣庄市", 117_320_000, 34_810_000, "370402 市中区*,370403 薛城区,370404 峄城区,370405 台儿庄区,370406 山亭区,370481 滕州市"),
        ("3705", "东营市", 118_670_000, 37_430_000, "370502 东营区*,370503 河口区,370505 垦利区,370522 利津县,370523 广饶县"),
        ("3706", "烟台市", 121_450_000, 37_460_000, "370602 芝罘区*,370611 福山区,370612 牟平区,370613 莱山区*,370614 蓬莱区,370681 龙口市,370682 莱阳市,370683 莱州市,370685 招远市,370686 栖霞市,370687 海阳市"),
        ("3707", "潍坊市", 119_160_000, 36_710_000, "370702 潍城区*,370703 寒亭区,370704 坊子区,370705 奎文区*,370724 临朐县,370725 昌乐县,370781 青州市,370782 诸城市,370783 寿光市,370784 安丘市,370785 高密市,370786 昌邑市"),
        ("3708", "济宁市", 116_590_000, 35_410_000, "370811 任城区*,370812 兖州区,370826 微山县,370827 鱼台县,370828 金乡县,370829 嘉祥县,370830 汶上县,370831 泗水县,370832 梁山县,370881 曲阜市,370883 邹城市"),
        ("3709", "泰安市", 117_090_000, 36_200_000, "370902 泰山区*,370911 岱岳区,370921 宁阳县,370923 东平县,370982 新泰市,370983 肥城市"),
        ("3710", "威海市", 122_120_000, 37_510_000, "371002 环翠区*,371003 文登区,371082 荣成市,371083 乳山市"),
        ("3711", "日照市", 119_530_000, 35_420_000, "371102 东港区*,371103 岚山区,371121 五莲县,371122 莒县"),
        ("3713", "临沂市", 118_360_000, 35_100_000, "371302 兰山区*,371311 罗庄区,371312 河东区,371321 沂南县,371322 郯城县,371323 沂水县,371324 兰陵县,371325 费县,371326 平邑县,371327 莒南县,371328 蒙阴县,371329 临沭县"),
        ("3714", "德州市", 116_360_000, 37_440_000, "371402 德城区*,371403 陵城区,371422 宁津县,371423 庆云县,371424 临邑县,371425 齐河县,371426 平原县,371427 夏津县,371428 武城县,371481 乐陵市,371482 禹城市"),
        ("3715", "聊城市", 115_990_000, 36_460_000, "371502 东昌府区*,371503 茌平区,371521 阳谷县,371522 莘县,371524 东阿县,371525 冠县,371526 高唐县,371581 临清市"),
        ("3716", "滨州市", 117_970_000, 37_380_000, "371602 滨城区*,371603 沾化区,371621 惠民县,371622 阳信县,371623 无棣县,371625 博兴县,371681 邹平市"),
        ("3717", "菏泽市", 115_480_000, 35_230_000, "371702 牡丹区*,371703 定陶区,371721 曹县,371722 单县,371723 成武县,371724 巨野县,371725 郓城县,371726 鄄城县,371728 东明县"),
    ];

    /// <summary>
    /// Origins of floating residents from outside the province (real GB/T 2260 codes), with the
    /// full name used in addresses.
    /// </summary>
    public static readonly IReadOnlyList<(string Code6, string FullName)> OtherProvinceCounties =
    [
        ("130104", "河北省石家庄市桥西区"),
        ("320302", "江苏省徐州市鼓楼区"),
        ("340102", "安徽省合肥市瑶海区"),
        ("410105", "河南省郑州市金水区"),
        ("220102", "吉林省长春市南关区"),
        ("230102", "黑龙江省哈尔滨市道里区"),
    ];

    public static IReadOnlyList<CityInfo> Cities { get; }

    /// <summary>All 136 counties, in code order; <see cref="CountyInfo.Index"/> is the position here.</summary>
    public static IReadOnlyList<CountyInfo> Counties { get; }

    static ShandongDivisions()
    {
        var cities = new List<CityInfo>();
        var counties = new List<CountyInfo>();
        foreach (var (code, name, lon, lat, list) in Data)
        {
            var city = new CityInfo(code, name, lon, lat);
            cities.Add(city);
            foreach (var entry in list.Split(','))
            {
                var code6 = entry[..6];
                var countyName = entry[7..].TrimEnd('*');
                var kind = entry.EndsWith('*') ? CountyKind.CoreDistrict
                    : countyName.EndsWith('区') ? CountyKind.District
                    : countyName.EndsWith('市') ? CountyKind.CountyCity
                    : CountyKind.County;
                counties.Add(new CountyInfo(code6, countyName, kind, city, counties.Count));
            }
        }

        Cities = cities;
        Counties = counties;
    }

    public static CountyInfo? FindCounty(string code6)
    {
        foreach (var county in Counties)
        {
            if (county.Code6 == code6)
            {
                return county;
            }
        }

        return null;
    }

    /// <summary>The full name used at the start of an address, e.g. 山东省烟台市芝罘区.</summary>
    public static string FullName(CountyInfo county) => ProvinceName + county.City.Name + county.Name;
}
