using System.Globalization;
using GridExchange.Seeds.Names;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

internal sealed partial class GridGenerator
{
    private static readonly string[] Charges = ["盗窃罪", "诈骗罪", "故意伤害罪", "寻衅滋事罪", "危险驾驶罪", "交通肇事罪", "开设赌场罪", "聚众斗殴罪"];
    private static readonly string[] Prisons = ["山东省济南监狱", "山东省潍北监狱", "山东省鲁南监狱", "山东省泰安监狱", "山东省任城监狱", "山东省微湖监狱"];

    /// <summary>Left-behind tags from the household's shape, then special groups at low rates.</summary>
    private void AddSpecialTags(SeedRandom random, Person person, List<Person> household, HouseholdContext context)
    {
        var age = Age(person);
        var male = person.Gender == Gender.Male;
        var leftBehind = context.Kind switch
        {
            HouseholdKind.LeftBehindGrandparents when person.RelationToHead is "41" or "42" && age < 16 => LeftBehindType.Child,
            HouseholdKind.LeftBehindGrandparents when person.RelationToHead is "01" or "11" or "12" && age >= 60 => LeftBehindType.Elderly,
            HouseholdKind.LeftBehindWoman when person.RelationToHead == "01" => LeftBehindType.Woman,
            HouseholdKind.LeftBehindWoman when age < 16 => LeftBehindType.Child,
            HouseholdKind.Family when Rural && household.Count == 1 && age >= 65 && random.Chance(0.3) => LeftBehindType.Elderly,
            _ => LeftBehindType.Unspecified,
        };
        if (leftBehind != LeftBehindType.Unspecified)
        {
            person.Tags.Add(LeftBehindTag(random, person, leftBehind, age));
        }

        if (age is >= 22 and <= 70 && random.Chance(male ? 0.002 : 0.0003))
        {
            person.Tags.Add(ReleasedPrisonerTag(random));
        }

        if (age is >= 18 and <= 65 && random.Chance(0.0006))
        {
            person.Tags.Add(CommunityCorrectionTag(random));
        }

        if (age >= 18 && random.Chance(0.0035))
        {
            person.Tags.Add(MentalDisorderTag(random, person, household, age));
        }

        if (age is >= 18 and <= 60 && random.Chance(0.0006))
        {
            person.Tags.Add(DrugUserTag(random));
        }

        if (age is >= 18 and <= 60 && random.Chance(0.0002))
        {
            person.Tags.Add(AidsRiskTag(random));
        }

        if (age is >= 12 and <= 25 && random.Chance(0.008))
        {
            person.Tags.Add(KeyYouthTag(random, person, household));
        }
    }

    private PersonTag LeftBehindTag(SeedRandom random, Person person, LeftBehindType type, int age)
    {
        // The family member who is away working: the child's father, the elder's son, the woman's husband.
        var (relation, memberAge, memberMale) = type switch
        {
            LeftBehindType.Child => ("51", age + random.Between(24, 34), true),
            LeftBehindType.Woman => ("11", age + random.Between(-1, 5), true),
            _ => ("20", Math.Max(25, age - random.Between(24, 34)), true),
        };
        var memberBirth = BirthDate(random, Math.Clamp(memberAge, 18, 70));
        var (memberId, memberBirthDate) = _county.Ids.Native(memberBirth, memberMale, random);
        var surname = person.Name[..1];
        var income = type == LeftBehindType.Child ? 0 : random.Between(2, 30) * 1000;
        var details = new LeftBehindDetails
        {
            Type = type,
            HealthStatus = random.Next(10) switch { < 6 => "01", < 9 => "02", _ => "03" },
            AnnualIncomeYuan = income,
            FamilyMemberCitizenId = memberId,
            FamilyMemberName = (type == LeftBehindType.Woman ? PersonNames.Surname(random) : surname) + PersonNames.GivenName(random, memberBirthDate.Year, memberMale),
            FamilyMemberRelation = relation,
            FamilyMemberContact = Catalogs.Mobile(random),
            FamilyMemberWorkAddress = random.Pick(Catalogs.WorkCities),
            HouseholdAnnualIncomeYuan = income + (random.Between(20, 80) * 1000),
            Difficulties = type switch
            {
                LeftBehindType.Child => "父母外出务工，由祖辈照料，课后辅导不足。",
                LeftBehindType.Woman => "丈夫外出务工，独自承担农活和子女照料。",
                _ => "子女常年在外，日常生活照料和就医需要帮助。",
            },
            Assistance = "网格员每月走访，纳入关爱服务台账。",
        };
        return new PersonTag { Kind = PersonTagKind.LeftBehind, Since = SeedTime.Date(_context.AsOf.AddDays(-random.Between(60, 5 * 365))), LeftBehind = details };
    }

