using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Generation;

/// <summary>
/// Code tables the generator draws from. GB/T 3304 ethnicity, GB/T 4658 education, GB/T 2261.2
/// marital status and GB/T 4762 political status codes are the real ones; the event
/// sub-categories (table 5.56), occupation categories (GB/T 6565 major-medium classes) and the
/// proxy-service item catalogue are plausible stand-ins [U], flagged in seeds/README.md.
/// </summary>
internal static class Catalogs
{
    public static readonly WeightedTable<string> Ethnicity = new([("01", 99_200), ("03", 500), ("11", 150), ("10", 50), ("02", 40), ("08", 30), ("06", 30)]);

    public static readonly WeightedTable<string> Religion = new([("00", 9_700), ("10", 150), ("50", 100), ("40", 30), ("30", 20)]);

    /// <summary>Table 5.56 event categories: 4-digit code and name.</summary>
    public static readonly IReadOnlyList<(string Code, string Name, int Weight)> EventCategories =
    [
        ("0101", "婚姻纠纷", 30), ("0102", "家庭纠纷", 40), ("0103", "赡养抚养纠纷", 25), ("0104", "继承纠纷", 10),
        ("0201", "相邻关系纠纷", 60), ("0202", "噪音扰民", 40), ("0203", "邻里口角", 50),
        ("0301", "物业服务纠纷", 50), ("0302", "房屋租赁纠纷", 30), ("0303", "房屋质量问题", 15),
        ("0401", "拖欠工资", 35), ("0402", "劳动合同纠纷", 15), ("0403", "社会保险纠纷", 10),
        ("0501", "民间借贷纠纷", 20), ("0502", "买卖合同纠纷", 10),
        ("0601", "人身损害赔偿", 15), ("0602", "财产损害赔偿", 15),
        ("0701", "医患纠纷", 5),
        ("0801", "消费者权益纠纷", 15),
        ("0901", "土地承包经营", 20), ("0902", "宅基地使用", 25), ("0903", "山林权属", 5),
        ("1001", "征地补偿", 8), ("1002", "房屋拆迁", 6),
        ("1101", "噪声污染", 10), ("1102", "水污染", 5), ("1103", "大气污染", 8),
        ("1201", "交通事故赔偿", 12),
        ("1301", "企业改制", 2),
        ("1401", "涉诉信访", 4),
        ("1501", "占道经营", 40), ("1502", "违章搭建", 25),
        ("1601", "涉民族事务", 1), ("1602", "涉宗教事务", 1),
    ];

    /// <summary>Occupation: (GB/T 6565 class, name, workplace pattern); in the pattern {0} is a place stem, {1} the city.</summary>
    public static readonly WeightedTable<(string Category, string Name, string Workplace)> UrbanJobs = new(
    [
        (("3-01", "办事人员", "{1}{0}商贸有限公司"), 25), (("6-18", "机械加工工人", "{0}精密机械有限公司"), 12),
        (("6-24", "食品加工工人", "{0}食品有限公司"), 8), (("4-01", "个体经营者", "个体"), 15),
        (("4-03", "餐饮服务人员", "{0}大酒店"), 10), (("2-02", "工程技术人员", "{0}工程设计研究院有限公司"), 8),
        (("2-08", "教师", "{0}小学"), 4), (("2-05", "医务人员", "{0}社区卫生服务中心"), 4),
        (("1-01", "机关工作人员", "{0}街道办事处"), 2), (("4-02", "驾驶员", "{0}物流有限公司"), 5),
        (("4-07", "快递员", "{0}快递服务站"), 4),
    ]);

    public static readonly WeightedTable<(string Category, string Name, string Workplace)> RuralJobs = new(
    [
        (("5-01", "农民", string.Empty), 60), (("6-18", "工人", "{0}机械厂"), 15), (("4-01", "个体经营者", "个体"), 10),
        (("4-02", "驾驶员", "{0}运输队"), 5), (("5-04", "渔民", string.Empty), 3), (("2-08", "教师", "{0}小学"), 2),
    ]);

    /// <summary>GB/T 4658 education by birth cohort (born before the year).</summary>
    public static readonly IReadOnlyList<(int BornBefore, WeightedTable<string> Table)> Education =
    [
        (1960, new([("80", 40), ("70", 30), ("90", 15), ("60", 10), ("20", 5)])),
        (1980, new([("70", 40), ("60", 25), ("40", 10), ("30", 10), ("20", 10), ("80", 5)])),
        (2000, new([("20", 30), ("30", 25), ("70", 20), ("60", 15), ("40", 5), ("14", 4), ("11", 1)])),
        (int.MaxValue, new([("20", 40), ("30", 30), ("60", 15), ("40", 10), ("14", 5)])),
    ];

    /// <summary>Proxy-service items (category, item code, name, time limit in working days).</summary>
    public static readonly IReadOnlyList<(string Category, string Code, string Name, int Days)> ServiceItems =
    [
        ("01", "DB0101", "城乡居民养老保险参保登记", 5), ("01", "DB0102", "养老保险待遇资格认证", 3), ("01", "DB0103", "城乡居民医疗保险参保登记", 5),
        ("02", "DB0201", "最低生活保障申请", 20), ("02", "DB0202", "高龄津贴申领", 10), ("02", "DB0203", "残疾人两项补贴申请", 15),
        ("03", "DB0301", "居民身份证换领", 15), ("03", "DB0302", "户口迁移", 10),
        ("04", "DB0401", "生育登记", 3), ("04", "DB0402", "预防接种证办理", 2),
        ("05", "DB0501", "失业登记", 5), ("05", "DB0502", "就业创业证申领", 5),
        ("06", "DB0601", "住房公积金提取", 5), ("06", "DB0602", "农村宅基地审批", 20),
        ("07", "DB0701", "法律援助申请", 7), ("07", "DB0702", "老年人优待证办理", 5),
    ];

    public static readonly string[] Universities = ["山东大学", "烟台大学", "鲁东大学", "山东工商学院", "青岛大学", "中国海洋大学", "山东科技大学", "济南大学", "山东师范大学", "滨州医学院"];

    public static readonly string[] WorkCities = ["江苏省苏州市工业园区", "上海市浦东新区", "广东省深圳市宝安区", "北京市朝阳区", "山东省青岛市黄岛区", "浙江省宁波市北仑区", "天津市滨海新区", "山东省济南市历城区"];

    public static readonly string[] DispatchUnits = ["区城市管理局", "区住房和城乡建设局", "区市场监督管理局", "区人力资源和社会保障局", "区生态环境分局", "区司法局", "派出所", "区民政局"];

    public static string Mobile(SeedRandom random)
    {
        ReadOnlySpan<string> prefixes = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "158", "159", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "198", "199"];
        return prefixes[random.Next(prefixes.Length)] + random.Next(100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
