using Grpc.Core;
using GridExchange.Hub.Sync;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.IntegrationTests.PeerSimulator;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// A hub that starts empty (no sample) with the sync engine's timeouts and back-off shortened for
/// tests, and the simulated counties and city it syncs with, each on its own loopback port. The
/// peers are registered through AdminService, as an operator would.
/// </summary>
public sealed class SyncHarness : IAsyncDisposable
{
    /// <summary>The token the hub presents to the simulators (GridExchange:Sync:PeerToken).</summary>
    public const string PeerToken = SourceSimulatorFixture.Token;

    private const string Operator = "hub-admin";
    private readonly List<SimulatorHost> _peers = [];
    private readonly string? _directory;

    private SyncHarness(HubInstance hub, string? directory)
    {
        Hub = hub;
        _directory = directory;
        Admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(hub.RawChannel, Operator));
        Exchange = new ExchangeService.ExchangeServiceClient(hub.Channel);
    }

    /// <summary>The hub.</summary>
    public HubInstance Hub { get; }

    /// <summary>AdminService as the operator.</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>ExchangeService as the test province consumer (every class, the whole province).</summary>
    public ExchangeService.ExchangeServiceClient Exchange { get; }

    /// <summary>The settings tests start from: short timeouts and back-off, a breaker that needs 6 calls.</summary>
    public static Dictionary<string, string?> FastSettings() => new()
    {
        ["GridExchange:Sync:PeerToken"] = PeerToken,
        ["GridExchange:Sync:AttemptTimeoutMs"] = "5000",
        ["GridExchange:Sync:TotalTimeoutMs"] = "20000",
        ["GridExchange:Sync:MaxRetries"] = "4",
        ["GridExchange:Sync:RetryBaseDelayMs"] = "20",
        ["GridExchange:Sync:RetryMaxDelayMs"] = "200",
        ["GridExchange:Sync:BreakerMinimumThroughput"] = "50",
        ["GridExchange:Sync:BreakerSamplingMs"] = "5000",
        ["GridExchange:Sync:BreakerBreakMs"] = "1000",
        ["GridExchange:Sync:MaxRunMs"] = "60000",
        ["GridExchange:RequireDeadlines"] = "false",
        // Retries, breaks and injected faults are warnings by design; the tests fail only on errors.
        ["Logging:LogLevel:Polly"] = "Error",
    };

    /// <summary>Starts an empty hub on SQLite (in-memory Hangfire), or on PostgreSQL (Hangfire on PostgreSQL too).</summary>
    public static async Task<SyncHarness> StartAsync(bool postgres = false, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = FastSettings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        string? directory = null;
        HubInstance hub;
        if (postgres)
        {
            hub = await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("sync"), loadSample: false, settings: settings);
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("gridx-sync-").FullName;
            hub = await HubInstance.StartAsync(Path.Combine(directory, "hub.db"), null, loadSample: false, settings: settings);
        }

        return new SyncHarness(hub, directory);
    }

    /// <summary>Starts a county source simulator over the sample's county (its seed file).</summary>
    public async Task<SimulatorHost> StartCountyAsync(string regionCode, FaultSettings? faults = null, int batchSize = 500)
    {
        var host = await StartCountySimulatorAsync(regionCode, faults, batchSize);
        _peers.Add(host);
        return host;
    }

    /// <summary>Starts a city sink simulator, empty.</summary>
    public async Task<SimulatorHost> StartCityAsync(string regionCode = "370600000000", FaultSettings? faults = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var host = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            RegionCode = regionCode,
            Role = PeerRoleKind.Sink,
            Token = PeerToken,
            Faults = faults ?? FaultSettings.None,
        }, QuietLogging, cancellationToken: timeout.Token);
        _peers.Add(host);
        return host;
    }

    /// <summary>Registers <paramref name="host"/> as a peer of the hub with <paramref name="id"/>; no schedule unless given (TriggerSync only), scheduled unless live.</summary>
    public Task<Peer> RegisterAsync(string id, SimulatorHost host, string schedule = "", IEnumerable<DataClass>? classes = null, SyncMode mode = SyncMode.Scheduled) =>
        RegisterAsync(Admin, id, host, schedule, classes, mode);

    /// <summary>Registers <paramref name="host"/> through <paramref name="admin"/> (any hub, e.g. one in its own process).</summary>
    public static async Task<Peer> RegisterAsync(
        AdminService.AdminServiceClient admin, string id, SimulatorHost host, string schedule = "", IEnumerable<DataClass>? classes = null,
        SyncMode mode = SyncMode.Scheduled)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(host);
        var source = host.Options.Role == PeerRoleKind.Source;
        var peer = new Peer
        {
            Id = id,
            Name = $"Simulated {(source ? "county" : "city")} {host.Options.RegionCode}",
            Level = source ? RegionLevel.County : RegionLevel.City,
            RegionCode = host.Options.RegionCode,
            Endpoint = host.Address.ToString().TrimEnd('/'),
            Roles = { source ? PeerRole.Source : PeerRole.Sink },
            DataClasses = { classes ?? [DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4] },
            Schedule = schedule,
            SyncMode = mode,
            Enabled = true,
        };
        var response = await admin.RegisterPeerAsync(new RegisterPeerRequest { RequestId = Guid.NewGuid().ToString("N"), Peer = peer }, deadline: Calls.Deadline());
        return response.Peer;
    }

    /// <summary>
    /// Submits the sample's province and city region records as their source (<c>province-37</c>)
    /// does, so that digests and scopes rooted at the city resolve. Returns how many.
    /// </summary>
    public Task<int> LoadProvinceRegionsAsync() => LoadProvinceRegionsAsync(Hub.Services.GetRequiredService<GridExchange.Storage.IHubStore>(), Exchange);

    /// <summary>
    /// <see cref="LoadProvinceRegionsAsync()"/> for any hub: the source is registered through
    /// <paramref name="store"/> (the hub's database) and submits through <paramref name="exchange"/>.
    /// </summary>
    public static async Task<int> LoadProvinceRegionsAsync(GridExchange.Storage.IHubStore store, ExchangeService.ExchangeServiceClient exchange)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(exchange);
        const string province = "province-37";
        await store.UpsertPeerAsync(new Peer
        {
            Id = province,
            Name = "Sample province source",
            Level = RegionLevel.Province,
            RegionCode = "370000000000",
            Roles = { PeerRole.Source },
            DataClasses = { DataClass.S1 },
            Enabled = true,
        }, CancellationToken.None);
        await TestPeers.IssueAsync(store, province, CancellationToken.None);
        var request = new SubmitChangesRequest { RequestId = "regions", SourceSystem = province };
        await foreach (var change in GridExchange.Seeds.SeedReader.ReadAsync(Path.Combine(RepoPaths.SampleDirectory, "regions.ndjson.gz"), CancellationToken.None))
        {
            request.Changes.Add(change);
        }

        var response = await exchange.SubmitChangesAsync(request, deadline: Calls.Deadline());
        Assert.Equal(request.Changes.Count, response.AppliedCount);
        return request.Changes.Count;
    }

    /// <summary>TriggerSync with a new request id.</summary>
    public async Task<TriggerSyncResponse> TriggerAsync(string peerId, SyncDirection direction = SyncDirection.Unspecified, bool fullResync = false) =>
        await Admin.TriggerSyncAsync(new TriggerSyncRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            PeerId = peerId,
            Direction = direction,
            FullResync = fullResync,
        }, deadline: Calls.Deadline());

    /// <summary>GetPeerStatus.</summary>
    public async Task<PeerStatus> StatusAsync(string peerId) =>
        (await Admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = peerId }, deadline: Calls.Deadline())).Status;

    /// <summary>Waits until the Hangfire job <paramref name="runId"/> has finished (succeeded or failed); returns its final state.</summary>
    public async Task<string> WaitForRunAsync(string runId, TimeSpan? timeout = null)
    {
        var storage = Hub.Services.GetRequiredService<JobStorage>();
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < until)
        {
            using (var connection = storage.GetConnection())
            {
                var state = connection.GetJobData(runId)?.State;
                if (state is "Succeeded" or "Failed" or "Deleted")
                {
                    return state;
                }
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"Sync run {runId} did not finish in time.");
    }

    /// <summary>Triggers a run of <paramref name="peerId"/> and waits for it.</summary>
    public async Task<string> SyncAsync(string peerId, SyncDirection direction = SyncDirection.Unspecified, bool fullResync = false)
    {
        var trigger = await TriggerAsync(peerId, direction, fullResync);
        return await WaitForRunAsync(trigger.RunId);
    }

    /// <summary>What this hub's last run of a link did (in memory).</summary>
    internal LinkRuntime? LastRun(string peerId, SyncDirection link) => Hub.Services.GetRequiredService<SyncRuntime>().Of(peerId, link);

    /// <summary>The hub's digest-tree root hash for <paramref name="regionCode"/> and a type ("" when it holds none).</summary>
    public Task<string> HubDigestAsync(string regionCode, EntityType type) => HubDigestAsync(Exchange, regionCode, type);

    /// <summary>Types where the hub's digest under <paramref name="state"/>'s region differs from the peer's.</summary>
    public Task<List<EntityType>> DifferencesAsync(PeerState state) => DifferencesAsync(Exchange, state);

    /// <summary>The digest-tree root hash <paramref name="exchange"/>'s hub holds for <paramref name="regionCode"/> and a type ("" when none).</summary>
    public static async Task<string> HubDigestAsync(ExchangeService.ExchangeServiceClient exchange, string regionCode, EntityType type)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var response = await exchange.GetDigestAsync(new GetDigestRequest { RegionCode = regionCode, EntityType = type, Depth = RegionLevel.County },
            deadline: Calls.Deadline());
        return response.Root?.RecordCount > 0 ? response.Root.Hash : "";
    }

    /// <summary>Types where <paramref name="exchange"/>'s hub differs from the peer's <paramref name="state"/> under its region.</summary>
    public static async Task<List<EntityType>> DifferencesAsync(ExchangeService.ExchangeServiceClient exchange, PeerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var differ = new List<EntityType>();
        foreach (var type in System.Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified))
        {
            var theirs = state.Digests.TryGetValue(type, out var hash) ? hash : "";
            if (await HubDigestAsync(exchange, state.RegionCode, type) != theirs)
            {
                differ.Add(type);
            }
        }

        return differ;
    }

    /// <summary>Starts a simulated county (SOURCE) over the sample's county, not tied to any hub; dispose it.</summary>
    public static async Task<SimulatorHost> StartCountySimulatorAsync(string regionCode, FaultSettings? faults = null, int batchSize = 500)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await SimulatorHost.StartAsync(new SimulatorOptions
        {
            RegionCode = regionCode,
            Role = PeerRoleKind.Source,
            Token = PeerToken,
            SeedDirectory = RepoPaths.SampleDirectory,
            MaxBatchSize = batchSize,
            Faults = faults ?? FaultSettings.None,
        }, QuietLogging, cancellationToken: timeout.Token);
    }

    private static void QuietLogging(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Warning);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Hub.DisposeAsync();
        }
        finally
        {
            foreach (var peer in _peers)
            {
                await peer.DisposeAsync();
            }

            if (_directory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
            }
        }

        Assert.True(Hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, Hub.ErrorLog.Errors));
    }
}
