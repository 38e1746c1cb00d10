using System.Collections.Concurrent;
using GridExchange.Domain.Sync;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Sync;

/// <summary>
/// Live mode (<c>SYNC_MODE_LIVE</c>): keeps every link of a live peer open for sub-second
/// propagation. PULL follows the peer's ExportChanges stream (<c>follow</c>) and applies changes
/// as they come; PUSH and DIRECTIVES run as soon as the hub's log grows (the feed signal, which
/// on PostgreSQL hears every replica's commits) and otherwise at least once per live cycle.
/// <para>
/// A live link runs in cycles (<see cref="SyncOptions.LiveCycleMs"/>), each under the link's lock
/// — the same lock the scheduled runs take — so a link is kept live by at most one replica at a
/// time, and the peer's recurring job, finding the lock held, gives up quietly. When the live
/// link fails or its replica stops, the lock is free: the recurring job is then the catch-up and
/// watchdog, and any replica's next scan (<see cref="SyncOptions.LiveScanMs"/>) opens the link
/// again. Every cycle records its outcome like a scheduled run (GetPeerStatus); while a replica
/// keeps the link live, GetPeerStatus shows <c>live_connected</c>.
/// </para>
/// </summary>
internal sealed partial class LiveSync(
    IHubStore store, IServiceProvider services, SyncLocks locks, IOptions<HubOptions> options, ILogger<LiveSync> logger) : BackgroundService
{
    private static readonly TimeSpan LockWait = TimeSpan.FromMilliseconds(200);

    // Between polls of the log when the feed signal does not hear every commit (SQLite has no
    // other writers, but a listener that is reconnecting may miss some).
    private static readonly TimeSpan PollWithoutSignal = TimeSpan.FromSeconds(1);

    private readonly string _replica = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private readonly ConcurrentDictionary<string, Task> _links = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sync = options.Value.Sync;
        if (!sync.Enabled || store is not ISyncStore)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    foreach (var peer in await store.ListEnabledPeersAsync(stoppingToken))
                    {
                        if (peer.SyncMode != SyncMode.Live)
                        {
                            continue;
                        }

                        foreach (var link in SyncJobIds.LinksOf(peer))
                        {
                            var name = SyncJobIds.For(peer.Id, link);
                            if (!_links.TryGetValue(name, out var running) || running.IsCompleted)
                            {
                                _links[name] = Task.Run(() => KeepLiveAsync(peer.Id, link, stoppingToken), CancellationToken.None);
                            }
                        }
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogScanFailed(e);
                }

                await Task.Delay(sync.LiveScan, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(_links.Values);
    }

    // Keeps one link live while this replica holds its lock and the peer stays live. Never throws.
    private async Task KeepLiveAsync(string peerId, SyncDirection link, CancellationToken cancellationToken)
    {
        var name = SyncJobIds.For(peerId, link);
        var sync = options.Value.Sync;
        var runId = "live:" + _replica;
        var marked = false;
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var peer = await store.GetPeerAsync(peerId, cancellationToken);
                if (peer is null || !peer.Enabled || peer.SyncMode != SyncMode.Live || !SyncJobIds.LinksOf(peer).Contains(link))
                {
                    return;
                }

                using (var held = locks.TryAcquire(name, runId, LockWait))
                {
                    if (held is null)
                    {
                        // Another replica keeps it live, or a scheduled run is on it: the next scan tries again.
                        return;
                    }

                    if (!marked)
                    {
                        LogOpened(name);
                    }

                    locks.MarkLive(name, _replica, (2 * sync.LiveCycle) + TimeSpan.FromSeconds(30));
                    marked = true;
                    var seen = store.Signal.LastSequence;
                    var job = services.GetRequiredService<SyncJob>();
                    var succeeded = await job.ExecuteLinkAsync(peer, link, fullResync: false, runId, link == SyncDirection.Pull ? sync.LiveCycle : null,
                        cancellationToken);
                    if (!succeeded)
                    {
                        // The pipeline retried already; back off before the next cycle (the breaker may be open).
                        failures++;
                        var delay = TimeSpan.FromMilliseconds(Math.Min(sync.LiveCycle.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures, 10))));
                        await Task.Delay(delay, cancellationToken);
                        continue;
                    }

                    failures = 0;
                    if (link != SyncDirection.Pull)
                    {
                        // Wait, still holding the link, for the log to grow (or the cycle to end).
                        await store.Signal.WaitAsync(seen, store.Signal.Complete ? sync.LiveCycle : PollWithoutSignal, cancellationToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLiveFailed(name, e);
        }
        finally
        {
            if (marked)
            {
                try
                {
                    locks.ClearLive(name);
                }
                catch (Exception e)
                {
                    LogLiveFailed(name, e);
                }

                LogClosed(name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Link}: live link opened on this replica")]
    private partial void LogOpened(string link);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Link}: live link closed on this replica; the recurring job and the next scan take over")]
    private partial void LogClosed(string link);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Link}: live link failed")]
    private partial void LogLiveFailed(string link, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for live peers failed; trying again at the next scan")]
    private partial void LogScanFailed(Exception exception);
}
