using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Polly;
using Polly.Retry;

namespace GridExchange.Client;

/// <summary>
/// Attaches the bearer token and default deadlines to every call, and runs unary calls through
/// the retry pipeline. Streams are not retried here: they are resumed from a cursor or resume
/// token by <see cref="ChangeFeedConsumer"/>, as the contract asks.
/// </summary>
internal sealed class HubCallInterceptor : Interceptor
{
    private static readonly ResiliencePropertyKey<bool> DeadlineRetryableKey = new("gridexchange.deadline-retryable");
    private static readonly ResiliencePropertyKey<string> MethodKey = new("gridexchange.method");

    private readonly GridExchangeClientOptions _options;
    private readonly ResiliencePipeline _pipeline;

    public HubCallInterceptor(GridExchangeClientOptions options, TimeProvider? timeProvider = null)
    {
        _options = options;
        _pipeline = BuildPipeline(options.Retry, timeProvider ?? TimeProvider.System);
    }

    /// <summary>The retry pipeline of unary calls (transient codes only; RetryInfo honoured).</summary>
    internal static ResiliencePipeline BuildPipeline(GridExchangeRetryOptions retry, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = "gridexchange-client" };
        if (retry.MaxRetryAttempts <= 0)
        {
            return builder.Build();
        }

        var maxDelay = retry.MaxDelay > TimeSpan.Zero ? retry.MaxDelay : TimeSpan.FromSeconds(30);
        return builder.AddRetry(new RetryStrategyOptions
        {
            Name = "retry",
            MaxRetryAttempts = retry.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = retry.BaseDelay > TimeSpan.Zero ? retry.BaseDelay : TimeSpan.FromMilliseconds(200),
            MaxDelay = maxDelay,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is RpcException e
                && GridExchangeErrors.Classify(e, args.Context.Properties.GetValue(DeadlineRetryableKey, false)) == RetryClassification.Transient
                && !(GridExchangeErrors.RetryDelay(e) > maxDelay)),
            // The hub's RetryInfo wins over our own back-off (null: use the exponential back-off).
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is RpcException e && GridExchangeErrors.RetryDelay(e) is { } asked ? Backoff.AtLeast(asked) : (TimeSpan?)null),
            OnRetry = args => retry.OnRetry is { } onRetry && args.Outcome.Exception is { } exception
                ? onRetry(new RetryEvent(args.Context.Properties.GetValue(MethodKey, ""), args.AttemptNumber, args.RetryDelay, exception))
                : ValueTask.CompletedTask,
        }).Build();
    }

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var callerDeadline = context.Options.Deadline;
        var attemptDeadline = AttemptDeadline(context.Method);
        AsyncUnaryCall<TResponse>? last = null;

        async Task<TResponse> RunAsync()
        {
            var resilience = ResilienceContextPool.Shared.Get(context.Options.CancellationToken);
            resilience.Properties.Set(DeadlineRetryableKey, callerDeadline is null && SafeToRepeat(request, context.Method.Name));
            resilience.Properties.Set(MethodKey, context.Method.FullName);
            try
            {
                return await _pipeline.ExecuteAsync(
                    async ctx =>
                    {
                        var options = Authorize(context.Options);
                        if (callerDeadline is null)
                        {
                            options = options.WithDeadline(DateTime.UtcNow + attemptDeadline);
                        }

                        last?.Dispose();
                        last = continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
                        return await last.ResponseAsync.ConfigureAwait(false);
                    },
                    resilience).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(resilience);
            }
        }

        var response = RunAsync();
        return new AsyncUnaryCall<TResponse>(
            response,
            HeadersAsync(response, () => last),
            () => last?.GetStatus() ?? throw new InvalidOperationException("The call has not started."),
            () => last?.GetTrailers() ?? throw new InvalidOperationException("The call has not started."),
            () => last?.Dispose());
    }

    /// <inheritdoc />
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var callerDeadline = context.Options.Deadline;
        var attemptDeadline = AttemptDeadline(context.Method);
        var resilience = ResilienceContextPool.Shared.Get(context.Options.CancellationToken);
        resilience.Properties.Set(DeadlineRetryableKey, callerDeadline is null && SafeToRepeat(request, context.Method.Name));
        resilience.Properties.Set(MethodKey, context.Method.FullName);
        try
        {
            return _pipeline.Execute(
                _ =>
                {
                    var options = Authorize(context.Options);
                    if (callerDeadline is null)
                    {
                        options = options.WithDeadline(DateTime.UtcNow + attemptDeadline);
                    }

                    return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
                },
                resilience);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    /// <inheritdoc />
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var options = Authorize(context.Options);
        // SubscribeChanges is a tail and gets no deadline; ExportSnapshot (and any other stream) a generous one.
        if (options.Deadline is null && context.Method.Name != "SubscribeChanges")
        {
            options = options.WithDeadline(DateTime.UtcNow + _options.SnapshotDeadline);
        }

        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
    }

    /// <inheritdoc />
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, Authorize(context.Options)));

    /// <inheritdoc />
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, Authorize(context.Options)));

    /// <summary>
    /// Whether resending <paramref name="request"/> unchanged is harmless: a request with a
    /// <c>request_id</c> field is when it is set (the hub answers a repeat with the first answer);
    /// one without is when the method only reads (Get*, List*, Pull*, Verify*).
    /// </summary>
    internal static bool SafeToRepeat(object request, string methodName)
    {
        if (request is IMessage message && message.Descriptor.FindFieldByName("request_id") is { } field)
        {
            return field.Accessor.GetValue(message) is string { Length: > 0 };
        }

        return methodName.StartsWith("Get", StringComparison.Ordinal)
            || methodName.StartsWith("List", StringComparison.Ordinal)
            || methodName.StartsWith("Pull", StringComparison.Ordinal)
            || methodName.StartsWith("Verify", StringComparison.Ordinal);
    }

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<TResponse> response, Func<AsyncUnaryCall<TResponse>?> last)
    {
        try
        {
            await response.ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The last attempt's headers are still what the caller asks for.
        }

        return last() is { } call ? await call.ResponseHeadersAsync.ConfigureAwait(false) : new Metadata();
    }

    private TimeSpan AttemptDeadline(IMethod method) =>
        method.Name == "SubmitChanges" ? _options.SubmitDeadline : _options.UnaryDeadline;

    private CallOptions Authorize(CallOptions options)
    {
        if (_options.BearerToken is not { Length: > 0 } token || options.Headers?.Any(h => h.Key == "authorization") == true)
        {
            return options;
        }

        var headers = new Metadata();
        foreach (var entry in options.Headers ?? [])
        {
            headers.Add(entry);
        }

        headers.Add("authorization", "Bearer " + token);
        return options.WithHeaders(headers);
    }
}

/// <summary>Back-off arithmetic shared by unary retries and stream resumption.</summary>
internal static class Backoff
{
    /// <summary>
    /// <paramref name="asked"/> plus up to 10 % (at most 1 s) of jitter, so clients throttled
    /// together do not come back together; never less than <paramref name="asked"/>.
    /// </summary>
    public static TimeSpan AtLeast(TimeSpan asked) =>
        asked + TimeSpan.FromTicks((long)(Math.Min(asked.Ticks / 10.0, TimeSpan.TicksPerSecond) * Random.Shared.NextDouble()));

    /// <summary>
    /// Exponential back-off with full jitter for failure number <paramref name="failures"/> (from
    /// 1): a random delay between half and all of <c>min(max, base × 2^(failures−1))</c>.
    /// </summary>
    public static TimeSpan Exponential(int failures, TimeSpan baseDelay, TimeSpan max)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ceiling = Math.Min(max.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ceiling * (0.5 + (0.5 * Random.Shared.NextDouble()))));
    }
}
