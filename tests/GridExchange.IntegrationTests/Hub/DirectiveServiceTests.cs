using System.Globalization;
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
/// A hub whose DirectiveService runs on a clock the tests move (overdue), with the sample city
/// grown to well over 100 villages (a province-to-city directive at village level fans out to
/// all of them), and issuer peers at city and county level besides the test province.
/// </summary>
public abstract class DirectiveHubFixture : HubFixture
{
    /// <summary>A city platform that issues: 烟台市 (ISSUER, CONSUMER).</summary>
    public const string CityIssuer = "test-city-3706";

    /// <summary>A county platform that issues: 芝罘区 (ISSUER, CONSUMER).</summary>
    public const string CountyIssuer = "test-county-370602";

    /// <summary>A consumer without S2: sees directives with their S2 text empty.</summary>
    public const string CountyS1Only = "test-county-370611-s1";

    /// <summary>Villages added to township 370611001 of 福山区.</summary>
    public const int AddedVillages = 100;

    /// <summary>The clock DirectiveService stamps and judges deadlines by.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Starts the hub on the fixture's store.</summary>
    protected async Task<HubInstance> StartOnAsync(string? sqlite, string? postgres)
    {
        var hub = await HubInstance.StartAsync(sqlite, postgres,
            configure: b => b.Services.AddKeyedSingleton<TimeProvider>(HubHost.DirectiveClockKey, Clock));
        var store = hub.Services.GetRequiredService<IHubStore>();
        foreach (var (id, region, level, roles, classes) in new (string, string, RegionLevel, PeerRole[], DataClass[])[]
        {
            (CityIssuer, "370600000000", RegionLevel.City, [PeerRole.Issuer, PeerRole.Consumer], [DataClass.S1, DataClass.S2]),
            (CountyIssuer, "370602000000", RegionLevel.County, [PeerRole.Issuer, PeerRole.Consumer], [DataClass.S1, DataClass.S2]),
            (CountyS1Only, "370611000000", RegionLevel.County, [PeerRole.Consumer], [DataClass.S1]),
        })
        {
            await store.UpsertPeerAsync(new Peer
            {
                Id = id, Name = id, Level = level, RegionCode = region, Roles = { roles }, DataClasses = { classes }, Enabled = true,
            }, CancellationToken.None);
            await TestPeers.IssueAsync(store, id, CancellationToken.None);
        }

        // 100 communities more in 福山区's first township (codes 101-200, above the sample's).
        var villages = Enumerable.Range(101, AddedVillages).Select(n =>
        {
            var code = string.Create(CultureInfo.InvariantCulture, $"370611001{n:D3}");
            return Upsert(new Region
            {
                Meta = new EntityMeta { Id = code, Version = 1 },
                Code = code,
                Level = RegionLevel.Village,
                Name = string.Create(CultureInfo.InvariantCulture, $"测试{n}社区"),
                ParentCode = "370611001000",
            }, 1, "directive-fixture-" + code);
        }).ToArray();
        await SubmitAppliedAsync(new ExchangeService.ExchangeServiceClient(hub.Channel), "county-370611", villages);
        return hub;
    }
}

/// <summary>The directive hub on SQLite.</summary>
public sealed class SqliteDirectiveHubFixture : DirectiveHubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() => StartOnAsync(NewSqlitePath("gridx-directives-"), null);
}

/// <summary>The directive hub on PostgreSQL.</summary>
public sealed class PostgresDirectiveHubFixture : DirectiveHubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() => await StartOnAsync(null, await PostgresServer.NewDatabaseAsync("directives"));
}

/// <summary>
/// DirectiveService over a real socket, on each store: fan-out, per-recipient acknowledgements and
/// their roll-up, the state machine's refusals, issuing only downwards, idempotent repeats,
/// withdrawal, overdue flags on a fake clock, visibility, paging, bad input, the feed and the audit.
/// </summary>
public abstract class DirectiveServiceTests(DirectiveHubFixture fixture)
{
    private const string Province = "370000000000";
    private const string City = "370600000000";
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";
    private const string Muping = "370612000000";

    private HubInstance Hub => fixture.Hub;

    private FakeTimeProvider Clock => fixture.Clock;

    private DirectiveService.DirectiveServiceClient As(string peer) => new(TestPeers.Authenticated(Hub.RawChannel, peer));

    private DirectiveService.DirectiveServiceClient ProvinceClient => As(TestPeers.Province);

    private static string NewRequestId() => Guid.NewGuid().ToString("N");

    private static string CountyPeerOf(string code) => "county-" + code[..6];

