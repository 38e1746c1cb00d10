using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>One connection string switches the whole hub to PostgreSQL: the store and Hangfire.</summary>
public sealed class PostgresHubTests(PostgresHubFixture fixture) : IClassFixture<PostgresHubFixture>
{
    [Fact]
    public async Task Start_WithConnectionString_MigratesAndUsesPostgresForStoreAndHangfire()
    {
        var store = fixture.Hub.Services.GetRequiredService<IHubStore>();
        Assert.Equal("postgresql", store.Kind);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Contains(1, await store.GetAppliedMigrationsAsync(timeout.Token));
        Assert.False(await store.IsEmptyAsync(timeout.Token));

        var storage = fixture.Hub.Services.GetRequiredService<JobStorage>();
        Assert.Equal("Hangfire.PostgreSql.PostgreSqlStorage", storage.GetType().FullName);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (storage.GetMonitoringApi().Servers().Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, timeout.Token);
        }

        Assert.Single(storage.GetMonitoringApi().Servers());
    }
}
