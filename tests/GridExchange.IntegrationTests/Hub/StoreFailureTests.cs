using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using Npgsql;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>A store that goes away mid-service gives clients a retryable, machine-readable error.</summary>
public sealed class StoreFailureTests
{
    [Fact]
    public async Task Call_DatabaseGone_IsUnavailableWithRetryInfo()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("gone");
        await using var hub = await HubInstance.StartAsync(null, connectionString, loadSample: true, runHangfire: false);
        var registry = new RegistryService.RegistryServiceClient(hub.Channel);
        Assert.NotEmpty((await registry.ListRegionsAsync(new ListRegionsRequest(), deadline: Calls.Deadline())).Regions);

        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        var admin = (await PostgresServer.GetAsync()).AdminConnectionString;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        var status = await ErrorAssert.ThrowsAsync(
            () => registry.ListRegionsAsync(new ListRegionsRequest(), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.Unavailable, "SERVICE_UNAVAILABLE");
        var retry = status.GetDetail<Google.Rpc.RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
    }
}
