using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GridExchange.Benchmarks.Reporting;
using Npgsql;

namespace GridExchange.Benchmarks.Infrastructure;

/// <summary>
/// The PostgreSQL the benchmarks run on, found the way the integration tests find theirs
/// (this is a copy of their <c>PostgresServer</c>, not a reference to the test project):
/// <c>GRIDEXCHANGE_TEST_PG</c> names a server; without it a throwaway cluster is initialised
/// on a free loopback port with <c>fsync=off</c> (as the <c>postgres</c> user when running as
/// root, since initdb refuses root) and stopped and deleted by <see cref="DisposeAsync"/>.
/// A cluster left behind by a killed run is removed by the next run.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The environment variable holding an admin connection string.</summary>
    public const string EnvironmentVariable = "GRIDEXCHANGE_TEST_PG";

    private const string ClusterPrefix = "gridx-bench-pg-";
    private const string OwnerFile = "owner.pid";

    private readonly List<string> _databases = [];
    private string? _clusterDirectory;
    private string? _binDirectory;
    private bool _keep;

    private PostgresServer()
    {
    }

    /// <summary>Connection string to the server's <c>postgres</c> database, as a superuser.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Where the server came from, for the report.</summary>
    public string Description { get; private set; } = "";

    /// <summary>Starts (or connects to) the server.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken)
    {
        var server = new PostgresServer();
        try
        {
            await server.InitializeAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Starts (or connects to) the server, runs <paramref name="body"/> on it and disposes it
    /// whatever happens. A failure is printed and noted in the report, so the run still prints
    /// its summary of what it did measure; returns false then.
    /// </summary>
    public static async Task<bool> RunAsync(string what, Report report, Func<PostgresServer, Task> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(body);
        PostgresServer? server = null;
        try
        {
            server = await StartAsync(cancellationToken);
            Console.WriteLine($"PostgreSQL {await server.VersionAsync(cancellationToken)}: {server.Description}");
            await body(server);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"{what} failed: {e}");
            report.Note($"{what} failed: {e.GetType().Name}: {e.Message}");
            return false;
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Creates a fresh, empty database, dropped again on dispose; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose, CancellationToken cancellationToken)
    {
        var name = $"gx_bench_{purpose}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name[..Math.Min(name.Length, 63)];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true, MaxPoolSize = 50 }.ToString();
    }

    /// <summary>The server's version string.</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SHOW server_version", connection);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            AdminConnectionString = configured;
            Description = $"{EnvironmentVariable} (databases created and dropped by this run)";
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
        await RemoveAbandonedClustersAsync(_binDirectory, asRoot, cancellationToken);
        var port = FreePort();
        _clusterDirectory = Directory.CreateTempSubdirectory(ClusterPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(_clusterDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        if (asRoot)
        {
            await RunAsync("chown", $"postgres:postgres {_clusterDirectory}", asPostgres: false, cancellationToken);
        }

        var data = Path.Combine(_clusterDirectory, "data");
        await RunAsync(Path.Combine(_binDirectory, "initdb"), $"-D {data} -A trust -U postgres --no-sync -E UTF8", asRoot, cancellationToken);
        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
            $"-D {data} -l {Path.Combine(_clusterDirectory, "log")} -w -o \"-p {port} -k {_clusterDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start",
            asRoot, cancellationToken);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
        Description = $"throwaway cluster from {_binDirectory}, port {port}, fsync=off";
    }

    /// <summary>
    /// Leaves the server and the run's databases as they are on dispose (the scale scenario's
    /// <c>--keep-db</c>). A throwaway cluster keeps running until stopped by hand or swept by the
    /// next benchmark run, which removes clusters whose run has ended.
    /// </summary>
    public void Keep() => _keep = true;

    /// <summary>Drops the run's databases, or stops and deletes the throwaway cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_keep)
        {
            Console.WriteLine(_clusterDirectory is null
                ? "Kept the run's databases."
                : $"Kept the throwaway cluster in {_clusterDirectory} (running; the next benchmark run removes it): {AdminConnectionString}");
            return;
        }

        if (_clusterDirectory is null || _binDirectory is null)
        {
            if (AdminConnectionString.Length > 0)
            {
                await DropDatabasesAsync();
            }

            return;
        }

        var data = Path.Combine(_clusterDirectory, "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), $"-D {data} -m immediate stop",
                Environment.UserName == "root", CancellationToken.None);
        }

        Directory.Delete(_clusterDirectory, recursive: true);
    }

    private async Task DropDatabasesAsync()
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        foreach (var name in _databases)
        {
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Stops and deletes throwaway clusters whose owning benchmark process no longer runs.</summary>
    private static async Task RemoveAbandonedClustersAsync(string binDirectory, bool asRoot, CancellationToken cancellationToken)
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), ClusterPrefix + "*"))
        {
            var ownerPath = Path.Combine(directory, OwnerFile);
            if (File.Exists(ownerPath)
                && int.TryParse(await File.ReadAllTextAsync(ownerPath, cancellationToken), NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                && IsRunning(owner))
            {
                continue;
            }

            try
            {
                var data = Path.Combine(directory, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    await RunAsync(Path.Combine(binDirectory, "pg_ctl"), $"-D {data} -m immediate stop", asRoot, cancellationToken);
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

    private static async Task RunAsync(string file, string arguments, bool asPostgres, CancellationToken cancellationToken)
    {
        var start = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }
}
