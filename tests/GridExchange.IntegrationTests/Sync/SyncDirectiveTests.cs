using Google.Protobuf.WellKnownTypes;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator.Faults;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The DIRECTIVES link of a SINK peer over a real socket (PeerService.ReceiveDirective of the city
/// simulator): a directive addressed inside the sink's jurisdiction is delivered once with the
/// receipts of that jurisdiction, again when one of them changes or the directive is withdrawn,
/// never when nothing changed; a directive addressed elsewhere never; a full resync repeats the
/// same deliveries (same request ids, so the sink stores nothing twice); a refusal is not retried
/// and shows in GetPeerStatus; lag counts directives not yet delivered.
/// </summary>
public abstract class SyncDirectiveTests(bool postgres)
{
    private const string City = "370600000000";
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";
    private const string Weifang = "370700000000";

    [Fact]
    public async Task Directives_AreDeliveredToTheSinkOfTheirJurisdiction_AgainWhenTheyChange_AndNeverTwice()
    {
        await using var harness = await SyncHarness.StartAsync(postgres);
        await harness.LoadProvinceRegionsAsync();
        await FeedCalls.SubmitAppliedAsync(harness.Exchange, "province-37",
            FeedCalls.Upsert(Region(Zhifu, RegionLevel.County, City, "芝罘区"), 1, "test-region-zhifu"),
            FeedCalls.Upsert(Region(Fushan, RegionLevel.County, City, "福山区"), 1, "test-region-fushan"),
            FeedCalls.Upsert(Region(Weifang, RegionLevel.City, "370000000000", "潍坊市"), 1, "test-region-weifang"));
        var store = harness.Hub.Services.GetRequiredService<IHubStore>();
        await store.UpsertPeerAsync(new Peer
        {
            Id = "county-370602",
            Name = "芝罘区网格化平台",
            Level = RegionLevel.County,
            RegionCode = Zhifu,
            Roles = { PeerRole.Consumer },
            DataClasses = { DataClass.S1 },
            Enabled = true,
        }, CancellationToken.None);
        await TestPeers.IssueAsync(store, "county-370602", CancellationToken.None);
        var city = await harness.StartCityAsync(City);
        await harness.RegisterAsync("sim-3706", city);
        var province = new DirectiveService.DirectiveServiceClient(TestPeers.Authenticated(harness.Hub.RawChannel));
        var zhifu = new DirectiveService.DirectiveServiceClient(TestPeers.Authenticated(harness.Hub.RawChannel, "county-370602"));

        // First run: no directive yet; the link exists and succeeds with nothing to deliver.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        var link = Link(await harness.StatusAsync("sim-3706"));
        Assert.Equal((0L, 0), (link.LagChanges, link.ConsecutiveFailures));
        Assert.NotNull(link.LastSuccessAt);
        Assert.NotEmpty(link.Position);

        var inside = (await province.IssueDirectiveAsync(new IssueDirectiveRequest { RequestId = "d-inside", Directive = NewDirective(Zhifu, Fushan) },
            deadline: Calls.Deadline())).Directive;
        var outside = (await province.IssueDirectiveAsync(new IssueDirectiveRequest { RequestId = "d-outside", Directive = NewDirective(Weifang) },
            deadline: Calls.Deadline())).Directive;
        Assert.Equal(1, Link(await harness.StatusAsync("sim-3706")).LagChanges);

        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        var (held, deliveries) = await city.Sink!.GetDirectivesAsync(CancellationToken.None);
        var only = Assert.Single(held);
        Assert.Equal((inside.Meta.Id, DirectiveState.Issued, "RW-3706-000001"), (only.Directive.Meta.Id, only.Directive.State, only.LocalReference));
        Assert.Equal([(Zhifu, DirectiveState.Issued), (Fushan, DirectiveState.Issued)], only.Receipts.Select(r => (r.RecipientRegionCode, r.State)));
        Assert.Equal(1, deliveries);
        Assert.Equal(0, Link(await harness.StatusAsync("sim-3706")).LagChanges);
        // Delivery is recorded per receipt: nothing of the city is left undelivered; Weifang's is.
        Assert.Empty(await store.ListUndeliveredReceiptsAsync("3706", 100, CancellationToken.None));
        Assert.Equal(outside.Meta.Id, Assert.Single(await store.ListUndeliveredReceiptsAsync("3707", 100, CancellationToken.None)).Directive.Meta.Id);

        // Nothing changed: a run delivers nothing.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        Assert.Equal(1, (await city.Sink.GetDirectivesAsync(CancellationToken.None)).Deliveries);

        // Zhifu signs for it: delivered again with Zhifu's receipt at version 2.
        await zhifu.AcknowledgeDirectiveAsync(new AcknowledgeDirectiveRequest
        {
            RequestId = "sign-zhifu",
            DirectiveId = inside.Meta.Id,
            RecipientRegionCode = Zhifu,
            Action = DirectiveAction.SignFor,
            ActorName = "王网格",
        }, deadline: Calls.Deadline());
        Assert.Equal(1, Link(await harness.StatusAsync("sim-3706")).LagChanges);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        (held, deliveries) = await city.Sink.GetDirectivesAsync(CancellationToken.None);
        Assert.Equal(2, deliveries);
        Assert.Equal([(Zhifu, DirectiveState.SignedFor, 2L), (Fushan, DirectiveState.Issued, 1L)],
            Assert.Single(held).Receipts.Select(r => (r.RecipientRegionCode, r.State, r.Meta.Version)));

        // Withdrawn: delivered again, withdrawn with its open receipts.
        await province.WithdrawDirectiveAsync(new WithdrawDirectiveRequest { RequestId = "withdraw", DirectiveId = inside.Meta.Id, Reason = "任务调整" },
            deadline: Calls.Deadline());
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        (held, deliveries) = await city.Sink.GetDirectivesAsync(CancellationToken.None);
        Assert.Equal(3, deliveries);
        only = Assert.Single(held);
        Assert.Equal(DirectiveState.Withdrawn, only.Directive.State);
        Assert.All(only.Receipts, r => Assert.Equal(DirectiveState.Withdrawn, r.State));

        // A full resync delivers the jurisdiction's directives from the current state: the same
        // content under the same request id, which the sink recognises — nothing stored twice.
        var callsBefore = city.Faults.Calls;
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives, fullResync: true));
        Assert.Equal(callsBefore + 1, city.Faults.Calls);
        (held, deliveries) = await city.Sink.GetDirectivesAsync(CancellationToken.None);
        Assert.Equal((3L, 1), (deliveries, held.Count));

        // A refusal is not retried and shows in the link's status; the next run delivers.
        city.Faults.Update(new FaultSettings { ErrorProbability = 1, Error = InjectedError.PermissionDenied });
        var third = (await province.IssueDirectiveAsync(new IssueDirectiveRequest { RequestId = "d-third", Directive = NewDirective(City) },
            deadline: Calls.Deadline())).Directive;
        callsBefore = city.Faults.Calls;
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        Assert.Equal(callsBefore + 1, city.Faults.Calls);
        link = Link(await harness.StatusAsync("sim-3706"));
        Assert.StartsWith("PERMISSION_DENIED", link.LastError, StringComparison.Ordinal);
        Assert.Equal((1, 1L), (link.ConsecutiveFailures, link.LagChanges));
        city.Faults.Update(FaultSettings.None);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706", SyncDirection.Directives));
        (held, _) = await city.Sink.GetDirectivesAsync(CancellationToken.None);
        Assert.Equal(new[] { inside.Meta.Id, third.Meta.Id }.Order(StringComparer.Ordinal), held.Select(h => h.Directive.Meta.Id));
        Assert.Equal(City, Assert.Single(held, h => h.Directive.Meta.Id == third.Meta.Id).Receipts.Single().RecipientRegionCode);
        link = Link(await harness.StatusAsync("sim-3706"));
        Assert.Equal((0, 0L, ""), (link.ConsecutiveFailures, link.LagChanges, link.LastError));
    }

    private static PeerLinkStatus Link(PeerStatus status) => Assert.Single(status.Links, l => l.Direction == SyncDirection.Directives);

    private static Region Region(string code, RegionLevel level, string parent, string name) => new()
    {
        Meta = new EntityMeta { Id = code, Version = 1 },
        Code = code,
        Level = level,
        Name = name,
        ParentCode = parent,
    };

    private static Directive NewDirective(params string[] targets) => new()
    {
        Title = "关于开展矛盾纠纷排查化解专项行动的通知",
        Content = "请于规定时间内完成辖区矛盾纠纷排查，并反馈排查台账。",
        IssuerUnit = "测试政法委",
        Supervision = SupervisionKind.Normal,
        TargetRegionCodes = { targets },
        SignForDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(30)),
        CompletionDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(60)),
    };
}

/// <summary>On the embedded default: SQLite store, in-memory Hangfire storage.</summary>
public sealed class SyncDirectiveOnSqliteTests() : SyncDirectiveTests(postgres: false);

/// <summary>On PostgreSQL: the store and Hangfire's storage.</summary>
public sealed class SyncDirectiveOnPostgresTests() : SyncDirectiveTests(postgres: true);
