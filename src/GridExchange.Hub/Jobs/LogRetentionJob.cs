using GridExchange.Storage;
using Hangfire;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Jobs;

/// <summary>
/// The daily retention pass over the change log (a Hangfire recurring job, one run per day for
/// the whole hub, never one per record). Stored SubmitChanges answers are kept 24 hours, the
/// request_id window the contract promises.
/// </summary>
public sealed partial class LogRetentionJob(IHubStore store, IOptions<HubOptions> options, TimeProvider clock, ILogger<LogRetentionJob> logger)
{
    /// <summary>The recurring job's id.</summary>
    public const string JobId = "log-retention";

    /// <summary>Trims the log to the configured retention.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task<RetentionResult> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var result = await store.TrimLogAsync(
            now.AddDays(-Math.Max(1, options.Value.LogRetentionDays)), now.AddHours(-24), cancellationToken);
        LogTrimmed(result.ChangesRemoved, result.FirstRetainedSequence, result.RequestsForgotten);
        return result;
    }

    /// <summary>Registers the job to run daily at 03:00 China Standard Time.</summary>
    public static void Schedule(IRecurringJobManager jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        jobs.AddOrUpdate<LogRetentionJob>(JobId, job => job.RunAsync(CancellationToken.None), "0 3 * * *",
            new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai") });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Log retention removed {Removed} changes; first retained sequence {First}; forgot {Requests} stored answers")]
    private partial void LogTrimmed(long removed, long first, long requests);
}
