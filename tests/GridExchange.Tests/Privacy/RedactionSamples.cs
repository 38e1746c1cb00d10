using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.V1;

namespace GridExchange.Tests.Privacy;

/// <summary>One fully filled record of every entity type, with the values DOMAIN §5 masks as examples.</summary>
internal static class RedactionSamples
{
    public const string CitizenId = "37060219800101123X";
    public const string MaskedCitizenId = "370602********123X";
    public const string Mobile = "13812345678";
    public const string MaskedMobile = "138****5678";
    public const string Address = "山东省烟台市芝罘区幸福街道12号";
    public const string MaskedAddress = "山东省烟台市****";
    public const string GridCode = "370602001001003";

    public static Person Person() => new()
    {
        Meta = new EntityMeta { Id = "p-1", SourceSystem = "county-370602", Version = 3 },
        CitizenId = CitizenId,
        Name = "张三",
        FormerName = "张小三",
        Gender = Gender.Male,
        BirthDate = "19800101",
        Ethnicity = "01",
        NativePlace = "370602",
        MaritalStatus = "20",
        PoliticalStatus = "13",
        Education = "20",
        Religion = "10",
        OccupationCategory = "3-01",
        Occupation = "办事人员",
        Workplace = "烟台高川商贸有限公司",
        Contact = Mobile,
        RegisteredRegion = "370602",
        RegisteredAddress = Address,
        ResidenceRegion = "370602",
        ResidenceAddress = "山东省烟台市芝罘区松台街道海港路1号",
        GridCode = GridCode,
        HouseholdId = "hh-1",
        HouseholdNumber = "123456789",
        RelationToHead = "01",
        HouseId = "ho-1",
        Tags =
        {
            new PersonTag
            {
                Kind = PersonTagKind.Registered,
                Since = "19800101",
                Registered = new RegisteredDetails
                {
                    ResidenceConsistency = ResidenceConsistency.Consistent,
                    HeadCitizenId = CitizenId,
                    HeadName = "张三",
                    RegisteredDoorAddress = "海港路1号3单元",
                },
            },
            new PersonTag
            {
                Kind = PersonTagKind.ReleasedPrisoner,
                Since = "20200301",
                ReleasedPrisoner = new ReleasedPrisonerDetails
                {
                    OriginalCharge = "盗窃罪",
                    OriginalSentence = "3年6个月",
                    ReleasedOn = "20200301",
                    Reoffended = false,
                    Attention = AttentionLevel.Medium,
                },
            },
            new PersonTag { Kind = PersonTagKind.DrugUser }, // membership only, no details
        },
    };

    public static PersonTag LeftBehind(LeftBehindType type) => new()
    {
        Kind = PersonTagKind.LeftBehind,
        Since = "20190101",
        LeftBehind = new LeftBehindDetails
        {
            Type = type,
            HealthStatus = "02",
            AnnualIncomeYuan = 0,
            FamilyMemberCitizenId = CitizenId,
            FamilyMemberName = "欧阳娜娜",
            FamilyMemberRelation = "20",
            FamilyMemberContact = "0535-6123456",
            FamilyMemberWorkAddress = Address,
            Difficulties = "行动不便",
        },
    };

    public static PersonTag Foreign() => new()
    {
        Kind = PersonTagKind.Foreign,
        Foreign = new ForeignDetails
        {
            SurnameLatin = "KIM",
            GivenNameLatin = "MINJUN",
            Nationality = "KOR",
            CertificateType = "14",
            CertificateNumber = "M12345678",
            ArrivedOn = "20240101",
            KeyConcern = false,
        },
    };

    public static House House() => new()
    {
        Meta = new EntityMeta { Id = "ho-1", Version = 2 },
        HouseNumber = "370602001001003-0001",
        GridCode = GridCode,
        Address = Address,
        Use = HouseUse.Residential,
        AreaM2 = 78.96,
        OwnerName = "王涛",
        OwnerCitizenId = CitizenId,
        IsRental = false,
        TenantPersonIds = { "p-1", "p-2" },
        Hazard = HazardType.None,
        Location = new GeoPoint { Longitude = 121.408947, Latitude = 37.487283 },
        OwnerCreditCode = "91370602MA3C4XXX0X",
    };

