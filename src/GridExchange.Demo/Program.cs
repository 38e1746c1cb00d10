using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using GridExchange.Hub;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.Seeds;
using GridExchange.V1;
using Hangfire;

// The sync engine, shown end to end on one machine: an empty hub (embedded store, in-memory
// Hangfire), three simulated counties of the sample city 3706 as SOURCE peers and the city as a
// SINK peer, all on loopback. For the first --fault-seconds the counties keep changing (people
// moving, cases progressing: --rate changes a second each) and every link drops calls and resets
// streams mid-way; then the changes and the faults stop. Each round triggers every link (TriggerSync) and
// compares digests: each county's records with the hub's copy of its scope, and the city's
// copy with the hub's scope of the city. Exit code 0 once all agree, 1 if they do not within
// --timeout-seconds.
var faultSeconds = Option("--fault-seconds", 15);
var timeoutSeconds = Option("--timeout-seconds", 180);
var drop = Option("--drop-percent", 20) / 100.0;
var rate = Option("--rate", 20);
var seeds = FindSeeds();

const string PeerToken = "demo-peer-token";
const string City = "370600000000";
string[] counties = ["370602000000", "370611000000", "370612000000"];
var work = Directory.CreateTempSubdirectory("gridx-demo-").FullName;
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds + 120));
var token = stop.Token;

Console.WriteLine($"Hub data, simulator stores and tokens in {work}");
var app = HubHost.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["GridExchange:SqlitePath"] = Path.Combine(work, "hub.db"),
    ["GridExchange:Port"] = "0",
    ["GridExchange:LoadSampleOnFirstStart"] = "false",
    ["GridExchange:DashboardPort"] = "-1",
    ["GridExchange:AdminTokenFile"] = Path.Combine(work, "admin.token"),
    ["GridExchange:DevTokensFile"] = Path.Combine(work, "dev-tokens.txt"),
    ["GridExchange:Sync:PeerToken"] = PeerToken,
    ["GridExchange:Sync:RetryBaseDelayMs"] = "50",
    ["GridExchange:Sync:RetryMaxDelayMs"] = "500",
    ["GridExchange:Sync:BreakerBreakMs"] = "1000",
    ["Logging:LogLevel:Default"] = "Error",
}));
var address = await HubHost.StartAsync(app, token);
Console.WriteLine($"Hub listening on {address}");

using var channel = GrpcChannel.ForAddress(address);
var operatorToken = (await File.ReadAllTextAsync(Path.Combine(work, "admin.token"), token)).Trim();
var admin = new AdminService.AdminServiceClient(As(operatorToken));

// The province's regions first (counties' records are checked against them), as a SOURCE peer.
var province = await admin.RegisterPeerAsync(new RegisterPeerRequest
{
    RequestId = "demo-province",
    Peer = new Peer
    {
        Id = "demo-province", Name = "Demo province platform", Level = RegionLevel.Province, RegionCode = "370000000000",
        Roles = { PeerRole.Source }, DataClasses = { DataClass.S1 }, Enabled = true,
    },
}, deadline: Deadline(), cancellationToken: token);
var regions = new SubmitChangesRequest { RequestId = "demo-regions", SourceSystem = "demo-province" };
await foreach (var change in SeedReader.ReadAsync(Path.Combine(seeds, "regions.ndjson.gz"), token))
{
    regions.Changes.Add(change);
}

var loaded = await new ExchangeService.ExchangeServiceClient(As(province.BearerToken)).SubmitChangesAsync(regions, deadline: Deadline(), cancellationToken: token);
Console.WriteLine($"Regions loaded: {loaded.AppliedCount:N0}");

var flaky = new FaultSettings { DropProbability = drop, ResetAfterMessages = 5, ResetProbability = 0.5, Seed = 7 };
var peers = new List<(string Id, SimulatorHost Host)>();
var seed = 10;
foreach (var county in counties)
{
    var host = await SimulatorHost.StartAsync(new SimulatorOptions
    {
        RegionCode = county, Role = PeerRoleKind.Source, Token = PeerToken, SeedDirectory = seeds,
        DataDirectory = work, MaxBatchSize = 250, Faults = flaky with { Seed = ++seed }, Rate = rate, GeneratorSeed = seed,
    }, Quiet, cancellationToken: token);
    peers.Add(($"sim-{county[..6]}", host));
}

var city = await SimulatorHost.StartAsync(new SimulatorOptions
{
    RegionCode = City, Role = PeerRoleKind.Sink, Token = PeerToken, DataDirectory = work,
    Faults = new FaultSettings { DropProbability = drop, Seed = ++seed },
}, Quiet, cancellationToken: token);
peers.Add(("sim-3706", city));

