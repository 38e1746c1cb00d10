using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace GridExchange.Client;

/// <summary>How a <see cref="GridExchangeClient"/> reaches and authenticates to a hub.</summary>
public sealed class GridExchangeClientOptions
{
    /// <summary>
    /// Required. The hub's gRPC address, e.g. <c>https://hub.example.gov.cn:5170</c>. Use
    /// <c>https</c> for any hub reachable from the network; <c>http</c> (cleartext HTTP/2) only
    /// for a hub on loopback.
    /// </summary>
    public Uri? Address { get; set; }

    /// <summary>
    /// The peer's bearer token (<c>gx1_…</c>), sent as <c>authorization: Bearer …</c> on every
    /// call. Null sends none (only health and reflection work without one). A call whose own
    /// headers already carry <c>authorization</c> keeps them.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// Optional. The TLS client certificate (with its private key) to present, for a peer the
    /// operator registered with <c>client_certificate_sha256</c>. Only used over <c>https</c>.
    /// </summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// Optional. Validates the hub's TLS certificate instead of the platform's default chain
    /// validation (e.g. to pin a self-signed hub certificate by its fingerprint). Null: the
    /// default validation.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>
    /// Deadline of each attempt of a unary call that sets none itself (default 30 s; the hub may
    /// refuse calls without a deadline, <c>DEADLINE_REQUIRED</c>). Because the client set it, an
    /// attempt that runs out of it is retried when the call is safe to repeat.
    /// </summary>
    public TimeSpan UnaryDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of each attempt of <c>SubmitChanges</c> when the call sets none (default 60 s).</summary>
    public TimeSpan SubmitDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Deadline of an <c>ExportSnapshot</c> stream that sets none (default 1 hour). A snapshot
    /// that runs out of it is resumed with its last chunk's resume token by
    /// <see cref="ChangeFeedConsumer"/>. <c>SubscribeChanges</c> gets no deadline: it is a tail
    /// kept alive by heartbeats and HTTP/2 keep-alive pings.
    /// </summary>
    public TimeSpan SnapshotDeadline { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Retries of unary calls (<see cref="GridExchangeRetryOptions"/>).</summary>
    public GridExchangeRetryOptions Retry { get; set; } = new();

    /// <summary>
    /// The HTTP/2 receive window per stream (default 16 MiB). A 1,000-change page is about
    /// 850 KiB; the 64 KiB default makes bulk reads arrive in stop-start bursts.
    /// </summary>
    public int InitialHttp2StreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Interval of HTTP/2 keep-alive pings while calls are open (default 30 s), so a dead link
    /// under a quiet subscription is noticed; <see cref="Timeout.InfiniteTimeSpan"/> turns them off.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a keep-alive ping's answer before the connection is dropped (default 20 s).</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// Retries of unary calls made through a <see cref="GridExchangeClient"/>: exponential back-off
/// with jitter, on transient failures only (<see cref="GridExchangeErrors.Classify"/>), never
/// sooner than the hub's <c>RetryInfo.retry_delay</c>.
/// </summary>
public sealed class GridExchangeRetryOptions
{
    /// <summary>Retries after the first attempt (default 5; 0 turns retries off).</summary>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The first back-off delay, doubled on each retry, with jitter (default 200 ms).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest back-off delay (default 30 s). A <c>RetryInfo</c> asking for longer than this
    /// is not retried at all (retrying sooner would break the hub's request): the error surfaces.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Called before each retry (after the delay is chosen, before it is waited out), e.g. for
    /// logging or metrics. Exceptions thrown here fail the call.
    /// </summary>
    public Func<RetryEvent, ValueTask>? OnRetry { get; set; }
}

/// <summary>One retry about to happen (<see cref="GridExchangeRetryOptions.OnRetry"/>).</summary>
/// <param name="Method">The full gRPC method name, e.g. <c>/gridexchange.v1.ExchangeService/PullChanges</c>.</param>
/// <param name="Attempt">The number of the failed attempt, from 0.</param>
/// <param name="Delay">The wait before the next attempt.</param>
/// <param name="Exception">Why the attempt failed.</param>
public sealed record RetryEvent(string Method, int Attempt, TimeSpan Delay, Exception Exception);
