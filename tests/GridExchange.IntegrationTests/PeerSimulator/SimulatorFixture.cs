using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.PeerSimulator;

/// <summary>One county source simulator (370602 from seeds/sample) shared by a test class; its faults are reset by each test.</summary>
public sealed class SourceSimulatorFixture : IAsyncLifetime
{
    public const string Token = "peer-sim-test-token";

    public SimulatorHost Host { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public PeerService.PeerServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Host = await SimulatorHost.StartAsync(
            new SimulatorOptions
            {
                RegionCode = "370602000000",
                Role = PeerRoleKind.Source,
                Token = Token,
                SeedDirectory = RepoPaths.SampleDirectory,
                AdminPort = 0,
                HeartbeatInterval = TimeSpan.FromSeconds(1),
            },
            cancellationToken: timeout.Token);
        Channel = GrpcChannel.ForAddress(Host.Address);
        Client = new PeerService.PeerServiceClient(Channel);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>Helpers for calling a simulator the way the hub will.</summary>
public static class SimulatorCalls
{
    public static Metadata Auth(string token = SourceSimulatorFixture.Token) => new() { { "authorization", "Bearer " + token } };

    /// <summary>Reads an ExportChanges stream to its end, or only its first <paramref name="take"/> messages (then cancels it).</summary>
    public static async Task<List<ExportChangesResponse>> ExportAsync(
        PeerService.PeerServiceClient client, ExportChangesRequest request, int take = int.MaxValue, DateTime? deadline = null, string token = SourceSimulatorFixture.Token)
    {
        using var cancel = new CancellationTokenSource();
        using var call = client.ExportChanges(request, Auth(token), deadline ?? Calls.Deadline(), cancel.Token);
        var batches = new List<ExportChangesResponse>();
        while (batches.Count < take && await call.ResponseStream.MoveNext(cancel.Token))
        {
            batches.Add(call.ResponseStream.Current);
        }

        await cancel.CancelAsync();
        return batches;
    }

    /// <summary>A fresh sink simulator with no seeds (each sink test owns its position).</summary>
    public static Task<SimulatorHost> StartSinkAsync(string? seeds = null, FaultSettings? faults = null) =>
        SimulatorHost.StartAsync(new SimulatorOptions
        {
            RegionCode = "370600000000",
            Role = PeerRoleKind.Sink,
            Token = SourceSimulatorFixture.Token,
            SeedDirectory = seeds,
            Faults = faults ?? FaultSettings.None,
        });
}