    public static Household Household() => new()
    {
        Meta = new EntityMeta { Id = "hh-1", Version = 1 },
        HouseholdNumber = "123456789",
        GridCode = GridCode,
        HouseId = "ho-1",
        HeadPersonId = "p-1",
        HeadName = "张三",
        Type = HouseholdType.Registered,
        MemberCount = 2,
        MemberPersonIds = { "p-1", "p-2" },
        Address = Address,
    };

    public static Region Region() => new()
    {
        Meta = new EntityMeta { Id = "370602000000", Version = 1 },
        Code = "370602000000",
        Level = RegionLevel.County,
        Name = "芝罘区",
        ParentCode = "370600000000",
    };

    public static Grid GridRecord() => new()
    {
        Meta = new EntityMeta { Id = GridCode, Version = 1 },
        Code = GridCode,
        Name = "幸福社区第三网格",
        Type = GridType.Basic,
        VillageCode = "370602001001",
        LeaderName = "刘洋",
        WorkerCount = 2,
    };

    public static GridWorker GridWorker() => new()
    {
        Meta = new EntityMeta { Id = "37060200100100301", Version = 1 },
        Number = "37060200100100301",
        GridCode = GridCode,
        Name = "高杰",
        Role = GridWorkerRole.Manager,
        Mobile = "18363263753",
        Employment = EmploymentType.FullTime,
    };

    public static Case Case() => new()
    {
        Meta = new EntityMeta { Id = "c-1", Version = 4 },
        CaseNumber = "SJ3706022026000001",
        GridCode = GridCode,
        Category = "0902",
        Title = "东岗社区宅基地纠纷",
        Description = "张三与李四因宅基地发生纠纷。",
        OccurredAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)),
        Place = "东岗社区海港路1号院内",
        Kind = CaseKind.Dispute,
        Source = CaseSource.GridWorkerApp,
        State = CaseState.Accepted,
        Location = new GeoPoint { Longitude = 121.4, Latitude = 37.5 },
        Parties =
        {
            new CaseParty { Name = "张三", CitizenId = CitizenId, Role = CasePartyRole.Claimant, Contact = Mobile, PersonId = "p-1" },
            new CaseParty { Name = "李四", Role = CasePartyRole.Respondent },
        },
        Steps =
        {
            new CaseStep { Seq = 1, Action = CaseAction.Report, ActorId = "37060200100100301", ActorName = "高杰", Comment = "巡查发现" },
        },
    };

    public static ServiceRequest ServiceRequest() => new()
    {
        Meta = new EntityMeta { Id = "s-1", Version = 1 },
        RequestNumber = "GS37060220260001",
        GridCode = GridCode,
        ResidentPersonId = "p-1",
        ResidentName = "张三",
        ResidentContact = Mobile,
        CategoryCode = "SB",
        ItemCode = "SB-01",
        Description = "代办养老保险认证",
        Steps = { new ServiceRequestStep { Seq = 1, ActorId = "37060200100100301", ActorName = "高杰", Comment = "已受理" } },
    };

    public static Directive Directive() => new()
    {
        Meta = new EntityMeta { Id = "d-1", Version = 1 },
        DirectiveNumber = "ZL370600000000202603010001",
        Title = "汛期隐患排查",
        Content = "请各区县于3月10日前完成排查。",
        IssuerRegionCode = "370600000000",
        IssuerUnit = "烟台市委政法委",
        TargetRegionCodes = { "370602000000" },
    };

    public static DirectiveReceipt DirectiveReceipt() => new()
    {
        Meta = new EntityMeta { Id = "d-1/370602000000", Version = 3 },
        DirectiveId = "d-1",
        RecipientRegionCode = "370602000000",
        State = DirectiveState.FeedbackSubmitted,
        SignedForBy = "赵敏",
        Feedback = "已完成排查。",
        ReviewComment = "请补充照片",
    };

    /// <summary>One record of each entity type, as the Change payload oneof holds them.</summary>
    public static IEnumerable<IMessage> Entities() =>
    [
        Region(), GridRecord(), GridWorker(), Person(), Household(), House(), Case(), ServiceRequest(),
        Directive(), DirectiveReceipt(),
    ];
}

