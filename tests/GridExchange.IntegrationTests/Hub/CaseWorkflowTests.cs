using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Hub;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// A hub whose CaseService runs on a clock the tests move (deadlines, cards), with source peers at
/// village and township level in 芝罘区 besides the sample's county sources.
/// </summary>
public abstract class CaseHubFixture : HubFixture
{
    /// <summary>The grid the tests' cases are reported in (the first of 芝罘区 in the sample).</summary>
    public string Grid { get; private set; } = "";

    /// <summary>A village (community) system: SOURCE over the grid's village.</summary>
    public const string VillagePeer = "test-village-source";

    /// <summary>A township (street) system: SOURCE over the grid's township.</summary>
    public const string TownshipPeer = "test-township-source";

    /// <summary>Another village of the same township: SOURCE, not containing the grid.</summary>
    public const string OtherVillagePeer = "test-other-village-source";

    /// <summary>The county platform of the sample (SOURCE over 370602).</summary>
    public const string CountyPeer = "county-370602";

    /// <summary>The clock CaseService stamps steps and judges deadlines by (Monday 2026-11-02 08:00 Beijing).</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Starts the hub on the fixture's store.</summary>
    protected async Task<HubInstance> StartOnAsync(string? sqlite, string? postgres)
    {
        var hub = await HubInstance.StartAsync(sqlite, postgres,
            configure: b => b.Services.AddKeyedSingleton<TimeProvider>(HubHost.CaseClockKey, Clock));
        var store = hub.Services.GetRequiredService<IHubStore>();
        Grid = (await store.ListInScopeAsync(EntityType.Grid, "370602", null, 1, CancellationToken.None))[0].Key;
        var otherVillage = (await store.ListInScopeAsync(EntityType.Region, Grid[..9], null, 50, CancellationToken.None))
            .Select(r => r.Key).First(code => code.Length == 12 && code != Grid[..12] && !code.EndsWith("000", StringComparison.Ordinal));
        foreach (var (id, region, level) in new (string, string, RegionLevel)[]
        {
            (VillagePeer, Grid[..12], RegionLevel.Village),
            (TownshipPeer, Grid[..9] + "000", RegionLevel.Township),
            (OtherVillagePeer, otherVillage, RegionLevel.Village),
        })
        {
            await store.UpsertPeerAsync(new Peer
            {
                Id = id, Name = id, Level = level, RegionCode = region, Roles = { PeerRole.Source, PeerRole.Consumer },
                DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3 }, Enabled = true,
            }, CancellationToken.None);
            await TestPeers.IssueAsync(store, id, CancellationToken.None);
        }

        return hub;
    }
}

/// <summary>The case hub on SQLite.</summary>
public sealed class SqliteCaseHubFixture : CaseHubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() => StartOnAsync(NewSqlitePath("gridx-cases-"), null);
}

/// <summary>The case hub on PostgreSQL.</summary>
public sealed class PostgresCaseHubFixture : CaseHubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() => await StartOnAsync(null, await PostgresServer.NewDatabaseAsync("cases"));
}

/// <summary>
/// The hub-managed case and service-request lifecycles over a real socket, on each store: the
/// whole path report → evaluate, escalation across levels and who may act where, the state
/// machine's refusals, cards on a fake clock without state changes, ListCases filters, idempotent
/// repeats, bad input, single ownership against SubmitChanges, and every step in the feed.
/// </summary>
public abstract class CaseWorkflowTests(CaseHubFixture fixture)
{
    private HubInstance Hub => fixture.Hub;

    private string Grid => fixture.Grid;

    private FakeTimeProvider Clock => fixture.Clock;

    private CaseService.CaseServiceClient As(string peer) => new(TestPeers.Authenticated(Hub.RawChannel, peer));

    private ExchangeService.ExchangeServiceClient Exchange => new(Hub.Channel);

    private static string NewRequestId() => Guid.NewGuid().ToString("N");

