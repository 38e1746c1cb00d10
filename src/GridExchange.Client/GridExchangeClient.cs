using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GridExchange.V1;

namespace GridExchange.Client;

/// <summary>
/// A connection to a GridExchange hub for integrators: one HTTP/2 channel (TLS, optional client
/// certificate, keep-alive pings, a large receive window), the generated service clients with
/// the peer's bearer token attached to every call, default deadlines, and retries of unary calls
/// that follow the hub's <c>RetryInfo</c> (<see cref="GridExchangeRetryOptions"/>).
/// </summary>
/// <remarks>
/// Create one per hub and peer and share it: it is thread-safe, and channels are expensive.
/// Unary calls that fail transiently (UNAVAILABLE; RESOURCE_EXHAUSTED with <c>RetryInfo</c>;
/// ABORTED other than <c>VERSION_CONFLICT</c>; DEADLINE_EXCEEDED of an attempt when the call is
/// safe to repeat) are retried with the same request; everything else surfaces at once as an
/// <see cref="RpcException"/> (see <see cref="GridExchangeErrors"/> to read its reason). Streams
/// are not retried; use <see cref="ChangeFeedConsumer"/> to follow the change feed resumably.
/// </remarks>
public sealed class GridExchangeClient : IDisposable
{
    private readonly bool _ownsChannel;

    /// <summary>Creates the channel to <see cref="GridExchangeClientOptions.Address"/>.</summary>
    /// <param name="options">Address, token, certificates, deadlines, retries.</param>
    /// <exception cref="ArgumentException"><see cref="GridExchangeClientOptions.Address"/> is not set.</exception>
    public GridExchangeClient(GridExchangeClientOptions options)
        : this(CreateChannel(options), options, ownsChannel: true)
    {
    }

    /// <summary>
    /// Wraps an existing channel (e.g. one configured by the application's own
    /// <see cref="GrpcChannelOptions"/>); the token, deadlines and retries of
    /// <paramref name="options"/> still apply, its address and transport settings do not. The
    /// channel is not disposed with this client.
    /// </summary>
    /// <param name="channel">The channel to call through.</param>
    /// <param name="options">Token, deadlines, retries.</param>
    public GridExchangeClient(ChannelBase channel, GridExchangeClientOptions options)
        : this(channel, options, ownsChannel: false)
    {
    }

    private GridExchangeClient(ChannelBase channel, GridExchangeClientOptions options, bool ownsChannel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(options);
        _ownsChannel = ownsChannel;
        Options = options;
        Channel = channel;
        CallInvoker = channel.Intercept(new HubCallInterceptor(options));
        Exchange = new ExchangeService.ExchangeServiceClient(CallInvoker);
        Registry = new RegistryService.RegistryServiceClient(CallInvoker);
        Population = new PopulationService.PopulationServiceClient(CallInvoker);
        Cases = new CaseService.CaseServiceClient(CallInvoker);
        Directives = new DirectiveService.DirectiveServiceClient(CallInvoker);
        Stats = new StatsService.StatsServiceClient(CallInvoker);
        Admin = new AdminService.AdminServiceClient(CallInvoker);
    }

    /// <summary>The options this client was created with (do not change them afterwards).</summary>
    public GridExchangeClientOptions Options { get; }

    /// <summary>The underlying channel.</summary>
    public ChannelBase Channel { get; }

    /// <summary>Calls through the channel with token, default deadlines and retries; build further generated clients on it.</summary>
    public CallInvoker CallInvoker { get; }

    /// <summary>The change feed: SubmitChanges, PullChanges, SubscribeChanges, ExportSnapshot, GetDigest.</summary>
    public ExchangeService.ExchangeServiceClient Exchange { get; }

    /// <summary>Regions, grids and code tables (open to every peer).</summary>
    public RegistryService.RegistryServiceClient Registry { get; }

    /// <summary>Persons, houses and households.</summary>
    public PopulationService.PopulationServiceClient Population { get; }

    /// <summary>Cases and proxy service requests.</summary>
    public CaseService.CaseServiceClient Cases { get; }

    /// <summary>Directives down the administrative hierarchy.</summary>
    public DirectiveService.DirectiveServiceClient Directives { get; }

    /// <summary>Region statistics.</summary>
    public StatsService.StatsServiceClient Stats { get; }

    /// <summary>Peer registry, sync status and audit log (role ADMIN).</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>
    /// A resumable consumer of the change feed that keeps its position in
    /// <paramref name="checkpoints"/> (see <see cref="ChangeFeedConsumer"/>).
    /// </summary>
    /// <param name="checkpoints">Where the consumer's position is kept, e.g. a <see cref="FileCheckpointStore"/>.</param>
    /// <param name="options">Scope, heartbeats, back-off; null for the defaults.</param>
    /// <returns>The consumer.</returns>
    public ChangeFeedConsumer CreateConsumer(ICheckpointStore checkpoints, ChangeFeedConsumerOptions? options = null) =>
        new(Exchange, checkpoints, options);

    /// <summary>Disposes the channel when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsChannel && Channel is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private static GrpcChannel CreateChannel(GridExchangeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Address is null)
        {
            throw new ArgumentException("GridExchangeClientOptions.Address is required.", nameof(options));
        }

        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            InitialHttp2StreamWindowSize = options.InitialHttp2StreamWindowSize,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (options.ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [options.ClientCertificate];
        }

        if (options.ServerCertificateValidation is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = options.ServerCertificateValidation;
        }

        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // One owner per retry: the interceptor retries; no service-config retries underneath.
            ServiceConfig = null,
        });
    }
}
