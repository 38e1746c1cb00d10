using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.V1;
using Google.Protobuf;
using Npgsql;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>The PostgreSQL adapter against a real server: migrations and a round trip.</summary>
public sealed class PostgresStoreTests
{
    [Fact]
    public async Task Migrate_TwiceAndConcurrently_AppliesEachMigrationOnce()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("migrate");
        await using var a = new PostgresHubStore(connectionString);
        await using var b = new PostgresHubStore(connectionString);
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
    public async Task BulkLoad_RoundTrip_KeepsNewestVersionAndPagesByScope()
    {
        await using var store = new PostgresHubStore(await PostgresServer.NewDatabaseAsync("roundtrip"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await store.MigrateAsync(timeout.Token);
        Assert.True(await store.IsEmptyAsync(timeout.Token));

        var at = new DateTimeOffset(2026, 11, 1, 8, 30, 0, TimeSpan.Zero);
        EntityRecord MakeGrid(string code, long version, string name) => new(
            EntityType.Grid, code, code, "", version, "county-370602", at,
            new Grid { Code = code, Name = name, VillageCode = code[..12] }.ToByteArray());

        // Version 2 arrives before version 1 in one load, and version 1 again in a second load:
        // the stored row stays at version 2 either way.
        var loaded = await store.BulkLoadAsync(ToAsync(
            MakeGrid("370602001001001", 2, "new"), MakeGrid("370602001001001", 1, "old"),
            MakeGrid("370602001001002", 1, "b"), MakeGrid("370611001001001", 1, "other county")), timeout.Token);
        Assert.Equal(4, loaded);
        await store.BulkLoadAsync(ToAsync(MakeGrid("370602001001001", 1, "old")), timeout.Token);

        var stored = await store.GetAsync(EntityType.Grid, "370602001001001", timeout.Token);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.Version);
        Assert.Equal(at, stored.UpdatedAt);
        Assert.Equal("new", EntityRecords.Parse(stored, Grid.Parser).Name);

        var first = await store.ListInScopeAsync(EntityType.Grid, "370602", null, 1, timeout.Token);
        var second = await store.ListInScopeAsync(EntityType.Grid, "370602", new EntityPosition(first[0].ScopeCode, first[0].Key), 10, timeout.Token);
        Assert.Equal(["370602001001001"], first.Select(r => r.Key));
        Assert.Equal(["370602001001002"], second.Select(r => r.Key));
        Assert.False(await store.IsEmptyAsync(timeout.Token));
        Assert.Null(await store.GetAsync(EntityType.Person, "370602001001001", timeout.Token));
    }

    private static async IAsyncEnumerable<EntityRecord> ToAsync(params EntityRecord[] records)
    {
        foreach (var record in records)
        {
            await Task.Yield();
            yield return record;
        }
    }
}
