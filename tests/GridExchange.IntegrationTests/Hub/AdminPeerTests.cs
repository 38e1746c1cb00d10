using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// The peer registry RPCs of AdminService over a real socket, on each store: registration and
/// its token at work within (and only within) the grant, duplicates, idempotent repeats,
/// validation reasons, paging and the role filter, updates that take effect on the peer's very
/// next call (the hub keeps its default 5-second credential cache: the change itself drops the
/// cached look-up) and on running streams, rotation, the operator's self-lockout guard, role
/// ADMIN, and the audit entries every change leaves.
/// </summary>
public abstract class AdminPeerTests(HubFixture fixture)
{
    private const string Operator = "hub-admin";
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";

    private HubInstance Hub => fixture.Hub;

    private AdminService.AdminServiceClient Admin => new(TestPeers.Authenticated(Hub.RawChannel, Operator));

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private static string NewRequestId() => Guid.NewGuid().ToString("N");

    private static Peer CountyConsumer(string id) => new()
    {
        Id = id,
        Name = "芝罘区综治中心网格化平台",
        Level = RegionLevel.County,
        RegionCode = Zhifu,
        Roles = { PeerRole.Consumer },
        DataClasses = { DataClass.S1, DataClass.S2 },
        Schedule = "*/5 * * * *",
        SyncMode = SyncMode.Live,
        Endpoint = "https://grid.zhifu.example:8443",
        EntityTypes = { EntityType.Person, EntityType.Grid },
        Enabled = true,
    };

    private async Task<RegisterPeerResponse> RegisterAsync(Peer peer, string? requestId = null) =>
        await Admin.RegisterPeerAsync(new RegisterPeerRequest { RequestId = requestId ?? NewRequestId(), Peer = peer }, deadline: Calls.Deadline());

    private async Task<UpdatePeerResponse> UpdateAsync(Peer patch, params string[] paths) =>
        await Admin.UpdatePeerAsync(new UpdatePeerRequest { RequestId = NewRequestId(), Peer = patch, UpdateMask = new FieldMask { Paths = { paths } } },
            deadline: Calls.Deadline());

    private Task<PullChangesResponse> PullAsync(string token, ChangeScope? scope = null) =>
        new ExchangeService.ExchangeServiceClient(Hub.RawChannel)
            .PullChangesAsync(new PullChangesRequest { PageSize = 5, Scope = scope }, Bearer(token), Calls.Deadline()).ResponseAsync;