foreach (var (id, host) in peers)
{
    var source = host.Options.Role == PeerRoleKind.Source;
    await admin.RegisterPeerAsync(new RegisterPeerRequest
    {
        RequestId = "demo-" + id,
        Peer = new Peer
        {
            Id = id, Name = $"Simulated {(source ? "county" : "city")} {host.Options.RegionCode}",
            Level = source ? RegionLevel.County : RegionLevel.City, RegionCode = host.Options.RegionCode,
            Endpoint = host.Address.ToString().TrimEnd('/'), Roles = { source ? PeerRole.Source : PeerRole.Sink },
            // The city is not granted S3/S4: it receives masked copies (digests cover keys and versions).
            DataClasses = { source ? [DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4] : [DataClass.S1, DataClass.S2] },
            Enabled = true,
        },
    }, deadline: Deadline(), cancellationToken: token);
    Console.WriteLine($"{id,-11} {(source ? "SOURCE" : "SINK  ")} {host.Options.RegionCode} at {host.Address} ({(await host.GetStateAsync(token)).TotalRecords:N0} records)");
}

var province37 = new ExchangeService.ExchangeServiceClient(As(province.BearerToken));
var jobs = app.Services.GetRequiredService<JobStorage>();
var watch = Stopwatch.StartNew();
var faultsOn = true;
Console.WriteLine($"For {faultSeconds} s: each county makes {rate} changes a second; on every link {drop:P0} of calls are dropped and half of the county streams reset after 5 messages.");
for (var round = 1; watch.Elapsed < TimeSpan.FromSeconds(timeoutSeconds); round++)
{
    if (faultsOn && watch.Elapsed >= TimeSpan.FromSeconds(faultSeconds))
    {
        faultsOn = false;
        var calls = string.Join(", ", peers.Select(p => $"{p.Id} {p.Host.Faults.Calls:N0}"));
        foreach (var (_, host) in peers)
        {
            host.Faults.Update(FaultSettings.None);
            if (host.Generator is { } generator)
            {
                generator.Rate = 0;
            }
        }

        Console.WriteLine($"[{watch.Elapsed.TotalSeconds,5:0.0} s] faults off, counties stop changing; calls the peers saw under faults: {calls}");
    }

    await Task.WhenAll(peers.Select(p => RunAsync(p.Id)));
    var agree = new List<string>();
    var differ = new List<string>();
    foreach (var (id, host) in peers)
    {
        var state = await host.GetStateAsync(token);
        (await SameAsync(state) ? agree : differ).Add($"{id} ({state.TotalRecords:N0})");
    }

    Console.WriteLine($"[{watch.Elapsed.TotalSeconds,5:0.0} s] round {round}{(faultsOn ? " (faults on)" : "")}: agree {string.Join(", ", agree)}"
        + (differ.Count > 0 ? $"; differ {string.Join(", ", differ)}" : ""));
    if (differ.Count == 0 && !faultsOn)
    {
        var head = await province37.GetDigestAsync(new GetDigestRequest { RegionCode = City, EntityType = EntityType.Person }, deadline: Deadline(), cancellationToken: token);
        Console.WriteLine($"Converged {watch.Elapsed.TotalSeconds - faultSeconds:0.0} s after the faults stopped; the hub holds {head.Root.RecordCount:N0} persons of city {City}, as the city does.");
        await ShutdownAsync();
        return 0;
    }
}

Console.WriteLine($"Not converged within {timeoutSeconds} s.");
await ShutdownAsync();
return 1;

async Task RunAsync(string peerId)
{
    var trigger = await admin.TriggerSyncAsync(new TriggerSyncRequest { RequestId = Guid.NewGuid().ToString("N"), PeerId = peerId }, deadline: Deadline(), cancellationToken: token);
    while (!token.IsCancellationRequested)
    {
        using (var connection = jobs.GetConnection())
        {
            if (connection.GetJobData(trigger.RunId)?.State is "Succeeded" or "Failed" or "Deleted")
            {
                return;
            }
        }

        await Task.Delay(50, token);
    }
}

// Digests per entity type: the peer's own against the hub's for the peer's region.
async Task<bool> SameAsync(PeerState state)
{
    foreach (var type in Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified))
    {
        var digest = await province37.GetDigestAsync(
            new GetDigestRequest { RegionCode = state.RegionCode, EntityType = type, Depth = RegionLevel.County }, deadline: Deadline(), cancellationToken: token);
        var hub = digest.Root?.RecordCount > 0 ? digest.Root.Hash : "";
        if (hub != (state.Digests.TryGetValue(type, out var theirs) ? theirs : ""))
        {
            return false;
        }
    }

    return true;
}

async Task ShutdownAsync()
{
    await app.StopAsync(CancellationToken.None);
    await app.DisposeAsync();
    foreach (var (_, host) in peers)
    {
        await host.DisposeAsync();
    }
}

CallInvoker As(string bearer) => channel.Intercept(metadata =>
{
    metadata.Add("authorization", "Bearer " + bearer);
    return metadata;
});

static DateTime Deadline() => DateTime.UtcNow.AddSeconds(60);

static void Quiet(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Error);

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

// seeds/sample, found from the working directory or the program's own folder upwards.
static string FindSeeds()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "seeds", "sample");
            if (File.Exists(Path.Combine(candidate, "manifest.json")))
            {
                return candidate;
            }
        }
    }

    throw new DirectoryNotFoundException("seeds/sample not found: run the demo from inside the repository.");
}
