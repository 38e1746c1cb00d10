using Grpc.Core;
using GridExchange.Hub.Sync;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Sync;

/// <summary>
/// The per-peer pipeline against a real simulated peer: refusals are not retried, transient
/// failures are (honouring RetryInfo), the circuit opens and closes again, and a peer's failures
/// show in GetPeerStatus.
/// </summary>
public sealed class SyncResilienceTests
{
    private const string Zhifu = "370602000000";

    [Theory]
    [InlineData(InjectedError.PermissionDenied, "PERMISSION_DENIED ROLE_NOT_GRANTED")]
    [InlineData(InjectedError.InvalidArgument, "INVALID_ARGUMENT INVALID_FORMAT")]
    public async Task Pull_PeerRefuses_IsNotRetriedAndShowsInStatus(InjectedError error, string expected)
    {
        await using var harness = await SyncHarness.StartAsync();
        var county = await harness.StartCountyAsync(Zhifu, new FaultSettings { ErrorProbability = 1, Error = error });
        await harness.RegisterAsync("sim-370602", county);

        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Equal(1, county.Faults.Calls);

        var status = await harness.StatusAsync("sim-370602");
        var pull = Assert.Single(status.Links);
        Assert.Equal(SyncDirection.Pull, pull.Direction);
        Assert.StartsWith(expected + ":", pull.LastError, StringComparison.Ordinal);
        Assert.NotNull(pull.LastErrorAt);
        Assert.Equal(1, pull.ConsecutiveFailures);
        Assert.Null(pull.LastSuccessAt);
        Assert.Equal(pull.LastError, status.LastError);
        // A refusal is an answer: it does not count against the peer's health.
        Assert.Equal(CircuitState.Closed, status.CircuitState);

        // Again: one more call, two failures in a row.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Equal(2, county.Faults.Calls);
        Assert.Equal(2, (await harness.StatusAsync("sim-370602")).Links[0].ConsecutiveFailures);
    }

    [Fact]
    public async Task Pull_PeerUnavailableWithRetryInfo_IsRetriedAfterTheAskedDelay()
    {
        await using var harness = await SyncHarness.StartAsync(overrides: new Dictionary<string, string?>
        {
            ["GridExchange:Sync:MaxRetries"] = "3",
            // Our own back-off is tiny; the peer's RetryInfo (300 ms) must be what paces the retries.
            ["GridExchange:Sync:RetryBaseDelayMs"] = "1",
            ["GridExchange:Sync:RetryMaxDelayMs"] = "5000",
        });
        var county = await harness.StartCountyAsync(Zhifu, new FaultSettings { ErrorProbability = 1, Error = InjectedError.ResourceExhausted, RetryAfterMs = 300 });
        await harness.RegisterAsync("sim-370602", county);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        watch.Stop();

        // The first call and three retries, each after the 300 ms the peer asked for.
        Assert.Equal(4, county.Faults.Calls);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"Took {watch.Elapsed}: RetryInfo was not honoured.");
        Assert.StartsWith("RESOURCE_EXHAUSTED RATE_LIMITED:", (await harness.StatusAsync("sim-370602")).Links[0].LastError, StringComparison.Ordinal);

        // The peer recovers: the next run succeeds and clears the error.
        county.Faults.Update(FaultSettings.None);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        var pull = (await harness.StatusAsync("sim-370602")).Links[0];
        Assert.Equal("", pull.LastError);
        Assert.Null(pull.LastErrorAt);
        Assert.Equal(0, pull.ConsecutiveFailures);
        Assert.NotNull(pull.LastSuccessAt);
        Assert.Equal(0, pull.LagChanges);
        Assert.NotEmpty(pull.Position);
    }

    [Fact]
    public async Task Circuit_OpensAfterFailures_StopsCalling_AndClosesWhenThePeerRecovers()
    {
        await using var harness = await SyncHarness.StartAsync(overrides: new Dictionary<string, string?>
        {
            ["GridExchange:Sync:MaxRetries"] = "1",
            ["GridExchange:Sync:BreakerMinimumThroughput"] = "2",
            ["GridExchange:Sync:BreakerFailureRatio"] = "0.5",
            ["GridExchange:Sync:BreakerSamplingMs"] = "10000",
            ["GridExchange:Sync:BreakerBreakMs"] = "1500",
        });
        var county = await harness.StartCountyAsync(Zhifu, new FaultSettings { DropProbability = 1 });
        await harness.RegisterAsync("sim-370602", county);

        // Two failed attempts (the call and its one retry): the breaker opens.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Equal(2, county.Faults.Calls);
        var status = await harness.StatusAsync("sim-370602");
        Assert.Equal(CircuitState.Open, status.CircuitState);
        Assert.StartsWith("UNAVAILABLE:", status.LastError, StringComparison.Ordinal);

        // Open: runs fail at once without calling the peer.
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.Equal(2, county.Faults.Calls);
        status = await harness.StatusAsync("sim-370602");
        Assert.StartsWith("UNAVAILABLE CIRCUIT_OPEN:", status.LastError, StringComparison.Ordinal);
        Assert.Equal(2, status.Links[0].ConsecutiveFailures);

        // The peer recovers; after the break a trial call goes through and closes the circuit.
        county.Faults.Update(FaultSettings.None);
        await Task.Delay(1700);
        Assert.Equal("Succeeded", await harness.SyncAsync("sim-370602", SyncDirection.Pull));
        Assert.True(county.Faults.Calls >= 1);
        status = await harness.StatusAsync("sim-370602");
        Assert.Equal(CircuitState.Closed, status.CircuitState);
        Assert.Equal("", status.Links[0].LastError);
        Assert.NotNull(status.LastSuccessAt);
    }
}