    [Fact]
    public async Task RegisterPeer_StoresEveryField_AndItsTokenWorks_OnlyWithinTheGrant()
    {
        var id = NewId("reg");
        var registered = await RegisterAsync(CountyConsumer(id));

        Assert.True(BearerTokens.TryParseAuthorization("Bearer " + registered.BearerToken, out _));
        var expected = CountyConsumer(id);
        expected.CreatedAt = registered.Peer.CreatedAt;
        expected.UpdatedAt = registered.Peer.UpdatedAt;
        Assert.Equal(expected, registered.Peer);
        Assert.NotNull(registered.Peer.CreatedAt);
        Assert.Equal(registered.Peer.CreatedAt, registered.Peer.UpdatedAt);
        Assert.Equal(registered.Peer, (await Admin.GetPeerAsync(new GetPeerRequest { PeerId = id }, deadline: Calls.Deadline())).Peer);

        // The sync engine's view: every field, through the store.
        var enabled = await Hub.Services.GetRequiredService<IHubStore>().ListEnabledPeersAsync(CancellationToken.None);
        Assert.Equal(registered.Peer, Assert.Single(enabled, p => p.Id == id));

        // Within the grant: its county's feed, persons among the types it may read.
        var page = await PullAsync(registered.BearerToken);
        Assert.NotEmpty(page.Changes);
        Assert.All(page.Changes, c => Assert.StartsWith("370602", c.RegionCode, StringComparison.Ordinal));
        Assert.All(page.Changes, c => Assert.Contains(c.EntityType, new[] { EntityType.Person, EntityType.Grid }));

        // Outside it: another county, and a role it was not given.
        await ErrorAssert.ThrowsAsync(() => PullAsync(registered.BearerToken, new ChangeScope { RegionPrefixes = { Fushan } }),
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => new ExchangeService.ExchangeServiceClient(Hub.RawChannel).GetSourceCheckpointAsync(
                new GetSourceCheckpointRequest { SourceSystem = id }, Bearer(registered.BearerToken), Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
    }

    [Fact]
    public async Task RegisterPeer_NormalizesWhatTheContractDefaults()
    {
        var id = NewId("norm");
        var peer = CountyConsumer(id);
        peer.SyncMode = SyncMode.Unspecified;
        peer.Enabled = false;
        peer.ClientCertificateSha256 = new string('A', 64);
        peer.CreatedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var stored = (await RegisterAsync(peer)).Peer;
        Assert.Equal(SyncMode.Scheduled, stored.SyncMode);
        Assert.Equal(new string('a', 64), stored.ClientCertificateSha256);
        Assert.False(stored.Enabled);
        Assert.True(stored.CreatedAt.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5), "created_at is the hub's, not the request's.");
        Assert.DoesNotContain(await Hub.Services.GetRequiredService<IHubStore>().ListEnabledPeersAsync(CancellationToken.None), p => p.Id == id);
    }

    [Fact]
    public async Task RegisterPeer_AnExistingId_IsAlreadyExistsDuplicate()
    {
        var id = NewId("dup");
        await RegisterAsync(CountyConsumer(id));
        await ErrorAssert.ThrowsAsync(() => RegisterAsync(CountyConsumer(id)), StatusCode.AlreadyExists, "DUPLICATE");

        // A peer registered by the sample loader is just as taken.
        var sample = CountyConsumer("county-370602");
        await ErrorAssert.ThrowsAsync(() => RegisterAsync(sample), StatusCode.AlreadyExists, "DUPLICATE");
        var kept = (await Admin.GetPeerAsync(new GetPeerRequest { PeerId = "county-370602" }, deadline: Calls.Deadline())).Peer;
        Assert.Contains(PeerRole.Source, kept.Roles);
    }

    [Fact]
    public async Task RegisterPeer_Repeated_ReturnsTheFirstAnswerWithTheSameToken_AndAReusedIdIsRefused()
    {
        var id = NewId("idem");
        var requestId = NewRequestId();
        var first = await RegisterAsync(CountyConsumer(id), requestId);

        // Repeats (also concurrent ones) get the first answer, token included; nothing is issued twice.
        var repeats = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RegisterAsync(CountyConsumer(id), requestId)));
        Assert.All(repeats, r => Assert.Equal(first, r));
        await PullAsync(first.BearerToken);

