using Grpc.Core;
using Grpc.Health.V1;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Peer authentication and authorisation over a real socket, on each store: bearer tokens
/// (missing, malformed, unknown, revoked, of a disabled peer), roles per RPC, jurisdiction on
/// every read path, a source writing only as itself, streams ended when their grant goes, and
/// the first-start operator and development tokens. The hub looks every token up on every call
/// here (<c>CredentialCacheSeconds = 0</c>), so revocations take effect at once.
/// </summary>
public abstract class AuthenticationTests(HubFixture fixture) : IAsyncLifetime
{
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";
    private const string Fushan = "370611000000";
    private SampleTruth _truth = null!;

    private HubInstance Hub => fixture.Hub;

    private IHubStore Store => Hub.Services.GetRequiredService<IHubStore>();

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private ExchangeService.ExchangeServiceClient Exchange(string peer) => new(TestPeers.Authenticated(Hub.RawChannel, peer));

    private PopulationService.PopulationServiceClient Population(string peer) => new(TestPeers.Authenticated(Hub.RawChannel, peer));

    /// <summary>Registers a peer of its own for a test, with a random token; returns the token.</summary>
    private async Task<string> RegisterAsync(string id, string region, params PeerRole[] roles)
    {
        await Store.UpsertPeerAsync(new Peer
        {
            Id = id,
            Name = id,
            Level = RegionLevel.County,
            RegionCode = region,
            Roles = { roles },
            DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3 },
            Enabled = true,
        }, CancellationToken.None);
        var token = BearerTokens.NewToken();
        await Store.IssueCredentialAsync(id, BearerTokens.Hash(token), revokeOthers: false, CancellationToken.None);
        return token;
    }

    [Fact]
    public async Task MissingMalformedOrUnknownTokens_AreUnauthenticated_OnEveryService()
    {
        var registry = new RegistryService.RegistryServiceClient(Hub.RawChannel);
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var population = new PopulationService.PopulationServiceClient(Hub.RawChannel);
        var admin = new AdminService.AdminServiceClient(Hub.RawChannel);
        var wellFormedButUnknown = BearerTokens.NewToken();
        foreach (var headers in new Metadata?[]
                 {
                     null,
                     new() { { "authorization", "Bearer " } },
                     new() { { "authorization", "Bearer not-a-token" } },
                     new() { { "authorization", "Basic " + Convert.ToBase64String("a:b"u8.ToArray()) } },
                     new() { { "authorization", "Bearer " + wellFormedButUnknown[..^1] } },
                     Bearer(wellFormedButUnknown),
                 })
        {
            await ErrorAssert.ThrowsAsync(() => registry.GetRegionAsync(new GetRegionRequest { RegionCode = Zhifu }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.Unauthenticated, "UNAUTHENTICATED");
            await ErrorAssert.ThrowsAsync(() => exchange.PullChangesAsync(new PullChangesRequest(), headers, Calls.Deadline()).ResponseAsync,
                StatusCode.Unauthenticated, "UNAUTHENTICATED");
            await ErrorAssert.ThrowsAsync(async () =>
            {
                using var call = exchange.SubscribeChanges(new SubscribeChangesRequest(), headers, Calls.Deadline());
                await call.ResponseStream.MoveNext(CancellationToken.None);
            }, StatusCode.Unauthenticated, "UNAUTHENTICATED");
            await ErrorAssert.ThrowsAsync(() => population.GetPersonAsync(new GetPersonRequest { PersonId = "x" }, headers, Calls.Deadline()).ResponseAsync,
                StatusCode.Unauthenticated, "UNAUTHENTICATED");
            await ErrorAssert.ThrowsAsync(() => admin.ListPeersAsync(new ListPeersRequest(), headers, Calls.Deadline()).ResponseAsync,
                StatusCode.Unauthenticated, "UNAUTHENTICATED");
        }
    }

    [Fact]
    public async Task HealthChecks_NeedNoToken()
    {
        var health = new Health.HealthClient(Hub.RawChannel);
        var answer = await health.CheckAsync(new HealthCheckRequest(), deadline: Calls.Deadline());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }

    [Fact]
    public async Task ARevokedToken_OrADisabledPeer_IsCredentialRevoked_AndARotatedTokenWorks()
    {
        var id = $"revoked-{Guid.NewGuid():N}"[..20];
        var token = await RegisterAsync(id, Zhifu, PeerRole.Consumer);
        var client = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        await client.PullChangesAsync(new PullChangesRequest { PageSize = 1 }, Bearer(token), Calls.Deadline());

        var rotated = BearerTokens.NewToken();
        await Store.IssueCredentialAsync(id, BearerTokens.Hash(rotated), revokeOthers: true, CancellationToken.None);
        await ErrorAssert.ThrowsAsync(() => client.PullChangesAsync(new PullChangesRequest { PageSize = 1 }, Bearer(token), Calls.Deadline()).ResponseAsync,
            StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");
        await client.PullChangesAsync(new PullChangesRequest { PageSize = 1 }, Bearer(rotated), Calls.Deadline());

        var peer = (await Store.GetPeerAsync(id, CancellationToken.None))!;
        peer.Enabled = false;
        await Store.UpsertPeerAsync(peer, CancellationToken.None);
        await ErrorAssert.ThrowsAsync(() => client.PullChangesAsync(new PullChangesRequest { PageSize = 1 }, Bearer(rotated), Calls.Deadline()).ResponseAsync,
            StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");
    }

    [Fact]
    public async Task EachRpc_NeedsItsRole_AndTheOperatorTokenReadsNoData()
    {
        // A county source and consumer may not administer the hub.
        var admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(Hub.RawChannel, ZhifuSource));
        await ErrorAssert.ThrowsAsync(() => admin.ListPeersAsync(new ListPeersRequest(), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        // The operator (role ADMIN only) reads no data and submits nothing.
        await ErrorAssert.ThrowsAsync(() => Exchange("hub-admin").PullChangesAsync(new PullChangesRequest(), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => Population("hub-admin").GetPersonAsync(
                new GetPersonRequest { PersonId = _truth.Persons.Keys.First() }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        // A consumer only may not submit, even as itself.
        var id = $"reader-{Guid.NewGuid():N}"[..20];
        var token = await RegisterAsync(id, Zhifu, PeerRole.Consumer);
        var reader = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        await ErrorAssert.ThrowsAsync(() => reader.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = id,
            Changes = { new Change { EntityType = EntityType.Person, EntityKey = "p" } },
        }, Bearer(token), Calls.Deadline()).ResponseAsync, StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        // The province test peer (CONSUMER, ISSUER) may not submit either.
        await ErrorAssert.ThrowsAsync(() => Exchange(TestPeers.Province).GetSourceCheckpointAsync(
                new GetSourceCheckpointRequest { SourceSystem = TestPeers.Province }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
    }

    [Fact]
    public async Task ASource_SubmitsOnlyAsItself_AndNothingIsWritten()
    {
        var client = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var before = await FeedCalls.HeadCursorAsync(Exchange(TestPeers.Province));
        var person = _truth.Persons.Values.First(p => p.GridCode.StartsWith("370611", StringComparison.Ordinal)).Clone();
        person.Meta.Version += 100;
        await ErrorAssert.ThrowsAsync(() => client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = "county-370611",
            Changes = { new Change { EntityType = EntityType.Person, EntityKey = person.Meta.Id, Operation = ChangeOperation.Upsert, EntityVersion = person.Meta.Version, SourceChangeId = "as-another", Person = person } },
        }, TestPeers.As(ZhifuSource), Calls.Deadline()).ResponseAsync, StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => client.GetSourceCheckpointAsync(
                new GetSourceCheckpointRequest { SourceSystem = "county-370611" }, TestPeers.As(ZhifuSource), Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
        Assert.Equal(before, await FeedCalls.HeadCursorAsync(Exchange(TestPeers.Province)));
    }

    [Fact]
    public async Task ACounty_ReadsOnlyItsOwnSubtree_OnEveryReadPath()
    {
        var county = Exchange(ZhifuSource);
        var elsewhere = new ChangeScope { RegionPrefixes = { Zhifu, Fushan } };

        // Pull, Subscribe, Export, Digest: a scope outside the jurisdiction is refused.
        await ErrorAssert.ThrowsAsync(() => county.PullChangesAsync(new PullChangesRequest { Scope = elsewhere }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(async () =>
        {
            using var call = county.SubscribeChanges(new SubscribeChangesRequest { Scope = elsewhere }, deadline: Calls.Deadline());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }, StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(async () =>
        {
            using var call = county.ExportSnapshot(new ExportSnapshotRequest { Scope = elsewhere }, deadline: Calls.Deadline());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }, StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => county.GetDigestAsync(
                new GetDigestRequest { RegionCode = Fushan, EntityType = EntityType.Person }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => county.GetDigestAsync(
                new GetDigestRequest { RegionCode = "370600000000", EntityType = EntityType.Person }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await county.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person }, deadline: Calls.Deadline());

        // No scope means the jurisdiction: the whole feed as the county sees it is its own.
        var served = 0;
        var cursor = "";
        while (true)
        {
            var page = await county.PullChangesAsync(new PullChangesRequest { Cursor = cursor, PageSize = 1000 }, deadline: Calls.Deadline());
            Assert.All(page.Changes, c => Assert.StartsWith("370602", c.RegionCode, StringComparison.Ordinal));
            served += page.Changes.Count;
            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                break;
            }
        }

        var province = 0;
        var countyRecords = 0;
        cursor = "";
        while (true)
        {
            var page = await Exchange(TestPeers.Province).PullChangesAsync(new PullChangesRequest { Cursor = cursor, PageSize = 1000 }, deadline: Calls.Deadline());
            province += page.Changes.Count;
            countyRecords += page.Changes.Count(c => c.RegionCode.StartsWith("370602", StringComparison.Ordinal));
            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                break;
            }
        }

        Assert.Equal(countyRecords, served);
        Assert.True(province > served && served > 0, $"province {province}, county {served}");

        // Get and List: another county's records are NOT_FOUND, its subtree OUT_OF_JURISDICTION.
        var population = Population(ZhifuSource);
        var theirs = _truth.Persons.Values.First(p => p.GridCode.StartsWith("370611", StringComparison.Ordinal));
        var ours = _truth.Persons.Values.First(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal));
        await ErrorAssert.ThrowsAsync(() => population.GetPersonAsync(new GetPersonRequest { PersonId = theirs.Meta.Id }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(ours.Meta.Id, (await population.GetPersonAsync(new GetPersonRequest { PersonId = ours.Meta.Id }, deadline: Calls.Deadline())).Person.Meta.Id);
        await ErrorAssert.ThrowsAsync(() => population.ListPersonsAsync(new ListPersonsRequest { AncestorCode = Fushan }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        await ErrorAssert.ThrowsAsync(() => population.ListHousesAsync(new ListHousesRequest { AncestorCode = "370600000000" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
        var cases = new CaseService.CaseServiceClient(TestPeers.Authenticated(Hub.RawChannel, ZhifuSource));
        var theirCase = _truth.Cases.Values.First(c => c.GridCode.StartsWith("370611", StringComparison.Ordinal));
        await ErrorAssert.ThrowsAsync(() => cases.GetCaseAsync(new GetCaseRequest { CaseId = theirCase.Meta.Id }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(() => cases.ListCasesAsync(new ListCasesRequest { AncestorCode = Fushan }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
    }

    [Fact]
    public async Task ASnapshotWithoutScope_IsTheJurisdiction()
    {
        static async Task<List<string>> KeysAsync(ExchangeService.ExchangeServiceClient client, ChangeScope? scope)
        {
            var keys = new List<string>();
            using var call = client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope }, deadline: Calls.Deadline());
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                if (call.ResponseStream.Current.Chunk is { } chunk)
                {
                    keys.AddRange(chunk.Records.Select(r => $"{r.EntityType}:{r.EntityKey}"));
                }
            }

            return keys;
        }

        var own = await KeysAsync(Exchange(ZhifuSource), null);
        var explicitScope = await KeysAsync(Exchange(TestPeers.Province), new ChangeScope { RegionPrefixes = { Zhifu } });
        Assert.NotEmpty(own);
        Assert.Equal(explicitScope, own);
    }

    [Fact]
    public async Task AnOpenSubscription_EndsWhenItsTokenIsRevoked_OrItsGrantNarrows()
    {
        var revokedId = $"sub-r-{Guid.NewGuid():N}"[..20];
        var token = await RegisterAsync(revokedId, Zhifu, PeerRole.Consumer);
        await ErrorAssert.ThrowsAsync(() => FollowUntilEndAsync(token, () => Store.RevokeCredentialsAsync(revokedId, CancellationToken.None)),
            StatusCode.Unauthenticated, "CREDENTIAL_REVOKED");

        var narrowedId = $"sub-n-{Guid.NewGuid():N}"[..20];
        var narrowed = await RegisterAsync(narrowedId, Zhifu, PeerRole.Consumer);
        await ErrorAssert.ThrowsAsync(() => FollowUntilEndAsync(narrowed, async () =>
        {
            var peer = (await Store.GetPeerAsync(narrowedId, CancellationToken.None))!;
            peer.RegionCode = Fushan;
            await Store.UpsertPeerAsync(peer, CancellationToken.None);
        }), StatusCode.PermissionDenied, "OUT_OF_JURISDICTION");
    }

    /// <summary>Subscribes with a 1-second heartbeat, runs <paramref name="change"/> after the first message, and reads until the stream ends.</summary>
    private async Task FollowUntilEndAsync(string token, Func<Task> change)
    {
        var client = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var head = await FeedCalls.HeadCursorAsync(Exchange(TestPeers.Province));
        using var call = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = head,
            Scope = new ChangeScope { RegionPrefixes = { Zhifu } },
            HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, Bearer(token), DateTime.UtcNow.AddSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await change();
        for (var i = 0; i < 20; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "The stream ended without an error.");
        }

        Assert.Fail("The stream went on for 20 messages after its grant changed.");
    }

    [Fact]
    public async Task APeerWithARegisteredClientCertificate_CannotCallWithoutIt()
    {
        var id = $"cert-{Guid.NewGuid():N}"[..20];
        var token = await RegisterAsync(id, Zhifu, PeerRole.Consumer);
        var peer = (await Store.GetPeerAsync(id, CancellationToken.None))!;
        peer.ClientCertificateSha256 = new string('a', 64);
        await Store.UpsertPeerAsync(peer, CancellationToken.None);
        await ErrorAssert.ThrowsAsync(() => new ExchangeService.ExchangeServiceClient(Hub.RawChannel)
                .PullChangesAsync(new PullChangesRequest { PageSize = 1 }, Bearer(token), Calls.Deadline()).ResponseAsync,
            StatusCode.Unauthenticated, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task TheFirstStart_WritesTheOperatorToken_ReadableByItsOwnerOnly_AndItAuthenticatesAsTheOperator()
    {
        var file = Path.Combine(Hub.SecretsDirectory, "admin.token");
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var token = (await File.ReadAllTextAsync(file)).Trim();
        Assert.True(BearerTokens.TryParseAuthorization("Bearer " + token, out _));
        var credential = await Store.FindCredentialAsync(BearerTokens.Hash(token), CancellationToken.None);
        Assert.Equal("hub-admin", credential!.PeerId);
        Assert.Null(credential.RevokedAt);
        Assert.Equal([PeerRole.Admin], credential.Peer!.Roles);

        // Past authentication and the role check: the operator's token works on AdminService.
        var admin = new AdminService.AdminServiceClient(Hub.RawChannel);
        var status = await admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = ZhifuSource }, Bearer(token), Calls.Deadline());
        Assert.Equal(ZhifuSource, status.Status.PeerId);
    }
}

/// <summary>A hub on the embedded default (development mode), every token looked up on every call.</summary>
public sealed class SqliteSecurityHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() =>
        HubInstance.StartAsync(NewSqlitePath("gridx-auth-"), null, settings: new Dictionary<string, string?> { ["GridExchange:CredentialCacheSeconds"] = "0" });
}

/// <summary>A hub on PostgreSQL, every token looked up on every call.</summary>
public sealed class PostgresSecurityHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() =>
        await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("auth"),
            settings: new Dictionary<string, string?> { ["GridExchange:CredentialCacheSeconds"] = "0" });
}

/// <summary>Authentication on the embedded store.</summary>
public sealed class AuthenticationOnSqliteTests(SqliteSecurityHubFixture fixture)
    : AuthenticationTests(fixture), IClassFixture<SqliteSecurityHubFixture>
{
    [Fact]
    public async Task DevelopmentMode_WritesTheSamplePeersTokens_AndTheyWork()
    {
        var lines = (await File.ReadAllLinesAsync(Path.Combine(fixture.Hub.SecretsDirectory, "dev-tokens.txt")))
            .Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        Assert.Contains(ZhifuSourceId, lines.Keys);
        Assert.DoesNotContain("hub-admin", lines.Keys);
        var client = new ExchangeService.ExchangeServiceClient(fixture.Hub.RawChannel);
        var page = await client.PullChangesAsync(new PullChangesRequest { PageSize = 5 },
            new Metadata { { "authorization", "Bearer " + lines[ZhifuSourceId] } }, Calls.Deadline());
        Assert.NotEmpty(page.Changes);
    }

    private const string ZhifuSourceId = "county-370602";
}

/// <summary>Authentication on PostgreSQL (not development mode: no development tokens).</summary>
public sealed class AuthenticationOnPostgresTests(PostgresSecurityHubFixture fixture)
    : AuthenticationTests(fixture), IClassFixture<PostgresSecurityHubFixture>
{
    [Fact]
    public void OutsideDevelopmentMode_NoDevelopmentTokensAreWritten() =>
        Assert.False(File.Exists(Path.Combine(fixture.Hub.SecretsDirectory, "dev-tokens.txt")));
}
