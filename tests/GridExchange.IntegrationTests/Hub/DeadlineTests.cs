using Grpc.Core;
using Grpc.Health.V1;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// With <c>RequireDeadlines</c> on: unary calls and ExportSnapshot without a deadline are
/// INVALID_ARGUMENT, DEADLINE_REQUIRED; SubscribeChanges (a tail, open by design) and health
/// checks need none. The calls without a deadline here stop on a cancellation token instead,
/// which bounds the test without sending <c>grpc-timeout</c>.
/// </summary>
[Collection(LimitsHubCollection.Name)]
public sealed class DeadlineTests(LimitsHubFixture fixture)
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private HubInstance Hub => fixture.Hub;

    [Fact]
    public async Task UnaryCallsWithoutADeadline_AreDeadlineRequired_AndWithOneAreServed()
    {
        var peer = await fixture.RegisterAsync("nodeadline");
        var registry = new RegistryService.RegistryServiceClient(TestPeers.Authenticated(Hub.RawChannel, peer));
        var exchange = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(Hub.RawChannel, peer));

        var status = await ErrorAssert.ThrowsAsync(
            () => registry.GetRegionAsync(new GetRegionRequest { RegionCode = LimitsHubFixture.Zhifu }, cancellationToken: Timeout).ResponseAsync,
            StatusCode.InvalidArgument, "DEADLINE_REQUIRED");
        Assert.Contains("deadline", status.Message, StringComparison.OrdinalIgnoreCase);
        await ErrorAssert.ThrowsAsync(
            () => exchange.PullChangesAsync(new PullChangesRequest { PageSize = 1 }, cancellationToken: Timeout).ResponseAsync,
            StatusCode.InvalidArgument, "DEADLINE_REQUIRED");

        var region = await registry.GetRegionAsync(new GetRegionRequest { RegionCode = LimitsHubFixture.Zhifu }, deadline: Calls.Deadline());
        Assert.Equal(LimitsHubFixture.Zhifu, region.Region.Code);
    }

    [Fact]
    public async Task ExportSnapshotWithoutADeadline_IsDeadlineRequired_ButSubscribeChangesNeedsNone()
    {
        var peer = await fixture.RegisterAsync("streams-nodl");
        var exchange = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(Hub.RawChannel, peer));

        await ErrorAssert.ThrowsAsync(async () =>
        {
            using var snapshot = exchange.ExportSnapshot(new ExportSnapshotRequest(), cancellationToken: Timeout);
            await snapshot.ResponseStream.MoveNext(CancellationToken.None);
        }, StatusCode.InvalidArgument, "DEADLINE_REQUIRED");

        using var subscription = exchange.SubscribeChanges(new SubscribeChangesRequest(), cancellationToken: Timeout);
        Assert.True(await subscription.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SubscribeChangesResponse.ItemOneofCase.Change, subscription.ResponseStream.Current.ItemCase);
    }

    [Fact]
    public async Task HealthChecks_NeedNoDeadline()
    {
        var health = new Health.HealthClient(Hub.RawChannel);
        var answer = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }
}
