using System.Globalization;
using GridExchange.Domain.Codes;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Names;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

internal sealed partial class GridGenerator
{
    private static readonly WeightedTable<int> FamilySizes = new([(1, 15), (2, 30), (3, 25), (4, 15), (5, 9), (6, 6)]);
    private static readonly WeightedTable<int> FloatingSizes = new([(1, 30), (2, 30), (3, 30), (4, 10)]);
    private static readonly WeightedTable<HazardType> OwnHazards = new([(HazardType.None, 960), (HazardType.Fire, 20), (HazardType.Dispute, 10), (HazardType.PublicSecurity, 5), (HazardType.HazardousChemicals, 3), (HazardType.InfectiousDisease, 2)]);
    private static readonly WeightedTable<HazardType> RentalHazards = new([(HazardType.None, 880), (HazardType.Fire, 60), (HazardType.PublicSecurity, 30), (HazardType.Dispute, 20), (HazardType.HazardousChemicals, 5), (HazardType.InfectiousDisease, 5)]);

    private enum HouseholdKind
    {
        Family,
        LeftBehindGrandparents,
        LeftBehindWoman,
        Floating,
        Collective,
    }

    private enum Lineage
    {
        Head,
        Spouse,
        Child,
        Grandchild,
        Father,
        Mother,
        Other,
    }

    /// <summary>A household member before materialising: GB/T 4761 relation to the head, age, gender, and whose surname they carry.</summary>
    private readonly record struct Member(string Relation, int Age, bool Male, Lineage Lineage);

    /// <summary>Where a floating resident is registered: a county code, its index for the ID allocator and its full name.</summary>
    private sealed record Origin(string Code6, int Index, string FullName, string LocalAddress);

    private sealed class HouseholdContext
    {
        public required HouseholdKind Kind { get; init; }

        public required string HouseholdId { get; init; }

        public required string HouseId { get; init; }

        public required string HouseholdNumber { get; init; }

        public required string Address { get; init; }

        public required string LocalAddress { get; init; }

        public required string FamilySurname { get; init; }

        public required string ChildSurname { get; init; }

        public Origin? Origin { get; init; }

        public string RegisteredAddress { get; set; } = string.Empty;

        public ResidenceConsistency Consistency { get; set; } = ResidenceConsistency.Consistent;

        public Person? Head { get; set; }

        public bool HasSpouse { get; set; }
    }

