using GridExchange.Domain.Sync;
using GridExchange.Storage;
using GridExchange.V1;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Sync;

/// <summary>
/// Keeps the recurring sync jobs in step with the registry: one per enabled peer and link under a
/// stable id (<c>sync:pull:{peerId}</c>, <c>sync:push:{peerId}</c>) on the peer's cron schedule
/// (China Standard Time), none for a peer that is disabled, has no schedule or lost the role or
/// endpoint. Run at start-up, after every AdminService change of a peer, and by the recurring
/// <c>sync-reconcile</c> job (so a change made through another replica or another path is picked
/// up too). Idempotent: every replica may run it at any time.
/// </summary>
internal sealed partial class SyncScheduler(
    IHubStore store, IRecurringJobManager jobs, IBackgroundJobClient client, JobStorage storage, SyncLocks locks, IOptions<HubOptions> options,
    ILogger<SyncScheduler> logger)
{
    /// <summary>The reconciling job's id.</summary>
    public const string ReconcileJobId = "sync-reconcile";

    private static readonly TimeZoneInfo ChinaStandardTime = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Schedules the reconciling job (when sync is on).</summary>
    public void ScheduleReconcile()
    {
        if (!options.Value.Sync.Enabled)
        {
            jobs.RemoveIfExists(ReconcileJobId);
            return;
        }

        jobs.AddOrUpdate<SyncScheduler>(ReconcileJobId, s => s.ReconcileScheduledAsync(CancellationToken.None), options.Value.Sync.ReconcileSchedule,
            new RecurringJobOptions { TimeZone = ChinaStandardTime });
    }

    /// <summary>
    /// The recurring <c>sync-reconcile</c> job: <see cref="ReconcileAsync"/> under the scheduler's
    /// lock (an advisory lock on PostgreSQL, freed by the server if this replica dies mid-run), so
    /// replicas do not reconcile at once; a run that finds another holding it has nothing to add.
    /// </summary>
    public async Task ReconcileScheduledAsync(CancellationToken cancellationToken)
    {
        using var held = locks.TryAcquire(ReconcileJobId, "reconcile", TimeSpan.FromSeconds(5));
        if (held is null)
        {
            return;
        }

        await ReconcileAsync(cancellationToken);
    }

    /// <summary>Adds, updates and removes the peers' recurring sync jobs to match the registry (idempotent: any replica may run it at any time).</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var desired = new Dictionary<string, (string PeerId, SyncDirection Link, string Cron)>(StringComparer.Ordinal);
        if (options.Value.Sync.Enabled)
        {
            foreach (var peer in await store.ListEnabledPeersAsync(cancellationToken))
            {
                if (peer.Schedule.Length == 0)
                {
                    continue;
                }

                foreach (var link in SyncJobIds.LinksOf(peer))
                {
                    desired[SyncJobIds.For(peer.Id, link)] = (peer.Id, link, peer.Schedule);
                }
            }
        }

        List<RecurringJobDto> existing;
        using (var connection = storage.GetConnection())
        {
            existing = connection.GetRecurringJobs();
        }

        foreach (var job in existing.Where(j => j.Id.StartsWith(SyncJobIds.Prefix, StringComparison.Ordinal) && !desired.ContainsKey(j.Id)))
        {
            jobs.RemoveIfExists(job.Id);
            LogRemoved(job.Id);
        }

        foreach (var (id, (peerId, link, cron)) in desired)
        {
            if (existing.FirstOrDefault(j => j.Id == id) is { } current && current.Cron == cron && current.Error is null)
            {
                continue;
            }

            jobs.AddOrUpdate<SyncJob>(id, job => job.RunAsync(peerId, link, false, null, CancellationToken.None), cron,
                new RecurringJobOptions { TimeZone = ChinaStandardTime });
            LogScheduled(id, cron);
        }
    }

    /// <summary>
    /// <see cref="ReconcileAsync"/> after an AdminService change: a failure is logged, not thrown
    /// (the change is committed; the recurring <c>sync-reconcile</c> job catches up).
    /// </summary>
    public async Task TryReconcileAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReconcileAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReconcileFailed(e);
        }
    }

    /// <summary>Enqueues a run of <paramref name="peerId"/>'s links now; returns its job id.</summary>
    public string Enqueue(string peerId, SyncDirection direction, bool fullResync) =>
        client.Enqueue<SyncJob>(job => job.RunAsync(peerId, direction, fullResync, null, CancellationToken.None));

    /// <summary>When the link's recurring job runs next; null when it has none.</summary>
    public DateTimeOffset? NextRunOf(string peerId, SyncDirection link)
    {
        using var connection = storage.GetConnection();
        var id = SyncJobIds.For(peerId, link);
        var job = connection.GetRecurringJobs([id]).FirstOrDefault(j => j.Id == id && !j.Removed);
        return job?.NextExecution is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync job {JobId} scheduled at '{Cron}' (UTC+8)")]
    private partial void LogScheduled(string jobId, string cron);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling the sync jobs after a registry change failed; the sync-reconcile job will catch up")]
    private partial void LogReconcileFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync job {JobId} removed: the peer is disabled, unscheduled or has no such link")]
    private partial void LogRemoved(string jobId);
}
