using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Thousands of random and malformed requests over a real socket, on each store: bytes that
/// are not a message (garbage, truncated, invalid UTF-8, nested past the recursion limit),
/// oversized fields and bodies, wrong codes and check digits, negative and huge page sizes,
/// unknown enum values, garbage and replayed cursors, page and resume tokens, mismatched oneof
/// payloads, replayed request ids, garbage, revoked and misplaced bearer tokens, missing
/// deadlines. Every failure must be a clear error (a status other than UNKNOWN or INTERNAL with
/// an ErrorInfo reason); afterwards the hub must still serve, and nothing it holds may have
/// changed (feed head, digests of every entity type, the sources' checkpoints).
/// </summary>
/// <remarks>
/// Mutating requests are generated invalid by construction: a request-level defect, or changes
/// that each carry at least one defect the validator must reject. Read requests may be valid by
/// chance and are then simply served. The one refusal without an ErrorInfo is the transport's:
/// a body over the 8 MiB receive limit is RESOURCE_EXHAUSTED before any hub code sees it.
/// Generation is seeded, so a failure replays.
/// </remarks>
public abstract class MalformedRequestFuzzTests(HubFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Seed = 20260501;
    private const int Cases = 4000;
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";
    private const string FushanSource = "county-370611";

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create<byte[]>(b => b, b => b);

    private static readonly string[] UnaryMethods =
    [
        "/gridexchange.v1.ExchangeService/SubmitChanges", "/gridexchange.v1.ExchangeService/GetSourceCheckpoint",
        "/gridexchange.v1.ExchangeService/PullChanges", "/gridexchange.v1.ExchangeService/GetDigest",
        "/gridexchange.v1.RegistryService/GetRegion", "/gridexchange.v1.RegistryService/ListGrids",
        "/gridexchange.v1.PopulationService/GetPerson", "/gridexchange.v1.PopulationService/ListPersons",
        "/gridexchange.v1.PopulationService/ListHouses", "/gridexchange.v1.CaseService/ListCases",
        "/gridexchange.v1.CaseService/ReportCase", "/gridexchange.v1.AdminService/ListPeers",
    ];

    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private SampleTruth _truth = null!;
    private string _revokedToken = "";
    private string[] _realTokens = [];
    private string _headCursor = "";

    private HubInstance Hub => fixture.Hub;

    private IHubStore Store => Hub.Services.GetRequiredService<IHubStore>();

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _truth = await SampleTruth.GetAsync();

        // A peer whose first token was rotated away: replaying it must be CREDENTIAL_REVOKED.
        var id = $"fuzz-{Guid.NewGuid():N}"[..20];
        await Store.UpsertPeerAsync(new Peer
        {
            Id = id, Name = id, Level = RegionLevel.County, RegionCode = Zhifu, Roles = { PeerRole.Consumer }, Enabled = true,
        }, CancellationToken.None);
        _revokedToken = BearerTokens.NewToken();
        await Store.IssueCredentialAsync(id, BearerTokens.Hash(_revokedToken), revokeOthers: false, CancellationToken.None);
        await Store.IssueCredentialAsync(id, BearerTokens.Hash(BearerTokens.NewToken()), revokeOthers: true, CancellationToken.None);

        // Real tokens and cursors, to replay where they do not belong.
        var province = Auth(TestPeers.TokenFor(TestPeers.Province));
        var population = new PopulationService.PopulationServiceClient(Hub.RawChannel);
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var persons = await population.ListPersonsAsync(new ListPersonsRequest { AncestorCode = Zhifu, PageSize = 5 }, province, Calls.Deadline());
        var houses = await population.ListHousesAsync(new ListHousesRequest { AncestorCode = Zhifu, PageSize = 5 }, province, Calls.Deadline());
        var regions = await new RegistryService.RegistryServiceClient(Hub.RawChannel)
            .ListRegionsAsync(new ListRegionsRequest { ParentCode = Zhifu, PageSize = 1 }, province, Calls.Deadline());
        _headCursor = (await exchange.PullChangesAsync(new PullChangesRequest { Scope = FeedCalls.Nowhere, PageSize = 1 }, province, Calls.Deadline())).NextCursor;
        var first = (await exchange.PullChangesAsync(new PullChangesRequest { PageSize = 3 }, province, Calls.Deadline())).NextCursor;
        using var snapshot = exchange.ExportSnapshot(
            new ExportSnapshotRequest { Scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } } }, province, Calls.Deadline());
        Assert.True(await snapshot.ResponseStream.MoveNext(CancellationToken.None));
        _realTokens = [persons.NextPageToken, houses.NextPageToken, regions.NextPageToken, _headCursor, first, snapshot.ResponseStream.Current.Chunk.ResumeToken];
        Assert.All(_realTokens, t => Assert.False(string.IsNullOrEmpty(t)));
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ThousandsOfMalformedRequests_GetOnlyClearErrors_TheHubKeepsServing_AndNothingChanges()
    {
        var before = await StateAsync();
        var started = DateTime.UtcNow;

        await ReplayedRequestIdsAsync();

        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Cases).Select(i => Generate(random, i)).ToList();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (fuzz, _) => await RunAsync(fuzz));

        output.WriteLine($"{cases.Count + 3} requests in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        foreach (var (outcome, count) in _outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"{count,6}  {outcome}");
        }

        Assert.True(_problems.IsEmpty, $"{_problems.Count} unclear answers, e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, _problems.Take(20))}");

        // Metadata over Kestrel's 32 KiB limit on request headers: the transport refuses it
        // before the hub sees the call, and may close that client's connection; on a channel of
        // its own, so the refusal is all this shows.
        using (var separate = GrpcChannel.ForAddress(Hub.Address))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => new RegistryService.RegistryServiceClient(separate).GetRegionAsync(
                new GetRegionRequest { RegionCode = Zhifu }, new Metadata { { "authorization", "Bearer " + new string('x', 40_000) } }, Calls.Deadline()).ResponseAsync);
            output.WriteLine($"40 KB of metadata: {refused.StatusCode} (transport)");
        }

        // Still serving: health, a read of data, a page of the feed.
        var health = await new Health.HealthClient(Hub.RawChannel).CheckAsync(new HealthCheckRequest(), deadline: Calls.Deadline());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        var province = Auth(TestPeers.TokenFor(TestPeers.Province));
        var person = _truth.Persons.Values.First(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal));
        var read = await new PopulationService.PopulationServiceClient(Hub.RawChannel)
            .GetPersonAsync(new GetPersonRequest { PersonId = person.Meta.Id }, province, Calls.Deadline());
        Assert.Equal(person.Meta.Id, read.Person.Meta.Id);
        var page = await new ExchangeService.ExchangeServiceClient(Hub.RawChannel).PullChangesAsync(new PullChangesRequest { PageSize = 5 }, province, Calls.Deadline());
        Assert.Equal(5, page.Changes.Count);

        // Nothing changed.
        Assert.Equal(before, await StateAsync());
        Assert.True(Hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, Hub.ErrorLog.Errors.Take(5)));
    }

    private static Metadata Auth(string token) => new() { { "authorization", "Bearer " + token } };

    /// <summary>What must not change: the feed head, each entity type's digest of the province, the sources' checkpoints.</summary>
    private async Task<string> StateAsync()
    {
        var province = Auth(TestPeers.TokenFor(TestPeers.Province));
        var exchange = new ExchangeService.ExchangeServiceClient(Hub.RawChannel);
        var state = new StringBuilder();
        state.AppendLine((await exchange.PullChangesAsync(new PullChangesRequest { Scope = FeedCalls.Nowhere, PageSize = 1 }, province, Calls.Deadline())).NextCursor);
        foreach (var type in System.Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified))
        {
            var digest = await exchange.GetDigestAsync(
                new GetDigestRequest { RegionCode = "370000000000", EntityType = type, Depth = RegionLevel.County }, province, Calls.Deadline());
            state.AppendLine($"{type} {digest.Root?.Hash} {digest.Root?.RecordCount}");
        }

        foreach (var source in new[] { ZhifuSource, FushanSource, "county-370612" })
        {
            var checkpoint = await exchange.GetSourceCheckpointAsync(
                new GetSourceCheckpointRequest { SourceSystem = source }, Auth(TestPeers.TokenFor(source)), Calls.Deadline());
            state.AppendLine($"{source} {checkpoint.SourceCheckpoint} {checkpoint.CommittedAt}");
        }

        return state.ToString();
    }

    /// <summary>
    /// A batch whose every change is rejected, sent twice (the same answer) and then with other
    /// content under the same request id (REQUEST_ID_REUSED, or rejected again): run in order,
    /// before the rest.
    /// </summary>
    private async Task ReplayedRequestIdsAsync()
    {
        var random = new Random(Seed + 1);
        var requestId = Guid.NewGuid().ToString();
        var batch = new SubmitChangesRequest { RequestId = requestId, SourceSystem = ZhifuSource, Changes = { BadChange(random), BadChange(random) } };
        var other = batch.Clone();
        other.Changes.Add(BadChange(random));
        foreach (var request in new[] { batch, batch, other })
        {
            await RunAsync(new FuzzCase("SubmitChangesRequest (replayed request_id)", () => SubmitAsync(request, Auth(TestPeers.TokenFor(ZhifuSource)), Calls.Deadline())));
        }
    }

    private async Task RunAsync(FuzzCase fuzz)
    {
        string outcome;
        try
        {
            outcome = await fuzz.Run();
        }
        catch (RpcException e)
        {
            outcome = Classify(fuzz, e);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            _problems.Enqueue($"{fuzz.Name}: {e.GetType().Name}: {e.Message}");
            outcome = "exception";
        }

        _outcomes.AddOrUpdate($"{fuzz.Name.Split(' ')[0]} → {outcome}", 1, (_, n) => n + 1);
    }

    private string Classify(FuzzCase fuzz, RpcException e)
    {
        if (e.StatusCode is StatusCode.Unknown or StatusCode.Internal or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unavailable)
        {
            _problems.Enqueue($"{fuzz.Name}: {e.StatusCode} {e.Status.Detail}");
            return e.StatusCode.ToString();
        }

        var status = e.GetRpcStatus();
        if (status is null)
        {
            // The transport refuses a body over MaxReceiveMessageSize before the hub sees it.
            if (e.StatusCode == StatusCode.ResourceExhausted && e.Status.Detail.Contains("exceeds the maximum configured message size", StringComparison.Ordinal))
            {
                return "RESOURCE_EXHAUSTED (transport: over 8 MiB)";
            }

            _problems.Enqueue($"{fuzz.Name}: {e.StatusCode} without google.rpc.Status: {e.Status.Detail}");
            return $"{e.StatusCode} bare";
        }

        var info = status.GetDetail<ErrorInfo>();
        if (info is null || string.IsNullOrEmpty(info.Reason) || info.Domain != "gridexchange.v1" || string.IsNullOrWhiteSpace(status.Message))
        {
            _problems.Enqueue($"{fuzz.Name}: {e.StatusCode} without an ErrorInfo reason: {status}");
            return $"{e.StatusCode} no reason";
        }

        return $"{e.StatusCode} {info.Reason}";
    }

    private async Task<string> SubmitAsync(SubmitChangesRequest request, Metadata headers, DateTime? deadline)
    {
        var response = await new ExchangeService.ExchangeServiceClient(Hub.RawChannel).SubmitChangesAsync(
            request, headers, deadline, deadline is null ? new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token : default);
        if (response.AppliedCount != 0 || response.Results.Any(r => r.Status == ChangeResultStatus.Applied || (r.Status == ChangeResultStatus.Rejected && r.Reason == ErrorReason.Unspecified)))
        {
            _problems.Enqueue($"SubmitChanges applied or rejected without reason: {response}");
        }

        return "OK, every change " + string.Join("/", response.Results.Select(r => r.Status).Distinct().Order());
    }

    private static async Task<string> ReadStreamAsync<T>(AsyncServerStreamingCall<T> call)
    {
        using (call)
        {
            // One message proves the stream was served; the rest is not this test's business.
            return await call.ResponseStream.MoveNext(CancellationToken.None) ? "OK (stream)" : "OK (empty stream)";
        }
    }

    private sealed record FuzzCase(string Name, Func<Task<string>> Run);

    // ---- generation -------------------------------------------------------------------------

    private FuzzCase Generate(Random r, int index)
    {
        var roll = r.Next(100);
        return roll switch
        {
            < 22 => SubmitCase(r, index),
            < 28 => RawCase(r),
            < 36 => PullCase(r),
            < 40 => SubscribeCase(r),
            < 44 => SnapshotCase(r),
            < 49 => DigestCase(r),
            < 52 => CheckpointCase(r),
            < 62 => RegistryCase(r),
            < 80 => PopulationCase(r),
            < 90 => CaseServiceCase(r),
            _ => UnservedCase(r),
        };
    }

    /// <summary>Mostly the right token for the call; sometimes none, garbage, revoked, another peer's or an unknown one.</summary>
    private Metadata Headers(Random r, string peer)
    {
        var token = TestPeers.TokenFor(peer);
        return r.Next(100) switch
        {
            < 84 => Auth(token),
            84 => new Metadata(),
            85 => new Metadata { { "authorization", "Bearer " } },
            86 => new Metadata { { "authorization", "Bearer " + AsciiJunk(r) } },
            87 => new Metadata { { "authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x:" + token)) } },
            88 => Auth(_revokedToken),
            89 => Auth(BearerTokens.NewToken()),
            90 => Auth(token[..^1] + (token[^1] == 'A' ? 'B' : 'A')),
            91 => new Metadata { { "authorization", "bearer " + token } },
            92 => Auth(TestPeers.TokenFor("hub-admin")),
            93 => Auth(TestPeers.TokenFor(FushanSource)),
            94 => new Metadata { { "authorization", "Bearer " + token + token } },
            95 => new Metadata { { "authorization", new string('B', 10_000) } },
            _ => Auth(token),
        };
    }

    /// <summary>A deadline, except now and then none (DEADLINE_REQUIRED on this hub).</summary>
    private static DateTime? Deadline(Random r) => r.Next(40) == 0 ? null : Calls.Deadline();

    private static CallOptions Options(Metadata headers, DateTime? deadline) =>
        new(headers, deadline, deadline is null ? new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token : default);

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    /// <summary>Printable ASCII (what an HTTP client sends in a header), up to 2,000 characters.</summary>
    private static string AsciiJunk(Random r) =>
        new(Enumerable.Range(0, r.Next(0, r.Next(2) == 0 ? 40 : 2_000)).Select(_ => (char)r.Next(32, 127)).ToArray());

    private static string Junk(Random r) => r.Next(16) switch
    {
        0 => "",
        1 => new string(Enumerable.Range(0, r.Next(1, 40)).Select(_ => (char)r.Next(32, 127)).ToArray()),
        2 => new string(Enumerable.Range(0, r.Next(1, 20)).Select(_ => (char)('0' + r.Next(10))).ToArray()),
        3 => Zhifu[..^1] + (char)('0' + r.Next(10)) + "0",
        4 => new string('9', r.Next(1_000, 100_000)),
        5 => "370602\u0000000000",
        6 => "\n370602000000",
        7 => "张三李四",
        8 => "😀\u202E\u200B",
        9 => "\uD800abc",
        10 => " 370602000000 ",
        11 => "37%",
        12 => "'; DROP TABLE change_log; --",
        13 => "../../etc/passwd",
        14 => "\uFFFD\uFFFE",
        _ => Convert.ToBase64String(RandomBytes(r, r.Next(1, 64))),
    };

    private static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static int PageSize(Random r) => Pick(r, [-1, -1000, int.MinValue, 0, 1, 7, 1000, 1001, int.MaxValue, r.Next(), -r.Next()]);

    private static T Enum<T>(Random r)
        where T : struct, System.Enum =>
        r.Next(3) == 0 ? (T)(object)r.Next(-5, 200) : Pick(r, System.Enum.GetValues<T>());

    /// <summary>A damaged token or cursor: garbage, a real one with a character changed or cut, or a real one of another kind.</summary>
    private string Token(Random r)
    {
        var real = Pick(r, _realTokens);
        return r.Next(6) switch
        {
            0 => Junk(r) is { Length: > 0 } junk ? junk : "x",
            1 => Flip(r, real),
            2 => real[..r.Next(1, real.Length)],
            3 => real + Junk(r) + "A",
            4 => new string('A', r.Next(1, 5_000)),
            _ => real,
        };
    }

    private static string Flip(Random r, string value)
    {
        var chars = value.ToCharArray();
        var at = r.Next(chars.Length);
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private static string Code(Random r) => r.Next(5) switch
    {
        0 => Zhifu,
        1 => "370611000000",
        2 => "110000000000",
        _ => Junk(r),
    };

    private ChangeScope Scope(Random r)
    {
        var scope = new ChangeScope();
        var prefixes = r.Next(12) == 0 ? r.Next(101, 3_000) : r.Next(0, 4);
        for (var i = 0; i < prefixes; i++)
        {
            scope.RegionPrefixes.Add(Code(r));
        }

        for (var i = r.Next(0, 3); i > 0; i--)
        {
            scope.EntityTypes.Add(Enum<EntityType>(r));
        }

        return scope;
    }

    private FuzzCase PullCase(Random r)
    {
        var request = new PullChangesRequest { Cursor = r.Next(4) == 0 ? "" : Token(r), Scope = r.Next(3) == 0 ? null : Scope(r), PageSize = PageSize(r) };
        var peer = Pick(r, [TestPeers.Province, ZhifuSource]);
        var (headers, deadline) = (Headers(r, peer), Deadline(r));
        return Unary(request, () => new ExchangeService.ExchangeServiceClient(Hub.RawChannel).PullChangesAsync(request, Options(headers, deadline)).ResponseAsync);
    }

    private FuzzCase SubscribeCase(Random r)
    {
        // Always broken (a damaged, non-empty cursor), so no subscription stays open; the other
        // fields are random too.
        var request = new SubscribeChangesRequest { Cursor = Flip(r, Pick(r, _realTokens)), Scope = r.Next(2) == 0 ? null : Scope(r) };
        if (r.Next(3) == 0)
        {
            request.HeartbeatInterval = new Duration { Seconds = r.Next(-10, 1_000), Nanos = r.Next(-5, 2) * 999_999_999 };
        }

        var headers = Headers(r, Pick(r, [TestPeers.Province, ZhifuSource]));
        return new FuzzCase(Describe(request), () =>
            ReadStreamAsync(new ExchangeService.ExchangeServiceClient(Hub.RawChannel).SubscribeChanges(request, headers, DateTime.UtcNow.AddSeconds(20))));
    }

    private FuzzCase SnapshotCase(Random r)
    {
        var request = new ExportSnapshotRequest { Scope = r.Next(4) == 0 ? null : Scope(r), ResumeToken = r.Next(4) == 0 ? "" : Token(r) };
        var (headers, deadline) = (Headers(r, Pick(r, [TestPeers.Province, ZhifuSource])), Deadline(r));
        return new FuzzCase(Describe(request), () =>
            ReadStreamAsync(new ExchangeService.ExchangeServiceClient(Hub.RawChannel).ExportSnapshot(request, Options(headers, deadline))));
    }

    private FuzzCase DigestCase(Random r)
    {
        var request = new GetDigestRequest
        {
            RegionCode = Code(r), EntityType = Enum<EntityType>(r), Cursor = r.Next(3) == 0 ? "" : Token(r), Depth = Enum<RegionLevel>(r),
        };
        var (headers, deadline) = (Headers(r, Pick(r, [TestPeers.Province, ZhifuSource])), Deadline(r));
        return Unary(request, () => new ExchangeService.ExchangeServiceClient(Hub.RawChannel).GetDigestAsync(request, Options(headers, deadline)).ResponseAsync);
    }

    private FuzzCase CheckpointCase(Random r)
    {
        var request = new GetSourceCheckpointRequest { SourceSystem = r.Next(4) == 0 ? FushanSource : Junk(r) };
        var (headers, deadline) = (Headers(r, ZhifuSource), Deadline(r));
        return Unary(request, () => new ExchangeService.ExchangeServiceClient(Hub.RawChannel).GetSourceCheckpointAsync(request, Options(headers, deadline)).ResponseAsync);
    }

    private FuzzCase RegistryCase(Random r)
    {
        var client = new RegistryService.RegistryServiceClient(Hub.RawChannel);
        var options = Options(Headers(r, Pick(r, [TestPeers.Province, ZhifuSource])), Deadline(r));
        switch (r.Next(5))
        {
            case 0:
                var region = new GetRegionRequest { RegionCode = Code(r) };
                return Unary(region, () => client.GetRegionAsync(region, options).ResponseAsync);
            case 1:
                var grid = new GetGridRequest { GridCode = r.Next(2) == 0 ? Code(r) + "001" : Junk(r) };
                return Unary(grid, () => client.GetGridAsync(grid, options).ResponseAsync);
            case 2:
                var regions = new ListRegionsRequest { ParentCode = r.Next(3) == 0 ? "" : Code(r), PageSize = PageSize(r), PageToken = Token(r) };
                return Unary(regions, () => client.ListRegionsAsync(regions, options).ResponseAsync);
            case 3:
                var grids = new ListGridsRequest { AncestorCode = Code(r), PageSize = PageSize(r), PageToken = Token(r) };
                return Unary(grids, () => client.ListGridsAsync(grids, options).ResponseAsync);
            default:
                var workers = new ListGridWorkersRequest { AncestorCode = Code(r), PageSize = PageSize(r), PageToken = Token(r) };
                return Unary(workers, () => client.ListGridWorkersAsync(workers, options).ResponseAsync);
        }
    }

    private FuzzCase PopulationCase(Random r)
    {
        var client = new PopulationService.PopulationServiceClient(Hub.RawChannel);
        var options = Options(Headers(r, Pick(r, [TestPeers.Province, ZhifuSource])), Deadline(r));
        switch (r.Next(6))
        {
            case 0:
                var person = new GetPersonRequest { PersonId = Junk(r) };
                return Unary(person, () => client.GetPersonAsync(person, options).ResponseAsync);
            case 1:
                var persons = new ListPersonsRequest { AncestorCode = Code(r), PageSize = PageSize(r), PageToken = r.Next(3) == 0 ? "" : Token(r) };
                for (var i = r.Next(0, 3); i > 0; i--)
                {
                    persons.TagKinds.Add(Enum<PersonTagKind>(r));
                }

                if (r.Next(3) == 0)
                {
                    persons.CitizenId = WrongCitizenId(r);
                }

                return Unary(persons, () => client.ListPersonsAsync(persons, options).ResponseAsync);
            case 2:
                var house = new GetHouseRequest { HouseId = Junk(r) };
                return Unary(house, () => client.GetHouseAsync(house, options).ResponseAsync);
            case 3:
                var houses = new ListHousesRequest { AncestorCode = Code(r), RentalOnly = r.Next(2) == 0, PageSize = PageSize(r), PageToken = Token(r) };
                for (var i = r.Next(0, 3); i > 0; i--)
                {
                    houses.Hazards.Add(Enum<HazardType>(r));
                }

                return Unary(houses, () => client.ListHousesAsync(houses, options).ResponseAsync);
            case 4:
                var household = new GetHouseholdRequest { HouseholdId = Junk(r) };
                return Unary(household, () => client.GetHouseholdAsync(household, options).ResponseAsync);
            default:
                var households = new ListHouseholdsRequest { AncestorCode = Code(r), PageSize = PageSize(r), PageToken = Token(r) };
                return Unary(households, () => client.ListHouseholdsAsync(households, options).ResponseAsync);
        }
    }

    private FuzzCase CaseServiceCase(Random r)
    {
        var client = new CaseService.CaseServiceClient(Hub.RawChannel);
        var options = Options(Headers(r, Pick(r, [TestPeers.Province, ZhifuSource])), Deadline(r));
        switch (r.Next(4))
        {
            case 0:
                var one = new GetCaseRequest { CaseId = Junk(r) };
                return Unary(one, () => client.GetCaseAsync(one, options).ResponseAsync);
            case 1:
                var cases = new ListCasesRequest { AncestorCode = Code(r), OverdueOnly = r.Next(2) == 0, PageSize = PageSize(r), PageToken = Token(r) };
                cases.States.Add(Enum<CaseState>(r));
                cases.WarningColors.Add(Enum<WarningColor>(r));
                cases.Kinds.Add(Enum<CaseKind>(r));
                return Unary(cases, () => client.ListCasesAsync(cases, options).ResponseAsync);
            case 2:
                var request = new GetServiceRequestRequest { ServiceRequestId = Junk(r) };
                return Unary(request, () => client.GetServiceRequestAsync(request, options).ResponseAsync);
            default:
                var requests = new ListServiceRequestsRequest { AncestorCode = Code(r), GridWorkerNumber = Junk(r), PageSize = PageSize(r), PageToken = Token(r) };
                requests.States.Add(Enum<ServiceRequestState>(r));
                return Unary(requests, () => client.ListServiceRequestsAsync(requests, options).ResponseAsync);
        }
    }

    /// <summary>RPCs of the contract this release does not serve yet, with invalid requests (so they stay invalid once served).</summary>
    private FuzzCase UnservedCase(Random r)
    {
        var deadline = Deadline(r);
        switch (r.Next(4))
        {
            case 0:
                var peers = new ListPeersRequest { Role = Enum<PeerRole>(r), PageSize = PageSize(r), PageToken = Token(r) };
                var admin = Options(Headers(r, "hub-admin"), deadline);
                return Unary(peers, () => new AdminService.AdminServiceClient(Hub.RawChannel).ListPeersAsync(peers, admin).ResponseAsync);
            case 1:
                var report = new ReportCaseRequest { RequestId = Junk(r), ActorId = Junk(r) };
                var source = Options(Headers(r, ZhifuSource), deadline);
                return Unary(report, () => new CaseService.CaseServiceClient(Hub.RawChannel).ReportCaseAsync(report, source).ResponseAsync);
            case 2:
                var directive = new IssueDirectiveRequest { RequestId = "" };
                var issuer = Options(Headers(r, TestPeers.Province), deadline);
                return Unary(directive, () => new DirectiveService.DirectiveServiceClient(Hub.RawChannel).IssueDirectiveAsync(directive, issuer).ResponseAsync);
            default:
                var stats = new GetRegionStatsRequest { RegionCode = Code(r) };
                var consumer = Options(Headers(r, TestPeers.Province), deadline);
                return Unary(stats, () => new StatsService.StatsServiceClient(Hub.RawChannel).GetRegionStatsAsync(stats, consumer).ResponseAsync);
        }
    }

    private static FuzzCase Unary<T>(IMessage request, Func<Task<T>> call) => new(Describe(request), async () =>
    {
        await call();
        return "OK";
    });

    /// <summary>The request's type and a readable prefix of its content, for the statistics and failure messages.</summary>
    private static string Describe(IMessage request)
    {
        string text;
        try
        {
            text = request.ToString() ?? "";
        }
        catch (ArgumentException)
        {
            // JSON cannot show a string with an unpaired surrogate.
            text = "(with an unpaired surrogate)";
        }

        return $"{request.Descriptor.Name} {text[..Math.Min(text.Length, 300)]}";
    }

    /// <summary>Bodies that are not a well-formed request message, sent with a byte-level marshaller.</summary>
    private FuzzCase RawCase(Random r)
    {
        var method = Pick(r, UnaryMethods);
        var parts = method.Split('/');
        var rpc = new Method<byte[], byte[]>(MethodType.Unary, parts[1], parts[2], Raw, Raw);
        var peer = method.Contains("Admin", StringComparison.Ordinal) ? "hub-admin"
            : method.Contains("SubmitChanges", StringComparison.Ordinal) || method.Contains("Checkpoint", StringComparison.Ordinal) || method.Contains("Report", StringComparison.Ordinal)
                ? ZhifuSource : TestPeers.Province;
        var (kind, body) = r.Next(7) switch
        {
            0 => ("garbage", RandomBytes(r, r.Next(1, 200))),
            1 => ("truncated", new byte[] { 0x0a, 0x20, 0x41, 0x42 }),
            2 => ("invalid UTF-8", InvalidUtf8(r)),
            3 => ("varint overflow", new byte[] { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }),
            4 => ("nested groups", [.. Enumerable.Repeat((byte)0x7b, 150), .. Enumerable.Repeat((byte)0x7c, 150)]),
            5 => r.Next(8) == 0 ? ("over 8 MiB", new byte[(8 * 1024 * 1024) + 16]) : ("wrong wire type", new byte[] { 0x0d, 1, 2, 3, 4, 0x15, 5, 6, 7, 8 }),
            _ => ("empty", Array.Empty<byte>()),
        };
        var options = Options(Headers(r, peer), Deadline(r));
        return new FuzzCase($"raw-bytes:{parts[2]} ({kind})", async () =>
        {
            await Hub.RawChannel.CreateCallInvoker().AsyncUnaryCall(rpc, null, options, body);
            return "OK";
        });
    }

    /// <summary>A valid request whose string bytes are replaced, length kept, by bytes that are not UTF-8.</summary>
    private static byte[] InvalidUtf8(Random r)
    {
        var marker = new string('Q', 12);
        var bytes = new SubmitChangesRequest { RequestId = marker, SourceSystem = ZhifuSource }.ToByteArray();
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker));
        byte[][] broken = [[0xc3, 0x28], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]];
        var bad = Pick(r, broken);
        bad.CopyTo(bytes, at + r.Next(0, marker.Length - bad.Length));
        return bytes;
    }

    // ---- SubmitChanges: invalid by construction ----------------------------------------------

    private FuzzCase SubmitCase(Random r, int index)
    {
        var request = new SubmitChangesRequest { RequestId = Guid.NewGuid().ToString(), SourceSystem = ZhifuSource };
        var defect = r.Next(14);
        switch (defect)
        {
            case 0: request.RequestId = ""; break;
            case 1: request.RequestId = new string('r', r.Next(65, 5_000)); break;
            case 2: request.RequestId = "id\u0000" + index; break;
            case 3: request.SourceSystem = FushanSource; break;
            case 4: request.SourceSystem = Junk(r); break;
            case 5: request.SourceCheckpoint = new string('c', r.Next(1_025, 20_000)); break;
            case 6: request.SourceCheckpoint = "cp\u0007" + index; break;
            case 7: break;
            case 8:
                for (var i = 0; i < 1_001; i++)
                {
                    request.Changes.Add(new Change { EntityType = EntityType.Person, EntityKey = "k" + i });
                }

                break;
            case 9:
                var huge = BadChange(r);
                huge.Person ??= new Person();
                huge.Person.Name = new string('名', 1_600_000);
                request.Changes.Add(huge);
                break;
            default:
                // Request-level valid: every change carries a defect of its own.
                for (var i = r.Next(1, 6); i > 0; i--)
                {
                    request.Changes.Add(BadChange(r));
                }

                break;
        }

        if (defect < 7 && request.Changes.Count == 0)
        {
            request.Changes.Add(BadChange(r));
        }

        var (headers, deadline) = (Headers(r, ZhifuSource), Deadline(r));
        return new FuzzCase($"SubmitChangesRequest defect {defect}: {Describe(request)}", () => SubmitAsync(request, headers, deadline));
    }

    private static string WrongCitizenId(Random r)
    {
        var first17 = "37060219800101" + r.Next(100, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var right = Domain.Codes.CitizenId.ComputeCheckCharacter(first17);
        var wrong = "0123456789X".Where(c => c != right).ElementAt(r.Next(10));
        return r.Next(4) == 0 ? first17 + right.ToString().ToLowerInvariant() + "1" : first17 + wrong;
    }

    /// <summary>A change of a county-370602 record at a new version, with at least one defect the validator must reject.</summary>
    private Change BadChange(Random r)
    {
        var persons = _truth.Persons.Values.Where(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal) && p.CitizenId.Length == 18).Take(200).ToList();
        var person = Pick(r, persons).Clone();
        var change = FeedCalls.Upsert(person, person.Meta.Version + 1 + r.Next(5), $"fuzz-{Guid.NewGuid():N}");
        switch (r.Next(20))
        {
            case 0: change.Person.CitizenId = WrongCitizenId(r); break;
            case 1: change.Person.CitizenId = change.Person.CitizenId[..17]; break;
            case 2: change.Person.Name = new string('张', r.Next(51, 3_000)); break;
            case 3: change.Person.Name = ""; break;
            case 4: change.EntityType = EntityType.House; break;
            case 5: change.House = _truth.Houses.Values.First().Clone(); break;
            case 6: change.ClearPayload(); break;
            case 7: change.EntityKey = Guid.NewGuid().ToString(); break;
            case 8: change.Person.GridCode = _truth.Grids.Keys.First(g => g.StartsWith("370611", StringComparison.Ordinal)); break;
            case 9: change.Person.GridCode = Junk(r) is { Length: > 0 } junk ? junk : "x"; break;
            case 10: change.Person.BirthDate = Pick(r, ["20991301", "19000230", "2020-01-01", "00000000", "99999999"]); break;
            case 11: change.Operation = r.Next(2) == 0 ? ChangeOperation.Unspecified : (ChangeOperation)r.Next(5, 500); break;
            case 12: change.EntityVersion = -r.Next(0, 1_000); break;
            case 13: change.SourceChangeId = r.Next(2) == 0 ? "" : new string('s', r.Next(65, 1_000)); break;
            case 14: change.Person.Name = "Li\u0000Wei"; break;
            case 15: change.Person.Contact = Pick(r, ["abc", "1380013800", "+86 138 0013 8000 x", "\u0000"]); break;
            case 16: change.EntityType = r.Next(2) == 0 ? EntityType.Unspecified : (EntityType)r.Next(50, 5_000); break;
            case 17:
                change.Operation = ChangeOperation.Delete;
                change.ClearPayload();
                change.TakeOver = true;
                break;
            case 18:
                change.EntityType = EntityType.Region;
                change.EntityKey = "110000000000";
                change.Region = new Region { Meta = new EntityMeta { Id = "110000000000", Version = change.EntityVersion }, Code = "110000000000", Name = "北京市" };
                break;
            default:
                change.EntityType = EntityType.Directive;
                break;
        }

        // Noise on top of the defect, valid or not.
        if (r.Next(4) == 0 && change.PayloadCase == Change.PayloadOneofCase.Person)
        {
            change.Person.Occupation = Junk(r);
        }

        return change;
    }
}