    private void GeneratePopulation(SeedRandom random)
    {
        if (_grid.Dedicated is not null)
        {
            if (_grid.Dedicated is "学校" or "工业园")
            {
                GenerateCollective(random);
            }

            return;
        }

        var count = _grid.Households;
        var floatingShare = Rural ? 0.06 : 0.28;
        var kinds = new HouseholdKind[count];
        var members = new List<Member>[count];
        for (var i = 0; i < count; i++)
        {
            kinds[i] = random.Chance(floatingShare) ? HouseholdKind.Floating
                : Rural && random.Chance(0.08) ? HouseholdKind.LeftBehindGrandparents
                : Rural && random.Chance(0.03) ? HouseholdKind.LeftBehindWoman
                : HouseholdKind.Family;
            members[i] = Compose(kinds[i], random);
        }

        // Ids and household numbers follow the address order; content is generated registered
        // households first, so that rented houses can name an owner from the same grid.
        var households = new HouseholdContext[count];
        var personIds = new List<string>[count];
        for (var i = 0; i < count; i++)
        {
            var floating = kinds[i] == HouseholdKind.Floating;
            households[i] = new HouseholdContext
            {
                Kind = kinds[i],
                HouseId = _county.NextHouseId(),
                HouseholdId = _county.NextHouseholdId(),
                HouseholdNumber = floating ? string.Empty : _county.NextHouseholdNumber(_village.Township),
                Address = FullAddress(i),
                LocalAddress = LocalAddress(i),
                FamilySurname = PersonNames.Surname(random),
                ChildSurname = PersonNames.Surname(random),
                Origin = floating ? PickOrigin(random) : null,
            };
            personIds[i] = [.. members[i].Select(_ => _county.NextPersonId())];
        }

        var built = new (House House, Household Household, List<Person> Persons)[count];
        var owners = new List<Person>();
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < count; i++)
            {
                if ((kinds[i] == HouseholdKind.Floating) != (pass == 1))
                {
                    continue;
                }

                built[i] = BuildHousehold(random, i, households[i], members[i], personIds[i], owners);
                if (pass == 0 && Age(built[i].Persons[0]) >= 25)
                {
                    owners.Add(built[i].Persons[0]);
                }
            }
        }

        foreach (var (house, household, persons) in built)
        {
            _houses.Add(house);
            _households.Add(household);
            _persons.AddRange(persons);
        }
    }

    /// <summary>A dormitory (集体户) in a school or industrial-park grid, in a house owned by the organisation.</summary>
    private void GenerateCollective(SeedRandom random)
    {
        var school = _grid.Dedicated == "学校";
        var size = random.Between(8, 30);
        var members = new List<Member>(size);
        for (var i = 0; i < size; i++)
        {
            members.Add(new Member(i == 0 ? "01" : "99", school ? random.Bell(22, 50) : random.Bell(18, 45), random.Chance(school ? 0.4 : 0.7), Lineage.Other));
        }

        var context = new HouseholdContext
        {
            Kind = HouseholdKind.Collective,
            HouseId = _county.NextHouseId(),
            HouseholdId = _county.NextHouseholdId(),
            HouseholdNumber = _county.NextHouseholdNumber(_village.Township),
            Address = FullAddress(0),
            LocalAddress = LocalAddress(0),
            FamilySurname = PersonNames.Surname(random),
            ChildSurname = PersonNames.Surname(random),
        };
        var ids = members.Select(_ => _county.NextPersonId()).ToList();
        var (house, household, persons) = BuildHousehold(random, 0, context, members, ids, []);
        _houses.Add(house);
        _households.Add(household);
        _persons.AddRange(persons);
    }

    private (House, Household, List<Person>) BuildHousehold(SeedRandom random, int index, HouseholdContext context, List<Member> members, List<string> ids, List<Person> owners)
    {
        if (context.Kind != HouseholdKind.Floating && context.Kind != HouseholdKind.Collective && random.Chance(0.08))
        {
            // 人户分离: registered at another address in the county.
            var other = random.Pick(_county.Plan.Townships);
            var village = random.Pick(other.Villages);
            context.RegisteredAddress = _county.FullName + village.AddressStem + village.Roads[0] + random.Between(1, 300).ToString(CultureInfo.InvariantCulture) + "号";
            context.Consistency = ResidenceConsistency.Separated;
        }
        else
        {
            context.RegisteredAddress = context.Address;
        }

        context.HasSpouse = members.Exists(m => m.Lineage == Lineage.Spouse);
        var persons = new List<Person>(members.Count);
        for (var m = 0; m < members.Count; m++)
        {
            var origin = context.Kind == HouseholdKind.Floating ? context.Origin
                : context.Kind == HouseholdKind.Collective && random.Chance(_grid.Dedicated == "学校" ? 0.3 : 0.7) ? PickOrigin(random)
                : null;
            var person = CreatePerson(random, members[m], ids[m], context, origin);
            if (m == 0)
            {
                context.Head = person;
            }

            persons.Add(person);
        }

        foreach (var person in persons)
        {
            AddSpecialTags(random, person, persons, context);
        }

        var head = persons[0];
        var rental = context.Kind == HouseholdKind.Floating;
        var house = new House
        {
            Meta = Meta(context.HouseId),
            HouseNumber = string.Create(CultureInfo.InvariantCulture, $"{_grid.Code15}-{index + 1:D4}"),
            GridCode = _grid.Code15,
            Address = context.Address,
            Use = !Rural || random.Chance(0.95) ? HouseUse.Residential : HouseUse.Mixed,
            AreaM2 = (Rural ? random.Bell(8_000, 20_000) : random.Bell(4_500, 14_000)) / 100.0,
            IsRental = rental,
            Hazard = (rental ? RentalHazards : OwnHazards).Pick(random),
            Location = new GeoPoint
            {
                Longitude = (_grid.LonMicro + random.Between(-_grid.HalfWidthMicro, _grid.HalfWidthMicro)) / 1_000_000.0,
                Latitude = (_grid.LatMicro + random.Between(-_grid.HalfHeightMicro, _grid.HalfHeightMicro)) / 1_000_000.0,
            },
        };
        if (context.Kind == HouseholdKind.Collective || (rental && (owners.Count == 0 || random.Chance(0.1))))
        {
            var (name, code) = Organisation(random, context.Kind == HouseholdKind.Collective);
            house.OwnerName = name;
            house.OwnerCreditCode = code;
        }
        else
        {
            var owner = rental ? random.Pick(owners) : head;
            house.OwnerName = owner.Name;
            house.OwnerCitizenId = owner.CitizenId;
        }

        if (rental)
        {
            house.TenantPersonIds.AddRange(ids);
        }

        var household = new Household
        {
            Meta = Meta(context.HouseholdId),
            HouseholdNumber = context.HouseholdNumber,
            GridCode = _grid.Code15,
            HouseId = context.HouseId,
            HeadPersonId = head.Meta.Id,
            HeadName = head.Name,
            Type = context.Kind switch
            {
                HouseholdKind.Floating => HouseholdType.Floating,
                HouseholdKind.Collective => HouseholdType.Collective,
                _ => HouseholdType.Registered,
            },
            MemberCount = persons.Count,
            Address = context.Address,
        };
        household.MemberPersonIds.AddRange(ids);
        return (house, household, persons);
    }

    private (string Name, string CreditCode) Organisation(SeedRandom random, bool ownsGrid)
    {
        var city = _county.County.City.Name[..^1];
        var name = ownsGrid
            ? (_grid.Dedicated == "学校" ? _grid.Name[..^4] : city + _grid.Name[..^7] + "实业有限公司")
            : city + PlaceNames.TownshipStem(random) + "置业有限公司";
        // 9 = registered with market regulation, 1 = enterprise, then the 6-digit county code and a
        // 9-character organisation code.
        Span<char> org = stackalloc char[9];
        for (var i = 0; i < org.Length; i++)
        {
            org[i] = i < 8 && random.Chance(0.7)
                ? (char)('0' + random.Next(10))
                : UnifiedSocialCreditCode.Alphabet[random.Next(UnifiedSocialCreditCode.Alphabet.Length)];
        }

        return (name, UnifiedSocialCreditCode.Create("91" + _county.County.Code6 + new string(org)));
    }

    private Origin PickOrigin(SeedRandom random)
    {
        var counties = ShandongDivisions.Counties;
        if (random.Chance(0.2))
        {
            var index = random.Next(ShandongDivisions.OtherProvinceCounties.Count);
            var (code, fullName) = ShandongDivisions.OtherProvinceCounties[index];
            return new Origin(code, counties.Count + index, fullName, PlaceNames.RoadName(random) + random.Between(1, 200).ToString(CultureInfo.InvariantCulture) + "号");
        }

        CountyInfo county;
        do
        {
            // Half come from the same city, as in practice most migration is local.
            county = random.Chance(0.5)
                ? random.Pick(counties.Where(c => c.City == _county.County.City).ToList())
                : random.Pick(counties);
        }
        while (county == _county.County);

        var local = PlaceNames.TownshipStem(random) + "镇" + PlaceNames.VillageName(random) + random.Between(1, 400).ToString(CultureInfo.InvariantCulture) + "号";
        return new Origin(county.Code6, county.Index, ShandongDivisions.FullName(county), local);
    }

    private static List<Member> Compose(HouseholdKind kind, SeedRandom random)
    {
        var members = new List<Member>();

        void Add(string relation, int age, bool male, Lineage lineage) =>
            members.Add(new Member(relation, Math.Clamp(age, 0, 100), male, lineage));

        void Couple(int headAge)
        {
            Add("01", headAge, true, Lineage.Head);
            Add("12", Math.Max(20, headAge + random.Between(-5, 2)), false, Lineage.Spouse);
        }

        void Children(int count, int oldestMax)
        {
            var mother = members.Count > 1 ? members[1].Age : members[0].Age;
            var age = Math.Min(oldestMax, Math.Max(0, mother - random.Between(22, 36)));
            for (var c = 0; c < count; c++)
            {
                var male = random.Chance(0.52);
                Add(male ? "20" : "30", age, male, Lineage.Child);
                age = Math.Max(0, age - random.Between(2, 8));
            }
        }

        void Parents(bool both)
        {
            var headAge = members[0].Age;
            var fatherAge = headAge + random.Between(24, 34);
            if (both)
            {
                Add("51", fatherAge, true, Lineage.Father);
                Add("52", fatherAge + random.Between(-5, 1), false, Lineage.Mother);
            }
            else
            {
                var male = random.Chance(0.3);
                Add(male ? "51" : "52", fatherAge + (male ? 0 : random.Between(-5, 1)), male, male ? Lineage.Father : Lineage.Mother);
            }
        }

        switch (kind)
        {
            case HouseholdKind.Floating:
                var floatingSize = FloatingSizes.Pick(random);
                if (floatingSize == 1)
                {
                    Add("01", random.Bell(18, 50), random.Chance(0.6), Lineage.Head);
                }
                else
                {
                    Couple(random.Bell(22, 48));
                    Children(floatingSize - 2, 15);
                }

                break;

            case HouseholdKind.LeftBehindGrandparents:
                var grandparentsSize = random.Between(2, 4);
                var grandfather = random.Chance(0.7);
                Add("01", random.Bell(56, 78), grandfather, Lineage.Head);
                if (grandparentsSize >= 3)
                {
                    Add(grandfather ? "12" : "11", members[0].Age + random.Between(-4, 4), !grandfather, Lineage.Spouse);
                }

                while (members.Count < grandparentsSize)
                {
                    var male = random.Chance(0.52);
                    Add(male ? "41" : "42", random.Between(1, 15), male, Lineage.Grandchild);
                }

                break;

            case HouseholdKind.LeftBehindWoman:
                var womanSize = random.Between(2, 4);
                var womanAge = random.Bell(27, 45);
                Add("01", womanAge, false, Lineage.Head);
                while (members.Count < womanSize)
                {
                    var male = random.Chance(0.52);
                    Add(male ? "20" : "30", random.Between(0, Math.Min(17, womanAge - 20)), male, Lineage.Child);
                }

                break;

            default:
                switch (FamilySizes.Pick(random))
                {
                    case 1:
                        if (random.Chance(0.55))
                        {
                            Add("01", random.Bell(65, 92), random.Chance(0.4), Lineage.Head);
                        }
                        else
                        {
                            Add("01", random.Bell(22, 64), random.Chance(0.55), Lineage.Head);
                        }

                        break;
                    case 2:
                        var shape = random.Next(100);
                        if (shape < 45)
                        {
                            Couple(random.Bell(60, 86));
                        }
                        else if (shape < 65)
                        {
                            Couple(random.Bell(23, 42));
                        }
                        else if (shape < 85)
                        {
                            Add("01", random.Bell(30, 55), random.Chance(0.35), Lineage.Head);
                            Children(1, 30);
                        }
                        else
                        {
                            Add("01", random.Bell(38, 62), random.Chance(0.6), Lineage.Head);
                            Parents(both: false);
                        }

                        break;
                    case 3:
                        Couple(random.Bell(26, 58));
                        Children(1, 32);
                        break;
                    case 4:
                        Couple(random.Bell(28, 56));
                        if (random.Chance(0.6))
                        {
                            Children(2, 30);
                        }
                        else
                        {
                            Children(1, 30);
                            Parents(both: false);
                        }

                        break;
                    case 5:
                        Couple(random.Bell(28, 52));
                        if (random.Chance(0.5))
                        {
                            Children(2, 28);
                            Parents(both: false);
                        }
                        else
                        {
                            Children(1, 28);
                            Parents(both: true);
                        }

                        break;
                    default:
                        Couple(random.Bell(30, 52));
                        if (random.Chance(0.7))
                        {
                            Children(2, 28);
                            Parents(both: true);
                        }
                        else
                        {
                            Children(3, 28);
                            Parents(both: false);
                        }

                        break;
                }

                break;
        }

        return members;
    }

    private Person CreatePerson(SeedRandom random, Member member, string id, HouseholdContext household, Origin? origin)
    {
        var birth = BirthDate(random, member.Age);
        var (citizenId, birthDate) = origin is null
            ? _county.Ids.Native(birth, member.Male, random)
            : _county.Ids.Floating(origin.Code6, origin.Index, birth, member.Male, random);
        var age = Age(birthDate);
        var surname = member.Lineage switch
        {
            Lineage.Head or Lineage.Father => household.FamilySurname,
            Lineage.Grandchild => household.Head is { Gender: Gender.Female } ? household.ChildSurname : household.FamilySurname,
            Lineage.Child => household.Head is { Gender: Gender.Female } ? household.ChildSurname : household.FamilySurname,
            _ => PersonNames.Surname(random),
        };
        var name = surname + PersonNames.GivenName(random, birthDate.Year, member.Male);
        var ethnicity = Catalogs.Ethnicity.Pick(random);
        var registeredRegion = origin?.Code6 ?? _county.County.Code6;

        var person = new Person
        {
            Meta = Meta(id),
            CitizenId = citizenId,
            Name = name,
            FormerName = age >= 18 && random.Chance(0.02) ? surname + PersonNames.GivenName(random, birthDate.Year, member.Male) : string.Empty,
            Gender = member.Male ? Gender.Male : Gender.Female,
            BirthDate = SeedTime.Date(birthDate),
            Ethnicity = ethnicity,
            NativePlace = random.Chance(0.9) ? registeredRegion : random.Pick(ShandongDivisions.Counties).Code6,
            MaritalStatus = MaritalStatus(random, member, age, household.HasSpouse || household.Kind == HouseholdKind.LeftBehindWoman),
            PoliticalStatus = age >= 18 && random.Chance(age >= 40 ? 0.1 : 0.06) ? "01" : age is >= 14 and <= 28 && random.Chance(0.4) ? "03" : "13",
            Education = Education(random, age, birthDate.Year),
            Religion = ethnicity == "03" ? "70" : Catalogs.Religion.Pick(random),
            Contact = age >= 12 || household.Head is null ? Catalogs.Mobile(random) : household.Head.Contact,
            RegisteredRegion = registeredRegion,
            RegisteredAddress = origin is null ? household.RegisteredAddress : origin.FullName + origin.LocalAddress,
            ResidenceRegion = _county.County.Code6,
            ResidenceAddress = household.Address,
            GridCode = _grid.Code15,
            HouseholdId = household.HouseholdId,
            HouseholdNumber = household.HouseholdNumber,
            RelationToHead = member.Relation,
            HouseId = household.HouseId,
        };
        SetOccupation(random, person, age, member.Male);

        if (origin is null)
        {
            person.Tags.Add(new PersonTag
            {
                Kind = PersonTagKind.Registered,
                Since = person.BirthDate,
                Registered = new RegisteredDetails
                {
                    ResidenceConsistency = household.Consistency,
                    HeadCitizenId = household.Head?.CitizenId ?? citizenId,
                    HeadName = household.Head?.Name ?? name,
                    RegisteredDoorAddress = household.Consistency == ResidenceConsistency.Consistent
                        ? household.LocalAddress
                        : household.RegisteredAddress[_county.FullName.Length..],
                },
            });
        }
        else
        {
            person.Tags.Add(FloatingTag(random, birthDate, household.Kind == HouseholdKind.Collective));
        }

        return person;
    }

    private PersonTag FloatingTag(SeedRandom random, DateOnly birthDate, bool dormitory)
    {
        var arrived = _context.AsOf.AddDays(-random.Between(20, 8 * 365));
        if (arrived < birthDate)
        {
            arrived = birthDate;
        }

        var certificate = random.Next(100) switch { < 70 => "01", < 90 => "02", _ => "99" };
        var details = new FloatingDetails
        {
            InflowReason = random.Next(100) switch { < 60 => "01", < 80 => "02", < 85 => "03", < 95 => "04", _ => "99" },
            CertificateType = certificate,
            RegisteredOn = SeedTime.Date(arrived),
            DwellingType = dormitory ? "02" : "01",
            KeyConcern = random.Chance(0.01),
        };
        if (certificate == "01")
        {
            details.CertificateNumber = string.Create(CultureInfo.InvariantCulture, $"JZZ{_county.County.Code6}{arrived.Year}{random.Next(1_000_000):D6}");
            var expires = arrived.AddYears(1);
            while (expires < _context.AsOf && random.Chance(0.9))
            {
                expires = expires.AddYears(1);
            }

            details.CertificateExpiresOn = SeedTime.Date(expires);
        }

        return new PersonTag { Kind = PersonTagKind.Floating, Since = SeedTime.Date(arrived), Floating = details };
    }

    private static string MaritalStatus(SeedRandom random, Member member, int age, bool headMarried)
    {
        if (age < 20)
        {
            return "10";
        }

        return member.Lineage switch
        {
            Lineage.Spouse => random.Chance(0.04) ? "22" : "20",
            Lineage.Head when headMarried => random.Chance(0.04) ? "22" : "20",
            Lineage.Head when age < 35 => "10",
            Lineage.Head when age >= 65 => random.Chance(0.75) ? "30" : "40",
            Lineage.Head => random.Next(10) switch { < 5 => "10", < 8 => "40", _ => "30" },
            Lineage.Father or Lineage.Mother => random.Chance(0.4) ? "20" : "30",
            _ => age >= 25 && random.Chance(0.3) ? "20" : "10",
        };
    }

    private static string Education(SeedRandom random, int age, int birthYear)
    {
        switch (age)
        {
            case < 7:
                return "90";
            case <= 12:
                return "80";
            case <= 15:
                return "70";
            case <= 18:
                return random.Chance(0.7) ? "60" : "40";
        }

        foreach (var (bornBefore, table) in Catalogs.Education)
        {
            if (birthYear < bornBefore)
            {
                return table.Pick(random);
            }
        }

        return "20";
    }

    private void SetOccupation(SeedRandom random, Person person, int age, bool male)
    {
        var township = _village.Township;
        var stem = township.Name.EndsWith("街道", StringComparison.Ordinal) ? township.Name[..^2] : township.Name[..^1];
        var city = _county.County.City.Name[..^1];
        if (age < 7)
        {
            return;
        }

        if (age <= 18 || (age <= 22 && random.Chance(0.5)))
        {
            person.Occupation = "学生";
            person.Workplace = age switch
            {
                <= 12 => stem + "小学",
                <= 15 => stem + "中学",
                <= 18 => _county.County.Name[..^1] + "第一中学",
                _ => random.Pick(Catalogs.Universities),
            };
            return;
        }

        if (age >= (male ? 60 : 55))
        {
            if (Rural && age < 75)
            {
                person.OccupationCategory = "5-01";
                person.Occupation = "农民";
            }
            else
            {
                person.Occupation = "离退休人员";
            }

            return;
        }

        if (random.Chance(0.05))
        {
            person.Occupation = "无业";
            return;
        }

        var (category, name, workplace) = (Rural ? Catalogs.RuralJobs : Catalogs.UrbanJobs).Pick(random);
        person.OccupationCategory = category;
        person.Occupation = name;
        person.Workplace = string.Format(CultureInfo.InvariantCulture, workplace, random.Chance(0.5) ? stem : PlaceNames.TownshipStem(random), city);
    }

    private DateOnly BirthDate(SeedRandom random, int age)
    {
        var latest = _context.AsOf.AddYears(-age);
        var earliest = _context.AsOf.AddYears(-age - 1).AddDays(1);
        return earliest.AddDays(random.Next(latest.DayNumber - earliest.DayNumber + 1));
    }

    private int Age(DateOnly birthDate)
    {
        var asOf = _context.AsOf;
        var age = asOf.Year - birthDate.Year;
        return birthDate > asOf.AddYears(-age) ? age - 1 : age;
    }

    private int Age(Person person) =>
        Age(DateOnly.ParseExact(person.BirthDate, "yyyyMMdd", CultureInfo.InvariantCulture));
}
