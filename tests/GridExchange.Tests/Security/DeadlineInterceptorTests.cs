using Grpc.Core;
using GridExchange.Hub;
using GridExchange.Hub.Security;
using Microsoft.Extensions.Options;

namespace GridExchange.Tests.Security;

public sealed class DeadlineInterceptorTests
{
    private const string Pull = "/gridexchange.v1.ExchangeService/PullChanges";
    private const string Subscribe = "/gridexchange.v1.ExchangeService/SubscribeChanges";
    private const string Snapshot = "/gridexchange.v1.ExchangeService/ExportSnapshot";

    private static DeadlineInterceptor Interceptor(bool required) => new(Options.Create(new HubOptions { RequireDeadlines = required }));

    private static Task<string> UnaryAsync(DeadlineInterceptor interceptor, string method, DateTime deadline) =>
        interceptor.UnaryServerHandler("request", new Context(method, deadline), (_, _) => Task.FromResult("served"));

    private static async Task<string> StreamAsync(DeadlineInterceptor interceptor, string method, DateTime deadline)
    {
        var served = "not served";
        await interceptor.ServerStreamingServerHandler<string, string>("request", null!, new Context(method, deadline), (_, _, _) =>
        {
            served = "served";
            return Task.CompletedTask;
        });
        return served;
    }

    [Fact]
    public async Task Required_UnaryWithoutDeadline_IsDeadlineRequired()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => UnaryAsync(Interceptor(true), Pull, DateTime.MaxValue));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("DEADLINE_REQUIRED", e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        Assert.Equal("served", await UnaryAsync(Interceptor(true), Pull, DateTime.UtcNow.AddSeconds(10)));
    }

    [Fact]
    public async Task Required_SnapshotNeedsOne_SubscribeAndHealthDoNot()
    {
        await Assert.ThrowsAsync<RpcException>(() => StreamAsync(Interceptor(true), Snapshot, DateTime.MaxValue));
        Assert.Equal("served", await StreamAsync(Interceptor(true), Subscribe, DateTime.MaxValue));
        Assert.Equal("served", await UnaryAsync(Interceptor(true), "/grpc.health.v1.Health/Check", DateTime.MaxValue));
    }

    [Fact]
    public async Task NotRequired_ServesCallsWithoutDeadline()
    {
        Assert.Equal("served", await UnaryAsync(Interceptor(false), Pull, DateTime.MaxValue));
        Assert.Equal("served", await StreamAsync(Interceptor(false), Snapshot, DateTime.MaxValue));
    }

    private sealed class Context(string method, DateTime deadline) : ServerCallContext
    {
        protected override string MethodCore => method;

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => deadline;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