/// <summary>A hub with the limits off (every request reaches validation) and deadlines required.</summary>
public sealed class SqliteFuzzHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() =>
        HubInstance.StartAsync(NewSqlitePath("gridx-fuzz-"), null, runHangfire: false, settings: FuzzSettings.Values);
}

/// <summary>As <see cref="SqliteFuzzHubFixture"/>, on PostgreSQL.</summary>
public sealed class PostgresFuzzHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() =>
        await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("fuzz"), runHangfire: false, settings: FuzzSettings.Values);
}

/// <summary>The fuzz hubs' settings.</summary>
internal static class FuzzSettings
{
    public static readonly Dictionary<string, string?> Values = new()
    {
        ["GridExchange:RateLimitPerSecond"] = "0",
        ["GridExchange:MaxStreamsPerPeer"] = "0",
        ["GridExchange:RequireDeadlines"] = "true",
    };
}

/// <summary>The fuzz on the embedded store.</summary>
public sealed class MalformedRequestFuzzOnSqliteTests(SqliteFuzzHubFixture fixture, ITestOutputHelper output)
    : MalformedRequestFuzzTests(fixture, output), IClassFixture<SqliteFuzzHubFixture>;

/// <summary>The fuzz on PostgreSQL.</summary>
public sealed class MalformedRequestFuzzOnPostgresTests(PostgresFuzzHubFixture fixture, ITestOutputHelper output)
    : MalformedRequestFuzzTests(fixture, output), IClassFixture<PostgresFuzzHubFixture>;
