using GridExchange.Seeds;
using GridExchange.V1;

namespace GridExchange.Tests.Seeds;

/// <summary>Locates the committed sample and makes throw-away output directories.</summary>
internal static class SeedTestSupport
{
    /// <summary>Generous bound for generating or reading the whole sample (about 2 s on the CI machine).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>The folder holding GridExchange.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
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

    public static string SampleDirectory() => Path.Combine(RepositoryRoot(), "seeds", "sample");

    public static async Task<List<Change>> ReadAllAsync(string path)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var changes = new List<Change>();
        await foreach (var change in SeedReader.ReadAsync(path, cts.Token))
        {
            changes.Add(change);
        }

        return changes;
    }

    public static async Task<SeedManifest> GenerateAsync(SeedOptions options)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await SeedGenerator.GenerateAsync(options, progress: null, cts.Token).WaitAsync(Timeout);
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gridx-seeds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
