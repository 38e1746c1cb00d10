using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Security;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Security;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Sync;

/// <summary>
/// The PUSH link of a SINK peer: the hub's changes in the sink's scope (its region subtree and
/// entity types), redacted for its data classes exactly as PullChanges redacts them for a
/// consumer with that grant (<see cref="FeedChanges"/>, <see cref="Disclosure"/>,
/// <see cref="Redactor"/>), delivered with PeerService.ReceiveChanges as batches chained by cursor
/// from the cursor the sink last acked (kept in <c>sync_links</c>). Without a usable cursor (first
/// run, RELOAD_REQUIRED, a cursor the log can no longer resume, TriggerSync full_resync) it sends
/// a full reload: the scope's current records from one consistent snapshot in numbered batches,
/// ending with SNAPSHOT_END and the snapshot's cursor, then continues incrementally.
/// </summary>
internal sealed partial class PushRunner(
    IHubStore store, PeerPipelines pipelines, PeerChannels channels, AuditTrail audit, IOptions<HubOptions> options, TimeProvider clock,
    ILogger<PushRunner> logger)
{
    // Under the contract's 4 MiB per message, with room for the envelope.
    private const int MaxBatchBytes = (4 * 1024 * 1024) - (64 * 1024);
    private const int SnapshotReadPage = 500;
    private const int MaxReloadsPerRun = 3;
    private const int MaxOutOfOrderPerRun = 10;

    private static readonly EntityType[] AllTypes =
        [.. System.Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified).Order()];

    /// <summary>Pushes to <paramref name="peer"/> until it holds the hub's head for its scope, or until the run's time limit.</summary>
    public async Task<LinkRunResult> RunAsync(Peer peer, bool fullResync, CancellationToken cancellationToken)
    {
        var syncStore = store as ISyncStore ?? throw new InvalidOperationException($"The {store.Kind} store keeps no sync state.");
        var caller = Caller.FromPeer(peer);
        var scope = FeedRequests.Scope(null, "scope", caller);
        var run = new PushRun(peer, caller, scope, Disclosure.NeedsRedaction(caller, scope))
        {
            Cursor = fullResync ? "" : (await syncStore.GetSyncLinkAsync(peer.Id, SyncDirection.Push, cancellationToken))?.Position ?? "",
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.Value.Sync.MaxRun);
        try
        {
            while (true)
            {
                if (run.Cursor.Length == 0 || run.ReloadWanted)
                {
                    if (run.Reloads++ >= MaxReloadsPerRun)
                    {
                        throw new UnusableAnswerException($"Sink '{peer.Id}' asked for more than {MaxReloadsPerRun} reloads in one run.");
                    }

                    run.ReloadWanted = false;
                    await ReloadAsync(run, syncStore, limit.Token);
                    continue;
                }

                if (await PushChangesAsync(run, syncStore, limit.Token))
                {
                    return run.Result(caughtUp: true, 0, 0);
                }
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogRunLimit(peer.Id, run.Batches);
            var (lag, seconds) = await LagAsync(peer, run.Cursor, cancellationToken);
            return run.Result(caughtUp: false, lag, seconds);
        }
    }

    /// <summary>
    /// Changes in <paramref name="peer"/>'s scope after <paramref name="ackedCursor"/> (counted up to
    /// 1,000, the rest shown as 1,000) and the age of the oldest; for GetPeerStatus.
    /// </summary>
    public async Task<(long Changes, long Seconds)> LagAsync(Peer peer, string ackedCursor, CancellationToken cancellationToken)
    {
        var (pending, seconds) = await FeedLag.ReadAsync(store, FeedRequests.Scope(null, "scope", Caller.FromPeer(peer)), ackedCursor, clock, cancellationToken);
        return (pending.Count, seconds);
    }

    // One incremental batch. True when the sink holds the head for its scope.
    private async Task<bool> PushChangesAsync(PushRun run, ISyncStore syncStore, CancellationToken cancellationToken)
    {
        if (!FeedCursor.TryDecode(run.Cursor, out var cursor))
        {
            LogReload(run.Peer.Id, "the stored cursor is not one this hub issued");
            run.ReloadWanted = true;
            return false;
        }

        var page = await store.ReadFeedAsync(
            new FeedQuery(cursor.Sequence, run.Scope, Math.Clamp(options.Value.Sync.PushBatchSize, 1, 1000), CheckAfter: cursor.Mark > 0),
            cancellationToken);
        try
        {
            FeedRequests.EnsureResumable(cursor, page.Head, page.AfterMark);
        }
        catch (RpcException e) when (RpcFailures.IsResyncRequired(e))
        {
            // Older than retention, another database, restored: the contract's answer is a reload.
            LogReload(run.Peer.Id, e.Status.Detail);
            run.ReloadWanted = true;
            return false;
        }

        var next = page.Next;
        var changes = new List<Change>(page.Changes.Count);
        var bytes = 0;
        foreach (var logged in page.Changes)
        {
            if (FeedChanges.Project(logged, run.Scope, page.Head.Epoch) is not { } projected)
            {
                continue;
            }

            var change = run.Redact ? Redactor.RedactChange(projected, run.Caller.Grants) : projected;
            var size = change.CalculateSize() + 8;
            if (changes.Count > 0 && bytes + size > MaxBatchBytes)
            {
                next = changes[^1].Sequence;
                break;
            }

            bytes += size;
            changes.Add(change);
        }

        var nextCursor = new FeedCursor(page.Head.Epoch, next, page.MarkAt(next)).Encode();
        var check = next == cursor.Sequence || nextCursor == run.Cursor;
        if (check)
        {
            if (run.Confirmed)
            {
                // Nothing after the acked cursor, in scope or not, and the sink confirmed it holds it.
                return true;
            }

            // Nothing new, but once per run an empty batch from the acked cursor to itself: a sink
            // that lost its copy or was replaced at the endpoint answers RELOAD_REQUIRED (or
            // OUT_OF_ORDER) now rather than at the hub's next change.
            nextCursor = run.Cursor;
            changes.Clear();
        }

        if (changes.Count > 0)
        {
            await audit.SyncPushAsync(run.Peer, ExchangeGrpcService.ScopeText(run.Scope), run.Scope.Types, changes.Count, cancellationToken);
        }

        var request = new ReceiveChangesRequest
        {
            RequestId = check
                ? SyncRequestIds.ForPushedBatch(run.Peer.Id, run.Cursor, run.Cursor + "\ncheck\n" + run.Nonce)
                : SyncRequestIds.ForPushedBatch(run.Peer.Id, run.Cursor, nextCursor),
            Kind = ReceiveBatchKind.Changes,
            PreviousCursor = run.Cursor,
            Cursor = nextCursor,
        };
        request.Changes.Add(changes);
        var response = await SendAsync(run, request, cancellationToken);
        switch (PushDecision.Decide(ReceiveBatchKind.Changes, response))
        {
            case PushStep.Next:
                run.Confirmed = true;
                if (check)
                {
                    return true;
                }

                run.Batches++;
                run.Sent += changes.Count;
                await AckAsync(run, syncStore, response.AckedCursor.Length > 0 ? response.AckedCursor : nextCursor, cancellationToken);
                return next == page.Head.LastSequence && page.CaughtUp && next == page.Next;
            case PushStep.ResendFromAcked:
                if (++run.OutOfOrder > MaxOutOfOrderPerRun)
                {
                    // A sink that keeps naming positions it does not hold would hold the link forever.
                    throw new UnusableAnswerException($"Sink '{run.Peer.Id}' answered OUT_OF_ORDER more than {MaxOutOfOrderPerRun} times in one run.");
                }

                LogOutOfOrder(run.Peer.Id);
                await AckAsync(run, syncStore, response.AckedCursor, cancellationToken);
                return false;
            default:
                LogReload(run.Peer.Id, $"the sink answered {response.Status}");
                run.ReloadWanted = true;
                return false;
        }
    }

    // A full reload from one consistent snapshot; on success the sink holds the snapshot's cursor.
    private async Task ReloadAsync(PushRun run, ISyncStore syncStore, CancellationToken cancellationToken)
    {
        var reloadId = Guid.NewGuid().ToString("N");
        await using var view = await store.OpenSnapshotAsync(cancellationToken);
        var head = view.Head;
        var endCursor = new FeedCursor(head.Epoch, head.LastSequence, head.LastMark).Encode();
        var types = run.Scope.Types.Count == 0 ? AllTypes : [.. run.Scope.Types.Order()];
        IReadOnlyList<string> prefixes = run.Scope.Prefixes.Count == 0 ? [""] : run.Scope.Prefixes;
        var batchSize = Math.Clamp(options.Value.Sync.PushBatchSize, 1, 1000);
        var pending = new List<Change>(batchSize);
        var bytes = 0;
        long index = 0;
        LogReloadStarted(run.Peer.Id, reloadId);

        // False when the sink did not take the batch: this reload is abandoned.
        async Task<bool> SendBatchAsync(bool end)
        {
            index++;
            var request = new ReceiveChangesRequest
            {
                RequestId = SyncRequestIds.ForReloadBatch(reloadId, index),
                Kind = end ? ReceiveBatchKind.SnapshotEnd : ReceiveBatchKind.Snapshot,
                ReloadId = reloadId,
                BatchIndex = index,
                Cursor = end ? endCursor : "",
            };
            request.Changes.Add(pending);
            if (pending.Count > 0)
            {
                await audit.SyncPushAsync(run.Peer, ExchangeGrpcService.ScopeText(run.Scope), run.Scope.Types, pending.Count, cancellationToken);
            }

            var response = await SendAsync(run, request, cancellationToken);
            if (PushDecision.Decide(request.Kind, response) != PushStep.Next)
            {
                LogReload(run.Peer.Id, $"the sink answered {response.Status} to reload batch {index}");
                run.ReloadWanted = true;
                return false;
            }

            run.Batches++;
            run.Sent += pending.Count;
            pending.Clear();
            bytes = 0;
            return true;
        }

        foreach (var type in types)
        {
            foreach (var prefix in prefixes)
            {
                EntityPosition? after = null;
                while (true)
                {
                    var records = await view.ReadAsync(type, prefix, after, SnapshotReadPage, cancellationToken);
                    foreach (var record in records)
                    {
                        var change = FeedChanges.OfSnapshot(record, run.Redact ? run.Caller : null);

                        var size = change.CalculateSize() + 8;
                        if (pending.Count > 0 && (pending.Count >= batchSize || bytes + size > MaxBatchBytes) && !await SendBatchAsync(end: false))
                        {
                            return;
                        }

                        pending.Add(change);
                        bytes += size;
                    }

                    if (records.Count < SnapshotReadPage)
                    {
                        break;
                    }

                    after = new EntityPosition(records[^1].ScopeCode, records[^1].Key);
                }
            }
        }

        if (await SendBatchAsync(end: true))
        {
            run.Confirmed = true;
            await AckAsync(run, syncStore, endCursor, cancellationToken);
            LogReloadEnded(run.Peer.Id, reloadId, index);
        }
    }

    private async Task<ReceiveChangesResponse> SendAsync(PushRun run, ReceiveChangesRequest request, CancellationToken cancellationToken)
    {
        var client = channels.ClientFor(run.Peer);
        var timeout = options.Value.Sync.AttemptTimeout;
        return await pipelines.ExecuteAsync(run.Peer.Id, PeerCallKind.Unary, async token =>
        {
            var response = await client.ReceiveChangesAsync(
                request, channels.Headers(run.Peer.Id), clock.GetUtcNow().UtcDateTime.Add(timeout), token);
            return response.Status == ReceiveStatus.Unspecified
                ? throw new UnusableAnswerException($"Sink '{run.Peer.Id}' answered ReceiveChanges without a status.")
                : response;
        }, cancellationToken);
    }

    // The sink's acked cursor is the link's position: stored at once, so a crash resumes there.
    private static async Task AckAsync(PushRun run, ISyncStore syncStore, string cursor, CancellationToken cancellationToken)
    {
        run.Cursor = cursor;
        var state = await syncStore.GetSyncLinkAsync(run.Peer.Id, SyncDirection.Push, cancellationToken)
            ?? SyncLinkState.New(run.Peer.Id, SyncDirection.Push);
        await syncStore.SaveSyncLinkAsync(state with { Position = cursor }, cancellationToken);
    }

    private sealed class PushRun(Peer peer, Caller caller, FeedScope scope, bool redact)
    {
        public Peer Peer { get; } = peer;

        public Caller Caller { get; } = caller;

        public FeedScope Scope { get; } = scope;

        public bool Redact { get; } = redact;

        public required string Cursor { get; set; }

        public bool ReloadWanted { get; set; }

        /// <summary>The sink answered APPLIED in this run: it holds the cursor the run continues from.</summary>
        public bool Confirmed { get; set; }

        /// <summary>Makes this run's position check a delivery of its own.</summary>
        public string Nonce { get; } = Guid.NewGuid().ToString("N");

        public int Reloads { get; set; }

        public int OutOfOrder { get; set; }

        public int Batches { get; set; }

        public long Sent { get; set; }

        public LinkRunResult Result(bool caughtUp, long lag, long lagSeconds) =>
            new(Cursor, caughtUp, Batches, Sent, 0, 0, 0, 0, lag, lagSeconds, Reloads, 0);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to {PeerId}: run time limit reached after {Batches} batches; the next run continues")]
    private partial void LogRunLimit(string peerId, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to {PeerId}: full reload needed: {Why}")]
    private partial void LogReload(string peerId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to {PeerId}: the sink holds another cursor (OUT_OF_ORDER); resending from it")]
    private partial void LogOutOfOrder(string peerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to {PeerId}: reload {ReloadId} started")]
    private partial void LogReloadStarted(string peerId, string reloadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to {PeerId}: reload {ReloadId} ended after {Batches} batches")]
    private partial void LogReloadEnded(string peerId, string reloadId, long batches);
}