    private PersonTag ReleasedPrisonerTag(SeedRandom random)
    {
        var released = _context.AsOf.AddDays(-random.Between(30, 5 * 365));
        var years = random.Between(0, 8);
        var months = random.Between(years == 0 ? 6 : 0, 11);
        var details = new ReleasedPrisonerDetails
        {
            OriginalCharge = random.Pick(Charges),
            OriginalSentence = years == 0 ? $"{months}个月" : months == 0 ? $"{years}年" : $"{years}年{months}个月",
            Prison = random.Pick(Prisons),
            ReleasedOn = SeedTime.Date(released),
            RiskAssessment = random.Next(10) switch { < 7 => "03", < 9 => "02", _ => "01" },
            HandedOverOn = SeedTime.Date(released.AddDays(random.Between(1, 10))),
            ResettledOn = SeedTime.Date(released.AddDays(random.Between(15, 60))),
            ResettlementStatus = random.Chance(0.85) ? "01" : "02",
            Assistance = "司法所、网格员定期走访帮教。",
            Attention = random.Chance(0.1) ? AttentionLevel.High : random.Chance(0.3) ? AttentionLevel.Medium : AttentionLevel.Low,
        };
        // The flags are optional (explicit presence) in the proto: a seed knows them, so it sets them.
        details.Reoffended = random.Chance(0.03);
        if (details.Reoffended)
        {
            details.ReoffenceCharge = random.Pick(Charges);
        }

        details.Recidivist = random.Chance(0.08);
        return new PersonTag { Kind = PersonTagKind.ReleasedPrisoner, Since = details.ReleasedOn, ReleasedPrisoner = details };
    }

    private PersonTag CommunityCorrectionTag(SeedRandom random)
    {
        var start = _context.AsOf.AddDays(-random.Between(10, 2 * 365));
        var end = start.AddMonths(random.Between(6, 36));
        if (end <= _context.AsOf)
        {
            end = _context.AsOf.AddMonths(random.Between(1, 6));
        }

        var details = new CommunityCorrectionDetails
        {
            CorrectionNumber = string.Create(CultureInfo.InvariantCulture, $"SQJZ{_county.County.Code6}{start.Year}{random.Next(10_000):D4}"),
            CorrectionType = random.Next(100) switch { < 5 => "01", < 85 => "02", < 95 => "03", _ => "04" },
            Charge = random.Pick(Charges),
            OriginalSentence = $"有期徒刑{random.Between(1, 3)}年",
            CorrectionStartOn = SeedTime.Date(start),
            CorrectionEndOn = SeedTime.Date(end),
            ReceptionMethod = random.Chance(0.9) ? "01" : "02",
            Recidivist = random.Chance(0.05),
            HasCorrectionTeam = true,
            Absconded = random.Chance(0.01),
            Unsupervised = false,
            Reoffended = false,
        };
        return new PersonTag { Kind = PersonTagKind.CommunityCorrection, Since = details.CorrectionStartOn, CommunityCorrection = details };
    }

