using System.Diagnostics;
using GridExchange.Seeds;
using GridExchange.Storage;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Startup;

/// <summary>
/// Runs before the hub accepts calls: applies migrations, then loads the sample province into
/// an empty store through the same ingest path as SubmitChanges, so the sample is in the change
/// feed too. A store that already holds data is never reloaded. Then issues first-start
/// credentials (<see cref="CredentialBootstrap"/>).
/// </summary>
internal sealed partial class HubInitializer(IHubStore store, IOptions<HubOptions> options, CredentialBootstrap credentials, ILogger<HubInitializer> logger)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await store.MigrateAsync(cancellationToken);
        LogMigrated(store.Kind);
        await LoadSampleAsync(cancellationToken);
        await credentials.RunAsync(cancellationToken);
    }

    private async Task LoadSampleAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ShouldLoadSample || !await store.IsEmptyAsync(cancellationToken))
        {
            return;
        }

        var directory = SeedLocator.Resolve(options.Value.SeedDirectory);
        if (directory is null)
        {
            LogNoSample();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var manifest = SeedReader.LoadManifest(directory);
        var total = await SampleLoader.LoadAsync(store, directory, manifest, cancellationToken);
        LogLoaded(total, directory, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store {Kind} migrated")]
    private partial void LogMigrated(string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No sample province found (seeds/sample); starting with an empty store")]
    private partial void LogNoSample();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} sample records from {Directory} in {Seconds:F1} s")]
    private partial void LogLoaded(long count, string directory, double seconds);
}

/// <summary>Finds the sample province folder.</summary>
internal static class SeedLocator
{
    /// <summary>
    /// The configured folder, or the <c>seeds/sample</c> of the checkout found by walking up from
    /// the working directory and then from the binaries; null when none holds a manifest.
    /// </summary>
    public static string? Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "manifest.json"))
                ? Path.GetFullPath(configured)
                : throw new DirectoryNotFoundException($"GridExchange:SeedDirectory '{configured}' holds no manifest.json.");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "seeds", "sample");
                if (File.Exists(Path.Combine(candidate, "manifest.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
