using Grpc.Core;
using Grpc.Core.Interceptors;
using GridExchange.PeerSimulator.Services;

namespace GridExchange.PeerSimulator.Faults;

/// <summary>
/// Applies <see cref="FaultPolicy"/> to every PeerService call, outermost, before authentication:
/// the faults stand for the line and the peer's front end, which fail whoever calls.
/// </summary>
internal sealed class FaultInterceptor(FaultPolicy policy, ILogger<FaultInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await BeforeAsync(policy.Next(), context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var decision = policy.Next();
        await BeforeAsync(decision, context);
        if (decision.ResetAfterMessages is null && decision.SlowRead == TimeSpan.Zero)
        {
            await continuation(request, responseStream, context);
            return;
        }

        var writer = new FaultyStreamWriter<TResponse>(responseStream, context, decision, logger);
        try
        {
            await continuation(request, writer, context);
        }
        catch (Exception) when (writer.WasReset)
        {
            // The stream was reset on purpose; whatever the handler threw afterwards is noise.
        }
    }

    private async Task BeforeAsync(FaultDecision decision, ServerCallContext context)
    {
        if (decision.Latency > TimeSpan.Zero)
        {
            await Task.Delay(decision.Latency, context.CancellationToken);
        }

        if (decision.BlackHole)
        {
            logger.LogInformation("Call {Call} ({Method}) black-holed.", decision.CallNumber, context.Method);
            // Accepted and never answered: only the caller's deadline or cancellation ends it.
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        if (decision.Drop)
        {
            logger.LogInformation("Call {Call} ({Method}) dropped.", decision.CallNumber, context.Method);
            throw PeerErrors.Dropped();
        }

        if (decision.Error is { } error)
        {
            logger.LogInformation("Call {Call} ({Method}) failed with injected {Error}.", decision.CallNumber, context.Method, error);
            throw error switch
            {
                InjectedError.PermissionDenied => PeerErrors.PermissionDenied("Injected fault: permission denied."),
                InjectedError.InvalidArgument => PeerErrors.InvalidArgument("request", Domain.Errors.ErrorReasons.InvalidFormat, "Injected fault: invalid argument."),
                _ => PeerErrors.Throttled(error == InjectedError.ResourceExhausted, decision.RetryAfter),
            };
        }
    }

    private sealed class FaultyStreamWriter<T>(IServerStreamWriter<T> inner, ServerCallContext context, FaultDecision decision, ILogger logger)
        : IServerStreamWriter<T>
    {
        private int _written;

        public bool WasReset { get; private set; }

        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => WriteAsync(message, context.CancellationToken);

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            if (WasReset)
            {
                throw new OperationCanceledException("The stream was reset by an injected fault.");
            }

            if (_written > 0 && decision.SlowRead > TimeSpan.Zero)
            {
                await Task.Delay(decision.SlowRead, cancellationToken);
            }

            await inner.WriteAsync(message, cancellationToken);
            _written++;
            if (decision.ResetAfterMessages is { } n && _written >= n)
            {
                Reset();
            }
        }

        private void Reset()
        {
            WasReset = true;
            logger.LogInformation("Call {Call} ({Method}) reset after {Count} messages.", decision.CallNumber, context.Method, _written);
            // HttpContext.Abort sends RST_STREAM on HTTP/2: the client sees the stream break
            // mid-way, as when a proxy or the line drops it, not a gRPC status.
            context.GetHttpContext().Abort();
            throw new OperationCanceledException("The stream was reset by an injected fault.");
        }
    }
}
