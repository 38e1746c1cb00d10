using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Names;

/// <summary>
/// Synthetic Chinese personal names: surnames weighted roughly as in Shandong (王, 李, 张 and 刘
/// lead; 于, 孙, 曲, 隋, 鞠, 栾 and 初 are commoner on the Jiaodong peninsula than nationally),
/// given names of one or two characters drawn from pools that follow the naming fashion of the
/// person's birth cohort. Any resemblance to a real person is chance.
/// </summary>
internal static class PersonNames
{
    private static readonly WeightedTable<string> Surnames = new(Parse(
        "王900 李750 张720 刘600 孙350 于250 杨230 陈230 赵220 徐200 高180 马150 宋140 姜140 郭120 吴110 周110 " +
        "林100 韩100 田90 朱90 董90 曲80 许80 孟80 曹80 崔80 任70 胡70 黄60 郑60 魏60 吕60 冯50 袁50 邢50 " +
        "程50 范50 苏50 丁50 贾50 侯50 隋40 邹40 薛40 何40 梁40 尹40 葛40 石40 邵40 史40 付40 鞠30 栾30 " +
        "初30 丛30 宫30 迟30 谢30 唐30 潘30 秦30 蒋30 毛30 卢30 姚30 牟30 纪30 闫30 蔡30 肖30 衣20 彭20 " +
        "庞20 慕20 臧20 滕20 修20 阎20 单20 柳20 罗20 沈20 夏20 邱20 战15 褚10 龙10 欧阳3 司马3 诸葛3"));

    // Per cohort and gender: first characters, second characters (also the single-character names),
    // and the share of single-character given names in percent.
    private static readonly Cohort[] Cohorts =
    [
        new(1960, "德福长玉永国建志立庆文明金春树宝振洪学万", "山海生林胜华明和才贵田成祥奎江堂荣元顺财", "秀桂玉淑凤翠春兰素金美月爱", "英兰珍芳梅云香荣华花琴芬霞莲", 10),
        new(1990, "建志海晓永国立红卫新东文明宏俊振庆春成伟", "军强伟刚勇平华林明杰峰涛斌波辉鹏东亮磊龙", "丽红晓海秀春美玉爱静彩雪冬艳", "娟燕霞丽红艳萍芳敏静玲华梅琳英莉", 25),
        new(2005, "子浩宇俊家明嘉天志鹏晨凯文博", "豪宇杰轩鹏涛浩辉龙飞阳超旭帆航磊鑫", "雨欣佳梦晓诗思雪婷美丹文", "婷雪琪慧颖洁倩怡莹欣妍蕾璐瑶丹悦", 30),
        new(int.MaxValue, "子梓浩一宇俊皓博沐奕思承", "轩涵然辰泽宸睿铭航凡豪阳霖煜", "梓欣雨子一语诗可思若紫佳", "涵萱怡彤桐琪诺妍汐然宁晴菲萌", 15),
    ];

    public static string Surname(SeedRandom random) => Surnames.Pick(random);

    /// <summary>A full name (surname + given name) for someone born in <paramref name="birthYear"/>.</summary>
    public static string FullName(SeedRandom random, int birthYear, bool male) =>
        Surname(random) + GivenName(random, birthYear, male);

    public static string GivenName(SeedRandom random, int birthYear, bool male)
    {
        var cohort = Cohorts[0];
        foreach (var candidate in Cohorts)
        {
            cohort = candidate;
            if (birthYear < candidate.BornBefore)
            {
                break;
            }
        }

        var first = male ? cohort.MaleFirst : cohort.FemaleFirst;
        var second = male ? cohort.MaleSecond : cohort.FemaleSecond;
        if (random.Next(100) < cohort.SingleCharPercent)
        {
            return second[random.Next(second.Length)].ToString();
        }

        return string.Concat(first[random.Next(first.Length)].ToString(), second[random.Next(second.Length)].ToString());
    }

    private static IEnumerable<(string, int)> Parse(string table)
    {
        foreach (var token in table.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var digits = token.AsSpan().IndexOfAnyInRange('0', '9');
            yield return (token[..digits], int.Parse(token.AsSpan(digits), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private sealed record Cohort(int BornBefore, string MaleFirst, string MaleSecond, string FemaleFirst, string FemaleSecond, int SingleCharPercent);
}
