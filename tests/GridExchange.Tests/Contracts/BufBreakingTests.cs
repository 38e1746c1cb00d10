using System.Diagnostics;
using GridExchange.Tests.Seeds;

namespace GridExchange.Tests.Contracts;

/// <summary>
/// The <c>buf breaking</c> gate CI runs (<c>.ci/run</c>) against the committed image of the last
/// contracts release, <c>.ci/baseline/gridexchange-v1.binpb</c>: the tree as it is passes, and a
/// copy of <c>protos/</c> with a field renumbered or removed fails, naming the field.
/// </summary>
/// <remarks>
/// Runs the pinned buf CLI that <c>npm ci --prefix .ci</c> installs (CI's <c>.ci/run</c> does so
/// before the tests). Without it these tests fail, telling how to install it, rather than
/// skip: a skipped gate reads as a passed one. They do not install it themselves, as unit tests
/// use no network.
/// </remarks>
public class BufBreakingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static string Root => SeedTestSupport.RepositoryRoot();

    private static string Baseline => Path.Combine(Root, ".ci", "baseline", "gridexchange-v1.binpb");

    [Fact]
    public async Task TheTreeAsItIs_PassesAgainstTheBaseline()
    {
        var (exit, output) = await BufBreakingAsync(Root);
        Assert.True(exit == 0, $"buf breaking failed on the unmodified tree (exit {exit}):\n{output}");
    }

    [Theory]
    // A field renumbered: the old number is gone, the new one appears.
    [InlineData("registry_service.proto", "  string region_code = 1;\n}", "  string region_code = 7;\n}", "region_code", "GetRegionRequest")]
    // A field removed without reserving it.
    [InlineData("region.proto", "  string name = 4;\n", "", "name", "Region")]
    public async Task ABreakingChange_FailsNamingTheField(string file, string before, string after, string field, string message)
    {
        var work = Directory.CreateTempSubdirectory("gridx-buf-breaking-").FullName;
        try
        {
            File.Copy(Path.Combine(Root, "buf.yaml"), Path.Combine(work, "buf.yaml"));
            CopyDirectory(Path.Combine(Root, "protos"), Path.Combine(work, "protos"));
            var path = Path.Combine(work, "protos", "gridexchange", "v1", file);
            var text = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
            Assert.True(text.Contains(before, StringComparison.Ordinal), $"{file} no longer holds the text this test changes: {before}");
            await File.WriteAllTextAsync(path, ReplaceFirst(text, before, after));

            var (exit, output) = await BufBreakingAsync(work);
            Assert.True(exit != 0, $"buf breaking passed a breaking change to {message}.{field}:\n{output}");
            Assert.Contains($"\"{field}\"", output, StringComparison.Ordinal);
            Assert.Contains(message, output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // buf breaking in `directory` (a workspace with buf.yaml) against the committed baseline.
    private static async Task<(int Exit, string Output)> BufBreakingAsync(string directory)
    {
        Assert.True(File.Exists(Baseline), $"The baseline image {Baseline} is missing (see README, \"Contracts\").");
        var start = new ProcessStartInfo(Buf())
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("breaking");
        start.ArgumentList.Add("--against");
        start.ArgumentList.Add(Baseline);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("buf did not start.");
        using var timeout = new CancellationTokenSource(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"buf breaking did not finish within {Timeout.TotalSeconds} s.");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    // The pinned CLI in .ci/node_modules; a clear failure when it is not installed.
    private static string Buf()
    {
        var bin = Path.Combine(Root, ".ci", "node_modules", ".bin", OperatingSystem.IsWindows() ? "buf.cmd" : "buf");
        Assert.True(File.Exists(bin),
            $"The buf CLI is not installed at {bin}. Run `npm ci --prefix .ci` in the repository root (CI's .ci/run does it before the tests); "
            + "these tests check the contracts' breaking-change gate and fail rather than skip without it.");
        return bin;
    }

    private static string ReplaceFirst(string text, string before, string after)
    {
        var at = text.IndexOf(before, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), after, text.AsSpan(at + before.Length));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}
