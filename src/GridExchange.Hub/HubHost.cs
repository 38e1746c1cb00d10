using System.Net;
using GridExchange.Hub.Security;
using GridExchange.Hub.Services;
using GridExchange.Hub.Startup;
using GridExchange.Storage;
using GridExchange.Storage.Protection;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub;

/// <summary>
/// Builds and starts the hub. <c>Program</c> and the integration tests use the same path, so
/// what the tests call is what an operator runs.
/// </summary>
public static class HubHost
{
    /// <summary>The service key of the <see cref="TimeProvider"/> DirectiveService judges deadlines and stamps actions by.</summary>
    public const string DirectiveClockKey = "directives";

    /// <summary>The service key of the <see cref="TimeProvider"/> CaseService judges case deadlines and stamps steps by.</summary>
    public const string CaseClockKey = "cases";

    /// <summary>Builds the application; <paramref name="configure"/> lets tests override settings.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        var section = builder.Configuration.GetSection(HubOptions.Section);
        var options = section.Get<HubOptions>() ?? new HubOptions();
        options.PostgreSql ??= builder.Configuration.GetConnectionString("GridExchange");
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(TimeProvider.System);
        // TryAdd: a test may register its own clock for directive deadlines (overdue) in `configure`.
        builder.Services.TryAddKeyedSingleton(DirectiveClockKey, TimeProvider.System);
        builder.Services.TryAddKeyedSingleton(CaseClockKey, TimeProvider.System);
        // Checked here, so a bad deadline setting or catalogue stops the start, not a request.
        builder.Services.AddSingleton(Cases.CaseConfiguration.Load(options.Cases));

