using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// A real hub process-in-process: Kestrel on a free loopback port, the real store, the real
/// Hangfire server, reached through a real <see cref="GrpcChannel"/> and generated clients.
/// </summary>
/// <remarks>
/// Hangfire keeps process-wide static state (its global configuration and log provider), so
/// two hubs in one test process must not overlap in time: the integration tests run their
/// collections one at a time (xunit.runner.json). Multi-replica tests use separate processes.
/// </remarks>
public sealed class HubInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly string _secrets;

    private HubInstance(WebApplication app, Uri address, ErrorLogCollector errors, string secrets)
    {
        _app = app;
        _secrets = secrets;
        ErrorLog = errors;
        Address = address;
        RawChannel = GrpcChannel.ForAddress(address);
        Channel = TestPeers.Authenticated(RawChannel);
    }

    /// <summary>Where the hub listens.</summary>
    public Uri Address { get; }

    /// <summary>The hub's services, for assertions on its parts (store, Hangfire).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Error-level log lines the hub wrote; tests expect none.</summary>
    public ErrorLogCollector ErrorLog { get; }

    /// <summary>
    /// Calls to the hub, authenticated (<see cref="TestPeers.Authenticated"/>): as the request's
    /// source system, otherwise as <see cref="TestPeers.Province"/>.
    /// </summary>
    public CallInvoker Channel { get; }

    /// <summary>Where this hub's first-start token files are written (a temporary folder of its own).</summary>
    public string SecretsDirectory => _secrets;

    /// <summary>The channel without credentials (reuse it; channels are expensive).</summary>
    public GrpcChannel RawChannel { get; }

    /// <summary>Starts a hub on SQLite at <paramref name="sqlitePath"/>, or on PostgreSQL when <paramref name="postgres"/> is set.</summary>
    /// <param name="sqlitePath">The SQLite file (when <paramref name="postgres"/> is null).</param>
    /// <param name="postgres">A PostgreSQL connection string, or null for SQLite.</param>
    /// <param name="loadSample">Load the sample into an empty store.</param>
    /// <param name="seedDirectory">The sample's folder; null for the committed sample.</param>
    /// <param name="runHangfire">Run a Hangfire server.</param>
    /// <param name="settings">Further <c>GridExchange:…</c> settings, applied over the defaults above.</param>
    /// <param name="configure">Registers services before the hub's own (e.g. one it would otherwise add).</param>
    public static async Task<HubInstance> StartAsync(
        string? sqlitePath, string? postgres, bool loadSample = true, string? seedDirectory = null, bool runHangfire = true,
        IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        // First-start token files go to a folder of this instance's own, not the test's bin.
        var secrets = Directory.CreateTempSubdirectory("gridx-secrets-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["GridExchange:AdminTokenFile"] = Path.Combine(secrets, "admin.token"),
            ["GridExchange:DevTokensFile"] = Path.Combine(secrets, "dev-tokens.txt"),
            ["GridExchange:Port"] = "0",
            ["GridExchange:SqlitePath"] = sqlitePath ?? "",
            ["GridExchange:PostgreSql"] = postgres ?? "",
            ["GridExchange:LoadSampleOnFirstStart"] = loadSample ? "true" : "false",
            ["GridExchange:SeedDirectory"] = seedDirectory ?? RepoPaths.SampleDirectory,
            ["GridExchange:RunHangfireServer"] = runHangfire ? "true" : "false",
            // Hubs run side by side in some tests: no dashboard on the fixed default port.
            ["GridExchange:DashboardPort"] = "-1",
            ["Logging:LogLevel:Default"] = "Warning",
        };

        // A PostgreSQL store needs its keys from configuration; the embedded store makes its own
        // (keys.json next to its file), as an operator's first start would.
        if (postgres is not null)
        {
            foreach (var (key, value) in TestKeys.Settings)
            {
                all[key] = value;
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var errors = new ErrorLogCollector();
        var app = HubHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(all);
            builder.Logging.AddProvider(errors);
            configure?.Invoke(builder);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var address = await HubHost.StartAsync(app, timeout.Token);
        await TestPeers.RegisterAsync(HubHost.Store(app), timeout.Token);
        return new HubInstance(app, address, errors, secrets);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        RawChannel.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        Directory.Delete(_secrets, recursive: true);
    }
}

/// <summary>Paths inside the checkout the tests run from.</summary>
public static class RepoPaths
{
    /// <summary>The folder holding GridExchange.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The committed sample province.</summary>
    public static string SampleDirectory => Path.Combine(Root, "seeds", "sample");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GridExchange.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GridExchange.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Every awaited call in a test gets a deadline, so a hung call fails instead of stalling CI.</summary>
public static class Calls
{
    /// <summary>A deadline 30 seconds from now.</summary>
    public static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);
}
