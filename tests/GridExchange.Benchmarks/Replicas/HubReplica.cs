using GridExchange.Benchmarks.Infrastructure;
using GridExchange.TestSupport;

namespace GridExchange.Benchmarks.Replicas;

/// <summary>
/// Starts one hub replica: the built hub (<c>GridExchange.Hub.dll</c>, copied beside this program
/// as a referenced project, so the same build configuration) in a process of its own
/// (<see cref="HubLauncher"/>, shared as source with the integration tests' <c>HubProcess</c>) on
/// the shared PostgreSQL database, with the run's encryption keys, no Hangfire server (its
/// polling is noise) and no per-peer call limit (one peer pulls through many clients).
/// </summary>
internal static class HubReplica
{
    /// <summary>Starts a replica on <paramref name="postgres"/> and waits until it listens.</summary>
    public static Task<HubLauncher> StartAsync(string postgres, CancellationToken cancellationToken)
    {
        var program = Path.Combine(AppContext.BaseDirectory, "GridExchange.Hub.dll");
        if (!File.Exists(program) || !File.Exists(Path.ChangeExtension(program, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"The hub is not built beside the benchmarks ({program}): build the benchmark project.");
        }

        var settings = new Dictionary<string, string?>
        {
            ["GridExchange:RunHangfireServer"] = "false",
            ["GridExchange:RateLimitPerSecond"] = "0",
        };
        foreach (var (key, value) in BenchKeys.Settings)
        {
            settings[key] = value;
        }

        return HubLauncher.StartAsync(program, postgres, settings, cancellationToken);
    }
}
