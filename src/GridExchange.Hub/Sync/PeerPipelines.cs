using System.Collections.Concurrent;
using GridExchange.Domain.Sync;
using GridExchange.V1;
using CircuitState = GridExchange.V1.CircuitState;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace GridExchange.Hub.Sync;

/// <summary>What kind of call runs through a pipeline: its timeouts differ.</summary>
internal enum PeerCallKind
{
    /// <summary>A unary call: the per-attempt and total timeouts apply as configured.</summary>
    Unary = 0,

    /// <summary>
    /// An ExportChanges stream: it may rightly run for minutes, so the pipeline's per-attempt
    /// timeout is off (the pull job gives up a stream that stays idle for the attempt timeout) and
    /// the total timeout follows the run's limit.
    /// </summary>
    Stream = 1,
}

/// <summary>
/// One resilience pipeline per peer (a <see cref="ResiliencePipelineRegistry{TKey}"/> keyed by peer
/// id), shared by the peer's links so they share its circuit breaker and concurrency limit.
/// Outermost first: concurrency limiter, total timeout, retry (transient codes only, RetryInfo
/// honoured, exponential back-off with jitter), circuit breaker, per-attempt timeout. Polly's
/// telemetry logs every retry, break and timeout and meters them (meter <c>Polly</c>).
/// </summary>
internal sealed class PeerPipelines : IDisposable
{
    private static readonly ResiliencePropertyKey<PeerCallKind> KindKey = new("gridexchange.call-kind");

    private readonly ResiliencePipelineRegistry<string> _registry = new();
    private readonly ConcurrentDictionary<string, CircuitBreakerStateProvider> _circuits = new(StringComparer.Ordinal);
    private readonly SyncOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _clock;

    public PeerPipelines(IOptions<HubOptions> options, ILoggerFactory loggers, TimeProvider clock)
    {
        _options = options.Value.Sync;
        _loggers = loggers;
        _clock = clock;
    }

    /// <summary>Runs <paramref name="call"/> through <paramref name="peerId"/>'s pipeline.</summary>
    public async Task<T> ExecuteAsync<T>(string peerId, PeerCallKind kind, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var pipeline = _registry.GetOrAddPipeline(peerId, (builder, _) => Build(peerId, builder));
        var context = ResilienceContextPool.Shared.Get(peerId, cancellationToken);
        context.Properties.Set(KindKey, kind);
        try
        {
            return await pipeline.ExecuteAsync(static (ctx, state) => new ValueTask<T>(state(ctx.CancellationToken)), context, call);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The state of <paramref name="peerId"/>'s circuit breaker on this replica (CLOSED before its first call).</summary>
    public CircuitState CircuitOf(string peerId) =>
        _circuits.TryGetValue(peerId, out var provider)
            ? provider.CircuitState switch
            {
                Polly.CircuitBreaker.CircuitState.Open => CircuitState.Open,
                Polly.CircuitBreaker.CircuitState.HalfOpen => CircuitState.HalfOpen,
                Polly.CircuitBreaker.CircuitState.Isolated => CircuitState.Isolated,
                _ => CircuitState.Closed,
            }
            : CircuitState.Closed;

    private void Build(string peerId, ResiliencePipelineBuilder builder)
    {
        var o = _options;
        var circuit = _circuits.GetOrAdd(peerId, _ => new CircuitBreakerStateProvider());
        builder.TimeProvider = _clock;
        builder.Name = "peer-sync";
        builder.InstanceName = peerId;
        builder
            .AddConcurrencyLimiter(Math.Max(1, o.MaxConcurrentCallsPerPeer), Math.Max(0, o.MaxQueuedCallsPerPeer))
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "total-timeout",
                // A stream's bound is the run's own limit (which ends it cleanly at a batch
                // boundary); this one, a little later, only catches a run that failed to stop.
                TimeoutGenerator = args => ValueTask.FromResult(Kind(args.Context) == PeerCallKind.Stream ? o.MaxRun + TimeSpan.FromSeconds(30) : o.TotalTimeout),
            })
            .AddRetry(new RetryStrategyOptions
            {
                Name = "retry",
                ShouldHandle = args => ValueTask.FromResult(RpcFailures.IsTransient(args.Outcome.Exception)),
                MaxRetryAttempts = Math.Max(1, o.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(Math.Max(1, o.RetryBaseDelayMs)),
                MaxDelay = TimeSpan.FromMilliseconds(Math.Max(1, o.RetryMaxDelayMs)),
                // RetryInfo from the peer wins over our own back-off (null: use the back-off).
                DelayGenerator = args => ValueTask.FromResult(SyncFaults.RetryDelay(
                    RpcFailures.RetryInfoDelay(args.Outcome.Exception), TimeSpan.FromMilliseconds(Math.Max(1, o.RetryMaxDelayMs)))),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                Name = "circuit-breaker",
                // Only what says "the peer is in trouble" opens it; a refusal (PERMISSION_DENIED,
                // INVALID_ARGUMENT) is an answer, and a healthy one.
                ShouldHandle = args => ValueTask.FromResult(RpcFailures.IsTransient(args.Outcome.Exception)),
                FailureRatio = Math.Clamp(o.BreakerFailureRatio, 0.01, 1.0),
                MinimumThroughput = Math.Max(2, o.BreakerMinimumThroughput),
                SamplingDuration = TimeSpan.FromMilliseconds(Math.Max(500, o.BreakerSamplingMs)),
                BreakDuration = TimeSpan.FromMilliseconds(Math.Max(500, o.BreakerBreakMs)),
                StateProvider = circuit,
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "attempt-timeout",
                // Infinite: no per-attempt timeout for a stream (the pull job's idle timeout stands in).
                TimeoutGenerator = args => ValueTask.FromResult(Kind(args.Context) == PeerCallKind.Stream ? Timeout.InfiniteTimeSpan : o.AttemptTimeout),
            })
            .ConfigureTelemetry(new TelemetryOptions
            {
                LoggerFactory = _loggers,
                // A peer in trouble is the peer's problem, reported through GetPeerStatus: warn,
                // never log at Error (which reads as a fault of the hub itself).
                SeverityProvider = args => args.Event.Severity >= ResilienceEventSeverity.Warning ? ResilienceEventSeverity.Warning : args.Event.Severity,
            });
    }

    private static PeerCallKind Kind(ResilienceContext context) =>
        context.Properties.TryGetValue(KindKey, out var kind) ? kind : PeerCallKind.Unary;

    /// <inheritdoc />
    public void Dispose() => _registry.Dispose();
}
