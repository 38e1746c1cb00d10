using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GridExchange.TestSupport;

/// <summary>
/// The built hub (<c>GridExchange.Hub.dll</c>) in a process of its own, started as an operator
/// starts it (<c>dotnet GridExchange.Hub.dll</c>, settings as <c>GridExchange__…</c> environment
/// variables) on a PostgreSQL database: a replica that can be killed (SIGKILL), stopped
/// (SIGTERM) or run beside others on the same database. Shared as source by the integration
/// tests (<c>HubProcess</c>) and the benchmarks (<c>HubReplica</c>), which do not reference each other.
/// </summary>
internal sealed partial class HubLauncher : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines;
    private readonly string _directory;

    private HubLauncher(Process process, ConcurrentQueue<string> lines, string directory, Uri address)
    {
        _process = process;
        _lines = lines;
        _directory = directory;
        Address = address;
    }

    /// <summary>Where the hub listens.</summary>
    public Uri Address { get; }

    /// <summary>The operating-system process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => [.. _lines];

    /// <summary>Error and critical log entries (the console logger's <c>fail:</c> and <c>crit:</c> lines).</summary>
    public IReadOnlyList<string> Errors =>
        [.. _lines.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal))];

    /// <summary>
    /// Starts <paramref name="program"/> on <paramref name="postgres"/> (a free port, no dashboard,
    /// no sample, its token files in a directory of its own, warnings and errors logged one a
    /// line) with <paramref name="settings"/> (<c>GridExchange:…</c> keys) on top, and waits until
    /// it listens.
    /// </summary>
    public static async Task<HubLauncher> StartAsync(
        string program, string postgres, IEnumerable<KeyValuePair<string, string?>> settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var directory = Directory.CreateTempSubdirectory("gridx-hubproc-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["GridExchange:Port"] = "0",
            ["GridExchange:PostgreSql"] = postgres,
            ["GridExchange:LoadSampleOnFirstStart"] = "false",
            ["GridExchange:DashboardPort"] = "-1",
            ["GridExchange:AdminTokenFile"] = Path.Combine(directory, "admin.token"),
            ["GridExchange:DevTokensFile"] = Path.Combine(directory, "dev-tokens.txt"),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { program },
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in all)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
        }

        var lines = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lines.Enqueue(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The hub process exited while starting."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            return new HubLauncher(process, lines, directory, address);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
            Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException("The hub process did not start: " + string.Join(Environment.NewLine, lines), e);
        }
    }

    /// <summary>
    /// Kills the process with SIGKILL (<see cref="Process.Kill()"/> on Linux): no shutdown code
    /// runs, its connections are cut by the kernel. Returns the exit code (137 = 128 + SIGKILL).
    /// </summary>
    public async Task<int> KillAsync()
    {
        _process.Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Counts the output lines containing <paramref name="text"/>.</summary>
    public int CountLines(string text) => _lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A graceful stop (SIGTERM, as systemd or Kubernetes stops it), then SIGKILL if it hangs.
            using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) } }))
            {
                await term!.WaitForExitAsync(CancellationToken.None);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [GeneratedRegex(@"GridExchange hub listening on (\S+)")]
    private static partial Regex ListeningLine();
}
