using System.Globalization;
using GridExchange.Domain.Codes;
using RegionCodeValue = GridExchange.Domain.Codes.RegionCode;
using GridExchange.PeerSimulator.Faults;

namespace GridExchange.PeerSimulator;

/// <summary>What the simulated system plays.</summary>
public enum PeerRoleKind
{
    /// <summary>A county system the hub pulls from (ExportChanges).</summary>
    Source = 1,

    /// <summary>A city system the hub pushes to (ReceiveChanges, ReceiveDirective).</summary>
    Sink = 2,
}

/// <summary>How a simulator is set up; from the command line (<see cref="SimulatorCommandLine"/>) or built by tests.</summary>
public sealed record SimulatorOptions
{
    /// <summary>12-digit code of the jurisdiction: a county for a source, a city (or any region) for a sink.</summary>
    public required string RegionCode { get; init; }

    /// <summary>Source or sink.</summary>
    public required PeerRoleKind Role { get; init; }

    /// <summary>The bearer token the hub must present.</summary>
    public required string Token { get; init; }

    /// <summary>Loopback port for gRPC (HTTP/2 cleartext); 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Loopback port for the admin HTTP/1.1 JSON endpoint; 0 picks a free one, -1 turns it off.</summary>
    public int AdminPort { get; init; } = -1;

    /// <summary>Seed folder (with manifest.json) to fill an empty store from; null: start empty.</summary>
    public string? SeedDirectory { get; init; }

    /// <summary>Folder of the simulator's database; null: a temporary folder deleted on shutdown.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The source system the county's own records are owned by in its store; null: the seed
    /// file's (<c>county-370602</c>), else <c>sim-{region}</c>.
    /// </summary>
    public string? SourceSystem { get; init; }

    /// <summary>Generated changes per second (sources only); 0: none.</summary>
    public double Rate { get; init; }

    /// <summary>Seed of the change generator.</summary>
    public int GeneratorSeed { get; init; } = 1;

    /// <summary>Largest ExportChanges batch when the hub leaves it to the peer (and the cap on what it asks).</summary>
    public int MaxBatchSize { get; init; } = 500;

    /// <summary>Longest silence on a follow stream before a heartbeat (the contract says at most 30 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The faults in force at start.</summary>
    public FaultSettings Faults { get; init; } = FaultSettings.None;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (!RegionCodeValue.TryParse(RegionCode, out var region))
        {
            throw new ArgumentException($"--region {RegionCode} is not a 12-digit region code.");
        }

        if (Role == PeerRoleKind.Source && region.Level != DivisionLevel.County)
        {
            throw new ArgumentException($"A source simulates a county system: --region must be a county code, not {RegionCode}.");
        }

        if (string.IsNullOrWhiteSpace(Token))
        {
            throw new ArgumentException("--token must not be empty.");
        }

        if (Rate < 0 || MaxBatchSize is < 1 or > 1000 || HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException("--rate must be 0 or more, --batch-size 1 to 1000, --heartbeat above 0 and at most 30s.");
        }

        Faults.Validate();
    }
}

/// <summary>Parses the simulator's command line; the options are few, so no parser library.</summary>
public static class SimulatorCommandLine
{
    /// <summary>Help text.</summary>
    public const string Usage = """
        Usage: dotnet run --project src/GridExchange.PeerSimulator -- --region CODE --role source|sink [options]

          --region CODE          12-digit jurisdiction: a county (source) or a city (sink), e.g. 370602000000
          --role source|sink     source: serves ExportChanges; sink: ReceiveChanges and ReceiveDirective
          --token TOKEN          bearer token the hub must present (default: a random one, printed)
          --port N               gRPC port on 127.0.0.1, HTTP/2 cleartext (default 0: a free port)
          --admin-port N         admin HTTP/1.1 JSON endpoint on 127.0.0.1 (default off; 0: a free port)
          --seeds DIR            seed folder to fill an empty store from (e.g. seeds/sample)
          --data DIR             keep the database here (default: a temporary folder, deleted on exit)
          --source-system ID     owner of the county's records (default: the seed file's, e.g. county-370602)
          --rate N               generated changes per second, sources only (default 0)
          --generator-seed N     seed of the change generator (default 1)
          --batch-size N         largest export batch, 1-1000 (default 500)
          --heartbeat DURATION   follow-stream heartbeat, at most 30s (default 15s)
        Faults (change them at run time with PUT /faults on the admin port):
          --fault-seed N         seed of the fault decisions (default 1)
          --latency DURATION     delay before every call
          --drop P               probability of a plain UNAVAILABLE before anything is done
          --error unavailable|resource-exhausted|permission-denied|invalid-argument
                                 status of injected errors (default unavailable; the last two carry no RetryInfo)
          --error-rate P         probability of that error, with RetryInfo
          --retry-after DURATION RetryInfo delay of injected errors (default 1s)
          --blackhole P          probability of accepting a call and never answering
          --blackhole-after N    black-hole every call after the first N
          --reset-after N        reset every ExportChanges stream after N messages
          --reset-rate P         probability that a stream is reset (default 1)
          --slow-read DURATION   delay between streamed messages
        Durations: 250ms, 2s, 1m, or a number of milliseconds.
        """;

