using System.Diagnostics;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Operations;
using GridExchange.Storage;
using GridExchange.V1;
using Hangfire;
using Hangfire.Server;

namespace GridExchange.Hub.Sync;

/// <summary>
/// One sync run of a peer (a Hangfire job: the recurring <c>sync:pull:{peerId}</c> or
/// <c>sync:push:{peerId}</c>,
/// <c>sync:directives:{peerId}</c>, or one TriggerSync enqueued). Takes ids, not objects, and reads the
/// peer afresh, so a peer disabled or changed since the job was scheduled is seen. Each link runs
/// under its distributed lock: when another run holds it (on any replica) this one gives up
/// quietly and succeeds. A peer's failure is the run's result, not the job's: it is recorded in
/// the link's state (GetPeerStatus) and logged as a warning, and the job succeeds, so Hangfire
/// never retries it on top of the pipeline's retries (STYLE 10) — the next scheduled run is the
/// retry.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed partial class SyncJob
{
    private static readonly TimeSpan LockWait = TimeSpan.FromMilliseconds(200);

    private readonly IHubStore _store;
    private readonly PullRunner _pull;
    private readonly PushRunner _push;
    private readonly DirectiveRunner _directives;
    private readonly HubMetrics _metrics;
    private readonly SyncLocks _locks;
    private readonly SyncRuntime _runtime;
    private readonly TimeProvider _clock;
    private readonly ILogger<SyncJob> _logger;

    internal SyncJob(IHubStore store, PullRunner pull, PushRunner push, DirectiveRunner directives, HubMetrics metrics, SyncLocks locks, SyncRuntime runtime, TimeProvider clock, ILogger<SyncJob> logger)
    {
        _store = store;
        _pull = pull;
        _push = push;
        _directives = directives;
        _metrics = metrics;
        _locks = locks;
        _runtime = runtime;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Runs the peer's <paramref name="direction"/> link (unset: every link its roles give it).</summary>
    /// <param name="peerId">The peer.</param>
    /// <param name="direction">PULL, PUSH, DIRECTIVES, or unset for all.</param>
    /// <param name="fullResync">Start over: a full export (PULL), a reload (PUSH), every directive of the jurisdiction again (DIRECTIVES).</param>
    /// <param name="context">Hangfire's context (its job id names the run); null outside Hangfire.</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    [JobDisplayName("sync {1} {0}")]
    public async Task RunAsync(string peerId, SyncDirection direction, bool fullResync, PerformContext? context, CancellationToken cancellationToken)
    {
        var runId = context?.BackgroundJob?.Id ?? "direct-" + Guid.NewGuid().ToString("N")[..12];
        var peer = await _store.GetPeerAsync(peerId, cancellationToken);
        if (peer is null || !peer.Enabled)
        {
            LogSkipped(peerId, "the peer is not registered or is disabled");
            return;
        }

        var links = SyncJobIds.LinksOf(peer);
        foreach (var link in direction == SyncDirection.Unspecified ? links : [direction])
        {
            if (!links.Contains(link))
            {
                LogSkipped(peerId, $"its roles and endpoint give it no {link} link");
                continue;
            }

            await RunLinkAsync(peer, link, fullResync, runId, cancellationToken);
        }
    }

    private async Task RunLinkAsync(Peer peer, SyncDirection link, bool fullResync, string runId, CancellationToken cancellationToken)
    {
        var name = SyncJobIds.For(peer.Id, link);
        using var held = _locks.TryAcquire(name, runId, LockWait);
        if (held is null)
        {
            LogBusy(name);
            return;
        }

        await ExecuteLinkAsync(peer, link, fullResync, runId, follow: null, cancellationToken);
    }

    /// <summary>
    /// Runs one link of <paramref name="peer"/> and records the outcome in its state (GetPeerStatus)
    /// — the caller holds the link's lock. A peer's failure is recorded and logged, not thrown.
    /// </summary>
    /// <param name="peer">The peer, as read for this run.</param>
    /// <param name="link">PULL, PUSH or DIRECTIVES.</param>
    /// <param name="fullResync">Start over (see <see cref="RunAsync"/>).</param>
    /// <param name="runId">Names the run in logs and the lock.</param>
    /// <param name="follow">Live mode, PULL: follow the peer's stream for this long.</param>
    /// <param name="cancellationToken">Ends the run.</param>
    /// <returns>True when the run succeeded.</returns>
    internal async Task<bool> ExecuteLinkAsync(Peer peer, SyncDirection link, bool fullResync, string runId, TimeSpan? follow, CancellationToken cancellationToken)
    {
        var name = SyncJobIds.For(peer.Id, link);
        using var span = _metrics.Activities.StartActivity($"sync {HubMetrics.LinkName(link)}");
        span?.SetTag("gridexchange.peer", peer.Id);
        span?.SetTag("gridexchange.link", HubMetrics.LinkName(link));
        span?.SetTag("gridexchange.run_id", runId);
        var syncStore = (ISyncStore)_store;
        var started = _clock.GetUtcNow();
        var state = await syncStore.GetSyncLinkAsync(peer.Id, link, cancellationToken) ?? SyncLinkState.New(peer.Id, link);
        await syncStore.SaveSyncLinkAsync(state with { LastAttemptAt = started }, cancellationToken);
        _runtime.Started(peer.Id, link, runId);
        var watch = Stopwatch.StartNew();
        try
        {
            var result = link switch
            {
                SyncDirection.Pull => await _pull.RunAsync(peer, fullResync, cancellationToken, follow),
                SyncDirection.Push => await _push.RunAsync(peer, fullResync, cancellationToken),
                _ => await _directives.RunAsync(peer, fullResync, cancellationToken),
            };
            // Re-read: the push link stores its acked cursor as it goes.
            state = await syncStore.GetSyncLinkAsync(peer.Id, link, cancellationToken) ?? state;
            await syncStore.SaveSyncLinkAsync(state with
            {
                Position = result.Position,
                LastAttemptAt = started,
                LastSuccessAt = _clock.GetUtcNow(),
                LastError = "",
                LastErrorAt = null,
                ConsecutiveFailures = 0,
                LagChanges = result.LagChanges,
                LagSeconds = result.LagSeconds,
            }, cancellationToken);
            _runtime.Finished(peer.Id, link, result, null);
            _metrics.SyncRun(peer.Id, link, succeeded: true, result.LagChanges, result.LagSeconds);
            if (result.Batches == 0 && follow is not null)
            {
                return true;
            }

            LogDone(name, result.Batches, result.Applied, result.Duplicates, result.Stale, result.Rejected, result.Deleted, result.Reloads, result.Resumes,
                result.CaughtUp, watch.ElapsedMilliseconds);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not (OutOfMemoryException or InvalidOperationException))
        {
            var error = RpcFailures.Describe(e);
            state = await syncStore.GetSyncLinkAsync(peer.Id, link, CancellationToken.None) ?? state;
            await syncStore.SaveSyncLinkAsync(state with
            {
                LastAttemptAt = started,
                LastError = error,
                LastErrorAt = _clock.GetUtcNow(),
                ConsecutiveFailures = state.ConsecutiveFailures + 1,
                Position = link == SyncDirection.Pull
                    ? (await _store.GetSourceCheckpointAsync(peer.Id, CancellationToken.None))?.Checkpoint ?? state.Position
                    : state.Position,
            }, CancellationToken.None);
            _runtime.Finished(peer.Id, link, null, error);
            _metrics.SyncRun(peer.Id, link, succeeded: false, 0, 0);
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, error);
            LogFailed(name, error, watch.ElapsedMilliseconds);
            return false;
        }
        finally
        {
            _runtime.Ended(peer.Id, link);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sync of {PeerId} skipped: {Why}")]
    private partial void LogSkipped(string peerId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Link}: another run holds the lock; this one gives up")]
    private partial void LogBusy(string link);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Link}: {Batches} batches, {Applied} applied, {Duplicates} duplicates, {Stale} stale, {Rejected} rejected, {Deleted} deleted, {Reloads} reloads, {Resumes} resumes; caught up {CaughtUp}; {Elapsed} ms")]
    private partial void LogDone(string link, int batches, long applied, long duplicates, long stale, long rejected, long deleted, int reloads, int resumes,
        bool caughtUp, long elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Link} failed after {Elapsed} ms: {Error}")]
    private partial void LogFailed(string link, string error, long elapsed);
}
