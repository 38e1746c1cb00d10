using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class PersonValidationTests
{
    public static TheoryData<string, Action<Person>, string, string> PersonProblems() => new()
    {
        { "grid missing", p => p.GridCode = "", "person.grid_code", ErrorReasons.RequiredField },
        { "grid malformed", p => p.GridCode = "37060200100100A", "person.grid_code", ErrorReasons.InvalidCode },
        { "grid elsewhere", p => p.GridCode = OtherCountyGrid, "person.grid_code", ErrorReasons.OutOfJurisdiction },
        { "citizen ID missing", p => p.CitizenId = "", "person.citizen_id", ErrorReasons.RequiredField },
        { "citizen ID check digit", p => p.CitizenId = MaleId[..17] + (MaleId[17] == '0' ? '1' : '0'), "person.citizen_id", ErrorReasons.InvalidCheckDigit },
        { "citizen ID lower-case x", p => p.CitizenId = "34052419800101001x", "person.citizen_id", ErrorReasons.InvalidFormat },
        { "citizen ID 17 characters", p => p.CitizenId = MaleId[..17], "person.citizen_id", ErrorReasons.InvalidLength },
        { "citizen ID 19 characters", p => p.CitizenId = MaleId + "1", "person.citizen_id", ErrorReasons.InvalidLength },
        { "citizen ID with a space", p => p.CitizenId = " " + MaleId[1..], "person.citizen_id", ErrorReasons.InvalidFormat },
        { "citizen ID impossible date", p => p.CitizenId = CitizenIdWithDate("19800230"), "person.citizen_id", ErrorReasons.InvalidDate },
        { "legacy ID impossible date", p => p.CitizenId = "370602801301123", "person.citizen_id", ErrorReasons.InvalidDate },
        { "legacy ID over a hundred in 1999", p => p.CitizenId = "370602800101996", "person.citizen_id", ErrorReasons.InvalidDate },
        { "legacy ID with a letter", p => p.CitizenId = "37060280010112X", "person.citizen_id", ErrorReasons.InvalidFormat },
        { "name missing", p => p.Name = "", "person.name", ErrorReasons.RequiredField },
        { "name blank", p => p.Name = "\u3000", "person.name", ErrorReasons.RequiredField },
        { "name masked", p => p.Name = "李*", "person.name", ErrorReasons.InvalidFormat },
        { "name masked full-width", p => p.Name = "李＊＊", "person.name", ErrorReasons.InvalidFormat },
        { "name with a tab", p => p.Name = "李\t鹏龙", "person.name", ErrorReasons.InvalidFormat },
        { "name too long", p => p.Name = new string('李', 51), "person.name", ErrorReasons.InvalidLength },
        { "former name too long", p => p.FormerName = new string('李', 51), "person.former_name", ErrorReasons.InvalidLength },
        { "gender unspecified", p => p.Gender = Gender.Unspecified, "person.gender", ErrorReasons.RequiredField },
        { "gender unknown value", p => p.Gender = (Gender)4, "person.gender", ErrorReasons.InvalidCode },
        { "gender against ID", p => p.Gender = Gender.Female, "person.gender", ErrorReasons.InconsistentFields },
        { "birth date missing", p => p.BirthDate = "", "person.birth_date", ErrorReasons.RequiredField },
        { "birth date impossible", p => p.BirthDate = "19800132", "person.birth_date", ErrorReasons.InvalidDate },
        { "birth date ISO", p => p.BirthDate = "1980-01-01", "person.birth_date", ErrorReasons.InvalidDate },
        { "birth date against ID", p => p.BirthDate = "19800102", "person.birth_date", ErrorReasons.InconsistentFields },
        { "ethnicity missing", p => p.Ethnicity = "", "person.ethnicity", ErrorReasons.RequiredField },
        { "ethnicity one digit", p => p.Ethnicity = "1", "person.ethnicity", ErrorReasons.InvalidCode },
        { "ethnicity full-width", p => p.Ethnicity = "０１", "person.ethnicity", ErrorReasons.InvalidCode },
        { "native place missing", p => p.NativePlace = "", "person.native_place", ErrorReasons.RequiredField },
        { "native place no province", p => p.NativePlace = "990602", "person.native_place", ErrorReasons.InvalidCode },
        { "native place 12 digits", p => p.NativePlace = County, "person.native_place", ErrorReasons.InvalidCode },
        { "marital status missing", p => p.MaritalStatus = "", "person.marital_status", ErrorReasons.RequiredField },
        { "political status letters", p => p.PoliticalStatus = "CP", "person.political_status", ErrorReasons.InvalidCode },
        { "education missing", p => p.Education = "", "person.education", ErrorReasons.RequiredField },
        { "religion three digits", p => p.Religion = "001", "person.religion", ErrorReasons.InvalidCode },
        { "occupation category too long", p => p.OccupationCategory = "3-01-0", "person.occupation_category", ErrorReasons.InvalidLength },
        { "occupation too long", p => p.Occupation = new string('职', 31), "person.occupation", ErrorReasons.InvalidLength },
        { "workplace too long", p => p.Workplace = new string('司', 101), "person.workplace", ErrorReasons.InvalidLength },
        { "contact missing", p => p.Contact = "", "person.contact", ErrorReasons.RequiredField },
        { "contact too short", p => p.Contact = "1807292556", "person.contact", ErrorReasons.InvalidFormat },
        { "contact masked", p => p.Contact = "180****5569", "person.contact", ErrorReasons.InvalidFormat },
        { "contact too long", p => p.Contact = new string('1', 51), "person.contact", ErrorReasons.InvalidLength },
        { "registered region missing", p => p.RegisteredRegion = "", "person.registered_region", ErrorReasons.RequiredField },
        { "registered address missing", p => p.RegisteredAddress = "", "person.registered_address", ErrorReasons.RequiredField },
        { "registered address too long", p => p.RegisteredAddress = new string('路', 81), "person.registered_address", ErrorReasons.InvalidLength },
        { "residence region malformed", p => p.ResidenceRegion = "37060", "person.residence_region", ErrorReasons.InvalidCode },
        { "residence address masked", p => p.ResidenceAddress = "山东省烟台市****", "person.residence_address", ErrorReasons.InvalidFormat },
        { "household id with a slash", p => p.HouseholdId = "hh/1", "person.household_id", ErrorReasons.InvalidFormat },
        { "household number short", p => p.HouseholdNumber = "12345678", "person.household_number", ErrorReasons.InvalidLength },
        { "household number letters", p => p.HouseholdNumber = "12345678A", "person.household_number", ErrorReasons.InvalidFormat },
        { "relation to head one digit", p => p.RelationToHead = "1", "person.relation_to_head", ErrorReasons.InvalidCode },
        { "house id too long", p => p.HouseId = new string('h', 65), "person.house_id", ErrorReasons.InvalidLength },
        { "house id blank", p => p.HouseId = " ", "person.house_id", ErrorReasons.InvalidFormat },
        { "religion blank", p => p.Religion = "  ", "person.religion", ErrorReasons.InvalidFormat },
    };

    [Theory]
    [MemberData(nameof(PersonProblems))]
    public void Person_InvalidField_IsReported(string name, Action<Person> mutate, string field, string reason)
    {
        var change = Person();
        mutate(change.Person);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Person_CitizenIdBornInTheFuture_IsAnInvalidDate()
    {
        var change = Person();
        change.Person.CitizenId = CitizenId.Create("370602", new DateOnly(2026, 11, 2), 123);
        change.Person.BirthDate = "20261102";

        var check = Validate(change);

        AssertHasProblem(check, "person.citizen_id", ErrorReasons.InvalidDate);
        AssertHasProblem(check, "person.birth_date", ErrorReasons.InvalidDate);
    }

    [Fact]
    public void Person_BornToday_IsValid()
    {
        var change = Person();
        change.Person.CitizenId = CitizenId.Create("370602", new DateOnly(2026, 11, 1), 124);
        change.Person.Gender = Gender.Female;
        change.Person.BirthDate = "20261101";
        change.Person.Tags.Clear();

        AssertValid(Validate(change));
    }

    [Theory]
    [InlineData(Gender.Unknown)]
    [InlineData(Gender.NotStated)]
    public void Person_GenderUnknownOrNotStated_IsNotComparedWithTheId(Gender gender)
    {
        var change = Person();
        change.Person.Gender = gender;

        AssertValid(Validate(change));
    }

    [Fact]
    public void Person_LegacyFifteenDigitId_IsUpgradedAndCheckedAgainstBirthDateAndGender()
    {
        var change = Person();
        change.Person.CitizenId = MaleLegacyId;

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(MaleId, check.Normalized.Person.CitizenId);
        Assert.Equal(MaleLegacyId, change.Person.CitizenId);

        change.Person.Gender = Gender.Female;
        AssertSingleProblem(Validate(change), "person.gender", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Person_NameCountsCharactersNotUtf16Units()
    {
        var change = Person();
        change.Person.Name = new string('李', 49) + "𠈌"; // 50 characters, 51 UTF-16 units

        AssertValid(Validate(change));
    }

    [Fact]
    public void Person_ForeignWithoutCitizenId_IsValid()
    {
        var change = Person();
        change.Person.CitizenId = "";
        change.Person.Tags.Clear();
        change.Person.Tags.Add(ForeignTag());

        AssertValid(Validate(change));
    }

    [Fact]
    public void Person_ForeignWithACitizenId_IsInconsistent()
    {
        var change = Person();
        change.Person.Tags.Add(ForeignTag());

        AssertSingleProblem(Validate(change), "person.citizen_id", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Person_OptionalFieldsEmpty_IsValid()
    {
        var change = Person();
        var p = change.Person;
        p.FormerName = p.PoliticalStatus = p.Religion = p.OccupationCategory = p.Occupation = p.Workplace = "";
        p.HouseholdId = p.HouseholdNumber = p.RelationToHead = p.HouseId = "";
        p.Tags.Clear();
        p.Contact = "0535-6123456";

        AssertValid(Validate(change));
    }

    // ---- Tags ---------------------------------------------------------------------------

    public static TheoryData<string, PersonTag, string, string> TagProblems() => new()
    {
        { "kind unspecified", new PersonTag { Since = "20200101" }, "person.tags[1].kind", ErrorReasons.RequiredField },
        { "kind unknown", new PersonTag { Kind = (PersonTagKind)77 }, "person.tags[1].kind", ErrorReasons.InvalidCode },
        { "kind repeated", new PersonTag { Kind = PersonTagKind.Registered }, "person.tags[1].kind", ErrorReasons.InconsistentFields },
        { "details of another kind", new PersonTag { Kind = PersonTagKind.Floating, Registered = new RegisteredDetails() }, "person.tags[1].registered", ErrorReasons.InconsistentFields },
        { "since impossible", new PersonTag { Kind = PersonTagKind.DrugUser, Since = "20200231" }, "person.tags[1].since", ErrorReasons.InvalidDate },
        { "floating inflow reason", new PersonTag { Kind = PersonTagKind.Floating, Floating = new FloatingDetails { InflowReason = "1" } }, "person.tags[1].floating.inflow_reason", ErrorReasons.InvalidCode },
        { "floating certificate masked", new PersonTag { Kind = PersonTagKind.Floating, Floating = new FloatingDetails { CertificateNumber = "3706****1234" } }, "person.tags[1].floating.certificate_number", ErrorReasons.InvalidFormat },
        { "floating registered on", new PersonTag { Kind = PersonTagKind.Floating, Floating = new FloatingDetails { RegisteredOn = "2020" } }, "person.tags[1].floating.registered_on", ErrorReasons.InvalidDate },
        { "left-behind type unspecified", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails() }, "person.tags[1].left_behind.type", ErrorReasons.RequiredField },
        { "left-behind woman who is male", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Woman } }, "person.tags[1].left_behind.type", ErrorReasons.InconsistentFields },
        { "left-behind negative income", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, AnnualIncomeYuan = -1 } }, "person.tags[1].left_behind.annual_income_yuan", ErrorReasons.InvalidFormat },
        { "left-behind difficulties too long", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, Difficulties = new string('难', 501) } }, "person.tags[1].left_behind.difficulties", ErrorReasons.InvalidLength },
        { "left-behind family member ID", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, FamilyMemberCitizenId = "12345" } }, "person.tags[1].left_behind.family_member_citizen_id", ErrorReasons.InvalidLength },
        { "left-behind family member ID blank", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, FamilyMemberCitizenId = " " } }, "person.tags[1].left_behind.family_member_citizen_id", ErrorReasons.InvalidFormat },
        { "left-behind family member phone masked", new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, FamilyMemberContact = "155****3435" } }, "person.tags[1].left_behind.family_member_contact", ErrorReasons.InvalidFormat },
        { "released prisoner attention", new PersonTag { Kind = PersonTagKind.ReleasedPrisoner, ReleasedPrisoner = new ReleasedPrisonerDetails { Attention = (AttentionLevel)9 } }, "person.tags[1].released_prisoner.attention", ErrorReasons.InvalidCode },
        { "released prisoner release date", new PersonTag { Kind = PersonTagKind.ReleasedPrisoner, ReleasedPrisoner = new ReleasedPrisonerDetails { ReleasedOn = "18991231" } }, "person.tags[1].released_prisoner.released_on", ErrorReasons.InvalidDate },
        { "released prisoner charge too long", new PersonTag { Kind = PersonTagKind.ReleasedPrisoner, ReleasedPrisoner = new ReleasedPrisonerDetails { OriginalCharge = new string('罪', 101) } }, "person.tags[1].released_prisoner.original_charge", ErrorReasons.InvalidLength },
        { "correction ends before it starts", new PersonTag { Kind = PersonTagKind.CommunityCorrection, CommunityCorrection = new CommunityCorrectionDetails { CorrectionStartOn = "20260730", CorrectionEndOn = "20260729" } }, "person.tags[1].community_correction.correction_end_on", ErrorReasons.InconsistentFields },
        { "correction type", new PersonTag { Kind = PersonTagKind.CommunityCorrection, CommunityCorrection = new CommunityCorrectionDetails { CorrectionType = "A1" } }, "person.tags[1].community_correction.correction_type", ErrorReasons.InvalidCode },
        { "mental risk level 6", new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { RiskLevel = 6 } }, "person.tags[1].severe_mental_disorder.risk_level", ErrorReasons.InvalidFormat },
        { "mental risk level negative", new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { RiskLevel = -1 } }, "person.tags[1].severe_mental_disorder.risk_level", ErrorReasons.InvalidFormat },
        { "mental no incidents but a count", new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { IncidentHistory = false, IncidentCount = 2 } }, "person.tags[1].severe_mental_disorder.incident_count", ErrorReasons.InconsistentFields },
        { "mental no incidents but a last one", new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { IncidentHistory = false, LastIncidentOn = "20250723" } }, "person.tags[1].severe_mental_disorder.last_incident_on", ErrorReasons.InconsistentFields },
        { "mental guardian ID", new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { GuardianCitizenId = "370602195502115040" } }, "person.tags[1].severe_mental_disorder.guardian_citizen_id", ErrorReasons.InvalidCheckDigit },
        { "drug user controller phone masked", new PersonTag { Kind = PersonTagKind.DrugUser, DrugUser = new DrugUserDetails { ControllerContact = "182****3858" } }, "person.tags[1].drug_user.controller_contact", ErrorReasons.InvalidFormat },
        { "aids helper name too long", new PersonTag { Kind = PersonTagKind.AidsRisk, AidsRisk = new AidsRiskDetails { HelperName = new string('孟', 51) } }, "person.tags[1].aids_risk.helper_name", ErrorReasons.InvalidLength },
        { "key youth guardian relation", new PersonTag { Kind = PersonTagKind.KeyYouth, KeyYouth = new KeyYouthDetails { GuardianRelation = "5" } }, "person.tags[1].key_youth.guardian_relation", ErrorReasons.InvalidCode },
        { "key youth assistance with NUL", new PersonTag { Kind = PersonTagKind.KeyYouth, KeyYouth = new KeyYouthDetails { Assistance = "社工\0帮扶" } }, "person.tags[1].key_youth.assistance", ErrorReasons.InvalidFormat },
    };

    [Theory]
    [MemberData(nameof(TagProblems))]
    public void Tag_InvalidField_IsReported(string name, PersonTag tag, string field, string reason)
    {
        var change = Person();
        change.Person.Tags.Add(tag);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    public static TheoryData<string, Action<Person>, string, string> ForeignProblems() => new()
    {
        { "nationality lower case", p => p.Tags[0].Foreign.Nationality = "kor", "person.tags[0].foreign.nationality", ErrorReasons.InvalidCode },
        { "nationality missing", p => p.Tags[0].Foreign.Nationality = "", "person.tags[0].foreign.nationality", ErrorReasons.RequiredField },
        { "nationality two letters", p => p.Tags[0].Foreign.Nationality = "KR", "person.tags[0].foreign.nationality", ErrorReasons.InvalidCode },
        { "certificate type missing", p => p.Tags[0].Foreign.CertificateType = "", "person.tags[0].foreign.certificate_type", ErrorReasons.RequiredField },
        { "certificate type punctuation", p => p.Tags[0].Foreign.CertificateType = "1-", "person.tags[0].foreign.certificate_type", ErrorReasons.InvalidCode },
        { "certificate number missing", p => p.Tags[0].Foreign.CertificateNumber = "", "person.tags[0].foreign.certificate_number", ErrorReasons.RequiredField },
        { "arrival impossible", p => p.Tags[0].Foreign.ArrivedOn = "20250229", "person.tags[0].foreign.arrived_on", ErrorReasons.InvalidDate },
        { "surname too long", p => p.Tags[0].Foreign.SurnameLatin = new string('K', 81), "person.tags[0].foreign.surname_latin", ErrorReasons.InvalidLength },
    };

    [Theory]
    [MemberData(nameof(ForeignProblems))]
    public void Foreign_InvalidField_IsReported(string name, Action<Person> mutate, string field, string reason)
    {
        var change = Person();
        change.Person.CitizenId = "";
        change.Person.Tags.Clear();
        change.Person.Tags.Add(ForeignTag());
        mutate(change.Person);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Tag_WithoutDetails_IsValid()
    {
        var change = Person();
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.DrugUser });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.Foreign, Since = "20240101" });
        change.Person.CitizenId = "";

        AssertValid(Validate(change));
    }

    [Fact]
    public void Tags_EveryKindWithMatchingDetails_IsValid()
    {
        var change = Person();
        change.Person.Gender = Gender.Female;
        change.Person.CitizenId = FemaleId;
        change.Person.BirthDate = "19920520";
        change.Person.Tags[0].Registered.HeadCitizenId = MaleLegacyId;
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Woman, FamilyMemberCitizenId = MaleLegacyId, AnnualIncomeYuan = 0, Difficulties = "丈夫外出务工。\n独自照料子女。" } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.ReleasedPrisoner, Since = "20230218", ReleasedPrisoner = new ReleasedPrisonerDetails { ReleasedOn = "20230218", Attention = AttentionLevel.Low, Reoffended = false } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.CommunityCorrection, CommunityCorrection = new CommunityCorrectionDetails { CorrectionStartOn = "20260730", CorrectionEndOn = "20280530" } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { GuardianCitizenId = MaleLegacyId, IncidentHistory = true, IncidentCount = 3, LastIncidentOn = "20250723", RiskLevel = 0 } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.DrugUser, DrugUser = new DrugUserDetails { ControllerContact = "18252133858", Attention = AttentionLevel.High } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.AidsRisk, AidsRisk = new AidsRiskDetails { HelperName = "孟卫峰", Attention = AttentionLevel.Medium } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.KeyYouth, KeyYouth = new KeyYouthDetails { GuardianCitizenId = MaleId, GuardianRelation = "52" } });

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(MaleId, check.Normalized.Person.Tags[0].Registered.HeadCitizenId);
        Assert.Equal(MaleId, check.Normalized.Person.Tags[1].LeftBehind.FamilyMemberCitizenId);
        Assert.Equal(MaleId, check.Normalized.Person.Tags[4].SevereMentalDisorder.GuardianCitizenId);
    }

    [Fact]
    public void Person_ManyProblems_AreAllReported()
    {
        var change = Person();
        change.Person.CitizenId = MaleId[..17] + (MaleId[17] == '0' ? '1' : '0');
        change.Person.Name = "李*";
        change.Person.BirthDate = "19800230";
        change.Person.Contact = "1234";
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.Floating, Registered = new RegisteredDetails() });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.Floating });

        var check = Validate(change);

        Assert.Equal(
            [
                ("person.citizen_id", ErrorReasons.InvalidCheckDigit),
                ("person.name", ErrorReasons.InvalidFormat),
                ("person.birth_date", ErrorReasons.InvalidDate),
                ("person.contact", ErrorReasons.InvalidFormat),
                ("person.tags[1].registered", ErrorReasons.InconsistentFields),
                ("person.tags[2].kind", ErrorReasons.InconsistentFields),
            ],
            check.Problems.Select(p => (p.Field, p.Reason)));
        Assert.Equal(ErrorReasons.InvalidCheckDigit, check.Reason);
    }

    private static PersonTag ForeignTag() => new()
    {
        Kind = PersonTagKind.Foreign,
        Since = "20240101",
        Foreign = new ForeignDetails
        {
            SurnameLatin = "KIM",
            GivenNameLatin = "MIN JUN",
            Nationality = "KOR",
            CertificateType = "14",
            CertificateNumber = "M12345678",
            CertificateExpiresOn = "20300101",
            ArrivedOn = "20240101",
            ExpectedDepartureOn = "20270101",
            KeyConcern = false,
        },
    };

    private static string CitizenIdWithDate(string yyyymmdd)
    {
        var first17 = "370602" + yyyymmdd + "123";
        return first17 + CitizenId.ComputeCheckCharacter(first17);
    }
}
