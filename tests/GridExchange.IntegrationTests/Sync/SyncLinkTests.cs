using Google.Protobuf.WellKnownTypes;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The links' less common paths against the simulators: a full export that no longer holds a
/// record deletes it at the hub; a sink on another cursor gets the batches from its own cursor; a
/// sink without one (a new system at the endpoint) gets a reload.
/// </summary>
public sealed class SyncLinkTests
{
    private const string Zhifu = "370602000000";

    [Fact]
    public async Task Pull_FullExportWithoutARecord_DeletesItAtTheHub()
    {
        await using var harness = await SyncHarness.StartAsync();
        var county = await harness.StartCountyAsync(Zhifu);
        await harness.RegisterAsync("sim-370602", county);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602"));
        var store = harness.Hub.Services.GetRequiredService<IHubStore>();
        var person = (await store.ListInScopeAsync(EntityType.Person, "370602", null, 1, CancellationToken.None))[0];

        // The county deletes a person; the hub asks for a full export (as after a digest mismatch).
        await county.Source!.SubmitAsync([new Change
        {
            EntityType = EntityType.Person,
            EntityKey = person.Key,
            Operation = ChangeOperation.Delete,
            EntityVersion = person.Version + 1,
            SourceChangeId = "test-delete-1",
        }], CancellationToken.None);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull, fullResync: true));

        var run = harness.LastRun("sim-370602", SyncDirection.Pull)!.LastResult!;
        Assert.Equal(1, run.Deleted);
        Assert.Equal(0, run.Rejected);
        Assert.Null(await store.GetAsync(EntityType.Person, person.Key, CancellationToken.None));
        Assert.Empty(await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None)));

        // Incremental again: the county's own DELETE comes as a change and is stale (already deleted).
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Empty(await harness.DifferencesAsync(await county.GetStateAsync(CancellationToken.None)));
    }

    [Fact]
    public async Task Push_SinkOnAnotherCursor_ResendsFromItsCursor_AndANewSinkGetsAReload()
    {
        await using var harness = await SyncHarness.StartAsync();
        await harness.LoadProvinceRegionsAsync();
        var county = await harness.StartCountyAsync(Zhifu);
        var city = await harness.StartCityAsync();
        await harness.RegisterAsync("sim-370602", county);
        await harness.RegisterAsync("sim-3706", city);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602"));
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706"));
        var syncStore = (ISyncStore)harness.Hub.Services.GetRequiredService<IHubStore>();
        var afterReload = (await syncStore.GetSyncLinkAsync("sim-3706", SyncDirection.Push, CancellationToken.None))!;
        Assert.Equal(1, harness.LastRun("sim-3706", SyncDirection.Push)!.LastResult!.Reloads);

        // More changes, pushed incrementally.
        county.Generator!.Rate = 100;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (county.Generator.Committed < 20 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        county.Generator.Rate = 0;
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602"));
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706"));
        var ahead = (await city.GetStateAsync(CancellationToken.None)).Position;
        Assert.NotEqual(afterReload.Position, ahead);
        Assert.Equal(0, harness.LastRun("sim-3706", SyncDirection.Push)!.LastResult!.Reloads);

        // The hub's record of the link goes back (a restored hub database): the sink answers
        // OUT_OF_ORDER with its cursor and the hub continues from there, without a reload.
        await syncStore.SaveSyncLinkAsync(afterReload, CancellationToken.None);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706"));
        var status = (await harness.StatusAsync("sim-3706")).Links.Single(l => l.Direction == SyncDirection.Push);
        Assert.Equal("", status.LastError);
        Assert.Equal(ahead, status.Position);
        Assert.Equal(0, harness.LastRun("sim-3706", SyncDirection.Push)!.LastResult!.Reloads);

        // A new, empty system at a new endpoint: it holds no cursor and answers RELOAD_REQUIRED.
        var replacement = await harness.StartCityAsync();
        await harness.Admin.UpdatePeerAsync(new UpdatePeerRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Peer = new Peer { Id = "sim-3706", Endpoint = replacement.Address.ToString().TrimEnd('/') },
            UpdateMask = new FieldMask { Paths = { "endpoint" } },
        }, deadline: Calls.Deadline());
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-3706"));
        Assert.Equal(1, harness.LastRun("sim-3706", SyncDirection.Push)!.LastResult!.Reloads);
        Assert.Empty(await harness.DifferencesAsync(await replacement.GetStateAsync(CancellationToken.None)));
        Assert.Equal((await replacement.GetStateAsync(CancellationToken.None)).Position,
            (await harness.StatusAsync("sim-3706")).Links.Single(l => l.Direction == SyncDirection.Push).Position);
    }
}