    private Case NewCase() => new()
    {
        GridCode = Grid,
        Kind = CaseKind.Dispute,
        Category = "0902",
        Title = "宅基地边界纠纷",
        Description = "两户因宅基地边界发生争执。",
        OccurredAt = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddHours(-2)),
        Source = CaseSource.GridWorkerApp,
        Grade = CaseGrade.General,
        Scale = EventScale.Individual,
    };

    private async Task<Case> ReportAsync(string peer = CaseHubFixture.VillagePeer, Case? record = null, string? requestId = null) =>
        (await As(peer).ReportCaseAsync(new ReportCaseRequest
        {
            RequestId = requestId ?? NewRequestId(), CaseRecord = record ?? NewCase(), ActorId = Grid + "01", ActorName = "王网格",
        }, deadline: Calls.Deadline())).CaseRecord;

    private static TransitionCaseRequest Transition(string caseId, CaseAction action, string? requestId = null) => new()
    {
        RequestId = requestId ?? NewRequestId(),
        CaseId = caseId,
        Action = action,
        Comment = action is CaseAction.Void or CaseAction.Return or CaseAction.SubmitResult or CaseAction.VerifyFail ? "处理说明" : "",
        Assignee = action == CaseAction.Dispatch ? "街道综合执法队" : "",
        Rating = action == CaseAction.Rate ? 5 : 0,
        ActorName = "李主任",
    };

    private async Task<Case> ActAsync(string peer, string caseId, CaseAction action) =>
        (await As(peer).TransitionCaseAsync(Transition(caseId, action), deadline: Calls.Deadline())).CaseRecord;

    private async Task<Case> GetAsync(string caseId) =>
        (await new CaseService.CaseServiceClient(Hub.Channel).GetCaseAsync(new GetCaseRequest { CaseId = caseId }, deadline: Calls.Deadline())).CaseRecord;

    [Fact]
    public async Task Lifecycle_ReportToEvaluate_EveryStepAHubChangeInTheFeed()
    {
        var before = await HeadCursorAsync(Exchange);
        var reported = await ReportAsync();
        Assert.Equal(CaseState.Reported, reported.State);
        Assert.Equal("hub", reported.Meta.SourceSystem);
        Assert.Equal(1, reported.Meta.Version);
        Assert.Equal(RegionLevel.Grid, reported.OwningLevel);
        Assert.Equal(Grid, reported.OwningRegionCode);
        Assert.Matches("^GX[0-9]{14}$", reported.CaseNumber);
        Assert.NotNull(reported.AcceptDeadline);
        Assert.Equal(WarningColor.Yellow, reported.WarningColor);
        var id = reported.Meta.Id;

        var path = new[]
        {
            (CaseHubFixture.VillagePeer, CaseAction.Accept, CaseState.Accepted),
            (CaseHubFixture.VillagePeer, CaseAction.Register, CaseState.Registered),
            (CaseHubFixture.VillagePeer, CaseAction.Dispatch, CaseState.Dispatched),
            (CaseHubFixture.VillagePeer, CaseAction.SignFor, CaseState.InProgress),
            (CaseHubFixture.VillagePeer, CaseAction.SubmitResult, CaseState.Resolved),
            (CaseHubFixture.VillagePeer, CaseAction.VerifyPass, CaseState.Closed),
            (CaseHubFixture.VillagePeer, CaseAction.Rate, CaseState.Evaluated),
        };
        var record = reported;
        foreach (var (peer, action, state) in path)
        {
            record = await ActAsync(peer, id, action);
            Assert.Equal(state, record.State);
            Assert.Equal(action, record.Steps[^1].Action);
        }

        Assert.Equal(8, record.Meta.Version);
        Assert.Equal(8, record.Steps.Count);
        Assert.Equal(Enumerable.Range(1, 8), record.Steps.Select(s => s.Seq));
        Assert.Equal("街道综合执法队", record.Steps[3].Assignee);
        Assert.Equal(5, record.Rating);
        Assert.NotNull(record.HandleDeadline);
        Assert.Equal(record, await GetAsync(id));

        var (changes, _) = await PullAllAsync(Exchange, before, new ChangeScope { RegionPrefixes = { Grid } });
        var mine = changes.Where(c => c.EntityKey == id).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(v => (long)v), mine.Select(c => c.EntityVersion));
        Assert.All(mine, c => Assert.Equal(("hub", EntityType.Case), (c.SourceSystem, c.EntityType)));
        Assert.Equal(
            new[] { CaseState.Reported }.Concat(path.Select(p => p.Item3)),
            mine.Select(c => c.CaseRecord.State));
    }

    [Fact]
    public async Task Escalation_MovesUpALevel_IsAcceptedAbove_AndALowerLevelCannotActAboveItself()
    {
        var id = (await ReportAsync()).Meta.Id;
        await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Accept);
        await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Register);

        // grid → village: the village system accepts it again at its own level.
        var escalated = await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Escalate);
        Assert.Equal((CaseState.Escalated, RegionLevel.Village, Grid[..12]), (escalated.State, escalated.OwningLevel, escalated.OwningRegionCode));
        await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Accept);
        await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Register);
        await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Dispatch);

        // village → township: from DISPATCHED too; now the village may not accept it.
        escalated = await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Escalate);
        Assert.Equal((RegionLevel.Township, Grid[..9] + "000"), (escalated.OwningLevel, escalated.OwningRegionCode));
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Accept), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        var accepted = await ActAsync(CaseHubFixture.TownshipPeer, id, CaseAction.Accept);
        Assert.Equal((CaseState.Accepted, RegionLevel.Township), (accepted.State, accepted.OwningLevel));
        await ActAsync(CaseHubFixture.TownshipPeer, id, CaseAction.Register);

        // township → county.
        escalated = await ActAsync(CaseHubFixture.TownshipPeer, id, CaseAction.Escalate);
        Assert.Equal((RegionLevel.County, Grid[..6] + "000000"), (escalated.OwningLevel, escalated.OwningRegionCode));
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.TownshipPeer, id, CaseAction.Accept), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Accept), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.Accept);
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.Register);

        // The county is the top.
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.Escalate), StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");

        // The county resolves and verifies; the village (reporting side) rates.
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.Dispatch);
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.TownshipPeer, id, CaseAction.SignFor), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.SignFor);
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.SubmitResult);
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.VerifyPass), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ActAsync(CaseHubFixture.CountyPeer, id, CaseAction.VerifyPass);
        var rated = await ActAsync(CaseHubFixture.VillagePeer, id, CaseAction.Rate);
        Assert.Equal(CaseState.Evaluated, rated.State);
        Assert.Equal(
            [RegionLevel.Grid, RegionLevel.Grid, RegionLevel.Grid, RegionLevel.Village, RegionLevel.Village],
            rated.Steps.Take(5).Select(s => s.Level));
    }

    [Fact]
    public async Task OutsideTheGridsJurisdiction_ReportIsDenied_AndTheCaseIsNotFound()
    {
        var record = NewCase();
        await ErrorAssert.ThrowsAsync(() => ReportAsync(CaseHubFixture.OtherVillagePeer, record), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        var id = (await ReportAsync()).Meta.Id;
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.OtherVillagePeer, id, CaseAction.Accept), StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(() => ActAsync("county-370611", id, CaseAction.Accept), StatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(CaseState.Reported, (await GetAsync(id)).State);
    }

    [Fact]
    public async Task IllegalActions_InEveryStateOnThePath_AreFailedPreconditionIllegalTransition()
    {
        var id = (await ReportAsync()).Meta.Id;
        var voided = (await ReportAsync()).Meta.Id;
        await ActAsync(CaseHubFixture.CountyPeer, voided, CaseAction.Void);
        await CheckRefusalsAsync(voided, CaseState.Voided);

        var path = new[] { CaseAction.Accept, CaseAction.Register, CaseAction.Dispatch, CaseAction.SignFor, CaseAction.SubmitResult, CaseAction.VerifyPass, CaseAction.Rate };
        await CheckRefusalsAsync(id, CaseState.Reported);
        foreach (var action in path)
        {
            var record = await ActAsync(CaseHubFixture.CountyPeer, id, action);
            await CheckRefusalsAsync(id, record.State);
        }

        var escalated = (await ReportAsync()).Meta.Id;
        await ActAsync(CaseHubFixture.CountyPeer, escalated, CaseAction.Accept);
        await ActAsync(CaseHubFixture.CountyPeer, escalated, CaseAction.Register);
        await ActAsync(CaseHubFixture.CountyPeer, escalated, CaseAction.Escalate);
        await CheckRefusalsAsync(escalated, CaseState.Escalated);
    }

    private async Task CheckRefusalsAsync(string id, CaseState state)
    {
        var version = (await GetAsync(id)).Meta.Version;
        foreach (var action in System.Enum.GetValues<CaseAction>().Where(a => a is not (CaseAction.Unspecified or CaseAction.Report)))
        {
            if (Domain.Lifecycle.CaseTransitions.TryApply(state, action, out _))
            {
                continue;
            }

            var status = await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.CountyPeer, id, action), StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
            Assert.Contains(Domain.Lifecycle.CaseTransitions.Name(state), status.Message, StringComparison.Ordinal);
        }

        Assert.Equal(version, (await GetAsync(id)).Meta.Version);
    }

    [Fact]
    public async Task Deadlines_OnTheFakeClock_GiveCards_WithoutChangingTheState_AndListCasesFilters()
    {
        var late = await ReportAsync(record: new Case(NewCase()) { Grade = CaseGrade.Unspecified, Scale = EventScale.Unspecified });
        Assert.Equal((OverdueLevel.None, WarningColor.Blue), (late.OverdueLevel, late.WarningColor));
        var onTime = await ReportAsync();
        await ActAsync(CaseHubFixture.VillagePeer, onTime.Meta.Id, CaseAction.Accept);

        // Accept within 1 working day: one day and a minute later, a yellow card.
        Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var yellow = await GetAsync(late.Meta.Id);
        Assert.Equal((CaseState.Reported, OverdueLevel.YellowCard, WarningColor.Orange), (yellow.State, yellow.OverdueLevel, yellow.WarningColor));
        Assert.Equal(late.Meta.Version, yellow.Meta.Version);
        Assert.Equal(OverdueLevel.None, (await GetAsync(onTime.Meta.Id)).OverdueLevel);

        // Within 2: a red card.
        Clock.Advance(TimeSpan.FromDays(1));
        var red = await GetAsync(late.Meta.Id);
        Assert.Equal((CaseState.Reported, OverdueLevel.RedCard, WarningColor.Red), (red.State, red.OverdueLevel, red.WarningColor));

        var mine = new HashSet<string> { late.Meta.Id, onTime.Meta.Id };
        Assert.Equal([late.Meta.Id], await ListMineAsync(new ListCasesRequest { AncestorCode = Grid, OverdueOnly = true }, mine));
        Assert.Equal([late.Meta.Id], await ListMineAsync(new ListCasesRequest { AncestorCode = Grid[..12], WarningColors = { WarningColor.Red } }, mine));
        Assert.Equal([onTime.Meta.Id], await ListMineAsync(new ListCasesRequest { AncestorCode = Grid[..6] + "000000", States = { CaseState.Accepted } }, mine));
        Assert.Equal([onTime.Meta.Id], await ListMineAsync(new ListCasesRequest { AncestorCode = Grid, WarningColors = { WarningColor.Yellow }, Kinds = { CaseKind.Dispute } }, mine));
        Assert.Empty(await ListMineAsync(new ListCasesRequest { AncestorCode = Grid, Kinds = { CaseKind.Hazard } }, mine));
        Assert.Equal(mine.Order(StringComparer.Ordinal), (await ListMineAsync(new ListCasesRequest { AncestorCode = Grid }, mine)).Order(StringComparer.Ordinal));

        // Accepting late ends the wait; the card stays as the record of the missed deadline.
        var accepted = await ActAsync(CaseHubFixture.VillagePeer, late.Meta.Id, CaseAction.Accept);
        Assert.Equal(OverdueLevel.RedCard, accepted.OverdueLevel);
    }

    private async Task<List<string>> ListMineAsync(ListCasesRequest request, IReadOnlySet<string> mine)
    {
        var client = new CaseService.CaseServiceClient(Hub.Channel);
        var found = new List<string>();
        while (true)
        {
            var page = await client.ListCasesAsync(request, deadline: Calls.Deadline());
            found.AddRange(page.Cases.Select(c => c.Meta.Id).Where(mine.Contains));
            if (page.NextPageToken.Length == 0)
            {
                return found;
            }

            request.PageToken = page.NextPageToken;
        }
    }

    [Fact]
    public async Task Repeats_AnswerTheFirstTime_AndAReusedRequestIdIsRefused()
    {
        var requestId = NewRequestId();
        var record = NewCase();
        var first = await ReportAsync(record: record, requestId: requestId);
        var again = await ReportAsync(record: record, requestId: requestId);
        Assert.Equal(first, again);
        await ErrorAssert.InvalidArgumentAsync(() => ReportAsync(record: new Case(record) { Title = "另一事件" }, requestId: requestId), "request_id", "REQUEST_ID_REUSED");

        var accept = Transition(first.Meta.Id, CaseAction.Accept);
        var client = As(CaseHubFixture.VillagePeer);
        var accepted = (await client.TransitionCaseAsync(accept, deadline: Calls.Deadline())).CaseRecord;
        var repeated = (await client.TransitionCaseAsync(accept, deadline: Calls.Deadline())).CaseRecord;
        Assert.Equal(accepted, repeated);
        Assert.Equal(2, (await GetAsync(first.Meta.Id)).Meta.Version);

        await ErrorAssert.ThrowsAsync(
            () => client.TransitionCaseAsync(new TransitionCaseRequest(Transition(first.Meta.Id, CaseAction.Register)) { ExpectedVersion = 1 }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.Aborted, "VERSION_CONFLICT");
        Assert.Equal(3, (await client.TransitionCaseAsync(
            new TransitionCaseRequest(Transition(first.Meta.Id, CaseAction.Register)) { ExpectedVersion = 2 }, deadline: Calls.Deadline())).CaseRecord.Meta.Version);
    }

    [Fact]
    public async Task BadInput_IsInvalidArgument_WithReasonAndField()
    {
        var client = As(CaseHubFixture.VillagePeer);
        async Task Report(ReportCaseRequest request, string field, string reason) =>
            await ErrorAssert.InvalidArgumentAsync(() => client.ReportCaseAsync(request, deadline: Calls.Deadline()).ResponseAsync, field, reason);

        await Report(new ReportCaseRequest { CaseRecord = NewCase() }, "request_id", "REQUIRED_FIELD");
        await Report(new ReportCaseRequest { RequestId = NewRequestId() }, "case_record", "REQUIRED_FIELD");
        await Report(new ReportCaseRequest { RequestId = NewRequestId(), CaseRecord = new Case(NewCase()) { Title = "" } }, "case_record.title", "REQUIRED_FIELD");
        await Report(new ReportCaseRequest { RequestId = NewRequestId(), CaseRecord = new Case(NewCase()) { Kind = CaseKind.Unspecified } }, "case_record.kind", "REQUIRED_FIELD");
        await Report(new ReportCaseRequest { RequestId = NewRequestId(), CaseRecord = new Case(NewCase()) { GridCode = "37060200100" } }, "case_record.grid_code", "INVALID_CODE");
        await Report(new ReportCaseRequest { RequestId = NewRequestId(), CaseRecord = new Case(NewCase()) { Category = "9999" } }, "case_record.category", "INVALID_CODE");
        await Report(new ReportCaseRequest { RequestId = NewRequestId(), CaseRecord = NewCase(), ActorName = new string('名', 51) }, "actor_name", "INVALID_LENGTH");

        var id = (await ReportAsync()).Meta.Id;
        async Task Act(TransitionCaseRequest request, string field, string reason) =>
            await ErrorAssert.InvalidArgumentAsync(() => client.TransitionCaseAsync(request, deadline: Calls.Deadline()).ResponseAsync, field, reason);

        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Accept)) { RequestId = "" }, "request_id", "REQUIRED_FIELD");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Accept)) { CaseId = "事件1" }, "case_id", "INVALID_FORMAT");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Accept)) { Action = CaseAction.Report }, "action", "INVALID_CODE");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Void)) { Comment = "" }, "comment", "REQUIRED_FIELD");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Dispatch)) { Assignee = "" }, "assignee", "REQUIRED_FIELD");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Accept)) { Assignee = "某单位" }, "assignee", "INCONSISTENT_FIELDS");
        await Act(new TransitionCaseRequest(Transition(id, CaseAction.Rate)) { Rating = 9 }, "rating", "INVALID_FORMAT");
        Assert.Equal(1, (await GetAsync(id)).Meta.Version);
    }

    [Fact]
    public async Task SingleOwner_HubCasesRefuseSubmitChanges_AndSourceCasesRefuseTransitions()
    {
        var hubCase = await ReportAsync();
        var change = new Change
        {
            EntityType = EntityType.Case, EntityKey = hubCase.Meta.Id, Operation = ChangeOperation.Upsert, EntityVersion = 50,
            SourceChangeId = "takeover-" + hubCase.Meta.Id,
            CaseRecord = new Case(hubCase) { Meta = new EntityMeta { Id = hubCase.Meta.Id, Version = 50 } },
        };
        var submitted = await Exchange.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = NewRequestId(), SourceSystem = CaseHubFixture.CountyPeer, Changes = { change },
        }, deadline: Calls.Deadline());
        var result = Assert.Single(submitted.Results);
        Assert.Equal((ChangeResultStatus.Rejected, ErrorReason.NotOwner), (result.Status, result.Reason));

        var store = Hub.Services.GetRequiredService<IHubStore>();
        var sourceCase = (await store.ListInScopeAsync(EntityType.Case, "370602", null, 1, CancellationToken.None))
            .First(r => r.SourceSystem != "hub");
        await ErrorAssert.ThrowsAsync(() => ActAsync(CaseHubFixture.CountyPeer, sourceCase.Key, CaseAction.Accept), StatusCode.FailedPrecondition, "NOT_OWNER");
    }

    [Fact]
    public async Task ServiceRequest_FullLifecycle_WithCatalogueDeadline_AndEveryStepInTheFeed()
    {
        var before = await HeadCursorAsync(Exchange);
        var client = As(CaseHubFixture.VillagePeer);
        var reported = (await client.ReportServiceRequestAsync(new ReportServiceRequestRequest
        {
            RequestId = NewRequestId(), ServiceRequest = NewServiceRequest(), ActorName = "王网格",
        }, deadline: Calls.Deadline())).ServiceRequest;
        Assert.Equal((ServiceRequestState.Requested, "临时救助申请", "hub"), (reported.State, reported.ItemName, reported.Meta.SourceSystem));
        Assert.Matches("^GS[0-9]{14}$", reported.RequestNumber);

        var record = reported;
        foreach (var action in new[]
        {
            ServiceRequestAction.Accept, ServiceRequestAction.CollectMaterials, ServiceRequestAction.Submit, ServiceRequestAction.RequestSupplement,
            ServiceRequestAction.CollectMaterials, ServiceRequestAction.Submit, ServiceRequestAction.Complete, ServiceRequestAction.Deliver, ServiceRequestAction.Review,
        })
        {
            record = (await client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, action), deadline: Calls.Deadline())).ServiceRequest;
            if (action == ServiceRequestAction.Accept)
            {
                // CA-003 has a time limit of 10 working days: two weeks from acceptance.
                Assert.Equal(Clock.GetUtcNow().AddDays(14), record.Deadline.ToDateTimeOffset());
            }
        }

        Assert.Equal((ServiceRequestState.Reviewed, 5, 10L), (record.State, record.Rating, record.Meta.Version));
        await ErrorAssert.ThrowsAsync(
            () => client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, ServiceRequestAction.Withdraw), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");

        var (changes, _) = await PullAllAsync(Exchange, before, new ChangeScope { RegionPrefixes = { Grid } });
        var mine = changes.Where(c => c.EntityKey == record.Meta.Id).ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(v => (long)v), mine.Select(c => c.EntityVersion));
        Assert.All(mine, c => Assert.Equal(("hub", EntityType.ServiceRequest), (c.SourceSystem, c.EntityType)));
        var got = await new CaseService.CaseServiceClient(Hub.Channel).GetServiceRequestAsync(
            new GetServiceRequestRequest { ServiceRequestId = record.Meta.Id }, deadline: Calls.Deadline());
        Assert.Equal(record, got.ServiceRequest);
    }

    [Fact]
    public async Task ServiceRequest_PastItsDeadlineWhileOpen_IsOverdue_WithoutChangingState_AndListFindsIt()
    {
        var client = As(CaseHubFixture.VillagePeer);
        var reader = new CaseService.CaseServiceClient(Hub.Channel);
        var record = (await client.ReportServiceRequestAsync(new ReportServiceRequestRequest
        {
            RequestId = NewRequestId(), ServiceRequest = NewServiceRequest(), ActorName = "王网格",
        }, deadline: Calls.Deadline())).ServiceRequest;
        record = (await client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, ServiceRequestAction.Accept), deadline: Calls.Deadline())).ServiceRequest;
        Assert.False(record.Overdue);

        async Task<List<ServiceRequest>> OverdueAsync()
        {
            var found = new List<ServiceRequest>();
            var token = "";
            do
            {
                var page = await reader.ListServiceRequestsAsync(
                    new ListServiceRequestsRequest { AncestorCode = Grid, OverdueOnly = true, PageSize = 50, PageToken = token }, deadline: Calls.Deadline());
                found.AddRange(page.ServiceRequests);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            Assert.All(found, r => Assert.True(r.Overdue));
            return found;
        }

        Assert.DoesNotContain(await OverdueAsync(), r => r.Meta.Id == record.Meta.Id);

        // A minute past the catalogue deadline (two weeks from acceptance): overdue, same state and version.
        Clock.Advance(record.Deadline.ToDateTimeOffset() - Clock.GetUtcNow() + TimeSpan.FromMinutes(1));
        var got = (await reader.GetServiceRequestAsync(new GetServiceRequestRequest { ServiceRequestId = record.Meta.Id }, deadline: Calls.Deadline())).ServiceRequest;
        Assert.Equal((true, ServiceRequestState.Accepted, record.Meta.Version), (got.Overdue, got.State, got.Meta.Version));
        Assert.Contains(await OverdueAsync(), r => r.Meta.Id == record.Meta.Id);
        // Judged when answered, never stored: the stored copy (the feed's) does not carry it.
        var stored = await Hub.Services.GetRequiredService<IHubStore>().GetAsync(EntityType.ServiceRequest, record.Meta.Id, CancellationToken.None);
        Assert.False(ServiceRequest.Parser.ParseFrom(stored!.Payload.Span).Overdue);
        // Still open while the department works on it; completion ends it.
        record = (await client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, ServiceRequestAction.CollectMaterials), deadline: Calls.Deadline())).ServiceRequest;
        Assert.True(record.Overdue);
        record = (await client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, ServiceRequestAction.Submit), deadline: Calls.Deadline())).ServiceRequest;
        record = (await client.TransitionServiceRequestAsync(ServiceTransition(record.Meta.Id, ServiceRequestAction.Complete), deadline: Calls.Deadline())).ServiceRequest;
        Assert.False(record.Overdue);
        Assert.DoesNotContain(await OverdueAsync(), r => r.Meta.Id == record.Meta.Id);
    }

    [Fact]
    public async Task ServiceRequest_BadInputAndCatalogue_AreInvalidArgument_DeclineIsFinal()
    {
        var client = As(CaseHubFixture.VillagePeer);
        async Task Report(ServiceRequest request, string field, string reason) =>
            await ErrorAssert.InvalidArgumentAsync(() => client.ReportServiceRequestAsync(
                new ReportServiceRequestRequest { RequestId = NewRequestId(), ServiceRequest = request }, deadline: Calls.Deadline()).ResponseAsync, field, reason);

        await Report(new ServiceRequest(NewServiceRequest()) { ItemCode = "XX-001" }, "service_request.item_code", "INVALID_CODE");
        await Report(new ServiceRequest(NewServiceRequest()) { CategoryCode = "NOPE" }, "service_request.category_code", "INVALID_CODE");
        await Report(new ServiceRequest(NewServiceRequest()) { ItemCode = "SS-001" }, "service_request.item_code", "INCONSISTENT_FIELDS");
        await Report(new ServiceRequest(NewServiceRequest()) { ResidentName = "" }, "service_request.resident_name", "REQUIRED_FIELD");
        await ErrorAssert.ThrowsAsync(() => As(CaseHubFixture.OtherVillagePeer).ReportServiceRequestAsync(
            new ReportServiceRequestRequest { RequestId = NewRequestId(), ServiceRequest = NewServiceRequest() }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");

        // A repeat answers the first time; the same request id for another RPC is a reuse.
        var report = new ReportServiceRequestRequest { RequestId = NewRequestId(), ServiceRequest = NewServiceRequest() };
        var first = (await client.ReportServiceRequestAsync(report, deadline: Calls.Deadline())).ServiceRequest;
        Assert.Equal(first, (await client.ReportServiceRequestAsync(report, deadline: Calls.Deadline())).ServiceRequest);
        await ErrorAssert.InvalidArgumentAsync(
            () => client.TransitionServiceRequestAsync(
                new TransitionServiceRequestRequest(ServiceTransition(first.Meta.Id, ServiceRequestAction.Accept)) { RequestId = report.RequestId }, deadline: Calls.Deadline()).ResponseAsync,
            "request_id", "REQUEST_ID_REUSED");
        Assert.Equal(1, (await new CaseService.CaseServiceClient(Hub.Channel).GetServiceRequestAsync(
            new GetServiceRequestRequest { ServiceRequestId = first.Meta.Id }, deadline: Calls.Deadline())).ServiceRequest.Meta.Version);

        var id = (await client.ReportServiceRequestAsync(new ReportServiceRequestRequest
        {
            RequestId = NewRequestId(), ServiceRequest = NewServiceRequest(),
        }, deadline: Calls.Deadline())).ServiceRequest.Meta.Id;
        await ErrorAssert.InvalidArgumentAsync(
            () => client.TransitionServiceRequestAsync(new TransitionServiceRequestRequest(ServiceTransition(id, ServiceRequestAction.Decline)) { Comment = "" }, deadline: Calls.Deadline()).ResponseAsync,
            "comment", "REQUIRED_FIELD");
        var declined = (await client.TransitionServiceRequestAsync(ServiceTransition(id, ServiceRequestAction.Decline), deadline: Calls.Deadline())).ServiceRequest;
        Assert.Equal(ServiceRequestState.Declined, declined.State);
        await ErrorAssert.ThrowsAsync(
            () => client.TransitionServiceRequestAsync(ServiceTransition(id, ServiceRequestAction.Accept), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
        await ErrorAssert.ThrowsAsync(
            () => As(CaseHubFixture.OtherVillagePeer).TransitionServiceRequestAsync(ServiceTransition(id, ServiceRequestAction.Accept), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    private ServiceRequest NewServiceRequest() => new()
    {
        GridCode = Grid,
        ResidentName = "张三",
        ResidentContact = "13812345678",
        CategoryCode = "CIVIL_AFFAIRS",
        ItemCode = "CA-003",
        Description = "家中突发困难，申请临时救助。",
    };

    private static TransitionServiceRequestRequest ServiceTransition(string id, ServiceRequestAction action) => new()
    {
        RequestId = NewRequestId(),
        ServiceRequestId = id,
        Action = action,
        Comment = action is ServiceRequestAction.RequestSupplement or ServiceRequestAction.Decline ? "缺少材料" : "",
        Rating = action == ServiceRequestAction.Review ? 5 : 0,
    };
}

/// <summary>The case workflows on SQLite.</summary>
public sealed class CaseWorkflowOnSqliteTests(SqliteCaseHubFixture fixture)
    : CaseWorkflowTests(fixture), IClassFixture<SqliteCaseHubFixture>;

/// <summary>The case workflows on PostgreSQL.</summary>
public sealed class CaseWorkflowOnPostgresTests(PostgresCaseHubFixture fixture)
    : CaseWorkflowTests(fixture), IClassFixture<PostgresCaseHubFixture>;