    private PersonTag MentalDisorderTag(SeedRandom random, Person person, List<Person> household, int age)
    {
        var onset = _context.AsOf.AddDays(-random.Between(365, Math.Max(366, (age - 15) * 365)));
        var guardian = household.Where(p => p != person && Age(p) >= 18).OrderBy(p => p.RelationToHead == "01" ? 0 : 1).FirstOrDefault();
        var incidents = random.Chance(0.1) ? random.Between(1, 3) : 0;
        var details = new SevereMentalDisorderDetails
        {
            GuardianCitizenId = guardian?.CitizenId ?? string.Empty,
            GuardianName = guardian?.Name ?? person.Name[..1] + PersonNames.GivenName(random, 1970, random.Chance(0.5)),
            GuardianContact = guardian?.Contact ?? Catalogs.Mobile(random),
            FirstOnsetOn = SeedTime.Date(onset),
            Diagnosis = random.Next(100) switch { < 55 => "01", < 65 => "02", < 72 => "03", < 90 => "04", < 95 => "05", _ => "06" },
            IncidentHistory = incidents > 0,
            IncidentCount = incidents,
            RiskLevel = random.Next(100) switch { < 45 => 0, < 75 => 1, < 90 => 2, < 96 => 3, < 99 => 4, _ => 5 },
            TreatmentStatus = random.Next(10) switch { < 6 => "01", < 8 => "02", _ => "03" },
            Hospital = _county.County.City.Name + "精神卫生中心",
            Assistance = "纳入严重精神障碍患者管理，定期随访服药情况。",
        };
        if (incidents > 0)
        {
            details.LastIncidentOn = SeedTime.Date(_context.AsOf.AddDays(-random.Between(30, 3 * 365)));
        }

        return new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, Since = details.FirstOnsetOn, SevereMentalDisorder = details };
    }

    private PersonTag DrugUserTag(SeedRandom random)
    {
        var found = _context.AsOf.AddDays(-random.Between(180, 10 * 365));
        var details = new DrugUserDetails
        {
            FirstFoundOn = SeedTime.Date(found),
            ControlStatus = random.Next(10) switch { < 3 => "01", < 6 => "02", < 7 => "03", _ => "04" },
            ControllerName = PersonNames.FullName(random, 1980, random.Chance(0.6)),
            ControllerContact = Catalogs.Mobile(random),
            CriminalHistory = random.Chance(0.3),
            DrugType = random.Next(10) switch { < 5 => "02", < 8 => "01", _ => "03" },
            Cause = random.Next(10) switch { < 6 => "01", < 9 => "02", _ => "99" },
            Consequence = random.Chance(0.8) ? "01" : "02",
            Assistance = "社区戒毒（康复）工作小组定期尿检和走访。",
            Attention = random.Chance(0.3) ? AttentionLevel.High : AttentionLevel.Medium,
        };
        return new PersonTag { Kind = PersonTagKind.DrugUser, Since = details.FirstFoundOn, DrugUser = details };
    }

    private PersonTag AidsRiskTag(SeedRandom random) => new()
    {
        Kind = PersonTagKind.AidsRisk,
        Since = SeedTime.Date(_context.AsOf.AddDays(-random.Between(180, 8 * 365))),
        AidsRisk = new AidsRiskDetails
        {
            InfectionRoute = random.Next(10) switch { < 7 => "01", < 8 => "02", _ => "04" },
            CriminalHistory = random.Chance(0.05),
            AttentionType = random.Chance(0.7) ? "01" : "02",
            Assistance = "疾控中心随访，落实抗病毒治疗。",
            HelperName = PersonNames.FullName(random, 1985, random.Chance(0.4)),
            HelperContact = Catalogs.Mobile(random),
            TreatmentStatus = random.Chance(0.9) ? "01" : "02",
            TreatmentInstitution = _county.County.Name + "疾病预防控制中心",
            Attention = AttentionLevel.Medium,
        },
    };

    private PersonTag KeyYouthTag(SeedRandom random, Person person, List<Person> household)
    {
        var guardian = household.FirstOrDefault(p => p != person && Age(p) >= 25);
        var details = new KeyYouthDetails
        {
            YouthType = random.Next(10) switch { < 5 => "01", < 8 => "02", < 9 => "04", _ => "99" },
            FamilySituation = random.Next(10) switch { < 6 => "01", < 9 => "02", _ => "03" },
            GuardianCitizenId = guardian?.CitizenId ?? string.Empty,
            GuardianName = guardian?.Name ?? string.Empty,
            GuardianRelation = guardian is null ? string.Empty : guardian.Gender == Gender.Male ? "51" : "52",
            GuardianContact = guardian?.Contact ?? string.Empty,
            GuardianAddress = guardian?.ResidenceAddress ?? string.Empty,
            Offended = random.Chance(0.1),
            HelperName = PersonNames.FullName(random, 1988, random.Chance(0.5)),
            HelperContact = Catalogs.Mobile(random),
            AssistanceMethod = random.Chance(0.6) ? "01" : "02",
            Assistance = "社区青少年事务社工结对帮扶。",
            Attention = random.Chance(0.2) ? AttentionLevel.High : AttentionLevel.Low,
        };
        return new PersonTag { Kind = PersonTagKind.KeyYouth, Since = SeedTime.Date(_context.AsOf.AddDays(-random.Between(30, 3 * 365))), KeyYouth = details };
    }
}