    /// <summary>Parses <paramref name="args"/>; on failure <paramref name="error"/> says why ("" for --help).</summary>
    public static bool TryParse(IReadOnlyList<string> args, out SimulatorOptions? options, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = null;
        error = null;
        string? region = null;
        PeerRoleKind? role = null;
        string? token = null;
        var template = new SimulatorOptions { RegionCode = "", Role = PeerRoleKind.Source, Token = "" };
        var faults = FaultSettings.None;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                error = string.Empty;
                return false;
            }

            if (i + 1 >= args.Count)
            {
                error = $"Option {name} needs a value.";
                return false;
            }

            var value = args[++i];
            var ok = true;
            switch (name)
            {
                case "--region": region = value; break;
                case "--role" when value is "source": role = PeerRoleKind.Source; break;
                case "--role" when value is "sink": role = PeerRoleKind.Sink; break;
                case "--token": token = value; break;
                case "--port": ok = Int(value, out var port) && port is >= 0 and <= 65535; template = template with { Port = port }; break;
                case "--admin-port": ok = Int(value, out var admin) && admin is >= -1 and <= 65535; template = template with { AdminPort = admin }; break;
                case "--seeds": template = template with { SeedDirectory = value }; break;
                case "--data": template = template with { DataDirectory = value }; break;
                case "--source-system": template = template with { SourceSystem = value }; break;
                case "--rate": ok = Double(value, out var rate); template = template with { Rate = rate }; break;
                case "--generator-seed": ok = Int(value, out var gseed); template = template with { GeneratorSeed = gseed }; break;
                case "--batch-size": ok = Int(value, out var batch); template = template with { MaxBatchSize = batch }; break;
                case "--heartbeat": ok = TryParseDuration(value, out var heartbeat); template = template with { HeartbeatInterval = heartbeat }; break;
                case "--fault-seed": ok = Int(value, out var fseed); faults = faults with { Seed = fseed }; break;
                case "--latency": ok = Millis(value, out var latency); faults = faults with { LatencyMs = latency }; break;
                case "--drop": ok = Double(value, out var drop); faults = faults with { DropProbability = drop }; break;
                case "--error" when value is "unavailable": faults = faults with { Error = InjectedError.Unavailable }; break;
                case "--error" when value is "resource-exhausted": faults = faults with { Error = InjectedError.ResourceExhausted }; break;
                case "--error" when value is "permission-denied": faults = faults with { Error = InjectedError.PermissionDenied }; break;
                case "--error" when value is "invalid-argument": faults = faults with { Error = InjectedError.InvalidArgument }; break;
                case "--error-rate": ok = Double(value, out var errorRate); faults = faults with { ErrorProbability = errorRate }; break;
                case "--retry-after": ok = Millis(value, out var retry); faults = faults with { RetryAfterMs = retry }; break;
                case "--blackhole": ok = Double(value, out var hole); faults = faults with { BlackHoleProbability = hole }; break;
                case "--blackhole-after": ok = Int(value, out var holeAfter); faults = faults with { BlackHoleAfterCalls = holeAfter }; break;
                case "--reset-after": ok = Int(value, out var reset); faults = faults with { ResetAfterMessages = reset }; break;
                case "--reset-rate": ok = Double(value, out var resetRate); faults = faults with { ResetProbability = resetRate }; break;
                case "--slow-read": ok = Millis(value, out var slow); faults = faults with { SlowReadMs = slow }; break;
                default: ok = false; break;
            }

            if (!ok)
            {
                error = $"Unknown option or bad value: {name} {value}";
                return false;
            }
        }

        if (region is null || role is null)
        {
            error = "--region and --role are required.";
            return false;
        }

        var result = template with
        {
            RegionCode = region,
            Role = role.Value,
            Token = token ?? "",
            Faults = faults,
        };
        if (token is null)
        {
            result = result with { Token = "sim_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) };
        }

        try
        {
            result.Validate();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }

        options = result;
        return true;
    }

    /// <summary>Parses <c>250ms</c>, <c>2s</c>, <c>1m</c> or a plain number of milliseconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = default;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * unit);
        return true;
    }

    private static bool Millis(string text, out int milliseconds)
    {
        milliseconds = 0;
        if (!TryParseDuration(text, out var duration) || duration.TotalMilliseconds > int.MaxValue)
        {
            return false;
        }

        milliseconds = (int)duration.TotalMilliseconds;
        return true;
    }

    private static bool Int(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool Double(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
