using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.V1;

namespace GridExchange.Client;

/// <summary>How a <see cref="ChangeFeedConsumer"/> reads the feed and reconnects.</summary>
public sealed class ChangeFeedConsumerOptions
{
    /// <summary>What to read (region prefixes × entity types); null reads the caller's whole grant. Keep it the same across runs.</summary>
    public ChangeScope? Scope { get; set; }

    /// <summary>
    /// With no saved checkpoint: true loads an <c>ExportSnapshot</c> of the scope first and then
    /// follows from its end cursor (the recommended start for a new consumer); false follows from
    /// <see cref="StartCursor"/>. A checkpoint left inside a snapshot needs this set.
    /// </summary>
    public bool StartWithSnapshot { get; set; }

    /// <summary>
    /// With no saved checkpoint and <see cref="StartWithSnapshot"/> false: the cursor to follow
    /// after ("" reads from the start of the log, which fails with <c>RESYNC_REQUIRED</c> once the
    /// hub has trimmed it).
    /// </summary>
    public string StartCursor { get; set; } = "";

    /// <summary>
    /// Deadline of each <c>ExportSnapshot</c> stream (default 1 hour; a production hub refuses
    /// snapshots without one). A snapshot that runs out of it is resumed with its last chunk's token.
    /// </summary>
    public TimeSpan SnapshotDeadline { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the hub sends a heartbeat while no change is sent (default 15 s; 1 to 300 s).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a subscription may stay silent (no change, no heartbeat) before the link is taken
    /// for dead and the consumer reconnects. Null: three heartbeat intervals plus 5 s.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>The first reconnect delay after a drop, doubled per consecutive failure, with jitter (default 200 ms).</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest reconnect delay (default 30 s). A hub's <c>RetryInfo</c> is always honoured, even when longer.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Consecutive failed connections (no message received in between) after which the last
    /// error is thrown instead of reconnecting again (default: never give up).
    /// </summary>
    public int MaxConsecutiveFailures { get; set; } = int.MaxValue;

    /// <summary>Called before each reconnect's wait, e.g. for logging. Exceptions thrown here stop the consumer.</summary>
    public Func<ReconnectEvent, ValueTask>? OnReconnect { get; set; }
}

/// <summary>The consumer lost its stream and will reconnect (<see cref="ChangeFeedConsumerOptions.OnReconnect"/>).</summary>
/// <param name="Failures">Consecutive failures so far, from 1.</param>
/// <param name="Delay">The wait before reconnecting.</param>
/// <param name="Exception">Why the stream ended; null when the hub ended it without an error.</param>
/// <param name="InSnapshot">Whether the stream was an ExportSnapshot (resumed with its token) rather than SubscribeChanges.</param>
public sealed record ReconnectEvent(int Failures, TimeSpan Delay, Exception? Exception, bool InSnapshot);

/// <summary>Why <see cref="ChangeFeedHandler.OnSnapshotStartingAsync"/> is called.</summary>
public enum SnapshotStartReason
{
    /// <summary>No checkpoint was saved: the consumer's first snapshot.</summary>
    Initial = 0,

