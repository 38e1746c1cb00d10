using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GridExchange.Hub.Security;
using GridExchange.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// The Hangfire dashboard on its own loopback HTTP/1.1 port: only the operator's (an ADMIN
/// peer's) token opens it, as a Bearer header or as the password of HTTP Basic; everyone else
/// gets 401 with a Basic challenge. Nothing else is served there, and the gRPC port does not
/// serve the dashboard.
/// </summary>
[Collection(LimitsHubCollection.Name)]
public sealed class DashboardTests(LimitsHubFixture fixture) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private Uri Dashboard => new($"http://127.0.0.1:{fixture.Hub.Services.GetRequiredService<HubDashboard>().Port}/hangfire");

    private string AdminToken => File.ReadAllText(Path.Combine(fixture.Hub.SecretsDirectory, "admin.token")).Trim();

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> GetAsync(Uri uri, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = authorization;
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task WithoutCredentials_Is401_WithABasicChallenge()
    {
        using var response = await GetAsync(Dashboard, null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Basic", challenge.Scheme);
        Assert.Contains("realm=\"GridExchange\"", challenge.Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APeerTokenWithoutTheAdminRole_OrAGarbageCredential_Is401()
    {
        var consumer = TestPeers.TokenFor(TestPeers.Province);
        foreach (var authorization in new[]
                 {
                     new AuthenticationHeaderValue("Bearer", consumer),
                     Basic("operator", consumer),
                     Basic("operator", "gx1_" + new string('A', 43)),
                     Basic("", ""),
                     new AuthenticationHeaderValue("Basic", "not base64 !!"),
                     new AuthenticationHeaderValue("Basic", Convert.ToBase64String("no-colon"u8.ToArray())),
                     new AuthenticationHeaderValue("Bearer", "garbage"),
                     new AuthenticationHeaderValue("Digest", "username=\"x\""),
                 })
        {
            using var response = await GetAsync(Dashboard, authorization);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{authorization}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task TheOperatorsToken_OpensTheDashboard_AsBearerOrAsTheBasicPassword()
    {
        using (var bearer = await GetAsync(Dashboard, new AuthenticationHeaderValue("Bearer", AdminToken)))
        {
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
            Assert.Contains("Hangfire", await bearer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var basic = await GetAsync(Dashboard, Basic("operator", AdminToken)))
        {
            Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
            Assert.Equal("text/html", basic.Content.Headers.ContentType?.MediaType);
        }

        using var page = await GetAsync(new Uri(Dashboard + "/jobs/succeeded"), Basic("any-user", AdminToken));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var refused = await GetAsync(new Uri(Dashboard + "/jobs/succeeded"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task TheDashboardPort_ServesNothingElse_AndTheGrpcPort_DoesNotServeTheDashboard()
    {
        var root = new Uri(Dashboard, "/");
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var noRedirects = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using (var redirect = await noRedirects.GetAsync(root))
        {
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal("/hangfire", redirect.Headers.Location?.OriginalString);
        }

        using (var other = await GetAsync(new Uri(Dashboard, "/gridexchange.v1.RegistryService/GetRegion"), Basic("operator", AdminToken)))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // HTTP/2 without TLS (prior knowledge), as gRPC clients reach the hub.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Hub.Address, "/hangfire"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var onGrpcPort = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, onGrpcPort.StatusCode);
    }
}
