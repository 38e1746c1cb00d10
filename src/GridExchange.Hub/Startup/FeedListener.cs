using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using Polly;
using Polly.Retry;

namespace GridExchange.Hub.Startup;

/// <summary>
/// On PostgreSQL, keeps a LISTEN connection open so subscriptions on this hub wake for commits
/// made by any hub process on the same database. A Polly retry pipeline (exponential back-off
/// with jitter, capped at 30 s, for ever) re-establishes it after a dropped link. While it is
/// up, the store's signal is complete and idle subscriptions do not re-read the log; while it
/// is down they re-read every second, so nothing is lost, only later.
/// </summary>
internal sealed partial class FeedListener(IHubStore store, ILogger<FeedListener> logger) : BackgroundService
{
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first LISTEN is in place (or at once on SQLite, which has nothing to listen to).</summary>
    public Task Listening => _listening.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not PostgresHubStore postgres)
        {
            _listening.TrySetResult();
            return;
        }

        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null and not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber, args.RetryDelay.TotalSeconds, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        try
        {
            await pipeline.ExecuteAsync(
                async token => await postgres.ListenAsync(() => _listening.TrySetResult(), token), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Commit listener lost its connection (attempt {Attempt}); retrying in {Seconds:F1} s")]
    private partial void LogRetry(int attempt, double seconds, Exception? exception);
}
