using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Ingest;
using GridExchange.V1;

namespace GridExchange.Benchmarks.Workload;

/// <summary>
/// Synthetic residents of five counties, submitted as Person changes the way a county system
/// sends them: mostly new records, some new versions of records it sent before, every field a
/// real 人口基础信息 record fills (citizen ID with its check character, addresses, phone,
/// household, a registered-population tag), about 600–1,000 bytes per payload. Deterministic
/// for a seed, so two runs write the same rows.
/// </summary>
internal sealed class PersonWorkload
{
    /// <summary>Five districts of Yantai (370600): the counties whose systems submit.</summary>
    public static readonly IReadOnlyList<string> Counties = ["370602", "370611", "370612", "370613", "370614"];

    private const string Surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎";
    private const string GivenChars = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英志华建国海燕玉兰文凤鹏辉晓红宏亮春梅";
    private const string PlaceChars = "东西南北中新明阳光华兴福安康宁和平泰山海港湾松竹梅兰青云石桥河湖园";
    private static readonly string[] Occupations = ["办事人员", "专业技术人员", "商业服务人员", "生产运输设备操作人员", "农林牧渔业生产人员", "个体工商户", "退休人员", "在校学生"];
    private static readonly string[] Roads = ["海港路", "南大街", "北马路", "环山路", "胜利路", "幸福街", "青年路", "观海路"];
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Random _random;
    private readonly Dictionary<string, List<Resident>> _residents = [];
    private readonly string _changePrefix;
    private long _nextPerson;
    private long _nextChange;

    /// <summary>Creates the workload; <paramref name="changePrefix"/> keeps source_change_ids of separate uses apart.</summary>
    public PersonWorkload(int seed, string changePrefix)
    {
        _random = new Random(seed);
        _changePrefix = changePrefix;
        foreach (var county in Counties)
        {
            _residents[county] = [];
        }
    }

    /// <summary>The registered source system of a county.</summary>
    public static string SourceOf(string county) => $"county-{county}";

    /// <summary>The county's 12-digit region code (its jurisdiction).</summary>
    public static string RegionOf(string county) => county + "000000";

    /// <summary>
    /// The next <paramref name="size"/> changes from <paramref name="county"/>: about
    /// <paramref name="updateShare"/> are new versions of residents it sent before (a tenth of
    /// those move to another grid of the county), the rest new residents.
    /// </summary>
    public List<Change> NextChanges(string county, int size, double updateShare = 0.1)
    {
        var known = _residents[county];
        var changes = new List<Change>(size);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < size; i++)
        {
            Resident resident;
            if (known.Count > 100 && _random.NextDouble() < updateShare)
            {
                resident = known[_random.Next(known.Count)];
                if (!touched.Add(resident.Key))
                {
                    resident = NewResident(county);
                    known.Add(resident);
                }
                else
                {
                    resident.Version++;
                    if (_random.Next(10) == 0)
                    {
                        resident.Grid = RandomGrid(county);
                    }
                }
            }
            else
            {
                resident = NewResident(county);
                known.Add(resident);
                touched.Add(resident.Key);
            }

            changes.Add(ToChange(county, resident));
        }

