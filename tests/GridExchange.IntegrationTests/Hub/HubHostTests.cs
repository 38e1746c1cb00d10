using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>The hub as an operator and an integrator first meet it: reflection, health, UNIMPLEMENTED, restarts.</summary>
public sealed class HubHostTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-host-").FullName;
    private HubInstance? _hub;

    private string DatabasePath => Path.Combine(_directory, "hub.db");

    /// <inheritdoc />
    public async Task InitializeAsync() => _hub = await HubInstance.StartAsync(DatabasePath, null);

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
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Reflection_ListsEveryHubServiceOfTheContract()
    {
        var client = new ServerReflection.ServerReflectionClient(_hub!.Channel);
        using var call = client.ServerReflectionInfo(deadline: Calls.Deadline());
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToHashSet();

        string[] expected =
        [
            "gridexchange.v1.ExchangeService", "gridexchange.v1.RegistryService", "gridexchange.v1.PopulationService",
            "gridexchange.v1.CaseService", "gridexchange.v1.DirectiveService", "gridexchange.v1.StatsService",
            "gridexchange.v1.AdminService", "grpc.health.v1.Health",
        ];
        Assert.All(expected, name => Assert.Contains(name, services));
        // PeerService is implemented by county and city systems; the hub is only its client.
        Assert.DoesNotContain("gridexchange.v1.PeerService", services);
    }

    [Fact]
    public async Task Health_StoreUp_IsServing()
    {
        var health = new Health.HealthClient(_hub!.Channel);
        var response = await health.CheckAsync(new HealthCheckRequest(), deadline: Calls.Deadline());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Hangfire_EmbeddedDefault_RunsAnInMemoryServer()
    {
        var storage = _hub!.Services.GetRequiredService<JobStorage>();
        Assert.Equal("Hangfire.InMemory.InMemoryStorage", storage.GetType().FullName);

        // The server registers itself with its storage shortly after start-up.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (storage.GetMonitoringApi().Servers().Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var server = Assert.Single(storage.GetMonitoringApi().Servers());
        Assert.StartsWith("gridexchange-hub:", server.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_SameDatabase_KeepsDataAndDoesNotReloadTheSample()
    {
        var store = (await SampleTruth.GetAsync()).Grids.Count;
        await _hub!.DisposeAsync();
        _hub = null;

        // Second start with loading on but pointed at a folder with no manifest: a hub that tried
        // to load again would fail to start, so starting proves the non-empty store was kept.
        var noSample = Directory.CreateDirectory(Path.Combine(_directory, "no-sample")).FullName;
        _hub = await HubInstance.StartAsync(DatabasePath, null, loadSample: true, seedDirectory: noSample);
        var registry = new RegistryService.RegistryServiceClient(_hub.Channel);
        var province = (await registry.ListRegionsAsync(new ListRegionsRequest(), deadline: Calls.Deadline())).Regions.Single();
        var grids = await registry.ListGridsAsync(
            new ListGridsRequest { AncestorCode = province.Code, PageSize = 1000 }, deadline: Calls.Deadline());
        Assert.Equal(Math.Min(store, 1000), grids.Grids.Count);
    }
}