        // The same request id for another request is refused, not answered with the first answer.
        var other = CountyConsumer(NewId("idem"));
        await ErrorAssert.InvalidArgumentAsync(() => RegisterAsync(other, requestId), "request_id", "REQUEST_ID_REUSED");
        await ErrorAssert.ThrowsAsync(() => Admin.GetPeerAsync(new GetPeerRequest { PeerId = other.Id }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");

        // Concurrent first requests for a new peer: one registration, one token, for all of them.
        var racedId = NewId("race");
        var racedRequest = NewRequestId();
        var raced = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RegisterAsync(CountyConsumer(racedId), racedRequest)));
        Assert.Single(raced.Select(r => r.BearerToken).Distinct());
        Assert.Single(raced.Select(r => r.Peer.CreatedAt).Distinct());
    }

    public static TheoryData<string, string, string> InvalidRegistrations() => new()
    {
        { "no-request-id", "request_id", "REQUIRED_FIELD" },
        { "long-request-id", "request_id", "INVALID_LENGTH" },
        { "no-peer", "peer", "REQUIRED_FIELD" },
        { "short-id", "peer.id", "INVALID_LENGTH" },
        { "upper-case-id", "peer.id", "INVALID_FORMAT" },
        { "reserved-id", "peer.id", "INVALID_FORMAT" },
        { "no-name", "peer.name", "REQUIRED_FIELD" },
        { "long-name", "peer.name", "INVALID_LENGTH" },
        { "no-level", "peer.level", "REQUIRED_FIELD" },
        { "level-disagrees", "peer.level", "INCONSISTENT_FIELDS" },
        { "malformed-region", "peer.region_code", "INVALID_CODE" },
        { "ftp-endpoint", "peer.endpoint", "INVALID_FORMAT" },
        { "relative-endpoint", "peer.endpoint", "INVALID_FORMAT" },
        { "endpoint-with-password", "peer.endpoint", "INVALID_FORMAT" },
        { "long-endpoint", "peer.endpoint", "INVALID_LENGTH" },
        { "sink-without-endpoint", "peer.endpoint", "REQUIRED_FIELD" },
        { "no-roles", "peer.roles", "REQUIRED_FIELD" },
        { "unspecified-role", "peer.roles[0]", "INVALID_FORMAT" },
        { "duplicate-role", "peer.roles[1]", "INVALID_FORMAT" },
        { "no-data-classes", "peer.data_classes", "REQUIRED_FIELD" },
        { "bad-cron-value", "peer.schedule", "INVALID_FORMAT" },
        { "bad-cron-shape", "peer.schedule", "INVALID_FORMAT" },
        { "unknown-sync-mode", "peer.sync_mode", "INVALID_FORMAT" },
        { "unspecified-entity-type", "peer.entity_types[0]", "UNSUPPORTED_ENTITY_TYPE" },
        { "bad-fingerprint", "peer.client_certificate_sha256", "INVALID_FORMAT" },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task RegisterPeer_InvalidInput_IsInvalidArgument_WithItsReasonAndField(string problem, string field, string reason)
    {
        var id = NewId("bad");
        var peer = CountyConsumer(id);
        var request = new RegisterPeerRequest { RequestId = NewRequestId(), Peer = peer };
        switch (problem)
        {
            case "no-request-id": request.RequestId = ""; break;
            case "long-request-id": request.RequestId = new string('r', 65); break;
            case "no-peer": request.Peer = null; break;
            case "short-id": peer.Id = "ab"; break;
            case "upper-case-id": peer.Id = "County-370602-X"; break;
            case "reserved-id": peer.Id = "hub"; break;
            case "no-name": peer.Name = " "; break;
            case "long-name": peer.Name = new string('网', 101); break;
            case "no-level": peer.Level = RegionLevel.Unspecified; break;
            case "level-disagrees": peer.Level = RegionLevel.City; break;
            case "malformed-region": peer.RegionCode = "37060200000X"; break;
            case "ftp-endpoint": peer.Endpoint = "ftp://grid.zhifu.example"; break;
            case "relative-endpoint": peer.Endpoint = "grid.zhifu.example:8443"; break;
            case "endpoint-with-password": peer.Endpoint = "https://admin:secret@grid.zhifu.example"; break;
            case "long-endpoint": peer.Endpoint = "https://grid.zhifu.example/" + new string('p', 200); break;
            case "sink-without-endpoint": peer.Endpoint = ""; peer.Roles.Add(PeerRole.Sink); break;
            case "no-roles": peer.Roles.Clear(); break;
            case "unspecified-role": peer.Roles.Clear(); peer.Roles.Add(PeerRole.Unspecified); break;
            case "duplicate-role": peer.Roles.Add(PeerRole.Consumer); break;
            case "no-data-classes": peer.DataClasses.Clear(); break;
            case "bad-cron-value": peer.Schedule = "61 * * * *"; break;
            case "bad-cron-shape": peer.Schedule = "*/5 * * *"; break;
            case "unknown-sync-mode": peer.SyncMode = (SyncMode)9; break;
            case "unspecified-entity-type": peer.EntityTypes.Clear(); peer.EntityTypes.Add(EntityType.Unspecified); break;
            case "bad-fingerprint": peer.ClientCertificateSha256 = "ab:cd"; break;
            default: throw new ArgumentOutOfRangeException(nameof(problem), problem, null);
        }

        await ErrorAssert.InvalidArgumentAsync(
            () => Admin.RegisterPeerAsync(request, deadline: Calls.Deadline()).ResponseAsync, field, reason);
        await ErrorAssert.ThrowsAsync(() => Admin.GetPeerAsync(new GetPeerRequest { PeerId = id }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task GetPeer_UnknownOrMalformedId()
    {
        await ErrorAssert.ThrowsAsync(() => Admin.GetPeerAsync(new GetPeerRequest { PeerId = "no-such-peer" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.GetPeerAsync(new GetPeerRequest { PeerId = "No Such Peer" }, deadline: Calls.Deadline()).ResponseAsync,
            "peer_id", "INVALID_FORMAT");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.GetPeerAsync(new GetPeerRequest(), deadline: Calls.Deadline()).ResponseAsync,
            "peer_id", "REQUIRED_FIELD");
    }

    private async Task<(List<Peer> Peers, int Pages)> ListAllAsync(PeerRole role, int pageSize)
    {
        var peers = new List<Peer>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await Admin.ListPeersAsync(new ListPeersRequest { Role = role, PageSize = pageSize, PageToken = token }, deadline: Calls.Deadline());
            Assert.InRange(page.Peers.Count, 1, pageSize);
            peers.AddRange(page.Peers);
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        return (peers, pages);
    }

    [Fact]
    public async Task ListPeers_PagesInIdOrder_FiltersByRole_AndRefusesForeignTokens()
    {
        // Ids that sort differently byte-wise and under a linguistic collation ('-' ignored).
        var stem = NewId("lst");
        foreach (var suffix in new[] { "-b", "a", "-a0" })
        {
            var sink = CountyConsumer(stem + suffix);
            sink.Roles.Add(PeerRole.Sink);
            await RegisterAsync(sink);
        }

        var everything = (await Admin.ListPeersAsync(new ListPeersRequest { PageSize = 1000 }, deadline: Calls.Deadline())).Peers.ToList();
        var ids = everything.Select(p => p.Id).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Contains(Operator, ids);
        Assert.Contains("county-370602", ids);

        var (paged, pages) = await ListAllAsync(PeerRole.Unspecified, 2);
        Assert.Equal(everything, paged);
        Assert.Equal((everything.Count + 1) / 2, pages);

        var sinks = everything.Where(p => p.Roles.Contains(PeerRole.Sink)).ToList();
        Assert.True(sinks.Count >= 3);
        var (sinkPages, _) = await ListAllAsync(PeerRole.Sink, 1);
        Assert.Equal(sinks, sinkPages);
        var admins = (await Admin.ListPeersAsync(new ListPeersRequest { Role = PeerRole.Admin }, deadline: Calls.Deadline())).Peers;
        Assert.Contains(admins, p => p.Id == Operator);
        Assert.All(admins, p => Assert.Contains(PeerRole.Admin, p.Roles));

        var sinkToken = (await Admin.ListPeersAsync(new ListPeersRequest { Role = PeerRole.Sink, PageSize = 1 }, deadline: Calls.Deadline())).NextPageToken;
        Assert.NotEmpty(sinkToken);
        await ErrorAssert.InvalidArgumentAsync(() => Admin.ListPeersAsync(
            new ListPeersRequest { Role = PeerRole.Consumer, PageToken = sinkToken }, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.ListPeersAsync(
            new ListPeersRequest { PageToken = "not-a-token" }, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.ListPeersAsync(
            new ListPeersRequest { PageSize = -1 }, deadline: Calls.Deadline()).ResponseAsync, "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.ListPeersAsync(
            new ListPeersRequest { Role = (PeerRole)42 }, deadline: Calls.Deadline()).ResponseAsync, "role", "INVALID_FORMAT");
    }

    [Fact]
    public async Task UpdatePeer_Disabling_RefusesThePeersNextCall_AndReenablingRestoresIt()
    {
        var id = NewId("dis");
        var registered = await RegisterAsync(CountyConsumer(id));
        await PullAsync(registered.BearerToken); // cached by the authenticator now

        var disabled = await UpdateAsync(new Peer { Id = id, Enabled = false, Name = "ignored: not in the mask" }, "enabled");
        Assert.False(disabled.Peer.Enabled);
        Assert.Equal(registered.Peer.Name, disabled.Peer.Name);
        Assert.Equal(registered.Peer.CreatedAt, disabled.Peer.CreatedAt);
        Assert.True(disabled.Peer.UpdatedAt.ToDateTimeOffset() >= registered.Peer.UpdatedAt.ToDateTimeOffset());
        await ErrorAssert.ThrowsAsync(() => PullAsync(registered.BearerToken), StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");

        await UpdateAsync(new Peer { Id = id, Enabled = true }, "enabled");
        await PullAsync(registered.BearerToken);
    }

    [Fact]
    public async Task UpdatePeer_NarrowingRolesOrJurisdiction_HoldsForTheNextCall_AndEndsARunningStream()
    {
        var id = NewId("nar");
        var token = (await RegisterAsync(CountyConsumer(id))).BearerToken;
        var client = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        // From the head: only heartbeats flow (one a second), each after a grant check.
        var head = await FeedCalls.HeadCursorAsync(new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(Hub.RawChannel)));
        using var call = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = head,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, Bearer(token), DateTime.UtcNow.AddSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var narrowed = await UpdateAsync(new Peer { Id = id, Roles = { PeerRole.Source } }, "roles");
        Assert.Equal([PeerRole.Source], narrowed.Peer.Roles);
        await ErrorAssert.ThrowsAsync(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "The stream ended without an error.");
            }
        }, StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => PullAsync(token), StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        // Consumer again, but over another county: its own county is now out of reach.
        await UpdateAsync(new Peer { Id = id, Roles = { PeerRole.Consumer }, RegionCode = Fushan }, "roles", "region_code");
        await ErrorAssert.ThrowsAsync(() => PullAsync(token, new ChangeScope { RegionPrefixes = { Zhifu } }), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        Assert.All((await PullAsync(token)).Changes, c => Assert.StartsWith("370611", c.RegionCode, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UpdatePeer_RefusesBadMasksValuesAndUnknownPeers_AndRepeatsTheFirstAnswer()
    {
        var id = NewId("upd");
        await RegisterAsync(CountyConsumer(id));
        var request = new UpdatePeerRequest { RequestId = NewRequestId(), Peer = new Peer { Id = id } };
        foreach (var (paths, reason) in new (string[], string)[]
                 {
                     ([], "REQUIRED_FIELD"), (["id"], "INVALID_FORMAT"), (["created_at"], "INVALID_FORMAT"),
                     (["updated_at"], "INVALID_FORMAT"), (["peer.enabled"], "INVALID_FORMAT"), (["enabled", "bogus"], "INVALID_FORMAT"),
                 })
        {
            var bad = request.Clone();
            bad.UpdateMask = new FieldMask { Paths = { paths } };
            await ErrorAssert.InvalidArgumentAsync(() => Admin.UpdatePeerAsync(bad, deadline: Calls.Deadline()).ResponseAsync, "update_mask", reason);
        }

        await ErrorAssert.InvalidArgumentAsync(() => UpdateAsync(new Peer { Id = id, RegionCode = "3706020000" }, "region_code"),
            "peer.region_code", "INVALID_CODE");
        await ErrorAssert.InvalidArgumentAsync(() => UpdateAsync(new Peer { Id = id, Schedule = "0 25 * * *" }, "schedule"),
            "peer.schedule", "INVALID_FORMAT");
        await ErrorAssert.InvalidArgumentAsync(() => UpdateAsync(new Peer { Id = id, Roles = { PeerRole.Sink } }, "roles", "endpoint"),
            "peer.endpoint", "REQUIRED_FIELD");
        await ErrorAssert.InvalidArgumentAsync(() => UpdateAsync(new Peer { Id = "Bad Id" }, "enabled"), "peer.id", "INVALID_FORMAT");
        await ErrorAssert.ThrowsAsync(() => UpdateAsync(new Peer { Id = "no-such-peer" }, "enabled"), StatusCode.NotFound, "NOT_FOUND");

        // A repeat returns the first answer and changes nothing again.
        request.Peer.Schedule = "0 2 * * MON-FRI";
        request.UpdateMask = new FieldMask { Paths = { "schedule" } };
        var first = await Admin.UpdatePeerAsync(request, deadline: Calls.Deadline());
        await UpdateAsync(new Peer { Id = id, Schedule = "" }, "schedule");
        var repeat = await Admin.UpdatePeerAsync(request, deadline: Calls.Deadline());
        Assert.Equal(first, repeat);
        Assert.Equal("", (await Admin.GetPeerAsync(new GetPeerRequest { PeerId = id }, deadline: Calls.Deadline())).Peer.Schedule);
    }

    [Fact]
    public async Task TheOperator_CannotDisableItselfOrDropItsOwnAdminRole()
    {
        await ErrorAssert.ThrowsAsync(() => UpdateAsync(new Peer { Id = Operator, Enabled = false }, "enabled"),
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");
        await ErrorAssert.ThrowsAsync(() => UpdateAsync(new Peer { Id = Operator, Roles = { PeerRole.Consumer } }, "roles"),
            StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION");

        // Still the operator; changes that keep it one are fine.
        var renamed = await UpdateAsync(new Peer { Id = Operator, Name = "Hub operator (province)" }, "name");
        Assert.Equal([PeerRole.Admin], renamed.Peer.Roles);
        Assert.True(renamed.Peer.Enabled);

        // Another ADMIN peer may disable it (the hub keeps an administrator either way).
        var second = CountyConsumer(NewId("ops"));
        second.Roles.Clear();
        second.Roles.Add(PeerRole.Admin);
        second.Level = RegionLevel.Province;
        second.RegionCode = "370000000000";
        var secondToken = (await RegisterAsync(second)).BearerToken;
        var asSecond = new AdminService.AdminServiceClient(Hub.RawChannel);
        var patch = new UpdatePeerRequest { RequestId = NewRequestId(), Peer = new Peer { Id = Operator, Enabled = false }, UpdateMask = new FieldMask { Paths = { "enabled" } } };
        Assert.False((await asSecond.UpdatePeerAsync(patch, Bearer(secondToken), Calls.Deadline())).Peer.Enabled);
        await ErrorAssert.ThrowsAsync(() => Admin.GetPeerAsync(new GetPeerRequest { PeerId = Operator }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");
        patch.RequestId = NewRequestId();
        patch.Peer.Enabled = true;
        Assert.True((await asSecond.UpdatePeerAsync(patch, Bearer(secondToken), Calls.Deadline())).Peer.Enabled);
        await Admin.GetPeerAsync(new GetPeerRequest { PeerId = Operator }, deadline: Calls.Deadline());
    }

    [Fact]
    public async Task RotatePeerToken_RevokesTheOldToken_TheNewOneWorks_AndARepeatReturnsIt()
    {
        var id = NewId("rot");
        var old = (await RegisterAsync(CountyConsumer(id))).BearerToken;
        await PullAsync(old);

        var request = new RotatePeerTokenRequest { RequestId = NewRequestId(), PeerId = id };
        var rotated = (await Admin.RotatePeerTokenAsync(request, deadline: Calls.Deadline())).BearerToken;
        Assert.NotEqual(old, rotated);
        await ErrorAssert.ThrowsAsync(() => PullAsync(old), StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");
        await PullAsync(rotated);

        Assert.Equal(rotated, (await Admin.RotatePeerTokenAsync(request, deadline: Calls.Deadline())).BearerToken);
        await PullAsync(rotated);

        await ErrorAssert.ThrowsAsync(() => Admin.RotatePeerTokenAsync(
                new RotatePeerTokenRequest { RequestId = NewRequestId(), PeerId = "no-such-peer" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.InvalidArgumentAsync(() => Admin.RotatePeerTokenAsync(
            new RotatePeerTokenRequest { PeerId = id }, deadline: Calls.Deadline()).ResponseAsync, "request_id", "REQUIRED_FIELD");
    }

    [Fact]
    public async Task PeerRegistryRpcs_NeedRoleAdmin()
    {
        var consumer = (await RegisterAsync(CountyConsumer(NewId("nonadmin")))).BearerToken;
        foreach (var headers in new[] { TestPeers.As(TestPeers.Province), TestPeers.As("county-370602"), Bearer(consumer) })
        {
            var client = new AdminService.AdminServiceClient(Hub.RawChannel);
            await ErrorAssert.ThrowsAsync(() => client.RegisterPeerAsync(
                    new RegisterPeerRequest { RequestId = NewRequestId(), Peer = CountyConsumer(NewId("sneak")) }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
            await ErrorAssert.ThrowsAsync(() => client.GetPeerAsync(new GetPeerRequest { PeerId = Operator }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
            await ErrorAssert.ThrowsAsync(() => client.ListPeersAsync(new ListPeersRequest(), headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
            await ErrorAssert.ThrowsAsync(() => client.UpdatePeerAsync(new UpdatePeerRequest
                {
                    RequestId = NewRequestId(), Peer = new Peer { Id = "county-370602", Roles = { PeerRole.Admin, PeerRole.Source } },
                    UpdateMask = new FieldMask { Paths = { "roles" } },
                }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
            await ErrorAssert.ThrowsAsync(() => client.RotatePeerTokenAsync(
                    new RotatePeerTokenRequest { RequestId = NewRequestId(), PeerId = Operator }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
        }

        Assert.DoesNotContain(PeerRole.Admin,
            (await Admin.GetPeerAsync(new GetPeerRequest { PeerId = "county-370602" }, deadline: Calls.Deadline())).Peer.Roles);
    }

    [Fact]
    public async Task EveryChange_IsInTheAuditLog_AndTheChainVerifies()
    {
        var id = NewId("aud");
        var registerId = NewRequestId();
        await RegisterAsync(CountyConsumer(id), registerId);
        var update = new UpdatePeerRequest
        {
            RequestId = NewRequestId(), Peer = new Peer { Id = id, Enabled = false, DataClasses = { DataClass.S1 } },
            UpdateMask = new FieldMask { Paths = { "enabled", "data_classes" } },
        };
        await Admin.UpdatePeerAsync(update, deadline: Calls.Deadline());
        var rotate = new RotatePeerTokenRequest { RequestId = NewRequestId(), PeerId = id };
        await Admin.RotatePeerTokenAsync(rotate, deadline: Calls.Deadline());
        await Admin.RotatePeerTokenAsync(rotate, deadline: Calls.Deadline()); // a repeat is a call too

        var entries = new List<AuditEntry>();
        var token = "";
        do
        {
            var page = await Admin.ListAuditEntriesAsync(new ListAuditEntriesRequest { PeerId = Operator, PageToken = token, PageSize = 1000 }, deadline: Calls.Deadline());
            entries.AddRange(page.Entries);
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        var mine = entries.Where(e => e.Scope.StartsWith($"peer={id};", StringComparison.Ordinal)).ToList();
        var expected = new[]
            {
                ("/gridexchange.v1.AdminService/RegisterPeer", registerId, $"peer={id};roles=CONSUMER;enabled=true"),
                ("/gridexchange.v1.AdminService/UpdatePeer", update.RequestId, $"peer={id};fields=enabled,data_classes"),
                ("/gridexchange.v1.AdminService/RotatePeerToken", rotate.RequestId, $"peer={id};token rotated"),
                ("/gridexchange.v1.AdminService/RotatePeerToken", rotate.RequestId, $"peer={id};token rotated;repeat"),
            };
        Assert.Equal(expected, mine.Select(e => (e.Method, e.RequestId, e.Scope)));
        Assert.All(mine, e => Assert.Equal(1, e.RecordCount));
        Assert.All(mine, e => Assert.Empty(e.DataClasses));

        var verified = await Admin.VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline());
        Assert.True(verified.Intact, verified.Problem);
    }

    [Fact]
    public async Task GetPeerStatusAndTriggerSync_ForASourceWithoutEndpoint_ShowNoLinksAndRunNothing()
    {
        // The sample's sources submit to the hub; without an endpoint nothing is pulled from them.
        var status = (await Admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = "county-370602" }, deadline: Calls.Deadline())).Status;
        Assert.Equal("county-370602", status.PeerId);
        Assert.True(status.Enabled);
        Assert.Equal(CircuitState.Closed, status.CircuitState);
        Assert.Empty(status.Links);
        await ErrorAssert.ThrowsAsync(() => Admin.TriggerSyncAsync(
                new TriggerSyncRequest { RequestId = NewRequestId(), PeerId = "county-370602" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "ROLE_NOT_GRANTED");
    }
}

/// <summary>The peer registry RPCs on the embedded SQLite store.</summary>
public sealed class AdminPeerOnSqliteTests(SqliteHubFixture fixture)
    : AdminPeerTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>The peer registry RPCs on PostgreSQL.</summary>
public sealed class AdminPeerOnPostgresTests(PostgresHubFixture fixture)
    : AdminPeerTests(fixture), IClassFixture<PostgresHubFixture>;