        return changes;
    }

    /// <summary>
    /// Runs the changes through <see cref="ChangeValidator"/> as SubmitChanges does, giving the
    /// normalised changes the store ingests.
    /// </summary>
    public static List<ValidChange> Validate(string county, IReadOnlyList<Change> changes)
    {
        var source = new SourceJurisdiction(SourceOf(county), RegionOf(county));
        var valid = new List<ValidChange>(changes.Count);
        for (var i = 0; i < changes.Count; i++)
        {
            var check = ChangeValidator.Validate(changes[i], source);
            if (!check.IsValid)
            {
                throw new InvalidOperationException($"The workload built an invalid change: {check.Reason} {check.Message}");
            }

            valid.Add(new ValidChange(i, check.Normalized, check.RegionCode, check.ParentKey));
        }

        return valid;
    }

    private Resident NewResident(string county)
    {
        var n = ++_nextPerson;
        var male = _random.Next(2) == 0;
        var birth = new DateOnly(1940, 1, 1).AddDays(_random.Next(365 * 66));
        var native = Counties[_random.Next(Counties.Count)];
        var sequence = (_random.Next(500) * 2) + (male ? 1 : 0);
        return new Resident(
            $"p-{_changePrefix}-{county}-{n:D8}",
            RandomGrid(county),
            male,
            birth,
            CitizenId.Create(native, birth, sequence),
            Name(),
            native,
            n);
    }

    private string RandomGrid(string county) =>
        string.Create(CultureInfo.InvariantCulture, $"{county}{_random.Next(1, 10):D3}{_random.Next(1, 11):D3}{_random.Next(1, 6):D3}");

    private Change ToChange(string county, Resident r)
    {
        var source = SourceOf(county);
        var changeId = $"{_changePrefix}-{++_nextChange:D10}";
        var township = r.Grid.Substring(6, 3);
        var village = r.Grid.Substring(9, 3);
        var building = (r.Serial % 40) + 1;
        var unit = (r.Serial % 4) + 1;
        var room = ((r.Serial % 18) + 1) * 100 + (r.Serial % 4) + 1;
        var road = Roads[(int)(r.Serial % Roads.Length)];
        var community = Place(2) + "社区";
        var person = new Person
        {
            Meta = new EntityMeta
            {
                Id = r.Key,
                SourceSystem = source,
                Version = r.Version,
                UpdatedAt = Timestamp.FromDateTimeOffset(Epoch.AddSeconds(r.Serial * 7 + r.Version)),
            },
            CitizenId = r.CitizenId,
            Name = r.Name,
            FormerName = _random.Next(5) == 0 ? Name() : "",
            Gender = r.Male ? Gender.Male : Gender.Female,
            BirthDate = r.Birth.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            Ethnicity = "01",
            NativePlace = r.NativePlace,
            MaritalStatus = "20",
            PoliticalStatus = "13",
            Education = "21",
            Religion = "00",
            OccupationCategory = "3-01",
            Occupation = Occupations[_random.Next(Occupations.Length)],
            Workplace = $"烟台市{Place(2)}区{Place(2)}{Place(2)}商贸有限公司{Place(2)}分公司{Place(2)}部",
            Contact = string.Create(CultureInfo.InvariantCulture, $"13{_random.Next(0, 10)}{_random.Next(10_000_000, 100_000_000)}"),
            RegisteredRegion = r.NativePlace,
            RegisteredAddress = $"山东省烟台市{Place(2)}区{Place(2)}街道{Place(2)}村{_random.Next(1, 400)}号",
            ResidenceRegion = county,
            ResidenceAddress = $"山东省烟台市{Place(2)}区{Place(2)}街道{community}{road}{building}号院{building}号楼{unit}单元{room}室",
            GridCode = r.Grid,
            HouseholdId = $"hh-{county}-{r.Serial / 3:D8}",
            HouseholdNumber = string.Create(CultureInfo.InvariantCulture, $"{r.Serial % 1_000_000_000:D9}"),
            RelationToHead = r.Serial % 3 == 0 ? "01" : "10",
            HouseId = $"ho-{county}-{r.Serial / 3:D8}",
            Tags =
            {
                new PersonTag
                {
                    Kind = PersonTagKind.Registered,
                    Since = "20100101",
                    Registered = new RegisteredDetails
                    {
                        ResidenceConsistency = ResidenceConsistency.Consistent,
                        HeadCitizenId = r.CitizenId,
                        HeadName = r.Name,
                        RegisteredDoorAddress = $"{Place(2)}{road}{building}号{unit}单元{room}室（{township}{village}）",
                    },
                },
            },
        };
        if (r.Serial % 5 < 2)
        {
            // Two in five also carry a second group: left-behind, with the absent family member.
            person.Tags.Add(new PersonTag
            {
                Kind = PersonTagKind.LeftBehind,
                Since = "20180301",
                LeftBehind = new LeftBehindDetails
                {
                    Type = LeftBehindType.Elderly,
                    HealthStatus = "20",
                    AnnualIncomeYuan = 12_000 + (r.Serial % 20_000),
                    FamilyMemberName = Name(),
                    FamilyMemberRelation = "20",
                    FamilyMemberContact = string.Create(CultureInfo.InvariantCulture, $"15{_random.Next(0, 10)}{_random.Next(10_000_000, 100_000_000)}"),
                    FamilyMemberWorkAddress = $"江苏省苏州市{Place(2)}区{Place(2)}路{_random.Next(1, 500)}号{Place(2)}电子厂",
                    HouseholdAnnualIncomeYuan = 48_000 + (r.Serial % 50_000),
                    Difficulties = "独居，行动不便，需定期探访",
                    Assistance = $"网格员每周上门走访一次，{Place(2)}社区卫生服务站签约家庭医生",
                },
            });
        }

        return new Change
        {
            EntityType = EntityType.Person,
            EntityKey = r.Key,
            RegionCode = r.Grid,
            Operation = ChangeOperation.Upsert,
            EntityVersion = r.Version,
            SourceSystem = source,
            SourceChangeId = changeId,
            Person = person,
        };
    }

    private string Name()
    {
        var given = _random.Next(3) == 0 ? 1 : 2;
        var name = Surnames[_random.Next(Surnames.Length)].ToString();
        for (var i = 0; i < given; i++)
        {
            name += GivenChars[_random.Next(GivenChars.Length)];
        }

        return name;
    }

    private string Place(int length)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = PlaceChars[_random.Next(PlaceChars.Length)];
        }

        return new string(chars);
    }

    private sealed class Resident(string key, string grid, bool male, DateOnly birth, string citizenId, string name, string nativePlace, long serial)
    {
        public string Key { get; } = key;
        public string Grid { get; set; } = grid;
        public bool Male { get; } = male;
        public DateOnly Birth { get; } = birth;
        public string CitizenId { get; } = citizenId;
        public string Name { get; } = name;
        public string NativePlace { get; } = nativePlace;
        public long Serial { get; } = serial;
        public long Version { get; set; } = 1;
    }
}
