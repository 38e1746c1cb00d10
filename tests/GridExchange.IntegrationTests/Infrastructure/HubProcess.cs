using Grpc.Net.Client;
using GridExchange.Storage.PostgreSql;
using GridExchange.TestSupport;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// The built hub (<c>src/GridExchange.Hub/bin/…/GridExchange.Hub.dll</c>) in a process of its own,
/// started as an operator starts it (<c>dotnet GridExchange.Hub.dll</c>, settings as
/// <c>GridExchange__…</c> environment variables) on a PostgreSQL database: a replica that can be
/// killed (SIGKILL) and restarted, or run beside another on the same database. An in-process
/// <see cref="HubInstance"/> can do neither. The process itself is <see cref="HubLauncher"/>
/// (shared with the benchmarks); this adds the tests' keys, peers and clients.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly HubLauncher _launcher;

    private HubProcess(HubLauncher launcher)
    {
        _launcher = launcher;
        RawChannel = GrpcChannel.ForAddress(launcher.Address);
        Admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(RawChannel, "hub-admin"));
        Exchange = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(RawChannel));
    }

    /// <summary>Where the hub listens.</summary>
    public Uri Address => _launcher.Address;

    /// <summary>The operating-system process id.</summary>
    public int ProcessId => _launcher.ProcessId;

    /// <summary>The channel without credentials.</summary>
    public GrpcChannel RawChannel { get; }

    /// <summary>AdminService as the operator (<c>hub-admin</c>).</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>ExchangeService as <see cref="TestPeers.Province"/>.</summary>
    public ExchangeService.ExchangeServiceClient Exchange { get; }

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => _launcher.Output;

    /// <summary>Error and critical log entries (the console logger's <c>fail:</c> and <c>crit:</c> lines).</summary>
    public IReadOnlyList<string> Errors => _launcher.Errors;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _launcher.HasExited;

    /// <summary>
    /// Starts the hub on <paramref name="postgres"/> (the test encryption keys, a free port, no
    /// dashboard, no sample) with <paramref name="settings"/> (<c>GridExchange:…</c> keys) on top,
    /// and waits until it listens. <paramref name="registerTestPeers"/>: then issue the test tokens
    /// (<see cref="TestPeers"/>) through a store on the same database — once per database.
    /// </summary>
    public static async Task<HubProcess> StartAsync(string postgres, IReadOnlyDictionary<string, string?> settings, bool registerTestPeers)
    {
        var program = new[] { "Debug", "Release" }
            .Select(c => Path.Combine(RepoPaths.Root, "src", "GridExchange.Hub", "bin", c, "net10.0", "GridExchange.Hub.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(program is not null, "GridExchange.Hub is not built: build the solution first.");

        var all = new Dictionary<string, string?>
        {
            ["GridExchange:HangfireQueuePollMs"] = "200",
            // The runs' summaries ("sync:pull:…: n batches …", "another run holds the lock"): which replica ran what.
            ["Logging:LogLevel:GridExchange.Hub.Sync.SyncJob"] = "Information",
        };
        foreach (var (key, value) in TestKeys.Settings)
        {
            all[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var hub = new HubProcess(await HubLauncher.StartAsync(program, postgres, all, CancellationToken.None));
        if (registerTestPeers)
        {
            await using var store = new PostgresHubStore(postgres, TestKeys.Protection);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await TestPeers.RegisterAsync(store, timeout.Token);
        }

        return hub;
    }

    /// <summary>
    /// Kills the process with SIGKILL (<see cref="System.Diagnostics.Process.Kill()"/> on Linux): no
    /// shutdown code runs, its connections are cut by the kernel. Returns the exit code (137 = 128 + SIGKILL).
    /// </summary>
    public Task<int> KillAsync() => _launcher.KillAsync();

    /// <summary>Counts the output lines containing <paramref name="text"/>.</summary>
    public int CountLines(string text) => _launcher.CountLines(text);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        RawChannel.Dispose();
        await _launcher.DisposeAsync();
    }
}
