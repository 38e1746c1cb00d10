using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// CaseService over a real socket, on each store: the reads against the seed files
/// (<see cref="SampleTruth"/>), and the hub's refusal to move records a source owns (the
/// workflows themselves: <see cref="CaseWorkflowTests"/>).
/// </summary>
public abstract class CaseServiceTests(HubFixture fixture) : IAsyncLifetime
{
    private SampleTruth _truth = null!;

    private CaseService.CaseServiceClient Client => new(fixture.Hub.Channel);

    private string CityCode => _truth.Regions.Values.Single(r => r.Level == RegionLevel.City).Code;

    private IEnumerable<Region> Counties => _truth.Regions.Values.Where(r => r.Level == RegionLevel.County).OrderBy(r => r.Code, StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GetCase_EveryCaseOfTheSample_EqualsTheSeedRecord()
    {
        Assert.NotEmpty(_truth.Cases);
        foreach (var record in _truth.Cases.Values)
        {
            var response = await Client.GetCaseAsync(new GetCaseRequest { CaseId = record.Meta.Id }, deadline: Calls.Deadline());
            Assert.Equal(record, response.CaseRecord);
        }
    }

    [Fact]
    public async Task GetServiceRequest_EveryRequestOfTheSample_EqualsTheSeedRecord()
    {
        Assert.NotEmpty(_truth.ServiceRequests);
        var overdue = 0;
        foreach (var record in _truth.ServiceRequests.Values)
        {
            var response = await Client.GetServiceRequestAsync(
                new GetServiceRequestRequest { ServiceRequestId = record.Meta.Id }, deadline: Calls.Deadline());
            // The seed record, and overdue as of the answer: an accepted matter still open past its deadline.
            var expected = record.Clone();
            expected.Overdue = record.Deadline is not null && DateTimeOffset.UtcNow > record.Deadline.ToDateTimeOffset()
                && record.State is ServiceRequestState.Accepted or ServiceRequestState.MaterialsCollected or ServiceRequestState.Submitted
                    or ServiceRequestState.NeedsSupplement;
            overdue += expected.Overdue ? 1 : 0;
            Assert.Equal(expected, response.ServiceRequest);
        }

        Assert.InRange(overdue, 1, _truth.ServiceRequests.Count - 1);
    }

    [Fact]
    public async Task Get_UnknownIdsOrIdsOfAnotherType_AreNotFound()
    {
        await ErrorAssert.ThrowsAsync(
            () => Client.GetCaseAsync(new GetCaseRequest { CaseId = "c-370602-9999999" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(
            () => Client.GetCaseAsync(new GetCaseRequest { CaseId = _truth.ServiceRequests.Keys.First() }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(
            () => Client.GetServiceRequestAsync(
                new GetServiceRequestRequest { ServiceRequestId = _truth.Cases.Keys.First() }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    [Theory]
    [InlineData("", "REQUIRED_FIELD")]
    [InlineData("c-370602-0000001?", "INVALID_FORMAT")]
    [InlineData("事件1", "INVALID_FORMAT")]
    [InlineData("c-0123456789012345678901234567890123456789012345678901234567890123", "INVALID_LENGTH")]
    public async Task Get_MalformedIds_AreInvalidArgumentOnTheirField(string id, string reason)
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetCaseAsync(new GetCaseRequest { CaseId = id }, deadline: Calls.Deadline()).ResponseAsync,
            "case_id", reason);
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetServiceRequestAsync(new GetServiceRequestRequest { ServiceRequestId = id }, deadline: Calls.Deadline()).ResponseAsync,
            "service_request_id", reason);
    }

    [Fact]
    public async Task ListCases_CityCountiesAndGrids_PagedBy7_ReturnEveryCaseOnceInGridThenIdOrder()
    {
        foreach (var code in new[] { CityCode }.Concat(Counties.Select(c => c.Code)).Concat(_truth.Grids.Keys))
        {
            var prefix = Prefix(code);
            var expected = Pages.InListOrder(
                _truth.Cases.Values.Where(c => c.GridCode.StartsWith(prefix, StringComparison.Ordinal)), c => c.GridCode, c => c.Meta.Id);
            var seen = await Pages.AllAsync(token => ListCasesAsync(new ListCasesRequest { AncestorCode = code, PageSize = 7, PageToken = token }), 7);
            Assert.Equal(expected.Count, seen.Distinct().Count());
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListCases_EachState_ReturnsExactlyTheCasesInIt()
    {
        foreach (var state in Enum.GetValues<CaseState>().Where(s => s != CaseState.Unspecified))
        {
            var expected = Pages.InListOrder(_truth.Cases.Values.Where(c => c.State == state), c => c.GridCode, c => c.Meta.Id);
            Assert.NotEmpty(expected);
            var seen = await Pages.AllAsync(
                token => ListCasesAsync(new ListCasesRequest { AncestorCode = CityCode, States = { state }, PageSize = 4, PageToken = token }), 4);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListCases_EachWarningColor_ReturnsExactlyTheCasesWithIt()
    {
        foreach (var color in Enum.GetValues<WarningColor>())
        {
            var expected = Pages.InListOrder(_truth.Cases.Values.Where(c => c.WarningColor == color), c => c.GridCode, c => c.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListCasesAsync(new ListCasesRequest { AncestorCode = CityCode, WarningColors = { color }, PageSize = 10, PageToken = token }), 10);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListCases_OverdueOnly_ReturnsTheYellowAndRedCards()
    {
        var expected = Pages.InListOrder(
            _truth.Cases.Values.Where(c => c.OverdueLevel is OverdueLevel.YellowCard or OverdueLevel.RedCard), c => c.GridCode, c => c.Meta.Id);
        Assert.NotEmpty(expected);
        var seen = await Pages.AllAsync(
            token => ListCasesAsync(new ListCasesRequest { AncestorCode = CityCode, OverdueOnly = true, PageSize = 9, PageToken = token }), 9);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListCases_Kinds_ReturnOnlyThoseKinds()
    {
        CaseKind[][] sets = [[CaseKind.Dispute], [CaseKind.Hazard], [CaseKind.Hazard, CaseKind.Dispute], [CaseKind.Other, CaseKind.Service]];
        foreach (var kinds in sets)
        {
            var expected = Pages.InListOrder(_truth.Cases.Values.Where(c => kinds.Contains(c.Kind)), c => c.GridCode, c => c.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListCasesAsync(new ListCasesRequest { AncestorCode = CityCode, Kinds = { kinds }, PageSize = 50, PageToken = token }), 50);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListCases_AllFiltersTogether_AppliesEachOfThem()
    {
        CaseState[] states = [CaseState.InProgress, CaseState.Dispatched, CaseState.Reported, CaseState.Accepted, CaseState.Registered];
        WarningColor[] colors = [WarningColor.Yellow, WarningColor.Orange, WarningColor.Red];
        var found = 0;
        foreach (var county in Counties)
        {
            var expected = Pages.InListOrder(
                _truth.Cases.Values.Where(c => c.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal)
                    && states.Contains(c.State) && colors.Contains(c.WarningColor) && c.Kind == CaseKind.Dispute
                    && c.OverdueLevel is OverdueLevel.YellowCard or OverdueLevel.RedCard),
                c => c.GridCode, c => c.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListCasesAsync(new ListCasesRequest
                {
                    AncestorCode = county.Code,
                    States = { states },
                    WarningColors = { colors },
                    OverdueOnly = true,
                    Kinds = { CaseKind.Dispute },
                    PageSize = 2,
                    PageToken = token,
                }),
                2);
            Assert.Equal(expected, seen);
            found += seen.Count;
        }

        Assert.True(found > 0, "the sample should hold some overdue open disputes");
    }

    [Fact]
    public async Task ListCases_TokenWithAnyFilterChanged_IsInvalidPageToken()
    {
        ListCasesRequest Original() => new()
        {
            AncestorCode = CityCode,
            States = { CaseState.Evaluated, CaseState.Closed },
            WarningColors = { WarningColor.Yellow },
            Kinds = { CaseKind.Dispute },
            PageSize = 3,
        };

        var first = await Client.ListCasesAsync(Original(), deadline: Calls.Deadline());
        Assert.NotEmpty(first.NextPageToken);

        var changes = new Action<ListCasesRequest>[]
        {
            r => r.States.Add(CaseState.Voided),
            r => r.States.Clear(),
            r => r.WarningColors.Add(WarningColor.Red),
            r => r.OverdueOnly = true,
            r => r.Kinds.Add(CaseKind.Hazard),
            r => r.Kinds.Clear(),
            r => r.AncestorCode = Counties.First().Code,
        };
        foreach (var change in changes)
        {
            var request = Original();
            change(request);
            request.PageToken = first.NextPageToken;
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListCasesAsync(request, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        }

        var same = Original();
        same.States.Add(CaseState.Closed);
        same.PageToken = first.NextPageToken;
        var second = await Client.ListCasesAsync(same, deadline: Calls.Deadline());
        Assert.NotEmpty(second.Cases);
        Assert.Empty(second.Cases.Select(c => c.Meta.Id).Intersect(first.Cases.Select(c => c.Meta.Id)));
    }

    [Fact]
    public async Task ListCasesAndServiceRequests_NegativePageSize_IsInvalidPageSize()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListCasesAsync(new ListCasesRequest { AncestorCode = CityCode, PageSize = -1 }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListServiceRequestsAsync(
                new ListServiceRequestsRequest { AncestorCode = CityCode, PageSize = -100 }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
    }

    [Fact]
    public async Task ListCasesAndServiceRequests_BadOrUnknownAncestor_IsInvalidOrNotFound()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListCasesAsync(new ListCasesRequest(), deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", "REQUIRED_FIELD");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListServiceRequestsAsync(new ListServiceRequestsRequest { AncestorCode = "3706020010010011" }, deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", "INVALID_CODE");
        await ErrorAssert.ThrowsAsync(
            () => Client.ListCasesAsync(new ListCasesRequest { AncestorCode = "370613000000" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        var village = _truth.Regions.Values.First(r => r.Level == RegionLevel.Village);
        await ErrorAssert.ThrowsAsync(
            () => Client.ListServiceRequestsAsync(new ListServiceRequestsRequest { AncestorCode = village.Code + "899" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ListCases_UnspecifiedOrUnknownFilterValues_AreInvalidCodeOnThatItem()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListCasesAsync(
                new ListCasesRequest { AncestorCode = CityCode, States = { CaseState.Closed, CaseState.Unspecified } }, deadline: Calls.Deadline()).ResponseAsync,
            "states[1]", "INVALID_CODE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListCasesAsync(
                new ListCasesRequest { AncestorCode = CityCode, Kinds = { CaseKind.Unspecified } }, deadline: Calls.Deadline()).ResponseAsync,
            "kinds[0]", "INVALID_CODE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListCasesAsync(
                new ListCasesRequest { AncestorCode = CityCode, WarningColors = { (WarningColor)9 } }, deadline: Calls.Deadline()).ResponseAsync,
            "warning_colors[0]", "INVALID_CODE");
    }

    [Fact]
    public async Task ListServiceRequests_CityAndCounties_ReturnEveryRequestOnceInGridThenIdOrder()
    {
        foreach (var code in new[] { CityCode }.Concat(Counties.Select(c => c.Code)))
        {
            var prefix = Prefix(code);
            var expected = Pages.InListOrder(
                _truth.ServiceRequests.Values.Where(r => r.GridCode.StartsWith(prefix, StringComparison.Ordinal)), r => r.GridCode, r => r.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListServiceRequestsAsync(new ListServiceRequestsRequest { AncestorCode = code, PageSize = 6, PageToken = token }), 6);
            Assert.Equal(expected.Count, seen.Distinct().Count());
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListServiceRequests_EachState_ReturnsExactlyTheRequestsInIt()
    {
        foreach (var state in Enum.GetValues<ServiceRequestState>().Where(s => s != ServiceRequestState.Unspecified))
        {
            var expected = Pages.InListOrder(_truth.ServiceRequests.Values.Where(r => r.State == state), r => r.GridCode, r => r.Meta.Id);
            Assert.NotEmpty(expected);
            var seen = await Pages.AllAsync(
                token => ListServiceRequestsAsync(new ListServiceRequestsRequest { AncestorCode = CityCode, States = { state }, PageSize = 3, PageToken = token }), 3);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListServiceRequests_EachGridWorker_ReturnsExactlyTheRequestsTheyHandle()
    {
        var workers = _truth.ServiceRequests.Values.Select(r => r.GridWorkerNumber).Where(w => w.Length > 0).Distinct().ToList();
        Assert.NotEmpty(workers);
        foreach (var worker in workers)
        {
            var expected = Pages.InListOrder(_truth.ServiceRequests.Values.Where(r => r.GridWorkerNumber == worker), r => r.GridCode, r => r.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListServiceRequestsAsync(
                    new ListServiceRequestsRequest { AncestorCode = CityCode, GridWorkerNumber = worker, PageSize = 2, PageToken = token }), 2);
            Assert.Equal(expected, seen);
        }

        // A worker of another county, asked about under this county, handles nothing here.
        var counties = Counties.ToList();
        var foreign = workers.First(w => !w.StartsWith(counties[0].Code[..6], StringComparison.Ordinal));
        var none = await Client.ListServiceRequestsAsync(
            new ListServiceRequestsRequest { AncestorCode = counties[0].Code, GridWorkerNumber = foreign }, deadline: Calls.Deadline());
        Assert.Empty(none.ServiceRequests);
        Assert.Equal("", none.NextPageToken);
    }

    [Fact]
    public async Task ListServiceRequests_WorkerAndStates_AppliesBoth()
    {
        var worker = _truth.ServiceRequests.Values.GroupBy(r => r.GridWorkerNumber).MaxBy(g => g.Count())!.Key;
        ServiceRequestState[] states = [ServiceRequestState.Reviewed, ServiceRequestState.Submitted];
        var expected = Pages.InListOrder(
            _truth.ServiceRequests.Values.Where(r => r.GridWorkerNumber == worker && states.Contains(r.State)), r => r.GridCode, r => r.Meta.Id);
        var seen = await Pages.AllAsync(
            token => ListServiceRequestsAsync(
                new ListServiceRequestsRequest { AncestorCode = CityCode, GridWorkerNumber = worker, States = { states }, PageSize = 1, PageToken = token }), 1);
        Assert.Equal(expected, seen);
    }

    [Theory]
    [InlineData("3706020010010010")]
    [InlineData("370602001001001000")]
    [InlineData("37060200100100100")]
    [InlineData("3706020010010010x")]
    public async Task ListServiceRequests_MalformedGridWorkerNumber_IsInvalidCode(string number) =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListServiceRequestsAsync(
                new ListServiceRequestsRequest { AncestorCode = CityCode, GridWorkerNumber = number }, deadline: Calls.Deadline()).ResponseAsync,
            "grid_worker_number", "INVALID_CODE");

    [Fact]
    public async Task ListServiceRequests_TokenWithChangedWorkerOrStates_IsInvalidPageToken()
    {
        var worker = _truth.ServiceRequests.Values.GroupBy(r => r.GridWorkerNumber).MaxBy(g => g.Count())!.Key;
        var first = await Client.ListServiceRequestsAsync(
            new ListServiceRequestsRequest { AncestorCode = CityCode, GridWorkerNumber = worker, PageSize = 1 }, deadline: Calls.Deadline());
        Assert.NotEmpty(first.NextPageToken);
        var other = _truth.ServiceRequests.Values.Select(r => r.GridWorkerNumber).First(w => w.Length > 0 && w != worker);

        ListServiceRequestsRequest[] changed =
        [
            new() { AncestorCode = CityCode },
            new() { AncestorCode = CityCode, GridWorkerNumber = other },
            new() { AncestorCode = CityCode, GridWorkerNumber = worker, States = { ServiceRequestState.Reviewed } },
        ];
        foreach (var request in changed)
        {
            request.PageToken = first.NextPageToken;
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListServiceRequestsAsync(request, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        }
    }

    [Fact]
    public async Task ListServiceRequests_UnspecifiedState_IsInvalidCode() =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListServiceRequestsAsync(
                new ListServiceRequestsRequest { AncestorCode = CityCode, States = { ServiceRequestState.Unspecified } }, deadline: Calls.Deadline()).ResponseAsync,
            "states[0]", "INVALID_CODE");

    [Fact]
    public async Task Transitions_OfSourceOwnedRecords_AreNotOwner()
    {
        // A case or request a county submitted runs in the county's own workflow: the hub does
        // not move it (the write RPCs need role SOURCE; the province test peer has none).
        var caseId = _truth.Cases.Keys.First();
        var requestId = _truth.ServiceRequests.Keys.First();
        await ErrorAssert.ThrowsAsync(
            () => Client.TransitionCaseAsync(
                new TransitionCaseRequest { RequestId = "r-2", CaseId = caseId, Action = CaseAction.Accept }, headers: AsSource, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "NOT_OWNER");
        await ErrorAssert.ThrowsAsync(
            () => Client.TransitionServiceRequestAsync(
                new TransitionServiceRequestRequest { RequestId = "r-4", ServiceRequestId = requestId, Action = ServiceRequestAction.Accept },
                headers: AsSource, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "NOT_OWNER");

        // Nothing was written: the case is unchanged.
        var after = await Client.GetCaseAsync(new GetCaseRequest { CaseId = caseId }, deadline: Calls.Deadline());
        Assert.Equal(_truth.Cases[caseId], after.CaseRecord);
    }

    private static Grpc.Core.Metadata AsSource => TestPeers.As("province-37");

    private string Prefix(string code) => code.Length == 15
        ? code
        : code[..(_truth.Regions[code].Level switch
        {
            RegionLevel.Province => 2,
            RegionLevel.City => 4,
            RegionLevel.County => 6,
            RegionLevel.Township => 9,
            _ => 12,
        })];

    private async Task<(IReadOnlyList<string> Items, string NextPageToken)> ListCasesAsync(ListCasesRequest request)
    {
        var response = await Client.ListCasesAsync(request, deadline: Calls.Deadline());
        return ([.. response.Cases.Select(c => c.Meta.Id)], response.NextPageToken);
    }

    private async Task<(IReadOnlyList<string> Items, string NextPageToken)> ListServiceRequestsAsync(ListServiceRequestsRequest request)
    {
        var response = await Client.ListServiceRequestsAsync(request, deadline: Calls.Deadline());
        return ([.. response.ServiceRequests.Select(r => r.Meta.Id)], response.NextPageToken);
    }
}

/// <summary>CaseService on the embedded default: a SQLite file.</summary>
public sealed class CaseServiceOnSqliteTests(SqliteHubFixture fixture)
    : CaseServiceTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>CaseService on PostgreSQL.</summary>
public sealed class CaseServiceOnPostgresTests(PostgresHubFixture fixture)
    : CaseServiceTests(fixture), IClassFixture<PostgresHubFixture>;