        // HTTP/2 over TLS, or cleartext only on loopback or behind a TLS proxy (Transport).
        var dashboard = new HubDashboard();
        builder.Services.AddSingleton(dashboard);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Transport.Configure(kestrel, options);
            // A peer that vanished without closing its connection (a long-lived SubscribeChanges
            // holds one open) is found by an unanswered ping: after 30 s without frames the hub
            // pings, and closes the connection when no answer comes within 20 s.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            dashboard.Listen(kestrel, options.DashboardPort);
        });

        // The keys are resolved once (the embedded store may create its key file): the store
        // encrypts with them, and PeerTokens derives the admin RPCs' token key from them.
        builder.Services.AddSingleton(services => StoreFactory.ResolveKeys(options, services.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton(services => StoreFactory.Create(options, services.GetRequiredService<PayloadProtectionOptions>()));
        builder.Services.AddSingleton<PeerTokens>();
        builder.Services.AddSingleton<HubInitializer>();
        builder.Services.AddSingleton<CredentialBootstrap>();
        builder.Services.AddSingleton<PeerAuthenticator>();
        builder.Services.AddSingleton<PeerActivity>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PeerActivity>());
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AuditTrail>());
        builder.Services.AddSingleton<PeerCallLimits>();
        builder.Services.AddSingleton<RateLimitInterceptor>();
        builder.Services.AddSingleton<DeadlineInterceptor>();
        builder.Services.AddSingleton<BoundedErrorsInterceptor>();
        // Hangfire checks the dashboard's POSTs (retry, delete) against CSRF when this is registered.
        builder.Services.AddAntiforgery();
        builder.Services.AddTransient<Jobs.LogRetentionJob>();
        // The sync engine: per-peer Polly pipelines and channels, the pull and push links, their
        // Hangfire jobs and locks (src/GridExchange.Hub/Sync).
        builder.Services.AddSingleton<Sync.PeerChannels>();
        builder.Services.AddSingleton<Sync.PeerPipelines>();
        builder.Services.AddSingleton<Sync.SyncLocks>();
        builder.Services.AddSingleton<Sync.SyncRuntime>();
        builder.Services.AddSingleton<Sync.PullRunner>();
        builder.Services.AddSingleton<Sync.PushRunner>();
        builder.Services.AddSingleton<Sync.DirectiveRunner>();
        builder.Services.AddHostedService<Sync.LiveSync>();
        builder.Services.AddSingleton<Sync.SyncScheduler>();
        builder.Services.AddSingleton<Sync.SyncAdmin>();
        builder.Services.AddTransient(services => new Sync.SyncJob(
            services.GetRequiredService<IHubStore>(), services.GetRequiredService<Sync.PullRunner>(), services.GetRequiredService<Sync.PushRunner>(),
            services.GetRequiredService<Sync.DirectiveRunner>(), services.GetRequiredService<Operations.HubMetrics>(),
            services.GetRequiredService<Sync.SyncLocks>(), services.GetRequiredService<Sync.SyncRuntime>(), services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<Sync.SyncJob>>()));
        builder.Services.AddSingleton<FeedListener>();
        // TryAdd: a test may register its own (with a clock it controls) in `configure`.
        builder.Services.TryAddSingleton<FeedReadAhead>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FeedListener>());

        builder.Services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;
            // Twice the contract's 4 MiB request limit: requests between the two get a clear
            // INVALID_ARGUMENT / MESSAGE_TOO_LARGE from the service instead of a bare
            // RESOURCE_EXHAUSTED from the transport; beyond 8 MiB the transport refuses them.
            grpc.MaxReceiveMessageSize = 8 * 1024 * 1024;
            // The contract's response limit: every response is built to stay under it (pages are
            // cut, snapshot chunks are small); this refuses one that is not, instead of sending
            // what a client with gRPC's default limits refuses anyway.
            grpc.MaxSendMessageSize = 4 * 1024 * 1024;
            // Outermost, it only cuts oversized errors (of every interceptor below) to size.
            grpc.Interceptors.Add<BoundedErrorsInterceptor>();
            // First: nothing runs for a caller that is not authenticated and admitted; then the
            // caller's rate and stream limits, then the deadline rule.
            grpc.Interceptors.Add<AuthenticationInterceptor>();
            grpc.Interceptors.Add<RateLimitInterceptor>();
            grpc.Interceptors.Add<DeadlineInterceptor>();
            grpc.Interceptors.Add<NotYetAvailableInterceptor>();
            grpc.Interceptors.Add<StoreUnavailableInterceptor>();
        })
            // HTTP/JSON routes for the read and pull RPCs (their google.api.http annotations in
            // protos/), for systems that cannot speak gRPC. A transcoded call runs the same
            // interceptors as a gRPC one: the bearer token comes from the Authorization header,
            // and an error is a JSON google.rpc.Status with its details (ErrorInfo, BadRequest,
            // RetryInfo), which the registry lets the writer name in "@type".
            .AddJsonTranscoding(json =>
            {
                json.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor);
                // Canonical proto3 JSON: 64-bit integers (sequences, versions) as strings, so no
                // JavaScript client rounds them.
                json.JsonSettings.WriteInt64sAsStrings = true;
            });
        builder.Services.AddGrpcReflection();
        // One set of checks for grpc.health.v1 and the operations listener's /readyz.
        builder.Services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store").AddCheck<Operations.HangfireHealthCheck>("hangfire");
        Operations.Telemetry.Add(builder);
        // After every AddGrpc…: a request that does not parse is INVALID_ARGUMENT, not UNKNOWN.
        MalformedRequests.UseForAllServices(builder.Services);

        builder.Services.AddHangfire(hangfire =>
        {
            hangfire.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (string.IsNullOrWhiteSpace(options.PostgreSql))
            {
                hangfire.UseInMemoryStorage();
            }
            else
            {
                hangfire.UsePostgreSqlStorage(
                    storage => storage.UseNpgsqlConnection(options.PostgreSql),
                    // Polled, not long-polled: long polling holds a LISTEN connection per worker. The
                    // poll interval is how long a run enqueued by TriggerSync may wait to start.
                    new PostgreSqlStorageOptions
                    {
                        SchemaName = "hangfire",
                        PrepareSchemaIfNecessary = true,
                        QueuePollInterval = TimeSpan.FromMilliseconds(Math.Max(200, options.HangfireQueuePollMs)),
                    });
            }
        });
        if (options.RunHangfireServer)
        {
            builder.Services.AddHangfireServer(server => server.ServerName = $"gridexchange-hub:{Environment.MachineName}:{Environment.ProcessId}");
        }

        var app = builder.Build();
        app.MapGrpcService<RegistryGrpcService>();
        app.MapGrpcService<ExchangeGrpcService>();
        app.MapGrpcService<PopulationGrpcService>();
        app.MapGrpcService<CaseGrpcService>();
        app.MapGrpcService<DirectiveGrpcService>();
        app.MapGrpcService<StatsGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        dashboard.Map(app, app.Services.GetRequiredService<PeerAuthenticator>());
        return app;
    }

    /// <summary>Migrates, loads the sample if the store is empty, then starts listening.</summary>
    /// <returns>The address the hub listens on, e.g. <c>http://127.0.0.1:5170</c>.</returns>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.Services.GetRequiredService<HubInitializer>().InitializeAsync(cancellationToken);
        Jobs.LogRetentionJob.Schedule(app.Services.GetRequiredService<IRecurringJobManager>());
        // The peers' recurring sync jobs, as the registry says now (then after every change).
        var scheduler = app.Services.GetRequiredService<Sync.SyncScheduler>();
        scheduler.ScheduleReconcile();
        await scheduler.ReconcileAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        var dashboard = app.Services.GetRequiredService<HubDashboard>().Port;
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(address => new Uri(address)).First(address => address.Port != dashboard);
    }

    /// <summary>The Hangfire dashboard's address once started, e.g. <c>http://127.0.0.1:5171/hangfire</c>; null when it is off.</summary>
    public static Uri? DashboardAddress(WebApplication app) =>
        app.Services.GetRequiredService<HubDashboard>().Port is { } port
            ? new Uri($"http://{IPAddress.Loopback}:{port}{HubDashboard.PathBase}")
            : null;

    /// <summary>The store the hub runs on (for tests and tools).</summary>
    public static IHubStore Store(WebApplication app) => app.Services.GetRequiredService<IHubStore>();
}
