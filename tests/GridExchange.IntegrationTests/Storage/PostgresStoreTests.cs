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

    /// <summary>
    /// Migration 16 rewrote region_stats_codes as one inlinable expression: it must give the same
    /// set as the sub-select it replaced (each level from the province down, each once), for
    /// every level, for grids, and for codes whose zero runs make levels coincide.
    /// </summary>
    [Theory]
    [InlineData("370000000000", "370000000000")]
    [InlineData("370600000000", "370000000000 370600000000")]
    [InlineData("370602000000", "370000000000 370600000000 370602000000")]
    [InlineData("370602001000", "370000000000 370600000000 370602000000 370602001000")]
    [InlineData("370602001001", "370000000000 370600000000 370602000000 370602001000 370602001001")]
    [InlineData("370602001001001", "370000000000 370600000000 370602000000 370602001000 370602001001 370602001001001")]
    [InlineData("370000123000", "370000000000 370000123000")]
    [InlineData("370600000001", "370000000000 370600000000 370600000001")]
    public async Task RegionStatsCodes_AreEachLevelOnce(string scope, string expected)
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("codes");
        await using var store = new PostgresHubStore(connectionString, TestKeys.Protection);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await store.MigrateAsync(timeout.Token);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand("SELECT region_stats_codes(@scope)", connection);
        command.Parameters.AddWithValue("scope", scope);
        var codes = (string[])(await command.ExecuteScalarAsync(timeout.Token))!;
        Assert.Equal(expected.Split(' '), codes.Order(StringComparer.Ordinal));
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
