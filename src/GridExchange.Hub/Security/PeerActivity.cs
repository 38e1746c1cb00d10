using System.Collections.Concurrent;
using GridExchange.Storage;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Security;

/// <summary>
/// When each peer last called the hub successfully (<c>PeerStatus.last_call_at</c>), without a
/// database write per call: <see cref="AuthenticationInterceptor"/> notes the instant a call of
/// an authenticated peer completes with status OK here, in memory (the latest per peer), and this
/// service upserts what was noted into the store every <see cref="HubOptions.LastCallFlushMs"/>,
/// one statement for all peers (<see cref="IHubStore.RecordLastCallsAsync"/>, which never moves
/// an instant back), and once more when the hub has stopped serving calls. Every replica flushes
/// to the same table, so GetPeerStatus on any of them shows a call served by another within about
/// the flush interval.
/// </summary>
/// <remarks>
/// A call counts when it completes, not when it starts: a unary call when it returns OK, a
/// stream when its handler ends without an error status — for <c>SubscribeChanges</c> that
/// includes the peer closing its subscription, which the hub treats as the stream's normal end;
/// a stream that is refused or fails (e.g. UNAVAILABLE at shutdown) does not count, and an open
/// stream counts only once it ends. A failed flush keeps its instants for the next one (logged as a warning): activity is lost only
/// when a replica dies between flushes. Memory: one entry per peer that called since the last
/// flush.
/// </remarks>
internal sealed partial class PeerActivity(IHubStore store, TimeProvider clock, IOptions<HubOptions> options, ILogger<PeerActivity> logger)
    : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.LastCallFlushMs));

    /// <summary>Notes that <paramref name="peerId"/> completed a call successfully now.</summary>
    public void Record(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        _pending.AddOrUpdate(peerId, static (_, at) => at, static (_, known, at) => at > known ? at : known, clock.GetUtcNow());
    }

    /// <summary>Writes the instants noted so far to the store; those noted again meanwhile wait for the next flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var noted = _pending.ToArray();
            if (noted.Length == 0)
            {
                return;
            }

            await store.RecordLastCallsAsync(noted, cancellationToken);
            foreach (var entry in noted)
            {
                // Only if unchanged: a later call noted during the write stays for the next flush.
                _pending.TryRemove(entry);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TryFlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the last flush runs once the server has stopped (StoppedAsync).
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs after every hosted service has stopped, the web server included, so calls that were
    /// still completing while the hub drained are in this flush too.
    /// </remarks>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FinalFlushTimeout);
        await TryFlushAsync(timeout.Token);
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    private async Task TryFlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFlushFailed(e, _pending.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the last calls of {Count} peers to the store failed; retrying at the next flush")]
    private partial void LogFlushFailed(Exception exception, int count);
}
