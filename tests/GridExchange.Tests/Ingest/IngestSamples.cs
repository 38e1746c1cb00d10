using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using Microsoft.Extensions.Time.Testing;

namespace GridExchange.Tests.Ingest;

/// <summary>Valid changes of every submittable type, a fixed clock, and assertions on <see cref="ChangeCheck"/>.</summary>
internal static class IngestSamples
{
    public const string County = "370602000000";
    public const string Township = "370602001000";
    public const string Village = "370602001001";
    public const string TheGrid = "370602001001003";
    public const string TheWorker = "37060200100100301";
    public const string OtherCountyGrid = "370611001001001";

    /// <summary>2026-11-01 12:00 China time.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.FromHours(8));

    public static readonly SourceJurisdiction CountySource = new("county-370602", County);

    /// <summary>Born 1980-01-01, sequence 123 (odd: male).</summary>
    public static readonly string MaleId = CitizenId.Create("370602", new DateOnly(1980, 1, 1), 123);

    /// <summary>Born 1992-05-20, sequence 246 (even: female).</summary>
    public static readonly string FemaleId = CitizenId.Create("370611", new DateOnly(1992, 5, 20), 246);

    /// <summary>The legacy 15-digit form of <see cref="MaleId"/>.</summary>
    public const string MaleLegacyId = "370602800101123";

    public static readonly string Polygon =
        """{"type":"Polygon","coordinates":[[[121.40,37.48],[121.41,37.48],[121.41,37.49],[121.40,37.49],[121.40,37.48]]]}""";

    public static TimeProvider Clock() => new FakeTimeProvider(Now);

    public static ChangeCheck Validate(Change change, SourceJurisdiction? source = null) =>
        ChangeValidator.Validate(change, source ?? CountySource, Clock());

    public static Timestamp At(int daysBefore, int hours = 0) =>
        Timestamp.FromDateTimeOffset(Now.AddDays(-daysBefore).AddHours(hours));

    public static Change Envelope(EntityType type, string key) => new()
    {
        EntityType = type,
        EntityKey = key,
        Operation = ChangeOperation.Upsert,
        EntityVersion = 3,
        SourceChangeId = "chg-0001",
    };

    public static Change Region() => With(Envelope(EntityType.Region, Township), new Region
    {
        Meta = new EntityMeta { Id = Township },
        Code = Township,
        Level = RegionLevel.Township,
        Name = "向阳街道",
        ParentCode = County,
        ValidFrom = "20210101",
    });

    public static Change GridChange() => With(Envelope(EntityType.Grid, TheGrid), new Grid
    {
        Meta = new EntityMeta { Id = TheGrid },
        Code = TheGrid,
        Name = "东岗社区第三网格",
        Type = GridType.Basic,
        VillageCode = Village,
        HouseholdCount = 150,
        ResidentCount = 420,
        AreaKm2 = 0.36,
        LeaderName = "高杰",
        BoundaryGeojson = Polygon,
        WorkerCount = 2,
    });

    public static Change GridWorker() => With(Envelope(EntityType.GridWorker, TheWorker), new GridWorker
    {
        Meta = new EntityMeta { Id = TheWorker },
        Number = TheWorker,
        GridCode = TheGrid,
        Name = "高杰",
        Role = GridWorkerRole.Manager,
        Mobile = "18363263753",
        Employment = EmploymentType.FullTime,
    });

    public static Change Person() => With(Envelope(EntityType.Person, "p-0001"), new Person
    {
        Meta = new EntityMeta { Id = "p-0001", UpdatedAt = At(1) },
        CitizenId = MaleId,
        Name = "李鹏龙",
        Gender = Gender.Male,
        BirthDate = "19800101",
        Ethnicity = "01",
        NativePlace = "370602",
        MaritalStatus = "20",
        PoliticalStatus = "13",
        Education = "20",
        Religion = "00",
        OccupationCategory = "3-01",
        Occupation = "办事人员",
        Workplace = "烟台高川商贸有限公司",
        Contact = "18072925569",
        RegisteredRegion = "370602",
        RegisteredAddress = "山东省烟台市芝罘区松台街道东岗社区海港路1号",
        ResidenceRegion = "370602",
        ResidenceAddress = "山东省烟台市芝罘区松台街道东岗社区海港路1号",
        GridCode = TheGrid,
        HouseholdId = "hh-0001",
        HouseholdNumber = "123456789",
        RelationToHead = "01",
        HouseId = "ho-0001",
        Tags =
        {
            new PersonTag
            {
                Kind = PersonTagKind.Registered,
                Since = "19800101",
                Registered = new RegisteredDetails
                {
                    ResidenceConsistency = ResidenceConsistency.Consistent,
                    HeadCitizenId = MaleId,
                    HeadName = "李鹏龙",
                    RegisteredDoorAddress = "海港路1号",
                },
            },
        },
    });

