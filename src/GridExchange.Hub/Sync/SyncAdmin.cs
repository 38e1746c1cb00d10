using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Sync;

/// <summary>
/// AdminService's view of the sync engine: starting a run now (TriggerSync) and a peer's sync
/// health (GetPeerStatus). What a status shows comes from three places: the store's
/// <c>sync_links</c> (positions, last success and error, consecutive failures, lag of the last
/// run: the same on every replica) and <c>peer_activity</c> (the peer's last successful call,
/// as the replicas flush it), the scheduler (running now on any replica: the link's lock;
/// next scheduled run) and this replica's memory (the circuit breaker's state).
/// </summary>
internal sealed class SyncAdmin(IHubStore store, SyncScheduler scheduler, SyncLocks locks, PeerPipelines pipelines, PushRunner push,
    DirectiveRunner directives)
{
    /// <summary>
    /// The plan of a TriggerSync for <paramref name="current"/> (run inside the registry's write
    /// transaction, so the answer is stored with the request id): enqueues a run unless every
    /// requested link is running already.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND; FAILED_PRECONDITION PEER_DISABLED or ROLE_NOT_GRANTED.</exception>
    public TriggerSyncResponse Trigger(Peer? current, string peerId, SyncDirection direction, bool fullResync)
    {
        if (current is null)
        {
            throw RpcErrors.NotFound("Peer", peerId);
        }

        if (!current.Enabled)
        {
            throw RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.PeerDisabled,
                $"Peer '{peerId}' is disabled: enable it with UpdatePeer before syncing it.", new Dictionary<string, string> { ["peer_id"] = peerId });
        }

        var links = SyncJobIds.LinksOf(current);
        IReadOnlyList<SyncDirection> wanted = direction == SyncDirection.Unspecified ? links : [direction];
        if (wanted.Count == 0 || wanted.Any(l => !links.Contains(l)))
        {
            throw RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.RoleNotGranted,
                $"Peer '{peerId}' has no {(direction == SyncDirection.Unspecified ? "sync" : direction.ToString().ToUpperInvariant())} link: "
                + "PULL needs role SOURCE and an endpoint, PUSH and DIRECTIVES role SINK and an endpoint.",
                new Dictionary<string, string> { ["peer_id"] = peerId, ["field"] = "direction" });
        }

        var running = wanted.Select(l => locks.Probe(SyncJobIds.For(peerId, l))).ToList();
        if (running.All(r => r.Running))
        {
            return new TriggerSyncResponse { RunId = running[0].RunId, AlreadyRunning = true };
        }

        return new TriggerSyncResponse { RunId = scheduler.Enqueue(peerId, direction, fullResync) };
    }

    /// <summary>The sync health of <paramref name="peer"/>.</summary>
    public async Task<PeerStatus> StatusAsync(Peer peer, CancellationToken cancellationToken)
    {
        var syncStore = (ISyncStore)store;
        var status = new PeerStatus
        {
            PeerId = peer.Id,
            Enabled = peer.Enabled,
            CircuitState = pipelines.CircuitOf(peer.Id),
            // As flushed by the replicas (PeerActivity): a call shows within their flush interval.
            LastCallAt = Time(await store.GetLastCallAsync(peer.Id, cancellationToken)),
        };

        foreach (var link in SyncJobIds.LinksOf(peer))
        {
            var state = await syncStore.GetSyncLinkAsync(peer.Id, link, cancellationToken);
            var entry = new PeerLinkStatus { Direction = link };
            if (state is not null)
            {
                entry.Position = state.Position;
                entry.LastAttemptAt = Time(state.LastAttemptAt);
                entry.LastSuccessAt = Time(state.LastSuccessAt);
                entry.LastError = state.LastError;
                entry.LastErrorAt = state.LastError.Length > 0 ? Time(state.LastErrorAt) : null;
                entry.ConsecutiveFailures = state.ConsecutiveFailures;
                entry.LagChanges = state.LagChanges;
                entry.LagSeconds = state.LagSeconds;
            }

            if (link == SyncDirection.Pull)
            {
                // The committed checkpoint is the truth (ingest writes it with each batch).
                var checkpoint = await store.GetSourceCheckpointAsync(peer.Id, cancellationToken);
                entry.Position = checkpoint?.Checkpoint ?? entry.Position;
            }
            else if (link == SyncDirection.Push && peer.Enabled)
            {
                // Counted now from the log: changes in the sink's scope after the cursor it acked.
                var (lag, seconds) = await push.LagAsync(peer, entry.Position, cancellationToken);
                entry.LagChanges = lag;
                entry.LagSeconds = seconds;
            }
            else if (link == SyncDirection.Directives && peer.Enabled)
            {
                // Counted now from the log: directives with a receipt change in the jurisdiction after the position.
                var (lag, seconds) = await directives.LagAsync(peer, entry.Position, cancellationToken);
                entry.LagChanges = lag;
                entry.LagSeconds = seconds;
            }

            entry.Running = locks.Probe(SyncJobIds.For(peer.Id, link)).Running;
            entry.LiveConnected = peer.SyncMode == SyncMode.Live && locks.IsLive(SyncJobIds.For(peer.Id, link));
            entry.NextRunAt = Time(scheduler.NextRunOf(peer.Id, link));

            status.Links.Add(entry);
        }

        foreach (var entry in status.Links)
        {
            if (entry.LastSuccessAt is not null && (status.LastSuccessAt is null || entry.LastSuccessAt > status.LastSuccessAt))
            {
                status.LastSuccessAt = entry.LastSuccessAt;
            }

            status.LagChanges = Math.Max(status.LagChanges, entry.LagChanges);
            status.LagSeconds = Math.Max(status.LagSeconds, entry.LagSeconds);
            if (entry.LastError.Length > 0 && (status.LastErrorAt is null || entry.LastErrorAt > status.LastErrorAt))
            {
                status.LastError = entry.LastError;
                status.LastErrorAt = entry.LastErrorAt;
            }
        }

        return status;
    }

    private static Timestamp? Time(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;
}
