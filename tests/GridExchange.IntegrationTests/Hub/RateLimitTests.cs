using Google.Rpc;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Per-peer limits over a real socket: a token bucket of calls and a count of open streams per
/// peer; over either, RESOURCE_EXHAUSTED with reason RATE_LIMITED and a RetryInfo, after whose
/// delay calls succeed again. One peer's flood never limits another peer.
/// </summary>
[Collection(LimitsHubCollection.Name)]
public sealed class RateLimitTests(LimitsHubFixture fixture)
{
    private HubInstance Hub => fixture.Hub;

    private RegistryService.RegistryServiceClient Registry(string peer) => new(TestPeers.Authenticated(Hub.RawChannel, peer));

    private Task<GetRegionResponse> CallAsync(string peer) =>
        Registry(peer).GetRegionAsync(new GetRegionRequest { RegionCode = LimitsHubFixture.Zhifu }, deadline: Calls.Deadline()).ResponseAsync;

    /// <summary>Calls as <paramref name="peer"/> until refused; returns the refusal and how many calls got through before it.</summary>
    private async Task<(RpcException Refusal, int Admitted)> FloodAsync(string peer)
    {
        for (var admitted = 0; admitted < 50; admitted++)
        {
            try
            {
                await CallAsync(peer);
            }
            catch (RpcException e)
            {
                return (e, admitted);
            }
        }

        throw new Xunit.Sdk.XunitException("50 calls in a row were admitted at 2 calls per second.");
    }

    [Fact]
    public async Task ExceedingTheBucket_IsResourceExhausted_WithRetryInfo_AndAfterTheDelayCallsSucceed()
    {
        var peer = await fixture.RegisterAsync("flood");
        var (refusal, admitted) = await FloodAsync(peer);

        Assert.True(admitted >= LimitsHubFixture.Burst, $"only {admitted} calls admitted before the first refusal");
        var status = await ErrorAssert.ThrowsAsync(() => Task.FromException(refusal), StatusCode.ResourceExhausted, "RATE_LIMITED");
        Assert.Equal(peer, status.GetDetail<ErrorInfo>().Metadata["peer"]);
        Assert.Equal("calls_per_second", status.GetDetail<ErrorInfo>().Metadata["limit"]);
        var retry = status.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        var delay = retry.RetryDelay.ToTimeSpan();
        Assert.InRange(delay, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));

        await Task.Delay(delay + TimeSpan.FromMilliseconds(200));
        Assert.Equal(LimitsHubFixture.Zhifu, (await CallAsync(peer)).Region.Code);
    }

    [Fact]
    public async Task OnePeersFlood_DoesNotLimitAnotherPeer()
    {
        var flooding = await fixture.RegisterAsync("noisy");
        var quiet = await fixture.RegisterAsync("quiet");
        _ = await FloodAsync(flooding);

        // The noisy peer is refused, the quiet one is served its whole burst at the same moment.
        await ErrorAssert.ThrowsAsync(() => CallAsync(flooding), StatusCode.ResourceExhausted, "RATE_LIMITED");
        for (var i = 0; i < LimitsHubFixture.Burst; i++)
        {
            Assert.Equal(LimitsHubFixture.Zhifu, (await CallAsync(quiet)).Region.Code);
        }
    }

    [Fact]
    public async Task OpeningMoreStreamsThanAllowed_IsRateLimited_AndClosingOneFreesItsSlot()
    {
        var peer = await fixture.RegisterAsync("streams");
        var exchange = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(Hub.RawChannel, peer));
        var open = new List<AsyncServerStreamingCall<SubscribeChangesResponse>>();
        try
        {
            for (var i = 0; i < LimitsHubFixture.Streams; i++)
            {
                // From the start of the feed: the replay's first change arrives at once.
                var call = exchange.SubscribeChanges(new SubscribeChangesRequest(), deadline: Calls.Deadline());
                open.Add(call);
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            }

            var status = await ErrorAssert.ThrowsAsync(async () =>
            {
                using var third = exchange.ExportSnapshot(new ExportSnapshotRequest(), deadline: Calls.Deadline());
                await third.ResponseStream.MoveNext(CancellationToken.None);
            }, StatusCode.ResourceExhausted, "RATE_LIMITED");
            Assert.Equal("open_streams", status.GetDetail<ErrorInfo>().Metadata["limit"]);
            Assert.NotNull(status.GetDetail<RetryInfo>());

            // Closing a stream frees its slot once the hub has seen the cancellation (and the
            // bucket has a token again).
            open[0].Dispose();
            open.RemoveAt(0);
            var until = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                await Task.Delay(600);
                try
                {
                    using var again = exchange.ExportSnapshot(new ExportSnapshotRequest(), deadline: Calls.Deadline());
                    Assert.True(await again.ResponseStream.MoveNext(CancellationToken.None));
                    break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && DateTime.UtcNow < until)
                {
                    // The slot or a token is not back yet.
                }
            }
        }
        finally
        {
            foreach (var call in open)
            {
                call.Dispose();
            }
        }
    }

    [Fact]
    public async Task HealthChecks_AreNotCountedAgainstAnyPeer()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(Hub.RawChannel);
        for (var i = 0; i < LimitsHubFixture.Burst * 3; i++)
        {
            await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: Calls.Deadline());
        }
    }
}
