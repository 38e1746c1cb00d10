using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using GridExchange.Storage.PostgreSql;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// The built hub (<c>src/GridExchange.Hub/bin/…/GridExchange.Hub.dll</c>) in a process of its own,
/// started as an operator starts it (<c>dotnet GridExchange.Hub.dll</c>, settings as
/// <c>GridExchange__…</c> environment variables) on a PostgreSQL database: a replica that can be
/// killed (SIGKILL) and restarted, or run beside another on the same database. An in-process
/// <see cref="HubInstance"/> can do neither.
/// </summary>
public sealed partial class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines;
    private readonly string _directory;

    private HubProcess(Process process, ConcurrentQueue<string> lines, string directory, Uri address)
    {
        _process = process;
        _lines = lines;
        _directory = directory;
        Address = address;
        RawChannel = GrpcChannel.ForAddress(address);
        Admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(RawChannel, "hub-admin"));
        Exchange = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(RawChannel));
    }

    /// <summary>Where the hub listens.</summary>
    public Uri Address { get; }

    /// <summary>The operating-system process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The channel without credentials.</summary>
    public GrpcChannel RawChannel { get; }

    /// <summary>AdminService as the operator (<c>hub-admin</c>).</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>ExchangeService as <see cref="TestPeers.Province"/>.</summary>
    public ExchangeService.ExchangeServiceClient Exchange { get; }

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => [.. _lines];

    /// <summary>Error and critical log entries (the console logger's <c>fail:</c> and <c>crit:</c> lines).</summary>
    public IReadOnlyList<string> Errors => Output.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

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

        var directory = Directory.CreateTempSubdirectory("gridx-hubproc-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["GridExchange:Port"] = "0",
            ["GridExchange:PostgreSql"] = postgres,
            ["GridExchange:LoadSampleOnFirstStart"] = "false",
            ["GridExchange:DashboardPort"] = "-1",
            ["GridExchange:AdminTokenFile"] = Path.Combine(directory, "admin.token"),
            ["GridExchange:DevTokensFile"] = Path.Combine(directory, "dev-tokens.txt"),
            ["GridExchange:HangfireQueuePollMs"] = "200",
            ["Logging:LogLevel:Default"] = "Warning",
            // The runs' summaries ("sync:pull:…: n batches …", "another run holds the lock"): which replica ran what.
            ["Logging:LogLevel:GridExchange.Hub.Sync.SyncJob"] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        };
        foreach (var (key, value) in TestKeys.Settings)
        {
            all[key] = value;
        }

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
        Uri address;
        try
        {
            address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (Exception e)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
            throw new InvalidOperationException("The hub process did not start: " + string.Join(Environment.NewLine, lines), e);
        }

        var hub = new HubProcess(process, lines, directory, address);
        if (registerTestPeers)
        {
            await using var store = new PostgresHubStore(postgres, TestKeys.Protection);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await TestPeers.RegisterAsync(store, timeout.Token);
        }

        return hub;
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
        RawChannel.Dispose();
        if (!_process.HasExited)
        {
            // A graceful stop (SIGTERM, as systemd or Kubernetes stops it), then SIGKILL if it hangs.
            using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }))
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
