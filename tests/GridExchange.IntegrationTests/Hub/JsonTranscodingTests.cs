using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// The sample hub with deadlines required, as a production hub runs: the HTTP/JSON routes
/// cannot carry a deadline and must still answer.
/// </summary>
public sealed class JsonTranscodingHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() =>
        HubInstance.StartAsync(NewSqlitePath("gridx-json-"), null, settings: new Dictionary<string, string?>
        {
            ["GridExchange:RequireDeadlines"] = "true",
        });
}

/// <summary>
/// The read and pull RPCs over their HTTP/JSON routes (JSON transcoding, the
/// <c>google.api.http</c> annotations in protos/), with a plain <see cref="HttpClient"/> over a
/// real socket (cleartext HTTP/2, as the loopback hub serves): the answers equal the gRPC
/// answers, the bearer token goes through the same authentication, and errors come back as a
/// JSON <c>google.rpc.Status</c> whose ErrorInfo names the reason.
/// </summary>
public sealed class JsonTranscodingTests(JsonTranscodingHubFixture fixture) : IClassFixture<JsonTranscodingHubFixture>, IDisposable
{
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";
    private const string FushanConsumer = "county-370611";

    // Success responses have no Any; errors carry google.rpc details.
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromFiles(ErrorDetailsReflection.Descriptor)));

    private readonly HttpClient _http = new(new SocketsHttpHandler())
    {
        BaseAddress = fixture.Hub.Address,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private RegistryService.RegistryServiceClient Registry => new(fixture.Hub.Channel);

    private ExchangeService.ExchangeServiceClient Exchange => new(fixture.Hub.Channel);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task GetRegion_OverJson_EqualsTheGrpcAnswer()
    {
        var json = await GetAsync<GetRegionResponse>($"/v1/regions/{Zhifu}");
        var grpc = await Registry.GetRegionAsync(new GetRegionRequest { RegionCode = Zhifu }, deadline: Calls.Deadline());
        Assert.Equal(grpc, json);
        Assert.Equal(Zhifu, json.Region.Code);
    }

    [Fact]
    public async Task ListRegions_OverJsonPagedByTwo_WalksTheChildrenTheGrpcListGives()
    {
        var expected = (await Registry.ListRegionsAsync(new ListRegionsRequest { ParentCode = Zhifu, PageSize = 1000 }, deadline: Calls.Deadline()))
            .Regions.Select(r => r.Code).ToList();
        Assert.True(expected.Count > 2, "Zhifu has more than two townships in the sample");

        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await GetAsync<ListRegionsResponse>(
                $"/v1/regions?parent_code={Zhifu}&page_size=2&page_token={Uri.EscapeDataString(token)}");
            Assert.InRange(page.Regions.Count, 0, 2);
            seen.AddRange(page.Regions.Select(r => r.Code));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(expected, seen);
        Assert.True(pages > 1);

        // The query parameters' JSON names (lowerCamelCase) are accepted as well.
        var camel = await GetAsync<ListRegionsResponse>($"/v1/regions?parentCode={Zhifu}&pageSize=2");
        Assert.Equal(expected.Take(2), camel.Regions.Select(r => r.Code));
    }

    [Fact]
    public async Task GetPerson_OverJson_EqualsTheGrpcAnswer()
    {
        var population = new PopulationService.PopulationServiceClient(fixture.Hub.Channel);
        var first = (await population.ListPersonsAsync(new ListPersonsRequest { AncestorCode = Zhifu, PageSize = 1 }, deadline: Calls.Deadline())).Persons.Single();
        var grpc = await population.GetPersonAsync(new GetPersonRequest { PersonId = first.Meta.Id }, deadline: Calls.Deadline());
        var json = await GetAsync<GetPersonResponse>($"/v1/persons/{Uri.EscapeDataString(first.Meta.Id)}");
        Assert.Equal(grpc, json);
    }

    [Fact]
    public async Task PullChanges_OverJson_ReturnsTheSameChangesAsOverGrpc()
    {
        // Three pages of a county's feed from the start: GET with the scope in the query, and
        // the POST binding with the request as the JSON body, against PullChanges over gRPC.
        var cursor = "";
        var total = 0;
        for (var i = 0; i < 3; i++)
        {
            var grpc = await Exchange.PullChangesAsync(
                new PullChangesRequest { Cursor = cursor, Scope = new ChangeScope { RegionPrefixes = { Fushan } }, PageSize = 150 },
                deadline: Calls.Deadline());
            var get = await GetAsync<PullChangesResponse>(
                $"/v1/changes?cursor={Uri.EscapeDataString(cursor)}&scope.region_prefixes={Fushan}&page_size=150");
            var post = await SendAsync<PullChangesResponse>(HttpMethod.Post, "/v1/changes:pull", TestPeers.Province,
                $$"""{"cursor": "{{cursor}}", "scope": {"regionPrefixes": ["{{Fushan}}"]}, "pageSize": 150}""");

            Assert.Equal(150, grpc.Changes.Count);
            Assert.All(grpc.Changes, c => Assert.NotEqual(Change.PayloadOneofCase.None, c.PayloadCase));
            Assert.Equal(grpc, get);
            Assert.Equal(grpc, post);
            total += get.Changes.Count;
            cursor = grpc.NextCursor;
        }

        Assert.Equal(450, total);
    }

    [Fact]
    public async Task GetDigest_OverJson_EqualsTheGrpcAnswer()
    {
        var grpc = await Exchange.GetDigestAsync(
            new GetDigestRequest { RegionCode = Fushan, EntityType = EntityType.Person, Depth = RegionLevel.Township }, deadline: Calls.Deadline());
        var json = await GetAsync<GetDigestResponse>($"/v1/regions/{Fushan}/digest?entity_type=ENTITY_TYPE_PERSON&depth=REGION_LEVEL_TOWNSHIP");
        Assert.Equal(grpc, json);
    }

    [Fact]
    public async Task WithoutAToken_Is401WithTheReason()
    {
        var status = await ErrorAsync($"/v1/regions/{Zhifu}", peer: null, HttpStatusCode.Unauthorized, StatusCode.Unauthenticated);
        Assert.Equal(ErrorReasons.Unauthenticated, ReasonOf(status));
    }

    [Fact]
    public async Task AnUnknownToken_Is401WithTheReason()
    {
        using var request = Request(HttpMethod.Get, $"/v1/regions/{Zhifu}", peer: null, body: null);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "gx1_not-a-token-of-this-hub");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var status = await StatusOfAsync(response, StatusCode.Unauthenticated);
        Assert.Equal(ErrorReasons.Unauthenticated, ReasonOf(status));
    }

    [Fact]
    public async Task OutsideTheCallersJurisdiction_Is403WithTheReason()
    {
        var status = await ErrorAsync($"/v1/regions/{Zhifu}/stats", FushanConsumer, HttpStatusCode.Forbidden, StatusCode.PermissionDenied);
        Assert.Equal(ErrorReasons.OutOfJurisdiction, ReasonOf(status));

        // The same caller in its own county is answered.
        var own = await SendAsync<GetRegionStatsResponse>(HttpMethod.Get, $"/v1/regions/{Fushan}/stats", FushanConsumer);
        Assert.Equal(Fushan, own.Stats.RegionCode);
    }

    [Fact]
    public async Task BadInput_Is400WithTheReasonAndTheField()
    {
        var status = await ErrorAsync("/v1/gridWorkers?ancestor_code=37060", TestPeers.Province, HttpStatusCode.BadRequest, StatusCode.InvalidArgument);
        Assert.Equal(ErrorReasons.InvalidCode, ReasonOf(status));
        var violation = Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("ancestor_code", violation.Field);
        Assert.Equal(ErrorReasons.InvalidCode, violation.Reason);

        var unknown = await ErrorAsync("/v1/regions/370602099001", TestPeers.Province, HttpStatusCode.NotFound, StatusCode.NotFound);
        Assert.Equal(ErrorReasons.NotFound, ReasonOf(unknown));
    }

    [Fact]
    public async Task DeadlinesRequired_GrpcWithoutOneIsStillRefused_JsonIsAnswered()
    {
        // The rule stands for gRPC callers on this hub...
        await ErrorAssert.ThrowsAsync(
            () => Registry.GetRegionAsync(new GetRegionRequest { RegionCode = Zhifu }).ResponseAsync,
            StatusCode.InvalidArgument, ErrorReasons.DeadlineRequired);

        // ...while plain HTTP, which cannot send grpc-timeout, is answered.
        Assert.Equal(Zhifu, (await GetAsync<GetRegionResponse>($"/v1/regions/{Zhifu}")).Region.Code);
    }

    [Fact]
    public async Task Writes_HaveNoJsonRoute()
    {
        using var request = Request(HttpMethod.Post, "/v1/changes", TestPeers.Province, """{"requestId": "x"}""");
        using var response = await _http.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"POST /v1/changes answered {response.StatusCode}");
    }

    private Task<T> GetAsync<T>(string path)
        where T : IMessage<T>, new() =>
        SendAsync<T>(HttpMethod.Get, path, TestPeers.Province);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string peer, string? body = null)
        where T : IMessage<T>, new()
    {
        using var request = Request(method, path, peer, body);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return Parser.Parse<T>(text);
    }

    private async Task<Google.Rpc.Status> ErrorAsync(string path, string? peer, HttpStatusCode http, StatusCode code)
    {
        using var request = Request(HttpMethod.Get, path, peer, null);
        using var response = await _http.SendAsync(request);
        Assert.Equal(http, response.StatusCode);
        return await StatusOfAsync(response, code);
    }

    private static async Task<Google.Rpc.Status> StatusOfAsync(HttpResponseMessage response, StatusCode code)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = Parser.Parse<Google.Rpc.Status>(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)code, status.Code);
        Assert.False(string.IsNullOrWhiteSpace(status.Message));
        return status;
    }

    private static string ReasonOf(Google.Rpc.Status status)
    {
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(ErrorReasons.Domain, info.Domain);
        return info.Reason;
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? peer, string? body)
    {
        var request = new HttpRequestMessage(method, path)
        {
            // The loopback hub speaks cleartext HTTP/2 only (prior knowledge, as curl --http2-prior-knowledge).
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (peer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestPeers.TokenFor(peer));
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
