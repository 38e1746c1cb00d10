namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>One hub shared by the tests of a class that only read from it.</summary>
public abstract class HubFixture : IAsyncLifetime
{
    private HubInstance? _hub;
    private string? _directory;

    /// <summary>The running hub.</summary>
    public HubInstance Hub => _hub ?? throw new InvalidOperationException("The hub has not started.");

    /// <summary>Starts the hub on the fixture's store.</summary>
    protected abstract Task<HubInstance> StartAsync();

    /// <inheritdoc />
    public async Task InitializeAsync() => _hub = await StartAsync();

    /// <summary>A SQLite file in a new temporary folder (named from <paramref name="prefix"/>) that disposing removes.</summary>
    protected string NewSqlitePath(string prefix)
    {
        _directory = Directory.CreateTempSubdirectory(prefix).FullName;
        return Path.Combine(_directory, "hub.db");
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        try
        {
            if (_hub is not null)
            {
                await _hub.DisposeAsync();
                Assert.True(_hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, _hub.ErrorLog.Errors));
            }
        }
        finally
        {
            if (_directory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}

/// <summary>A hub on the embedded default: a SQLite file in a temporary folder, sample loaded.</summary>
public sealed class SqliteHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() => HubInstance.StartAsync(NewSqlitePath("gridx-sqlite-"), null);
}

/// <summary>A hub on its own PostgreSQL database, sample loaded.</summary>
public sealed class PostgresHubFixture : HubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() =>
        await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("hub"));
}
