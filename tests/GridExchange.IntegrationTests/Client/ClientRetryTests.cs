using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Client;
using GridExchange.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridExchange.IntegrationTests.Client;

/// <summary>
/// The client's retries against a gRPC server over a real socket that fails the first calls
/// the way the hub does: a transient error with RetryInfo is retried, and not before the delay
/// asked; a refusal (PERMISSION_DENIED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED without RetryInfo)
/// is made once and surfaces. Calls are counted on the server.
/// </summary>
public sealed class ClientRetryTests : IAsyncLifetime
{
    private readonly FailingHub _hub = new();
    private WebApplication? _app;
    private Uri? _address;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_hub);
        _app = builder.Build();
        _app.MapGrpcService<FailingExchange>();
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task UnavailableWithRetryInfo_IsRetried_NotBeforeTheDelayAsked()
    {
        var retryInfo = TimeSpan.FromMilliseconds(600);
        _hub.Fail(2, () => Error(StatusCode.Unavailable, "SERVICE_UNAVAILABLE", retryInfo));
        var retries = new ConcurrentQueue<RetryEvent>();
        using var client = Client(o => o.Retry.OnRetry = e => { retries.Enqueue(e); return ValueTask.CompletedTask; });

        var response = await client.Exchange.PullChangesAsync(new PullChangesRequest { PageSize = 7 });

        Assert.Equal("after-7", response.NextCursor);
        var calls = _hub.Calls.ToArray();
        Assert.Equal(3, calls.Length);
        Assert.All(calls, c => Assert.Equal("Bearer secret-token", c.Authorization));
        Assert.All(calls, c => Assert.True(c.HadDeadline, "every attempt carries a deadline"));
        for (var i = 1; i < calls.Length; i++)
        {
            var gap = calls[i].At - calls[i - 1].At;
            Assert.True(gap >= retryInfo - TimeSpan.FromMilliseconds(15), $"attempt {i} came {gap.TotalMilliseconds} ms after the previous one");
        }

        Assert.Equal(2, retries.Count);
        Assert.All(retries, r => Assert.True(r.Delay >= retryInfo));
        Assert.All(retries, r => Assert.Equal("/gridexchange.v1.ExchangeService/PullChanges", r.Method));
    }

    [Fact]
    public async Task RateLimitedWithRetryInfo_IsRetried_AndSubmitKeepsItsRequestId()
    {
        _hub.Fail(1, () => Error(StatusCode.ResourceExhausted, "RATE_LIMITED", TimeSpan.FromMilliseconds(300)));
        using var client = Client();

        var response = await client.Exchange.SubmitChangesAsync(new SubmitChangesRequest { RequestId = "req-1", SourceSystem = "county-370602" });

        Assert.Equal(0, response.AppliedCount);
        Assert.Equal(["req-1", "req-1"], _hub.Calls.Select(c => c.RequestId));
    }

    [Theory]
    [InlineData(StatusCode.PermissionDenied, "ROLE_NOT_GRANTED", false)]
    [InlineData(StatusCode.Unauthenticated, "CREDENTIAL_REVOKED", false)]
    [InlineData(StatusCode.InvalidArgument, "INVALID_CURSOR", false)]
    [InlineData(StatusCode.NotFound, "NOT_FOUND", false)]
    [InlineData(StatusCode.FailedPrecondition, "RESYNC_REQUIRED", false)]
    [InlineData(StatusCode.ResourceExhausted, "", false)]
    [InlineData(StatusCode.Aborted, "VERSION_CONFLICT", false)]
    public async Task Refusals_AreNotRetried(StatusCode code, string reason, bool retryInfo)
    {
        _hub.Fail(10, () => Error(code, reason, retryInfo ? TimeSpan.FromMilliseconds(10) : null));
        using var client = Client();

        var e = await Assert.ThrowsAsync<RpcException>(() => client.Exchange.PullChangesAsync(new PullChangesRequest()).ResponseAsync);

        Assert.Equal(code, e.StatusCode);
        Assert.Equal(reason, GridExchangeErrors.Reason(e));
        Assert.Single(_hub.Calls);
    }

    [Fact]
    public async Task ARetryInfoLongerThanMaxDelay_IsNotRetriedEarly_ButSurfaces()
    {
        _hub.Fail(10, () => Error(StatusCode.Unavailable, "DATA_NOT_READY", TimeSpan.FromMinutes(5)));
        using var client = Client();

        var e = await Assert.ThrowsAsync<RpcException>(() => client.Exchange.PullChangesAsync(new PullChangesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Single(_hub.Calls);
    }

    [Fact]
    public async Task TransientFailures_StopAfterMaxRetryAttempts()
    {
        _hub.Fail(100, () => Error(StatusCode.Unavailable, "", null));
        using var client = Client(o => o.Retry = new GridExchangeRetryOptions { MaxRetryAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) });

        var e = await Assert.ThrowsAsync<RpcException>(() => client.Exchange.PullChangesAsync(new PullChangesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(4, _hub.Calls.Count);
    }

    [Fact]
    public async Task ACallersOwnExpiredDeadline_IsNotRetried_WhileAnAttemptDeadlineIs()
    {
        _hub.Fail(1, () => null, delay: TimeSpan.FromSeconds(2));
        using var client = Client(o => o.UnaryDeadline = TimeSpan.FromMilliseconds(300));

        // The client's own per-attempt deadline ran out on a read: retried, and the second attempt succeeds.
        var response = await client.Exchange.PullChangesAsync(new PullChangesRequest { PageSize = 1 });
        Assert.Equal("after-1", response.NextCursor);
        Assert.Equal(2, _hub.Calls.Count);

        // The caller's deadline ran out: not retried.
        _hub.Reset();
        _hub.Fail(1, () => null, delay: TimeSpan.FromSeconds(2));
        var e = await Assert.ThrowsAsync<RpcException>(() => client.Exchange.PullChangesAsync(
            new PullChangesRequest(), deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await Task.Delay(200);
        Assert.Single(_hub.Calls);
    }

    [Fact]
    public async Task Consumer_Resubscribes_AfterAStreamEndedByTheServer_ATransientError_AndASilentLink()
    {
        using var client = Client();
        var checkpoints = new MemoryCheckpointStore();
        var reconnects = new ConcurrentQueue<ReconnectEvent>();
        var seen = new List<long>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var run = client.CreateConsumer(checkpoints, new ChangeFeedConsumerOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            IdleTimeout = TimeSpan.FromMilliseconds(500),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
            OnReconnect = e => { reconnects.Enqueue(e); return ValueTask.CompletedTask; },
        }).RunAsync((change, _) =>
        {
            seen.Add(change.Sequence);
            if (seen.Count == 10)
            {
                done.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }, cancel.Token);

        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seen);
        Assert.Equal(["", "c-3", "c-6", "c-9"], _hub.SubscribeCursors.Take(4));
        Assert.All(_hub.Calls, c => Assert.Equal("Bearer secret-token", c.Authorization));
        Assert.All(_hub.Calls, c => Assert.False(c.HadDeadline, "SubscribeChanges carries no deadline"));
        var events = reconnects.Take(3).ToArray();
        Assert.Null(events[0].Exception);
        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(events[1].Exception).StatusCode);
        Assert.True(events[1].Delay >= TimeSpan.FromMilliseconds(200), $"RetryInfo not honoured: {events[1].Delay}");
        Assert.NotNull(events[2].Exception);
        Assert.Equal("c-10", (await checkpoints.LoadAsync(CancellationToken.None))!.Cursor);
    }

    private GridExchangeClient Client(Action<GridExchangeClientOptions>? configure = null)
    {
        var options = new GridExchangeClientOptions { Address = _address, BearerToken = "secret-token" };
        configure?.Invoke(options);
        return new GridExchangeClient(options);
    }

    private static RpcException Error(StatusCode code, string reason, TimeSpan? retryAfter)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = "injected" };
        if (reason.Length > 0)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Domain = "gridexchange.v1", Reason = reason }));
        }

        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        return status.ToRpcException();
    }

    /// <summary>One call the server saw.</summary>
    public sealed record SeenCall(TimeSpan At, string? Authorization, bool HadDeadline, string RequestId);

    /// <summary>The failure script and the call log, shared with the service.</summary>
    public sealed class FailingHub
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _failuresLeft;
        private Func<RpcException?> _error = () => null;
        private TimeSpan _delay;

        public ConcurrentQueue<SeenCall> Calls { get; private set; } = new();

        public void Fail(int calls, Func<RpcException?> error, TimeSpan delay = default)
        {
            _failuresLeft = calls;
            _error = error;
            _delay = delay;
        }

        public ConcurrentQueue<string> SubscribeCursors { get; } = new();

        public int Subscriptions;

        public void Reset() => Calls = new ConcurrentQueue<SeenCall>();

        public async Task OnCallAsync(ServerCallContext context, string requestId)
        {
            Calls.Enqueue(new SeenCall(_clock.Elapsed, context.RequestHeaders.GetValue("authorization"), context.Deadline < DateTime.MaxValue, requestId));
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                if (_delay > TimeSpan.Zero)
                {
                    await Task.Delay(_delay, CancellationToken.None);
                }

                if (_error() is { } error)
                {
                    throw error;
                }
            }
        }
    }

    /// <summary>ExchangeService answering after the scripted failures.</summary>
    public sealed class FailingExchange(FailingHub hub) : ExchangeService.ExchangeServiceBase
    {
        public override async Task<PullChangesResponse> PullChanges(PullChangesRequest request, ServerCallContext context)
        {
            await hub.OnCallAsync(context, "");
            return new PullChangesResponse { NextCursor = $"after-{request.PageSize}", CaughtUp = true };
        }

        /// <summary>
        /// Replays up to three changes after the cursor, then: ends the stream (1st call), fails
        /// UNAVAILABLE with RetryInfo 200 ms (2nd), goes silent (3rd), heartbeats and waits (later).
        /// </summary>
        public override async Task SubscribeChanges(SubscribeChangesRequest request, IServerStreamWriter<SubscribeChangesResponse> responseStream, ServerCallContext context)
        {
            var call = Interlocked.Increment(ref hub.Subscriptions);
            hub.Calls.Enqueue(new SeenCall(TimeSpan.Zero, context.RequestHeaders.GetValue("authorization"), context.Deadline < DateTime.MaxValue, ""));
            hub.SubscribeCursors.Enqueue(request.Cursor);
            var from = request.Cursor.Length == 0 ? 0 : int.Parse(request.Cursor[2..], System.Globalization.CultureInfo.InvariantCulture);
            var until = Math.Min(from + 3, 10);
            for (var n = from + 1; n <= until; n++)
            {
                await responseStream.WriteAsync(new SubscribeChangesResponse { Change = new Change { Sequence = n, Cursor = $"c-{n}" } });
            }

            switch (call)
            {
                case 1:
                    return;
                case 2:
                    throw Error(StatusCode.Unavailable, "SERVICE_UNAVAILABLE", TimeSpan.FromMilliseconds(200));
                case 3:
                    break;
                default:
                    await responseStream.WriteAsync(new SubscribeChangesResponse { Heartbeat = new Heartbeat { Cursor = $"c-{until}" } });
                    break;
            }

            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        public override async Task<SubmitChangesResponse> SubmitChanges(SubmitChangesRequest request, ServerCallContext context)
        {
            await hub.OnCallAsync(context, request.RequestId);
            return new SubmitChangesResponse();
        }
    }
}