    private Directive NewDirective(params string[] targets) => new()
    {
        Title = "关于开展矛盾纠纷排查化解专项行动的通知",
        Content = "请于规定时间内完成辖区矛盾纠纷排查，并反馈排查台账。",
        IssuerUnit = "测试政法委",
        Supervision = SupervisionKind.Normal,
        TargetRegionCodes = { targets },
        SignForDeadline = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddDays(30)),
        CompletionDeadline = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddDays(60)),
    };

    private async Task<IssueDirectiveResponse> IssueAsync(DirectiveService.DirectiveServiceClient client, Directive directive, string? requestId = null) =>
        await client.IssueDirectiveAsync(new IssueDirectiveRequest { RequestId = requestId ?? NewRequestId(), Directive = directive }, deadline: Calls.Deadline());

    private async Task<DirectiveReceipt> AckAsync(string directiveId, string recipient, DirectiveAction action, string? peer = null, string? requestId = null, long expectedVersion = 0) =>
        (await As(peer ?? CountyPeerOf(recipient)).AcknowledgeDirectiveAsync(new AcknowledgeDirectiveRequest
        {
            RequestId = requestId ?? NewRequestId(),
            DirectiveId = directiveId,
            RecipientRegionCode = recipient,
            Action = action,
            ActorName = action == DirectiveAction.SignFor ? "王网格" : "",
            Feedback = action == DirectiveAction.SubmitFeedback ? "已完成排查，共化解纠纷 3 起。" : "",
            ExpectedVersion = expectedVersion,
        }, deadline: Calls.Deadline())).Receipt;

    private async Task<DirectiveReceipt> ReviewAsync(DirectiveService.DirectiveServiceClient client, string directiveId, string recipient, DirectiveAction action, string? requestId = null) =>
        (await client.ReviewDirectiveFeedbackAsync(new ReviewDirectiveFeedbackRequest
        {
            RequestId = requestId ?? NewRequestId(),
            DirectiveId = directiveId,
            RecipientRegionCode = recipient,
            Action = action,
            Comment = action == DirectiveAction.RejectFeedback ? "台账不全，请补充。" : "",
        }, deadline: Calls.Deadline())).Receipt;

    private async Task<DirectiveReceiptCounts> CountsAsync(DirectiveService.DirectiveServiceClient client, string directiveId) =>
        (await client.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = directiveId }, deadline: Calls.Deadline())).Counts;

    private static async Task<List<DirectiveReceipt>> AllReceiptsAsync(
        DirectiveService.DirectiveServiceClient client, string directiveId, int pageSize = 50, bool overdueOnly = false, params DirectiveState[] states)
    {
        var all = new List<DirectiveReceipt>();
        var token = "";
        do
        {
            var page = await client.ListDirectiveReceiptsAsync(new ListDirectiveReceiptsRequest
            {
                DirectiveId = directiveId, PageSize = pageSize, PageToken = token, OverdueOnly = overdueOnly, States = { states },
            }, deadline: Calls.Deadline());
            Assert.True(page.Receipts.Count <= pageSize);
            all.AddRange(page.Receipts);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    private async Task<List<string>> VillagesUnderAsync(string prefix)
    {
        var store = Hub.Services.GetRequiredService<IHubStore>();
        var regions = await store.ListInScopeAsync(EntityType.Region, prefix, null, 1000, CancellationToken.None);
        return [.. regions.Select(r => r.Key).Where(k => k[9..] != "000")];
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action)
    {
        // A few calls at a time: concurrent writers on the same directive, as real recipients are.
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(items.Select(async item =>
        {
            await gate.WaitAsync();
            try
            {
                await action(item);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    [Fact]
    public async Task Issue_ProvinceToCityAtVillageLevel_FansOutToEveryVillage_AndAcknowledgementsRollUp()
    {
        var villages = await VillagesUnderAsync("3706");
        Assert.True(villages.Count > DirectiveHubFixture.AddedVillages, $"only {villages.Count} villages");
        var input = NewDirective(City);
        input.RecipientLevel = RegionLevel.Village;
        input.Supervision = SupervisionKind.Red;
        var issued = await IssueAsync(ProvinceClient, input);
        var d = issued.Directive;

        Assert.Equal(villages.Count, d.RecipientCount);
        Assert.Equal(new DirectiveReceiptCounts { TotalCount = villages.Count, IssuedCount = villages.Count }, issued.Counts);
        Assert.Equal((Province, RegionLevel.Province, DirectiveState.Issued, "hub", 1L), (d.IssuerRegionCode, d.IssuerLevel, d.State, d.Meta.SourceSystem, d.Meta.Version));
        Assert.Matches("^ZL370000000000202611020[0-9]{3}$", d.DirectiveNumber);
        Assert.Equal(Clock.GetUtcNow(), d.IssuedAt.ToDateTimeOffset());
        Assert.Equal(d, (await ProvinceClient.GetDirectiveAsync(new GetDirectiveRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline())).Directive);

        // The matrix: every village once, in code order, all ISSUED at version 1.
        var receipts = await AllReceiptsAsync(ProvinceClient, d.Meta.Id, pageSize: 37);
        Assert.Equal(villages.Order(StringComparer.Ordinal), receipts.Select(r => r.RecipientRegionCode));
        Assert.All(receipts, r => Assert.Equal((DirectiveState.Issued, 1L, $"{d.Meta.Id}/{r.RecipientRegionCode}", d.Meta.Id),
            (r.State, r.Meta.Version, r.Meta.Id, r.DirectiveId)));

        // Each county signs for its villages; the roll-up moves only when the last one has.
        var last = villages[^1];
        await ForEachAsync(villages.Where(v => v != last), v => AckAsync(d.Meta.Id, v, DirectiveAction.SignFor));
        var status = await ProvinceClient.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline());
        Assert.Equal((DirectiveState.Issued, 1, villages.Count - 1), (status.Directive.State, status.Counts.IssuedCount, status.Counts.SignedForCount));
        var signed = await AckAsync(d.Meta.Id, last, DirectiveAction.SignFor);
        Assert.Equal((DirectiveState.SignedFor, 2L, "王网格"), (signed.State, signed.Meta.Version, signed.SignedForBy));
        status = await ProvinceClient.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline());
        Assert.Equal((DirectiveState.SignedFor, villages.Count), (status.Directive.State, status.Counts.SignedForCount));
        Assert.Equal(2L, status.Directive.Meta.Version);

        // Feedback and acceptance: the directive completes with its last recipient.
        await ForEachAsync(villages, v => AckAsync(d.Meta.Id, v, DirectiveAction.SubmitFeedback));
        Assert.Equal(DirectiveState.FeedbackSubmitted, (await CountsAndDirectiveAsync(d.Meta.Id)).State);
        await ForEachAsync(villages, v => ReviewAsync(ProvinceClient, d.Meta.Id, v, DirectiveAction.AcceptFeedback));
        var done = await ProvinceClient.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline());
        Assert.Equal(DirectiveState.Completed, done.Directive.State);
        Assert.Equal(new DirectiveReceiptCounts { TotalCount = villages.Count, CompletedCount = villages.Count }, done.Counts);

        // A county sees the directive, and only its own villages' receipts and counts.
        var fushan = As("county-370611");
        var own = await AllReceiptsAsync(fushan, d.Meta.Id);
        Assert.Equal(villages.Where(v => v.StartsWith("370611", StringComparison.Ordinal)), own.Select(r => r.RecipientRegionCode));
        Assert.Equal(own.Count, (await CountsAsync(fushan, d.Meta.Id)).TotalCount);
        Assert.Equal(villages.Count, (await fushan.GetDirectiveAsync(new GetDirectiveRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline())).Directive.RecipientCount);
    }

    private async Task<Directive> CountsAndDirectiveAsync(string id) =>
        (await ProvinceClient.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = id }, deadline: Calls.Deadline())).Directive;

    [Fact]
    public async Task Issue_CityToItsCounties_TargetsThemselvesWithoutLevel_AndOthersSeeNothing()
    {
        var city = As(DirectiveHubFixture.CityIssuer);
        var d = (await IssueAsync(city, NewDirective(Zhifu, Fushan))).Directive;
        Assert.Equal((City, RegionLevel.City, 2), (d.IssuerRegionCode, d.IssuerLevel, d.RecipientCount));
        Assert.Equal([Zhifu, Fushan], (await AllReceiptsAsync(city, d.Meta.Id)).Select(r => r.RecipientRegionCode));

        // 牟平区 is no recipient: the directive does not exist for it.
        await ErrorAssert.ThrowsAsync(() => As("county-370612").GetDirectiveAsync(new GetDirectiveRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        Assert.DoesNotContain((await As("county-370612").ListDirectivesAsync(new ListDirectivesRequest(), deadline: Calls.Deadline())).Directives, x => x.Meta.Id == d.Meta.Id);

        // Recipients list it as received, the city as issued; the province (above) sees it received.
        Assert.Contains((await As("county-370602").ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Received }, deadline: Calls.Deadline())).Directives, x => x.Meta.Id == d.Meta.Id);
        Assert.Contains((await city.ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Issued }, deadline: Calls.Deadline())).Directives, x => x.Meta.Id == d.Meta.Id);
        Assert.DoesNotContain((await city.ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Received }, deadline: Calls.Deadline())).Directives, x => x.Meta.Id == d.Meta.Id);
        Assert.Contains((await ProvinceClient.ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Received }, deadline: Calls.Deadline())).Directives, x => x.Meta.Id == d.Meta.Id);

        // A caller without S2 gets the directive's S2 text empty.
        var redacted = (await As(DirectiveHubFixture.CountyS1Only).GetDirectiveAsync(new GetDirectiveRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline())).Directive;
        Assert.Equal(("", d.Title), (redacted.Content, redacted.Title));
    }

    [Fact]
    public async Task Issue_UpwardsSidewaysOrToItself_IsPermissionDeniedNotDownward()
    {
        var county = As(DirectiveHubFixture.CountyIssuer);
        foreach (var (target, because) in new[] { (City, "above"), (Province, "above"), (Fushan, "sideways"), ("370611001000", "sideways"), (Zhifu, "own region") })
        {
            var status = await ErrorAssert.ThrowsAsync(() => IssueAsync(county, NewDirective(target)), StatusCode.PermissionDenied, "DIRECTIVE_NOT_DOWNWARD");
            Assert.Contains(because, status.Message, StringComparison.Ordinal);
        }

        // One bad target among good ones refuses the whole directive, naming it.
        var mixed = await ErrorAssert.ThrowsAsync(() => IssueAsync(As(DirectiveHubFixture.CityIssuer), NewDirective(Zhifu, "370100000000")),
            StatusCode.PermissionDenied, "DIRECTIVE_NOT_DOWNWARD");
        Assert.Equal("directive.target_region_codes[1]", mixed.GetDetail<Google.Rpc.ErrorInfo>().Metadata["field"]);

        // Downwards works for the county too; a peer without ISSUER cannot issue at all.
        var township = (await VillagesUnderAsync(Zhifu[..6]))[0][..9] + "000";
        Assert.Equal(1, (await IssueAsync(county, NewDirective(township))).Directive.RecipientCount);
        await ErrorAssert.ThrowsAsync(() => IssueAsync(As("county-370602"), NewDirective(township)), StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        // A recipient acts only within its jurisdiction; only the issuer reviews and withdraws.
        var d = (await IssueAsync(ProvinceClient, NewDirective(Zhifu, Fushan))).Directive;
        await ErrorAssert.ThrowsAsync(() => AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SignFor, peer: "county-370611"), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SignFor);
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SubmitFeedback);
        await ErrorAssert.ThrowsAsync(() => ReviewAsync(As(DirectiveHubFixture.CityIssuer), d.Meta.Id, Zhifu, DirectiveAction.AcceptFeedback),
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => As(DirectiveHubFixture.CityIssuer).WithdrawDirectiveAsync(
                new WithdrawDirectiveRequest { RequestId = NewRequestId(), DirectiveId = d.Meta.Id, Reason = "x" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        // A county not among the recipients: the directive does not exist for it.
        await ErrorAssert.ThrowsAsync(() => AckAsync(d.Meta.Id, Muping, DirectiveAction.SignFor), StatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task IllegalTransitions_AreFailedPreconditionWithAReason_AndChangeNothing()
    {
        var d = (await IssueAsync(ProvinceClient, NewDirective(Zhifu))).Directive;
        var id = d.Meta.Id;

        async Task RefusedAsync(Func<Task> call, string expected)
        {
            var status = await ErrorAssert.ThrowsAsync(call, StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
            Assert.Contains(expected, status.Message, StringComparison.Ordinal);
        }

        await RefusedAsync(() => AckAsync(id, Zhifu, DirectiveAction.Start), "START is not legal from ISSUED (legal from ISSUED: SIGN_FOR)");
        await RefusedAsync(() => AckAsync(id, Zhifu, DirectiveAction.SubmitFeedback), "not legal from ISSUED");
        await RefusedAsync(() => ReviewAsync(ProvinceClient, id, Zhifu, DirectiveAction.AcceptFeedback), "not legal from ISSUED");
        var signed = await AckAsync(id, Zhifu, DirectiveAction.SignFor);
        await RefusedAsync(() => AckAsync(id, Zhifu, DirectiveAction.SignFor), "SIGN_FOR is not legal from SIGNED_FOR");
        await RefusedAsync(() => ReviewAsync(ProvinceClient, id, Zhifu, DirectiveAction.RejectFeedback), "not legal from SIGNED_FOR");

        // A stale expected_version is a conflict, not a transition.
        await ErrorAssert.ThrowsAsync(() => AckAsync(id, Zhifu, DirectiveAction.Start, expectedVersion: 1), StatusCode.Aborted, "VERSION_CONFLICT");
        var started = await AckAsync(id, Zhifu, DirectiveAction.Start, expectedVersion: signed.Meta.Version);
        Assert.Equal((DirectiveState.InProgress, 3L), (started.State, started.Meta.Version));
        var fed = await AckAsync(id, Zhifu, DirectiveAction.SubmitFeedback);
        Assert.Equal(("已完成排查，共化解纠纷 3 起。", DirectiveState.FeedbackSubmitted), (fed.Feedback, fed.State));
        await RefusedAsync(() => AckAsync(id, Zhifu, DirectiveAction.Start), "not legal from FEEDBACK_SUBMITTED");

        // Rejected feedback sends the recipient back to work, with the issuer's comment.
        var rejected = await ReviewAsync(ProvinceClient, id, Zhifu, DirectiveAction.RejectFeedback);
        Assert.Equal((DirectiveState.InProgress, "台账不全，请补充。"), (rejected.State, rejected.ReviewComment));
        await AckAsync(id, Zhifu, DirectiveAction.SubmitFeedback);
        var completed = await ReviewAsync(ProvinceClient, id, Zhifu, DirectiveAction.AcceptFeedback);
        Assert.Equal(DirectiveState.Completed, completed.State);
        Assert.NotNull(completed.CompletedAt);
        await RefusedAsync(() => AckAsync(id, Zhifu, DirectiveAction.SubmitFeedback), "COMPLETED is final");
        await RefusedAsync(() => ReviewAsync(ProvinceClient, id, Zhifu, DirectiveAction.RejectFeedback), "COMPLETED is final");

        // A completed directive is not withdrawn.
        await ErrorAssert.ThrowsAsync(() => ProvinceClient.WithdrawDirectiveAsync(
                new WithdrawDirectiveRequest { RequestId = NewRequestId(), DirectiveId = id, Reason = "x" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
        var receipt = Assert.Single(await AllReceiptsAsync(ProvinceClient, id));
        Assert.Equal((DirectiveState.Completed, completed.Meta.Version), (receipt.State, receipt.Meta.Version));
    }

    [Fact]
    public async Task Repeats_ReturnTheFirstAnswer_AndAReusedRequestIdIsRefused()
    {
        var requestId = NewRequestId();
        var input = NewDirective(Zhifu, Muping);
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => IssueAsync(ProvinceClient, input, requestId)));
        Assert.Single(answers.Select(a => a.Directive.Meta.Id).Distinct());
        Assert.Single(answers.Select(a => a.Directive.DirectiveNumber).Distinct());
        var id = answers[0].Directive.Meta.Id;
        var listed = (await ProvinceClient.ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Issued, PageSize = 1000 }, deadline: Calls.Deadline())).Directives;
        Assert.Single(listed, x => x.Title == input.Title && x.DirectiveNumber == answers[0].Directive.DirectiveNumber);

        var other = NewDirective(Zhifu);
        await ErrorAssert.InvalidArgumentAsync(() => IssueAsync(ProvinceClient, other, requestId), "request_id", "REQUEST_ID_REUSED");

        var ackId = NewRequestId();
        var first = await AckAsync(id, Zhifu, DirectiveAction.SignFor, requestId: ackId);
        var again = await AckAsync(id, Zhifu, DirectiveAction.SignFor, requestId: ackId);
        Assert.Equal(first, again);
        Assert.Equal(2L, Assert.Single(await AllReceiptsAsync(ProvinceClient, id), r => r.RecipientRegionCode == Zhifu).Meta.Version);
        await ErrorAssert.InvalidArgumentAsync(() => AckAsync(id, Zhifu, DirectiveAction.Start, requestId: ackId), "request_id", "REQUEST_ID_REUSED");

        // Another caller's request ids are its own.
        await AckAsync(id, Muping, DirectiveAction.SignFor, requestId: ackId);

        // Retention forgets answers older than its window (24 hours in the job): the id is then new,
        // so the same request is judged afresh — and SIGN_FOR is no longer legal.
        var trimmed = await Hub.Services.GetRequiredService<IHubStore>().TrimLogAsync(
            DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None);
        Assert.True(trimmed.RequestsForgotten >= 3, trimmed.ToString());
        await ErrorAssert.ThrowsAsync(() => AckAsync(id, Zhifu, DirectiveAction.SignFor, requestId: ackId), StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
    }

    [Fact]
    public async Task Withdraw_WithdrawsEveryOpenReceipt_KeepsCompletedOnes_AndEndsTheLifecycle()
    {
        var city = As(DirectiveHubFixture.CityIssuer);
        var d = (await IssueAsync(city, NewDirective(Zhifu, Fushan, Muping))).Directive;
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SignFor);
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SubmitFeedback);
        await ReviewAsync(city, d.Meta.Id, Zhifu, DirectiveAction.AcceptFeedback);
        await AckAsync(d.Meta.Id, Fushan, DirectiveAction.SignFor);

        var requestId = NewRequestId();
        var request = new WithdrawDirectiveRequest { RequestId = requestId, DirectiveId = d.Meta.Id, Reason = "任务调整，另行部署。" };
        var withdrawn = (await city.WithdrawDirectiveAsync(request, deadline: Calls.Deadline())).Directive;
        Assert.Equal((DirectiveState.Withdrawn, "任务调整，另行部署。"), (withdrawn.State, withdrawn.WithdrawReason));
        Assert.Equal(Clock.GetUtcNow(), withdrawn.WithdrawnAt.ToDateTimeOffset());
        Assert.True(withdrawn.Meta.Version > d.Meta.Version);
        Assert.Equal(withdrawn, (await city.WithdrawDirectiveAsync(request, deadline: Calls.Deadline())).Directive);

        var receipts = (await AllReceiptsAsync(city, d.Meta.Id)).ToDictionary(r => r.RecipientRegionCode, r => r.State);
        Assert.Equal(DirectiveState.Completed, receipts[Zhifu]);
        Assert.Equal(DirectiveState.Withdrawn, receipts[Fushan]);
        Assert.Equal(DirectiveState.Withdrawn, receipts[Muping]);
        Assert.Equal(new DirectiveReceiptCounts { TotalCount = 3, CompletedCount = 1, WithdrawnCount = 2 }, await CountsAsync(city, d.Meta.Id));

        await ErrorAssert.ThrowsAsync(() => AckAsync(d.Meta.Id, Muping, DirectiveAction.SignFor), StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
        await ErrorAssert.ThrowsAsync(() => city.WithdrawDirectiveAsync(
                new WithdrawDirectiveRequest { RequestId = NewRequestId(), DirectiveId = d.Meta.Id, Reason = "again" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
        Assert.Contains((await city.ListDirectivesAsync(new ListDirectivesRequest { States = { DirectiveState.Withdrawn } }, deadline: Calls.Deadline())).Directives,
            x => x.Meta.Id == d.Meta.Id);
    }

    [Fact]
    public async Task Overdue_FollowsTheClock_WithoutChangingAnyState()
    {
        var input = NewDirective(Zhifu, Fushan, Muping);
        input.SignForDeadline = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddHours(1));
        input.CompletionDeadline = Timestamp.FromDateTimeOffset(Clock.GetUtcNow().AddHours(2));
        var d = (await IssueAsync(ProvinceClient, input)).Directive;
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SignFor);
        Assert.Empty(await AllReceiptsAsync(ProvinceClient, d.Meta.Id, overdueOnly: true));
        Assert.DoesNotContain((await ProvinceClient.ListDirectivesAsync(new ListDirectivesRequest { OverdueOnly = true, PageSize = 1000 }, deadline: Calls.Deadline())).Directives,
            x => x.Meta.Id == d.Meta.Id);

        // 90 minutes on: the two that did not sign for are 催签, still ISSUED.
        Clock.Advance(TimeSpan.FromMinutes(90));
        var counts = await CountsAsync(ProvinceClient, d.Meta.Id);
        Assert.Equal((2, 0, 2, 1), (counts.SignForOverdueCount, counts.CompletionOverdueCount, counts.IssuedCount, counts.SignedForCount));
        var late = await AllReceiptsAsync(ProvinceClient, d.Meta.Id, overdueOnly: true);
        Assert.Equal([Fushan, Muping], late.Select(r => r.RecipientRegionCode));
        Assert.All(late, r => Assert.Equal((true, false, DirectiveState.Issued), (r.SignForOverdue, r.CompletionOverdue, r.State)));
        Assert.Contains((await ProvinceClient.ListDirectivesAsync(new ListDirectivesRequest { OverdueOnly = true, PageSize = 1000 }, deadline: Calls.Deadline())).Directives,
            x => x.Meta.Id == d.Meta.Id);
        // A county sees its own receipt's flags only.
        var zhifu = Assert.Single(await AllReceiptsAsync(As("county-370602"), d.Meta.Id));
        Assert.False(zhifu.SignForOverdue);
        Assert.Equal(0, (await CountsAsync(As("county-370602"), d.Meta.Id)).SignForOverdueCount);
        Assert.Equal(1, (await CountsAsync(As("county-370611"), d.Meta.Id)).SignForOverdueCount);

        // Signing for late keeps the mark; past the completion deadline everyone open is 督办.
        var lateSign = await AckAsync(d.Meta.Id, Fushan, DirectiveAction.SignFor);
        Assert.True(lateSign.SignForOverdue);
        Clock.Advance(TimeSpan.FromMinutes(60));
        counts = await CountsAsync(ProvinceClient, d.Meta.Id);
        Assert.Equal((2, 3), (counts.SignForOverdueCount, counts.CompletionOverdueCount));
        Assert.Equal((1, 2), (counts.IssuedCount, counts.SignedForCount));
        Assert.Equal(DirectiveState.Issued, (await ProvinceClient.GetDirectiveAsync(new GetDirectiveRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline())).Directive.State);
        Assert.Equal([Muping], (await AllReceiptsAsync(ProvinceClient, d.Meta.Id, overdueOnly: true, states: DirectiveState.Issued)).Select(r => r.RecipientRegionCode));
    }

    [Fact]
    public async Task ListDirectives_PagesNewestFirst_WithTokensBoundToTheRequest()
    {
        var city = As(DirectiveHubFixture.CityIssuer);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await IssueAsync(city, NewDirective(Muping))).Directive.Meta.Id);
        }

        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await city.ListDirectivesAsync(new ListDirectivesRequest { Role = DirectiveRole.Issued, PageSize = 2, PageToken = token }, deadline: Calls.Deadline());
            Assert.True(page.Directives.Count <= 2);
            seen.AddRange(page.Directives.Select(x => x.Meta.Id));
            token = page.NextPageToken;
            if (token.Length > 0)
            {
                await ErrorAssert.InvalidArgumentAsync(() => city.ListDirectivesAsync(
                        new ListDirectivesRequest { Role = DirectiveRole.Received, PageSize = 2, PageToken = token }, deadline: Calls.Deadline()).ResponseAsync,
                    "page_token", "INVALID_PAGE_TOKEN");
            }
        }
        while (token.Length > 0);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        var mine = seen.Where(ids.Contains).ToList();
        Assert.Equal(Enumerable.Reverse(ids), mine);
    }

    [Fact]
    public async Task BadInput_IsInvalidArgument_WithReasonAndField()
    {
        var ok = NewDirective(Zhifu);
        async Task IssueBadAsync(Action<IssueDirectiveRequest> spoil, string field, string reason)
        {
            var request = new IssueDirectiveRequest { RequestId = NewRequestId(), Directive = ok.Clone() };
            spoil(request);
            await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.IssueDirectiveAsync(request, deadline: Calls.Deadline()).ResponseAsync, field, reason);
        }

        await IssueBadAsync(r => r.RequestId = "", "request_id", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.RequestId = new string('r', 65), "request_id", "INVALID_LENGTH");
        await IssueBadAsync(r => r.Directive = null, "directive", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.Directive.Title = "", "directive.title", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.Directive.Content = new string('文', 4001), "directive.content", "INVALID_LENGTH");
        await IssueBadAsync(r => r.Directive.Supervision = SupervisionKind.Unspecified, "directive.supervision", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.Directive.TargetRegionCodes.Clear(), "directive.target_region_codes", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.Directive.TargetRegionCodes.Add("3706020000"), "directive.target_region_codes[1]", "INVALID_CODE");
        await IssueBadAsync(r => r.Directive.TargetRegionCodes.Add(Zhifu), "directive.target_region_codes[1]", "INCONSISTENT_FIELDS");
        await IssueBadAsync(r => r.Directive.RecipientLevel = RegionLevel.Grid, "directive.recipient_level", "INVALID_CODE");
        await IssueBadAsync(r => r.Directive.SignForDeadline = null, "directive.sign_for_deadline", "REQUIRED_FIELD");
        await IssueBadAsync(r => r.Directive.CompletionDeadline = Timestamp.FromDateTimeOffset(Clock.GetUtcNow()), "directive.completion_deadline", "INCONSISTENT_FIELDS");
        // A target below the recipient level has no region of that level inside it.
        await IssueBadAsync(r => { r.Directive.TargetRegionCodes[0] = "370611001101"; r.Directive.RecipientLevel = RegionLevel.Township; },
            "directive.target_region_codes[0]", "INCONSISTENT_FIELDS");
        await ErrorAssert.ThrowsAsync(() => IssueAsync(ProvinceClient, NewDirective("370699000000")), StatusCode.NotFound, "NOT_FOUND");

        var d = (await IssueAsync(ProvinceClient, ok)).Directive;
        async Task AckBadAsync(Action<AcknowledgeDirectiveRequest> spoil, string field, string reason)
        {
            var request = new AcknowledgeDirectiveRequest
            {
                RequestId = NewRequestId(), DirectiveId = d.Meta.Id, RecipientRegionCode = Zhifu, Action = DirectiveAction.SignFor, ActorName = "王网格",
            };
            spoil(request);
            await ErrorAssert.InvalidArgumentAsync(() => As("county-370602").AcknowledgeDirectiveAsync(request, deadline: Calls.Deadline()).ResponseAsync, field, reason);
        }

        await AckBadAsync(r => r.RequestId = "", "request_id", "REQUIRED_FIELD");
        await AckBadAsync(r => r.DirectiveId = "", "directive_id", "REQUIRED_FIELD");
        await AckBadAsync(r => r.DirectiveId = "no/slash", "directive_id", "INVALID_FORMAT");
        await AckBadAsync(r => r.RecipientRegionCode = "37060200000", "recipient_region_code", "INVALID_CODE");
        await AckBadAsync(r => r.Action = DirectiveAction.Unspecified, "action", "REQUIRED_FIELD");
        await AckBadAsync(r => r.Action = DirectiveAction.AcceptFeedback, "action", "INVALID_FORMAT");
        await AckBadAsync(r => r.ActorName = "", "actor_name", "REQUIRED_FIELD");
        await AckBadAsync(r => { r.Action = DirectiveAction.SubmitFeedback; r.ActorName = ""; }, "feedback", "REQUIRED_FIELD");
        await AckBadAsync(r => r.Feedback = "x", "feedback", "INCONSISTENT_FIELDS");
        await AckBadAsync(r => r.ExpectedVersion = -1, "expected_version", "INVALID_FORMAT");

        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.ReviewDirectiveFeedbackAsync(new ReviewDirectiveFeedbackRequest
            {
                RequestId = NewRequestId(), DirectiveId = d.Meta.Id, RecipientRegionCode = Zhifu, Action = DirectiveAction.RejectFeedback,
            }, deadline: Calls.Deadline()).ResponseAsync, "comment", "REQUIRED_FIELD");
        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.WithdrawDirectiveAsync(new WithdrawDirectiveRequest
            {
                RequestId = NewRequestId(), DirectiveId = d.Meta.Id,
            }, deadline: Calls.Deadline()).ResponseAsync, "reason", "REQUIRED_FIELD");
        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.ListDirectiveReceiptsAsync(new ListDirectiveReceiptsRequest
            {
                DirectiveId = d.Meta.Id, PageSize = -1,
            }, deadline: Calls.Deadline()).ResponseAsync, "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.ListDirectiveReceiptsAsync(new ListDirectiveReceiptsRequest
            {
                DirectiveId = d.Meta.Id, PageToken = "garbage",
            }, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.ListDirectivesAsync(new ListDirectivesRequest
            {
                States = { DirectiveState.Unspecified },
            }, deadline: Calls.Deadline()).ResponseAsync, "states[0]", "INVALID_FORMAT");
        await ErrorAssert.InvalidArgumentAsync(() => ProvinceClient.GetDirectiveAsync(new GetDirectiveRequest(), deadline: Calls.Deadline()).ResponseAsync,
            "directive_id", "REQUIRED_FIELD");
        await ErrorAssert.ThrowsAsync(() => ProvinceClient.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = "zl-missing" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task IssueAndTransitions_AreChangesInTheFeed_OwnedByTheHub_AndAudited()
    {
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.Channel);
        var cursor = await HeadCursorAsync(exchange);
        var requestId = NewRequestId();
        var d = (await IssueAsync(ProvinceClient, NewDirective(Zhifu, Fushan), requestId)).Directive;
        await AckAsync(d.Meta.Id, Zhifu, DirectiveAction.SignFor);

        var (changes, _) = await PullAllAsync(exchange, cursor, new ChangeScope { EntityTypes = { EntityType.Directive, EntityType.DirectiveReceipt } });
        var mine = changes.Where(c => c.EntityKey.StartsWith(d.Meta.Id, StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                (EntityType.Directive, d.Meta.Id, 1L, Province),
                (EntityType.DirectiveReceipt, $"{d.Meta.Id}/{Zhifu}", 1L, Zhifu),
                (EntityType.DirectiveReceipt, $"{d.Meta.Id}/{Fushan}", 1L, Fushan),
                (EntityType.DirectiveReceipt, $"{d.Meta.Id}/{Zhifu}", 2L, Zhifu),
            ],
            mine.Select(c => (c.EntityType, c.EntityKey, c.EntityVersion, c.RegionCode)));
        Assert.All(mine, c => Assert.Equal(("hub", ChangeOperation.Upsert), (c.SourceSystem, c.Operation)));
        Assert.Equal(d.Title, mine[0].Directive.Title);
        Assert.Equal(DirectiveState.SignedFor, mine[3].DirectiveReceipt.State);

        // Receipts flow up: the county's own scope holds its receipt.
        var zhifuFeed = await PullAllAsync(new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(Hub.RawChannel, "county-370602")), cursor,
            new ChangeScope { EntityTypes = { EntityType.DirectiveReceipt } });
        Assert.Contains(zhifuFeed.Changes, c => c.EntityKey == $"{d.Meta.Id}/{Zhifu}");
        Assert.DoesNotContain(zhifuFeed.Changes, c => c.EntityKey == $"{d.Meta.Id}/{Fushan}");
        // Each receipt change carries the directive as it stood then, so the county's own scope
        // holds what it is asked to do; answers of DirectiveService carry it beside, not inside.
        var carried = zhifuFeed.Changes.Where(c => c.EntityKey == $"{d.Meta.Id}/{Zhifu}").Select(c => c.DirectiveReceipt).ToList();
        Assert.All(carried, r => Assert.Equal((d.Meta.Id, d.Title, d.SignForDeadline), (r.Directive.Meta.Id, r.Directive.Title, r.Directive.SignForDeadline)));
        Assert.Equal(DirectiveState.Issued, carried[0].Directive.State);
        var listed = await ProvinceClient.ListDirectiveReceiptsAsync(new ListDirectiveReceiptsRequest { DirectiveId = d.Meta.Id }, deadline: Calls.Deadline());
        Assert.All(listed.Receipts, r => Assert.Null(r.Directive));

        // The store lists what is still to be delivered to a sink.
        var undelivered = await Hub.Services.GetRequiredService<IHubStore>().ListUndeliveredReceiptsAsync("370611", 10_000, CancellationToken.None);
        Assert.Contains(undelivered, u => u.Directive.Meta.Id == d.Meta.Id && u.Receipt.RecipientRegionCode == Fushan);
        Assert.DoesNotContain(undelivered, u => !u.Receipt.RecipientRegionCode.StartsWith("370611", StringComparison.Ordinal));
        await Hub.Services.GetRequiredService<IHubStore>().MarkReceiptsDeliveredAsync(d.Meta.Id, "370611", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.DoesNotContain(await Hub.Services.GetRequiredService<IHubStore>().ListUndeliveredReceiptsAsync("370611", 10_000, CancellationToken.None),
            u => u.Directive.Meta.Id == d.Meta.Id);

        var audit = new AdminService.AdminServiceClient(TestPeers.Authenticated(Hub.RawChannel, "hub-admin"));
        var entries = (await audit.ListAuditEntriesAsync(new ListAuditEntriesRequest { PeerId = TestPeers.Province, PageSize = 1000 }, deadline: Calls.Deadline())).Entries;
        var issueEntry = Assert.Single(entries, e => e.RequestId == requestId);
        Assert.Equal(("/gridexchange.v1.DirectiveService/IssueDirective", 2L), (issueEntry.Method, issueEntry.RecordCount));
        Assert.Contains(d.Meta.Id, issueEntry.Scope, StringComparison.Ordinal);
    }
}

/// <summary>DirectiveService on the embedded SQLite store.</summary>
public sealed class DirectiveServiceOnSqliteTests(SqliteDirectiveHubFixture fixture)
    : DirectiveServiceTests(fixture), IClassFixture<SqliteDirectiveHubFixture>;

/// <summary>DirectiveService on PostgreSQL.</summary>
public sealed class DirectiveServiceOnPostgresTests(PostgresDirectiveHubFixture fixture)
    : DirectiveServiceTests(fixture), IClassFixture<PostgresDirectiveHubFixture>;
