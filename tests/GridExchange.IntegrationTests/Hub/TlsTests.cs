using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Transport security on a real socket: reachable from the network (a non-loopback address) the
/// hub will not start without a certificate (unless told a TLS proxy stands in front); with one it serves HTTP/2
/// over TLS (and HTTP/1.1 for the HTTP/JSON routes), and a peer registered with a client-certificate fingerprint gets in only with
/// that certificate (and its token).
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private string _directory = "";

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gridx-tls-").FullName;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private static X509Certificate2 SelfSigned(string subject, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task OnANetworkAddress_WithoutACertificate_TheHubRefusesToStart()
    {
        var database = await PostgresServer.NewDatabaseAsync("notls");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => HubInstance.StartAsync(null, database, loadSample: false, runHangfire: false,
            settings: new Dictionary<string, string?> { ["GridExchange:ListenAddress"] = "0.0.0.0" }));
        Assert.Contains("TLS", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithACertificate_TheHubServesTls_AndAPinnedPeerNeedsItsClientCertificate()
    {
        using var server = SelfSigned("gridexchange-test-hub", server: true);
        var pfx = Path.Combine(_directory, "hub.pfx");
        await File.WriteAllBytesAsync(pfx, server.Export(X509ContentType.Pfx, "secret"));
        await using var hub = await HubInstance.StartAsync(Path.Combine(_directory, "hub.db"), null, loadSample: false, runHangfire: false,
            settings: new Dictionary<string, string?>
            {
                ["GridExchange:DevMode"] = "false",
                ["GridExchange:TlsCertificatePath"] = pfx,
                ["GridExchange:TlsCertificatePassword"] = "secret",
            });
        Assert.Equal("https", hub.Address.Scheme);

        using var pinned = SelfSigned("county-pinned", server: false);
        using var other = SelfSigned("someone-else", server: false);
        var store = hub.Services.GetRequiredService<IHubStore>();
        await store.UpsertPeerAsync(new Peer
        {
            Id = "county-pinned",
            Name = "county with a client certificate",
            Level = RegionLevel.County,
            RegionCode = "370602000000",
            Roles = { PeerRole.Consumer },
            Enabled = true,
            ClientCertificateSha256 = Convert.ToHexStringLower(SHA256.HashData(pinned.RawData)),
        }, CancellationToken.None);
        var token = BearerTokens.NewToken();
        await store.IssueCredentialAsync("county-pinned", BearerTokens.Hash(token), revokeOthers: false, CancellationToken.None);
        var headers = new Metadata { { "authorization", "Bearer " + token } };

        async Task<PullChangesResponse> PullAsync(X509Certificate2? client)
        {
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    // The test trusts exactly the hub's self-signed certificate.
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == server.GetCertHashString(),
                    ClientCertificates = client is null ? null : [client],
                },
            };
            using var channel = GrpcChannel.ForAddress(hub.Address, new GrpcChannelOptions { HttpHandler = handler });
            return await new ExchangeService.ExchangeServiceClient(channel).PullChangesAsync(new PullChangesRequest { PageSize = 1 }, headers, Calls.Deadline());
        }

        var page = await PullAsync(pinned);
        Assert.True(page.CaughtUp);
        await ErrorAssert.ThrowsAsync(() => PullAsync(other), StatusCode.Unauthenticated, "UNAUTHENTICATED");
        await ErrorAssert.ThrowsAsync(() => PullAsync(null), StatusCode.Unauthenticated, "UNAUTHENTICATED");

        // The HTTP/JSON routes take HTTP/1.1 over TLS (ALPN), under the same token and pin.
        async Task<HttpStatusCode> GetOverHttp11Async(X509Certificate2? client)
        {
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == server.GetCertHashString(),
                    ClientCertificates = client is null ? null : [client],
                },
            };
            using var http = new HttpClient(handler);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(hub.Address, "/v1/changes?page_size=1"))
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpVersion.Version11, response.Version);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GetOverHttp11Async(pinned));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetOverHttp11Async(null));

        // A cleartext client cannot talk to the TLS listener at all: the connection is closed
        // (UNAVAILABLE), or, since the listener also speaks HTTP/1.1, Kestrel may first answer
        // the non-TLS bytes with a plain-text 400, which the HTTP/2 client reads as a broken
        // frame (INTERNAL). Either way nothing is served.
        using var cleartext = GrpcChannel.ForAddress(new UriBuilder(hub.Address) { Scheme = "http" }.Uri);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new ExchangeService.ExchangeServiceClient(cleartext)
            .PullChangesAsync(new PullChangesRequest(), headers, Calls.Deadline()).ResponseAsync);
        Assert.Contains(refused.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }
}