    public static Change House() => With(Envelope(EntityType.House, "ho-0001"), new House
    {
        Meta = new EntityMeta { Id = "ho-0001" },
        HouseNumber = "370602001001003-0001",
        GridCode = TheGrid,
        Address = "山东省烟台市芝罘区松台街道东岗社区海港路1号",
        Use = HouseUse.Residential,
        AreaM2 = 78.96,
        OwnerName = "王涛",
        OwnerCitizenId = FemaleId,
        IsRental = true,
        TenantPersonIds = { "p-0001", "p-0002" },
        Hazard = HazardType.None,
        Location = new GeoPoint { Longitude = 121.408947, Latitude = 37.487283 },
    });

    public static Change Household() => With(Envelope(EntityType.Household, "hh-0001"), new Household
    {
        Meta = new EntityMeta { Id = "hh-0001" },
        HouseholdNumber = "123456789",
        GridCode = TheGrid,
        HouseId = "ho-0001",
        HeadPersonId = "p-0001",
        HeadName = "李鹏龙",
        Type = HouseholdType.Registered,
        MemberCount = 2,
        MemberPersonIds = { "p-0001", "p-0002" },
        Address = "山东省烟台市芝罘区松台街道东岗社区海港路1号",
    });

    /// <summary>An EVALUATED dispute with its whole history.</summary>
    public static Change Case()
    {
        var record = new Case
        {
            Meta = new EntityMeta { Id = "c-0001" },
            CaseNumber = "SJ3706022026000001",
            GridCode = TheGrid,
            Category = "0902",
            Title = "东岗社区宅基地纠纷",
            Description = "网格员巡查发现宅基地使用纠纷。\n双方已到场。",
            OccurredAt = At(10),
            Place = "东岗社区海港路1号",
            Grade = CaseGrade.General,
            Scale = EventScale.Individual,
            Parties =
            {
                new CaseParty { Name = "田明", CitizenId = MaleId, Role = CasePartyRole.Claimant, Contact = "13723239192", PersonId = "p-0001" },
                new CaseParty { Name = "徐文欣", Role = CasePartyRole.Respondent, Contact = "0535-6123456" },
            },
            Source = CaseSource.GridWorkerApp,
            State = CaseState.Evaluated,
            OwningLevel = RegionLevel.Grid,
            OwningRegionCode = TheGrid,
            AcceptDeadline = At(9),
            HandleDeadline = At(3),
            OverdueLevel = OverdueLevel.None,
            WarningColor = WarningColor.Blue,
            Rating = 5,
            InvolvedCount = 2,
            Location = new GeoPoint { Longitude = 121.41, Latitude = 37.48 },
            Kind = CaseKind.Dispute,
        };
        var moves = new (CaseAction Action, CaseState From, CaseState To)[]
        {
            (CaseAction.Report, CaseState.Unspecified, CaseState.Reported),
            (CaseAction.Accept, CaseState.Reported, CaseState.Accepted),
            (CaseAction.Register, CaseState.Accepted, CaseState.Registered),
            (CaseAction.Dispatch, CaseState.Registered, CaseState.Dispatched),
            (CaseAction.SignFor, CaseState.Dispatched, CaseState.InProgress),
            (CaseAction.SubmitResult, CaseState.InProgress, CaseState.Resolved),
            (CaseAction.VerifyPass, CaseState.Resolved, CaseState.Closed),
            (CaseAction.Rate, CaseState.Closed, CaseState.Evaluated),
        };
        for (var i = 0; i < moves.Length; i++)
        {
            record.Steps.Add(new CaseStep
            {
                Seq = i + 1,
                Action = moves[i].Action,
                FromState = moves[i].From,
                ToState = moves[i].To,
                Level = RegionLevel.Grid,
                OwningRegionCode = TheGrid,
                ActorId = TheWorker,
                ActorName = "高杰",
                Comment = "处理意见",
                At = At(10 - i, hours: 1),
                Assignee = moves[i].Action == CaseAction.Dispatch ? "城管执法中队" : "",
            });
        }

        return With(Envelope(EntityType.Case, "c-0001"), record);
    }

