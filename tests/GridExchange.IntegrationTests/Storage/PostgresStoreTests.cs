using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using Npgsql;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>The PostgreSQL adapter against a real server: concurrent migrations. The rest is in <see cref="StoreContractTests"/>.</summary>
public sealed class PostgresStoreTests
{
    [Fact]
    public async Task Migrate_TwiceAndConcurrently_AppliesEachMigrationOnce()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("migrate");
        await using var a = new PostgresHubStore(connectionString, TestKeys.Protection);
        await using var b = new PostgresHubStore(connectionString, TestKeys.Protection);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        await Task.WhenAll(a.MigrateAsync(timeout.Token), b.MigrateAsync(timeout.Token));
        await a.MigrateAsync(timeout.Token);

        var applied = await a.GetAppliedMigrationsAsync(timeout.Token);
        Assert.Equal(applied.Distinct().Order(), applied);
        Assert.Contains(1, applied);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", connection);
        Assert.Equal((long)applied.Count, (long)(await command.ExecuteScalarAsync(timeout.Token))!);
    }

    [Fact]
    public async Task Migrate_StoresBatchAnswersUncompressed()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("answers");
        await using var store = new PostgresHubStore(connectionString, TestKeys.Protection);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await store.MigrateAsync(timeout.Token);

        // 'e' = EXTERNAL: out of line when large, never pglz-compressed (migration 6).
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'ingest_requests'::regclass AND attname = 'response'", connection);
        Assert.Equal('e', (char)(await command.ExecuteScalarAsync(timeout.Token))!);
    }
}
