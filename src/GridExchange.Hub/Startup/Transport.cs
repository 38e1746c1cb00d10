using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GridExchange.Hub.Startup;

/// <summary>
/// How the hub listens. With a certificate: HTTP/2 (and HTTP/1.1 for the JSON routes) over TLS, asking every client for a
/// certificate (a peer registered with <c>client_certificate_sha256</c> is held to it; the
/// certificate is pinned by fingerprint, so no CA is involved). Without one: cleartext HTTP/2,
/// allowed only on a loopback address (nothing off the machine can reach it) or when
/// <see cref="HubOptions.AllowInsecureTransport"/> says a TLS-terminating proxy stands in front —
/// otherwise the hub refuses to start.
/// </summary>
internal static class Transport
{
    /// <summary>Configures Kestrel's listener from <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">No certificate on a non-loopback address, or an unusable address or certificate.</exception>
    public static void Configure(KestrelServerOptions kestrel, HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.ListenAddress, out var address))
        {
            throw new InvalidOperationException($"GridExchange:ListenAddress '{options.ListenAddress}' is not an IP address.");
        }

        var certificate = LoadCertificate(options);
        if (certificate is null && !IPAddress.IsLoopback(address) && !options.AllowInsecureTransport)
        {
            throw new InvalidOperationException(
                $"On {address}, reachable from the network, the hub serves TLS only: set GridExchange:TlsCertificatePath (a PFX, or a PEM certificate with "
                + "GridExchange:TlsKeyPath), or GridExchange:AllowInsecureTransport=true when a TLS-terminating proxy stands in front.");
        }

        kestrel.Listen(address, options.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                // Over TLS, ALPN picks the protocol: gRPC clients ask for h2, and the HTTP/JSON
                // routes (JSON transcoding) stay open to HTTP/1.1-only clients. Cleartext stays
                // HTTP/2 only, as gRPC without TLS needs (prior knowledge).
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    // Peers are pinned by the fingerprint registered for them (PeerAuthenticator),
                    // not by a chain: a county's self-signed certificate is as good as any.
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            }
        });
    }

    private static X509Certificate2? LoadCertificate(HubOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TlsCertificatePath))
        {
            return null;
        }

        try
        {
            return string.IsNullOrWhiteSpace(options.TlsKeyPath)
                ? X509CertificateLoader.LoadPkcs12FromFile(options.TlsCertificatePath, options.TlsCertificatePassword)
                : X509Certificate2.CreateFromPemFile(options.TlsCertificatePath, options.TlsKeyPath);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidOperationException($"The TLS certificate '{options.TlsCertificatePath}' could not be loaded: {e.Message}", e);
        }
    }
}