    /// <summary>A REVIEWED request with its whole history.</summary>
    public static Change ServiceRequest()
    {
        var request = new ServiceRequest
        {
            Meta = new EntityMeta { Id = "sr-0001" },
            RequestNumber = "DB3706022026000001",
            GridCode = TheGrid,
            ResidentPersonId = "p-0001",
            ResidentName = "王琪",
            ResidentContact = "19902982787",
            CategoryCode = "02",
            ItemCode = "DB0201",
            ItemName = "最低生活保障申请",
            GridWorkerNumber = TheWorker,
            State = ServiceRequestState.Reviewed,
            Description = "申请网格员代办最低生活保障申请",
            RequestedAt = At(20),
            Deadline = At(5),
            CompletedAt = At(8),
            DeliveredAt = At(7),
            Rating = 4,
        };
        var moves = new (ServiceRequestAction Action, ServiceRequestState From, ServiceRequestState To, int DaysBefore)[]
        {
            (ServiceRequestAction.Request, ServiceRequestState.Unspecified, ServiceRequestState.Requested, 20),
            (ServiceRequestAction.Accept, ServiceRequestState.Requested, ServiceRequestState.Accepted, 19),
            (ServiceRequestAction.CollectMaterials, ServiceRequestState.Accepted, ServiceRequestState.MaterialsCollected, 15),
            (ServiceRequestAction.Submit, ServiceRequestState.MaterialsCollected, ServiceRequestState.Submitted, 14),
            (ServiceRequestAction.Complete, ServiceRequestState.Submitted, ServiceRequestState.Completed, 8),
            (ServiceRequestAction.Deliver, ServiceRequestState.Completed, ServiceRequestState.Delivered, 7),
            (ServiceRequestAction.Review, ServiceRequestState.Delivered, ServiceRequestState.Reviewed, 6),
        };
        for (var i = 0; i < moves.Length; i++)
        {
            request.Steps.Add(new ServiceRequestStep
            {
                Seq = i + 1,
                Action = moves[i].Action,
                FromState = moves[i].From,
                ToState = moves[i].To,
                ActorId = TheWorker,
                ActorName = "高杰",
                At = At(moves[i].DaysBefore),
            });
        }

        return With(Envelope(EntityType.ServiceRequest, "sr-0001"), request);
    }

    /// <summary>One valid change of every submittable type.</summary>
    public static IEnumerable<Change> AllValid() =>
        [Region(), GridChange(), GridWorker(), Person(), House(), Household(), Case(), ServiceRequest()];

    /// <summary>Sets the envelope key and <c>meta.id</c> together (and the code, for code-keyed types).</summary>
    public static Change WithKey(this Change change, string key)
    {
        change.EntityKey = key;
        ChangeValidator.MetaOf(change)!.Id = key;
        switch (change.PayloadCase)
        {
            case Change.PayloadOneofCase.Region:
                change.Region.Code = key;
                break;
            case Change.PayloadOneofCase.Grid:
                change.Grid.Code = key;
                break;
            case Change.PayloadOneofCase.GridWorker:
                change.GridWorker.Number = key;
                break;
        }

        return change;
    }

    /// <summary>Asserts the check failed with exactly one problem, on <paramref name="field"/> with <paramref name="reason"/>.</summary>
    public static void AssertSingleProblem(ChangeCheck check, string field, string reason)
    {
        Assert.False(check.IsValid);
        Assert.True(check.Problems.Count == 1, "Expected one problem, got: " + Describe(check));
        Assert.Equal(field, check.Problems[0].Field);
        Assert.Equal(reason, check.Problems[0].Reason);
        Assert.Equal(reason, check.Reason);
        Assert.Null(check.RegionCode);
        Assert.False(string.IsNullOrWhiteSpace(check.Problems[0].Description));
    }

    /// <summary>Asserts the check failed with (at least) a problem on <paramref name="field"/> with <paramref name="reason"/>.</summary>
    public static void AssertHasProblem(ChangeCheck check, string field, string reason)
    {
        Assert.False(check.IsValid);
        Assert.True(check.Problems.Any(p => p.Field == field && p.Reason == reason), $"Expected {field} {reason}, got: {Describe(check)}");
    }

    public static void AssertValid(ChangeCheck check)
    {
        Assert.True(check.IsValid, Describe(check));
        Assert.Empty(check.Problems);
        Assert.Null(check.Reason);
        Assert.Null(check.Message);
    }

    public static string Describe(ChangeCheck check) =>
        check.Problems.Count == 0 ? "(no problems)" : string.Join("; ", check.Problems.Select(p => $"{p.Field} {p.Reason}"));

    private static Change With(Change change, Region region) { change.Region = region; return change; }

    private static Change With(Change change, Grid grid) { change.Grid = grid; return change; }

    private static Change With(Change change, GridWorker worker) { change.GridWorker = worker; return change; }

    private static Change With(Change change, Person person) { change.Person = person; return change; }

    private static Change With(Change change, House house) { change.House = house; return change; }

    private static Change With(Change change, Household household) { change.Household = household; return change; }

    private static Change With(Change change, Case record) { change.CaseRecord = record; return change; }

    private static Change With(Change change, ServiceRequest request) { change.ServiceRequest = request; return change; }
}
