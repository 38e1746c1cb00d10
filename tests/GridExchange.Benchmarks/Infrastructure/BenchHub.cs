using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GridExchange.Domain.Security;
using GridExchange.V1;
using GridExchange.Hub;
using GridExchange.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace GridExchange.Benchmarks.Infrastructure;

/// <summary>
/// The real hub in this process, as the integration tests start it (<c>HubHost.Build</c> and
/// <c>StartAsync</c>): Kestrel on a free loopback port, the PostgreSQL store, no sample, no
/// Hangfire server (its polling would only add noise), reached through one reused
/// <see cref="GrpcChannel"/>.
/// </summary>
internal sealed class BenchHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _secrets;

    private BenchHub(WebApplication app, Uri address, string secrets)
    {
        _app = app;
        _secrets = secrets;
        Address = address;
        // A bulk consumer's receive window: with SocketsHttpHandler's default (64 KiB, grown
        // slowly) a 700 KB PullChanges page arrives in stop-start bursts; the README's client
        // advice is the same setting.
        var handler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = ReceiveWindow };
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            HttpHandler = handler,
        });
    }

    /// <summary>The HTTP/2 stream receive window of the benchmark's channel (16 MiB).</summary>
    public const int ReceiveWindow = 16 * 1024 * 1024;

    /// <summary>Where the hub listens.</summary>
    public Uri Address { get; }

    /// <summary>The channel every client of the run shares.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Calls as the benchmark's consumer: CONSUMER over the whole province, every data class.</summary>
    public CallInvoker Consumer { get; private set; } = null!;

    /// <summary>Registers <paramref name="peer"/> with a new token; returns calls made as that peer.</summary>
    public async Task<CallInvoker> RegisterAsync(Peer peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        await Store.UpsertPeerAsync(peer, cancellationToken);
        var token = BearerTokens.NewToken();
        await Store.IssueCredentialAsync(peer.Id, BearerTokens.Hash(token), revokeOthers: false, cancellationToken);
        return Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return metadata;
        });
    }

    /// <summary>The hub's own store.</summary>
    public IHubStore Store => HubHost.Store(_app);

    /// <summary>What the hub's PullChanges read-ahead has done so far.</summary>
    public GridExchange.Hub.Services.ReadAheadCounts ReadAhead =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<GridExchange.Hub.Services.FeedReadAhead>(_app.Services).Counts;

    /// <summary>The benchmarks' consumer: CONSUMER over the whole province, every data class.</summary>
    public static Peer ConsumerPeer() => new Peer
    {
        Id = "bench-consumer",
        Name = "benchmark consumer",
        Level = RegionLevel.Province,
        RegionCode = ConsumerRegion,
        Roles = { PeerRole.Consumer },
        DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4 },
        Enabled = true,
    };

    /// <summary>Starts a hub on the PostgreSQL database <paramref name="postgres"/>.</summary>
    public static async Task<BenchHub> StartAsync(string postgres, CancellationToken cancellationToken)
    {
        var secrets = Directory.CreateTempSubdirectory("gridx-bench-secrets-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["GridExchange:AdminTokenFile"] = Path.Combine(secrets, "admin.token"),
            ["GridExchange:Port"] = "0",
            ["GridExchange:PostgreSql"] = postgres,
            ["GridExchange:LoadSampleOnFirstStart"] = "false",
            ["GridExchange:RunHangfireServer"] = "false",
            ["GridExchange:DashboardPort"] = "-1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var app = HubHost.Build([], builder => builder.Configuration.AddInMemoryCollection(settings.Concat(BenchKeys.Settings)));
        var address = await HubHost.StartAsync(app, cancellationToken);
        var hub = new BenchHub(app, address, secrets);
        hub.Consumer = await hub.RegisterAsync(ConsumerPeer(), cancellationToken);
        return hub;
    }

    /// <summary>The benchmark consumer's jurisdiction: the province, every county of the workload.</summary>
    public const string ConsumerRegion = "370000000000";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        Directory.Delete(_secrets, recursive: true);
    }
}
