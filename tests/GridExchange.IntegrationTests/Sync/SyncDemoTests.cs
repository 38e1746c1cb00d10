using System.Diagnostics;
using GridExchange.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The README's sync demo (<c>dotnet run --project src/GridExchange.Demo</c>) as a user runs it:
/// the built program, in its own process, with a short fault window — it must report
/// convergence and exit 0.
/// </summary>
public sealed class SyncDemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheDemo_ConvergesAfterTheFaultsStop_AndExitsZero()
    {
        // Built before this project (a ProjectReference without its assembly), Debug or Release.
        var program = new[] { "Debug", "Release" }
            .Select(c => Path.Combine(RepoPaths.Root, "src", "GridExchange.Demo", "bin", c, "net10.0", "GridExchange.Demo.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(program is not null, "GridExchange.Demo is not built: build the solution first.");

        using var process = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { program, "--fault-seconds", "6", "--timeout-seconds", "120" },
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await stdout;
        output.WriteLine(text);
        output.WriteLine(await stderr);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("faults off", text, StringComparison.Ordinal);
        Assert.Contains("Converged", text, StringComparison.Ordinal);
        Assert.Contains("(faults on)", text, StringComparison.Ordinal);
    }
}
