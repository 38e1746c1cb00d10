using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the tests. <c>GRIDEXCHANGE_TEST_PG</c> names one (CI's <c>.ci/run</c>
/// exports it); without it, a throwaway cluster is initialised on a free loopback port and
/// removed afterwards (as the <c>postgres</c> user when running as root, since initdb refuses root).
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
                $"No PostgreSQL: set {EnvironmentVariable} to a connection string, or install PostgreSQL 15 (apt-get install postgresql-15).");
        }

        var port = FreePort();
        _clusterDirectory = Directory.CreateTempSubdirectory("gridx-pg-").FullName;
        var asRoot = Environment.UserName == "root";
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
