using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the tests. <c>GRIDEXCHANGE_TEST_PG</c> names one (CI's <c>.ci/run</c>
/// exports it); without it, a throwaway cluster is initialised on a free loopback port and
/// stopped when the test process exits (as the <c>postgres</c> user when running as root, since
/// initdb refuses root). The test host may be killed before its exit handler finishes, so each
/// run also removes clusters left behind by earlier runs whose test process is gone.
/// A machine without PostgreSQL fails loudly: these tests are never skipped.
/// One server serves the whole test run; every test gets its own database.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync);

    /// <summary>The environment variable holding an admin connection string.</summary>
    public const string EnvironmentVariable = "GRIDEXCHANGE_TEST_PG";

    private string? _clusterDirectory;
    private string? _binDirectory;

    /// <summary>Connection string to the server's <c>postgres</c> database, as a superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"gx_{purpose}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name[..Math.Min(name.Length, 63)];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ToString();
    }

    /// <summary>
    /// A PostgreSQL client program (<c>pg_dump</c>…): the one beside the throwaway server's
    /// <c>initdb</c>, else the newest under <c>/usr/lib/postgresql</c>, else the name alone (PATH).
    /// </summary>
    public string ClientProgram(string name)
    {
        var directories = _binDirectory is not null
            ? [_binDirectory]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().ToArray()
                : [];
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) ?? name;
    }

    /// <summary>The run's server, started on first use and stopped when the test process exits.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Creates a fresh, empty database on the run's server and returns its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(string purpose) =>
        await (await GetAsync()).CreateDatabaseAsync(purpose);

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = new PostgresServer();
        await server.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().GetAwaiter().GetResult();
        return server;
    }

    private async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            AdminConnectionString = configured;
            return;
        }

        _binDirectory = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (_binDirectory is null)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL: set {EnvironmentVariable} to a connection string, or install PostgreSQL (apt-get install postgresql).");
        }

        var asRoot = Environment.UserName == "root";
        await RemoveAbandonedClustersAsync(_binDirectory, asRoot);
        var port = FreePort();
        _clusterDirectory = Directory.CreateTempSubdirectory(ClusterPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(_clusterDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (asRoot)
        {
            await RunAsync("chown", $"postgres:postgres {_clusterDirectory}", asPostgres: false);
        }

        var data = Path.Combine(_clusterDirectory, "data");
        await RunAsync(Path.Combine(_binDirectory, "initdb"), $"-D {data} -A trust -U postgres --no-sync -E UTF8", asRoot);
        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
            $"-D {data} -l {Path.Combine(_clusterDirectory, "log")} -w -o \"-p {port} -k {_clusterDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start",
            asRoot);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
    }

    private async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_clusterDirectory is null || _binDirectory is null)
        {
            return;
        }

        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), $"-D {Path.Combine(_clusterDirectory, "data")} -m immediate stop",
            Environment.UserName == "root");
        Directory.Delete(_clusterDirectory, recursive: true);
    }

    private const string ClusterPrefix = "gridx-pg-";
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// Stops and deletes throwaway clusters whose owning test process no longer runs (their
    /// exit handler was cut short). Clusters of test runs still alive are left alone.
    /// </summary>
    private static async Task RemoveAbandonedClustersAsync(string binDirectory, bool asRoot)
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), ClusterPrefix + "*"))
        {
            var ownerPath = Path.Combine(directory, OwnerFile);
            if (File.Exists(ownerPath)
                && int.TryParse(await File.ReadAllTextAsync(ownerPath), NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                && IsRunning(owner))
            {
                continue;
            }

            try
            {
                var data = Path.Combine(directory, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    await RunAsync(Path.Combine(binDirectory, "pg_ctl"), $"-D {data} -m immediate stop", asRoot);
                }

                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another run may be sweeping the same directory; it is not this run's to fail on.
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string arguments, bool asPostgres)
    {
        var start = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }
}
