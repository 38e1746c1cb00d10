using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using GridExchange.Client;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Client;

/// <summary>
/// The client over TLS: it trusts a pinned self-signed hub certificate through
/// <see cref="GridExchangeClientOptions.ServerCertificateValidation"/>, presents the peer's
/// client certificate, and sends its token; without the certificate the hub's UNAUTHENTICATED
/// is not retried.
/// </summary>
public sealed class ClientTlsTests : IAsyncLifetime
{
    private string _directory = "";

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gridx-client-tls-").FullName;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ThePinnedPeer_CallsWithItsClientCertificateAndToken_AndWithoutTheCertificateIsRefusedOnce()
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

        var retries = 0;
        GridExchangeClient Connect(X509Certificate2? certificate) => new(new GridExchangeClientOptions
        {
            Address = hub.Address,
            BearerToken = token,
            ClientCertificate = certificate,
            ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == server.GetCertHashString(),
            Retry = { OnRetry = _ => { retries++; return ValueTask.CompletedTask; } },
        });

        using (var client = Connect(pinned))
        {
            var page = await client.Exchange.PullChangesAsync(new PullChangesRequest { PageSize = 1 });
            Assert.True(page.CaughtUp);
        }

        using (var client = Connect(null))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => client.Exchange.PullChangesAsync(new PullChangesRequest { PageSize = 1 }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Equal("UNAUTHENTICATED", GridExchangeErrors.Reason(e));
        }

        Assert.Equal(0, retries);
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
}