    /// <summary>
    /// A broken-off snapshot could not be resumed (its resume token expired, was no longer
    /// honoured because the scope changed, or the hub restarted): a new snapshot starts. Discard
    /// the records of the partial load.
    /// </summary>
    Restarted = 1,
}

/// <summary>
/// What a <see cref="ChangeFeedConsumer"/> hands over. Override <see cref="OnChangeAsync"/>, and
/// the snapshot methods when <see cref="ChangeFeedConsumerOptions.StartWithSnapshot"/> is set.
/// Calls are sequential, never concurrent. Each method's position is saved only after it returns;
/// when it throws, the consumer stops with that exception and the item is handed over again on
/// the next run.
/// </summary>
public abstract class ChangeFeedHandler
{
    /// <summary>
    /// A snapshot is about to start from its beginning: prepare to replace your copy of the
    /// scope (records not in the snapshot are to be deleted once it ends) and discard the
    /// records of any partial snapshot load.
    /// </summary>
    /// <param name="reason">First snapshot, or a restart of one that could not be resumed.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task completing when done.</returns>
    public virtual ValueTask OnSnapshotStartingAsync(SnapshotStartReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// One chunk of the snapshot: current records as UPSERT changes (in no particular order).
    /// Its resume token is saved after this returns.
    /// </summary>
    /// <param name="chunk">The chunk.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task completing when the records are stored.</returns>
    public virtual ValueTask OnSnapshotChunkAsync(SnapshotChunk chunk, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not handle snapshots; override OnSnapshotChunkAsync.");

    /// <summary>
    /// The snapshot is complete (its <c>record_count</c> counts every chunk, also those handled
    /// before a restart of the process); its cursor is saved after this returns and following
    /// starts from it.
    /// </summary>
    /// <param name="end">The end message.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task completing when done.</returns>
    public virtual ValueTask OnSnapshotEndAsync(SnapshotEnd end, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>The next change in the scope, in commit order. Its cursor is saved after this returns.</summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task completing when the change is applied.</returns>
    public abstract ValueTask OnChangeAsync(Change change, CancellationToken cancellationToken);

    /// <summary>
    /// The subscription is idle (nothing new); its cursor has been saved when it moved. Useful
    /// to observe liveness or "caught up".
    /// </summary>
    /// <param name="heartbeat">The heartbeat.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task completing when done.</returns>
    public virtual ValueTask OnHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// A resumable reader of the change feed: runs <c>SubscribeChanges</c> from the position in an
/// <see cref="ICheckpointStore"/> (after an optional initial <c>ExportSnapshot</c>), hands every
/// change to a callback, saves the change's cursor after the callback returns, and reconnects by
/// itself — after a transient error, a stream the hub ended, a hub restart or a silent link —
/// from the last saved position, with exponential back-off and jitter (at least the hub's
/// <c>RetryInfo</c>).
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> The hub serves every change after a cursor exactly once, in commit
/// order. The consumer saves the cursor of each change right after its callback returns, before
/// the next change is handed over; a save that has begun is not cancelled, so the saved cursor is
/// always that of the last change whose callback returned. Hence:</para>
/// <list type="bullet">
/// <item>Reconnects and hub restarts: no gap and no duplicate (the consumer resumes from the cursor
/// of the last change whose callback returned).</item>
/// <item>A clean stop (the cancellation token is cancelled; the callback in flight either returns,
/// or throws and is redelivered) and a callback that throws: no gap and no duplicate across the
/// restart, since the saved cursor is exactly that of the last change the callback completed.</item>
/// <item>A crash of the process after a callback returned but before its cursor was durably saved
/// redelivers that one change: at-least-once. To get exactly-once across crashes too, implement
/// <see cref="ICheckpointStore"/> over the database the callback writes to and save in the same
/// transaction (or make the callback idempotent, e.g. by ignoring versions not above the stored one).</item>
/// </list>
/// <para><b>Snapshots.</b> With <see cref="ChangeFeedConsumerOptions.StartWithSnapshot"/>, a consumer
/// without a checkpoint first loads a snapshot chunk by chunk, saving each chunk's resume token
/// after its callback returns; a snapshot broken off (dropped link, deadline, process restart)
/// is resumed with that token, and if the hub no longer honours it (<c>RESYNC_REQUIRED</c> or
/// <c>INVALID_PAGE_TOKEN</c>) a new snapshot starts (<see cref="SnapshotStartReason.Restarted"/>).
/// Then it follows from the snapshot's end cursor: no gap, no duplicate.</para>
/// <para><b>Errors.</b> <c>RESYNC_REQUIRED</c> while following throws
/// <see cref="ResyncRequiredException"/> (never retried): clear the checkpoint
/// (<see cref="ICheckpointStore.SaveAsync"/> with null) and run again with a snapshot. Other
/// permanent errors (PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT, …) throw the
/// <see cref="RpcException"/>. Cancellation throws <see cref="OperationCanceledException"/>.</para>
/// </remarks>
public sealed class ChangeFeedConsumer
{
    private readonly ExchangeService.ExchangeServiceClient _client;
    private readonly ICheckpointStore _checkpoints;
    private readonly ChangeFeedConsumerOptions _options;

    /// <summary>Creates a consumer (usually through <see cref="GridExchangeClient.CreateConsumer"/>).</summary>
    /// <param name="client">The ExchangeService client, carrying the consumer's token.</param>
    /// <param name="checkpoints">Where the position is kept.</param>
    /// <param name="options">Scope, heartbeats, back-off; null for the defaults.</param>
    public ChangeFeedConsumer(ExchangeService.ExchangeServiceClient client, ICheckpointStore checkpoints, ChangeFeedConsumerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(checkpoints);
        _client = client;
        _checkpoints = checkpoints;
        _options = options ?? new ChangeFeedConsumerOptions();
    }

    /// <summary>
    /// Follows the feed, handing each change to <paramref name="onChange"/>, until cancelled or
    /// a permanent error (see the class remarks). Snapshots are not taken
    /// (<see cref="ChangeFeedConsumerOptions.StartWithSnapshot"/> must be false).
    /// </summary>
    /// <param name="onChange">Applies one change; its cursor is saved after it returns.</param>
    /// <param name="cancellationToken">Stops the consumer.</param>
    /// <returns>A task that ends only with an exception (cancellation included).</returns>
    /// <exception cref="ResyncRequiredException">The saved cursor can no longer be served: re-snapshot.</exception>
    /// <exception cref="RpcException">A permanent error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task RunAsync(Func<Change, CancellationToken, ValueTask> onChange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        if (_options.StartWithSnapshot)
        {
            throw new InvalidOperationException("StartWithSnapshot needs a ChangeFeedHandler that handles snapshot chunks.");
        }

        return RunAsync(new DelegateHandler(onChange), cancellationToken);
    }

    /// <summary>
    /// Loads a snapshot first when configured and no checkpoint exists (or one was broken off),
    /// then follows the feed, handing everything to <paramref name="handler"/>, until cancelled or
    /// a permanent error (see the class remarks).
    /// </summary>
    /// <param name="handler">Receives snapshot chunks, changes and heartbeats.</param>
    /// <param name="cancellationToken">Stops the consumer.</param>
    /// <returns>A task that ends only with an exception (cancellation included).</returns>
    /// <exception cref="ResyncRequiredException">The saved cursor can no longer be served: re-snapshot.</exception>
    /// <exception cref="RpcException">A permanent error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task RunAsync(ChangeFeedHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var checkpoint = await _checkpoints.LoadAsync(cancellationToken).ConfigureAwait(false);
        string cursor;
        if (checkpoint is { SnapshotInProgress: true } || (checkpoint is null && _options.StartWithSnapshot))
        {
            if (!_options.StartWithSnapshot)
            {
                throw new InvalidOperationException("The checkpoint lies inside a snapshot; set StartWithSnapshot to resume it.");
            }

            cursor = await SnapshotAsync(handler, checkpoint, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cursor = checkpoint?.Cursor ?? _options.StartCursor;
        }

        await FollowAsync(handler, cursor, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> SnapshotAsync(ChangeFeedHandler handler, FeedCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        var token = checkpoint?.SnapshotResumeToken ?? "";
        var handled = checkpoint?.SnapshotRecordsHandled ?? 0;
        var failures = 0;
        if (token.Length == 0)
        {
            await handler.OnSnapshotStartingAsync(SnapshotStartReason.Initial, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var inHandler = false;
            Exception? failure = null;
            try
            {
                using var call = _client.ExportSnapshot(new ExportSnapshotRequest { Scope = _options.Scope, ResumeToken = token },
                    deadline: DateTime.UtcNow + _options.SnapshotDeadline, cancellationToken: cancellationToken);
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    var item = call.ResponseStream.Current;
                    inHandler = true;
                    if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.Chunk)
                    {
                        await handler.OnSnapshotChunkAsync(item.Chunk, cancellationToken).ConfigureAwait(false);
                        handled += item.Chunk.Records.Count;
                        token = item.Chunk.ResumeToken;
                        await _checkpoints.SaveAsync(FeedCheckpoint.InSnapshot(token, handled), CancellationToken.None).ConfigureAwait(false);
                    }
                    else if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.End)
                    {
                        await handler.OnSnapshotEndAsync(item.End, cancellationToken).ConfigureAwait(false);
                        await _checkpoints.SaveAsync(FeedCheckpoint.AtCursor(item.End.Cursor), CancellationToken.None).ConfigureAwait(false);
                        return item.End.Cursor;
                    }

                    inHandler = false;
                    failures = 0;
                }

                // Ended without SnapshotEnd: incomplete, resume it.
            }
            catch (RpcException e) when (!inHandler && !cancellationToken.IsCancellationRequested)
            {
                if (token.Length > 0 && (GridExchangeErrors.IsResyncRequired(e)
                    || (e.StatusCode == StatusCode.InvalidArgument && GridExchangeErrors.Reason(e) == "INVALID_PAGE_TOKEN")))
                {
                    // The broken-off snapshot cannot be continued: start a new one.
                    token = "";
                    handled = 0;
                    await _checkpoints.SaveAsync(null, cancellationToken).ConfigureAwait(false);
                    await handler.OnSnapshotStartingAsync(SnapshotStartReason.Restarted, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (GridExchangeErrors.IsResyncRequired(e))
                {
                    throw new ResyncRequiredException("", e);
                }

                if (GridExchangeErrors.Classify(e, deadlineRetryable: true) != RetryClassification.Transient)
                {
                    throw;
                }

                failure = e;
            }
            catch (RpcException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            failures++;
            await WaitBeforeReconnectAsync(failures, failure, inSnapshot: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FollowAsync(ChangeFeedHandler handler, string cursor, CancellationToken cancellationToken)
    {
        var idleTimeout = _options.IdleTimeout ?? ((_options.HeartbeatInterval * 3) + TimeSpan.FromSeconds(5));
        var failures = 0;
        while (true)
        {
            var inHandler = false;
            Exception? failure = null;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                using var call = _client.SubscribeChanges(new SubscribeChangesRequest
                {
                    Cursor = cursor,
                    Scope = _options.Scope,
                    HeartbeatInterval = Duration.FromTimeSpan(_options.HeartbeatInterval),
                }, cancellationToken: idle.Token);
                while (true)
                {
                    idle.CancelAfter(idleTimeout);
                    if (!await call.ResponseStream.MoveNext(idle.Token).ConfigureAwait(false))
                    {
                        break;
                    }

                    idle.CancelAfter(Timeout.InfiniteTimeSpan);
                    var item = call.ResponseStream.Current;
                    inHandler = true;
                    if (item.ItemCase == SubscribeChangesResponse.ItemOneofCase.Change)
                    {
                        await handler.OnChangeAsync(item.Change, cancellationToken).ConfigureAwait(false);
                        cursor = item.Change.Cursor;
                        await _checkpoints.SaveAsync(FeedCheckpoint.AtCursor(cursor), CancellationToken.None).ConfigureAwait(false);
                    }
                    else if (item.ItemCase == SubscribeChangesResponse.ItemOneofCase.Heartbeat)
                    {
                        if (item.Heartbeat.Cursor.Length > 0 && item.Heartbeat.Cursor != cursor)
                        {
                            cursor = item.Heartbeat.Cursor;
                            await _checkpoints.SaveAsync(FeedCheckpoint.AtCursor(cursor), CancellationToken.None).ConfigureAwait(false);
                        }

                        await handler.OnHeartbeatAsync(item.Heartbeat, cancellationToken).ConfigureAwait(false);
                    }

                    inHandler = false;
                    failures = 0;
                }

                // The hub ended the stream without an error (the contract says it does not): reconnect.
            }
            catch (RpcException e) when (!inHandler && !cancellationToken.IsCancellationRequested)
            {
                if (GridExchangeErrors.IsResyncRequired(e))
                {
                    throw new ResyncRequiredException(cursor, e);
                }

                // Our idle timer cancelled a silent stream: the link is taken for dead.
                var silent = e.StatusCode == StatusCode.Cancelled && idle.IsCancellationRequested;
                if (!silent && GridExchangeErrors.Classify(e, deadlineRetryable: true) != RetryClassification.Transient)
                {
                    throw;
                }

                failure = e;
            }
            catch (OperationCanceledException) when (!inHandler && !cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
            {
                failure = new TimeoutException($"No message on the subscription for {idleTimeout}.");
            }
            catch (RpcException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            failures++;
            await WaitBeforeReconnectAsync(failures, failure, inSnapshot: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitBeforeReconnectAsync(int failures, Exception? failure, bool inSnapshot, CancellationToken cancellationToken)
    {
        if (failures > _options.MaxConsecutiveFailures && failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var delay = failure is RpcException rpc && GridExchangeErrors.RetryDelay(rpc) is { } asked
            ? Backoff.AtLeast(asked)
            : Backoff.Exponential(failures, _options.ReconnectBaseDelay, _options.ReconnectMaxDelay);
        if (_options.OnReconnect is { } onReconnect)
        {
            await onReconnect(new ReconnectEvent(failures, delay, failure, inSnapshot)).ConfigureAwait(false);
        }

        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    private sealed class DelegateHandler(Func<Change, CancellationToken, ValueTask> onChange) : ChangeFeedHandler
    {
        public override ValueTask OnChangeAsync(Change change, CancellationToken cancellationToken) => onChange(change, cancellationToken);
    }
}

/// <summary>
/// The hub can no longer serve the consumer's position (FAILED_PRECONDITION,
/// <c>RESYNC_REQUIRED</c>): its cursor comes from another hub database (a restore or reset) or is
/// older than the hub's log retention. Retrying cannot help. Clear the checkpoint, load a new
/// snapshot (<see cref="ChangeFeedConsumerOptions.StartWithSnapshot"/>), replace your copy of the
/// scope with it, and follow from its end.
/// </summary>
public sealed class ResyncRequiredException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ResyncRequiredException()
        : this("The hub can no longer serve this position (RESYNC_REQUIRED): load a new snapshot.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ResyncRequiredException(string message)
        : base(message)
    {
        Cursor = "";
    }

    /// <summary>Creates the exception with a message and the error it wraps.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The hub's error.</param>
    public ResyncRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
        Cursor = "";
    }

    /// <summary>Creates the exception for the refused <paramref name="cursor"/>.</summary>
    /// <param name="cursor">The cursor the hub refused ("" for a snapshot).</param>
    /// <param name="innerException">The hub's error, or null.</param>
    public ResyncRequiredException(string cursor, RpcException? innerException)
        : base($"The hub can no longer serve this position (RESYNC_REQUIRED): load a new snapshot. {innerException?.Status.Detail}".TrimEnd(), innerException)
    {
        Cursor = cursor ?? "";
    }

    /// <summary>The cursor the hub refused ("" when a snapshot was refused).</summary>
    public string Cursor { get; }

    /// <summary>The hub's error (FAILED_PRECONDITION, <c>RESYNC_REQUIRED</c>), when there is one.</summary>
    public RpcException? RpcException => InnerException as RpcException;
}
