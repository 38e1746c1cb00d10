using Google.Rpc;
using Grpc.Core;
using GridExchange.Hub;
using GridExchange.Hub.Security;
using Microsoft.Extensions.Options;

namespace GridExchange.Tests.Security;

public sealed class PeerCallLimitsTests
{
    private static PeerCallLimits Limits(int perSecond, int burst, int streams) =>
        new(Options.Create(new HubOptions { RateLimitPerSecond = perSecond, RateLimitBurst = burst, MaxStreamsPerPeer = streams }));

    private static (ErrorInfo Info, RetryInfo Retry) Refusal(Action call)
    {
        var e = Assert.Throws<RpcException>(call);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        var status = e.GetRpcStatus();
        Assert.NotNull(status);
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal("RATE_LIMITED", info.Reason);
        Assert.Equal("gridexchange.v1", info.Domain);
        return (info, status.GetDetail<RetryInfo>());
    }

    [Fact]
    public void AdmitCall_BeyondTheBurst_IsRateLimited_WithARetryDelay()
    {
        using var limits = Limits(perSecond: 1, burst: 3, streams: 0);
        for (var i = 0; i < 3; i++)
        {
            limits.AdmitCall("a");
        }

        var (info, retry) = Refusal(() => limits.AdmitCall("a"));
        Assert.Equal("a", info.Metadata["peer"]);
        Assert.Equal("calls_per_second", info.Metadata["limit"]);
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), PeerCallLimits.MinimumRetryDelay, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void AdmitCall_OnePeersEmptyBucket_LeavesOthersFull()
    {
        using var limits = Limits(perSecond: 1, burst: 2, streams: 0);
        limits.AdmitCall("a");
        limits.AdmitCall("a");
        Refusal(() => limits.AdmitCall("a"));
        limits.AdmitCall("b");
        limits.AdmitCall("b");
    }

    [Fact]
    public void OpenStream_BeyondTheLimit_IsRateLimited_UntilOneCloses()
    {
        using var limits = Limits(perSecond: 0, burst: 1, streams: 2);
        var first = limits.OpenStream("a");
        using var second = limits.OpenStream("a");
        var (info, retry) = Refusal(() => limits.OpenStream("a"));
        Assert.Equal("open_streams", info.Metadata["limit"]);
        Assert.Equal(PeerCallLimits.StreamRetryDelay, retry.RetryDelay.ToTimeSpan());
        using var other = limits.OpenStream("b");

        first!.Dispose();
        using var third = limits.OpenStream("a");
        Assert.NotNull(third);
    }

    [Fact]
    public void ZeroLimits_AreOff()
    {
        using var limits = Limits(perSecond: 0, burst: 0, streams: 0);
        for (var i = 0; i < 10_000; i++)
        {
            limits.AdmitCall("a");
        }

        Assert.Null(limits.OpenStream("a"));
    }
}
