using System.Security.Cryptography;
using Google.Protobuf;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Operations;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace GridExchange.Hub.Sync;

/// <summary>
/// The PULL link of a SOURCE peer: reads its PeerService.ExportChanges from the checkpoint the hub
/// committed last and applies each batch through <see cref="IngestPath"/> (the SubmitChanges path:
/// validation against the peer's region, ownership, versions) with the batch's checkpoint in the
/// same transaction. Each batch's request id is derived from the peer, the checkpoints around it
/// and its content, so a batch applied again changes nothing and returns the stored answer.
/// </summary>
/// <remarks>
/// A stream that breaks after applying something is reopened from the last committed checkpoint
/// at once (up to <see cref="SyncOptions.MaxResumesPerRun"/> times) without using up the
/// pipeline's retries; one that breaks before is retried by the pipeline with back-off.
/// </remarks>
internal sealed partial class PullRunner(
    IHubStore store, PeerPipelines pipelines, PeerChannels channels, IOptions<HubOptions> options, TimeProvider clock, HubMetrics metrics,
    ILogger<PullRunner> logger)
{
    private const int MaxCheckpointLength = 1024;

    // The longest a followed stream may go without a message (a heartbeat), per the contract.
    private static readonly TimeSpan FollowHeartbeat = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pulls <paramref name="peer"/> until caught up, or until the run's time limit. With
    /// <paramref name="follow"/> (live mode) the stream is opened with <c>follow</c> and kept open
    /// for that long, applying changes as the peer sends them; reaching the end of that time is the
    /// run's normal end.
    /// </summary>
    public async Task<LinkRunResult> RunAsync(Peer peer, bool fullResync, CancellationToken cancellationToken, TimeSpan? follow = null)
    {
        var sync = options.Value.Sync;
        var run = new PullRun(peer, new SourceJurisdiction(peer.Id, peer.RegionCode))
        {
            Checkpoint = fullResync ? "" : (await store.GetSourceCheckpointAsync(peer.Id, cancellationToken))?.Checkpoint ?? "",
            Follow = follow is not null,
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(follow is { } cycle && cycle < sync.MaxRun ? cycle : sync.MaxRun);
        var startedOver = fullResync;
        while (true)
        {
            try
            {
                var end = await pipelines.ExecuteAsync(peer.Id, PeerCallKind.Stream, token => StreamOnceAsync(run, token), limit.Token);
                if (end is null)
                {
                    return run.Result(caughtUp: true);
                }

                // Broke after progress: reopen from what is committed.
                if (++run.Resumes > sync.MaxResumesPerRun)
                {
                    throw end;
                }

                LogResumed(peer.Id, run.Resumes, RpcFailures.Describe(end));
            }
            catch (Exception e) when (RpcFailures.IsResyncRequired(e) && !startedOver)
            {
                // The peer no longer honours our checkpoint: start over with a full export, once per run.
                LogResyncRequired(peer.Id);
                startedOver = true;
                run.Checkpoint = "";
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException
                && limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The run's time limit (or a live cycle's end): what is committed stays; the next run continues.
                if (run.Follow)
                {
                    return run.Result(caughtUp: run.CaughtUp);
                }

                LogRunLimit(peer.Id, run.Batches);
                return run.Result(caughtUp: false);
            }
        }
    }

    // Reads one ExportChanges stream to its end. Returns null when it ended normally, or the
    // error that broke it after at least one batch was committed (the caller reopens it); throws
    // when it failed before committing anything (the pipeline retries transient failures).
    private async Task<Exception?> StreamOnceAsync(PullRun run, CancellationToken cancellationToken)
    {
        var sync = options.Value.Sync;
        var from = run.Checkpoint;
        var progressed = false;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var client = channels.ClientFor(run.Peer);
            using var call = client.ExportChanges(
                new ExportChangesRequest { Checkpoint = from, MaxBatchSize = Math.Clamp(sync.PullBatchSize, 1, 1000), Follow = run.Follow },
                channels.Headers(run.Peer.Id), deadline: null, idle.Token);
            var first = true;
            while (true)
            {
                // The idle timer runs only while waiting for the peer, not while a batch commits. A
                // followed stream is idle between changes: the peer sends a heartbeat at least every
                // 30 seconds (the contract), so only a longer silence is a dead link.
                idle.CancelAfter(run.Follow ? sync.AttemptTimeout + FollowHeartbeat : sync.AttemptTimeout);
                if (!await call.ResponseStream.MoveNext(idle.Token))
                {
                    return null;
                }

                idle.CancelAfter(Timeout.InfiniteTimeSpan);

                // The batch is applied under the run's token, not the idle one: a slow commit is not an idle peer.
                await ApplyAsync(run, call.ResponseStream.Current, from, first, cancellationToken);
                first = false;
                progressed = true;
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var waited = run.Follow ? sync.AttemptTimeout + FollowHeartbeat : sync.AttemptTimeout;
            var timeout = new TimeoutRejectedException($"No ExportChanges message within {waited.TotalSeconds:0.#} s.");
            return progressed ? timeout : throw timeout;
        }
        catch (Exception e) when (progressed && !cancellationToken.IsCancellationRequested && RpcFailures.IsTransient(e))
        {
            return e;
        }
    }

    private async Task ApplyAsync(PullRun run, ExportChangesResponse batch, string streamFrom, bool firstOfStream, CancellationToken cancellationToken)
    {
        if (batch.Checkpoint.Length > MaxCheckpointLength || batch.Checkpoint.Any(char.IsControl))
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument,
                $"Peer '{run.Peer.Id}' sent a checkpoint that is not at most {MaxCheckpointLength} characters of plain text."));
        }

        run.Tracker.Observe(batch, streamFrom, firstOfStream);
        run.CaughtUp = batch.CaughtUp;
        run.LagChanges = batch.CaughtUp ? 0 : batch.PendingCount;
        run.LagSeconds = batch.CaughtUp || batch.SourceTime is null
            ? 0
            : Math.Max(0, (long)(clock.GetUtcNow() - batch.SourceTime.ToDateTimeOffset()).TotalSeconds);
        var kind = ExportTracker.Kind(batch);
        IReadOnlyList<Change> deletions = [];
        if (kind == ExportBatchKind.SnapshotEnd && store is ISyncStore syncStore)
        {
            var owned = await syncStore.ListOwnedRecordsAsync(run.Peer.Id, cancellationToken);
            deletions = run.Tracker.Deletions(owned.Select(r => (r.Type, r.Key, r.Version)), batch.Checkpoint, out var complete);
            if (!complete)
            {
                LogExportNotFollowed(run.Peer.Id);
            }
        }

        if (batch.Changes.Count == 0 && deletions.Count == 0 && batch.Checkpoint == run.Checkpoint)
        {
            // A heartbeat, or an empty batch that moves nothing.
            return;
        }

        var request = new SubmitChangesRequest { SourceSystem = run.Peer.Id, SourceCheckpoint = batch.Checkpoint };
        request.Changes.Add(batch.Changes);
        request.Changes.Add(deletions);
        request.RequestId = SyncRequestIds.ForPulledBatch(
            run.Peer.Id, run.Checkpoint, batch.Checkpoint, SHA256.HashData(new RepeatedChanges(request).ToByteArray()));
        var (response, repeated) = await IngestPath.SubmitAsync(store, clock, request, run.Jurisdiction, cancellationToken);
        metrics.Ingested(response, repeated, "pull");
        run.Checkpoint = batch.Checkpoint;
        run.Batches++;
        if (kind == ExportBatchKind.SnapshotEnd)
        {
            run.Tracker.Completed();
        }

        if (repeated)
        {
            // This very batch was applied before (same peer, checkpoints and content): its stored
            // answer comes back and nothing is applied now, so every change counts as a duplicate.
            run.Duplicates += request.Changes.Count;
            return;
        }

        run.Applied += response.AppliedCount;
        run.Duplicates += response.DuplicateCount;
        run.Stale += response.StaleCount;
        run.Rejected += response.RejectedCount;
        run.Deleted += deletions.Count;
        if (response.RejectedCount > 0)
        {
            var first = response.Results.First(r => r.Status == ChangeResultStatus.Rejected);
            LogRejected(run.Peer.Id, response.RejectedCount, first.SourceChangeId, first.Reason.ToString(), first.Message);
        }
    }

    // The content hashed into a pulled batch's request id: the changes alone, serialised.
    private sealed class RepeatedChanges(SubmitChangesRequest request)
    {
        public byte[] ToByteArray() => new SubmitChangesRequest { Changes = { request.Changes } }.ToByteArray();
    }

    private sealed class PullRun(Peer peer, SourceJurisdiction jurisdiction)
    {
        public Peer Peer { get; } = peer;

        public SourceJurisdiction Jurisdiction { get; } = jurisdiction;

        public ExportTracker Tracker { get; } = new();

        public required string Checkpoint { get; set; }

        /// <summary>Live mode: the stream follows the peer's new changes.</summary>
        public bool Follow { get; init; }

        /// <summary>The last batch said the hub is up to date with the peer.</summary>
        public bool CaughtUp { get; set; }

        public int Batches { get; set; }

        public int Resumes { get; set; }

        public long Applied { get; set; }

        public long Duplicates { get; set; }

        public long Stale { get; set; }

        public long Rejected { get; set; }

        public long Deleted { get; set; }

        public long LagChanges { get; set; }

        public long LagSeconds { get; set; }

        public LinkRunResult Result(bool caughtUp) => new(
            Checkpoint, caughtUp, Batches, Applied, Duplicates, Stale, Rejected, Deleted,
            caughtUp ? 0 : LagChanges, caughtUp ? 0 : LagSeconds, 0, Resumes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull from {PeerId}: stream broke after progress, resuming from the last committed checkpoint (resume {Resume}): {Error}")]
    private partial void LogResumed(string peerId, int resume, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pull from {PeerId}: the peer answered RESYNC_REQUIRED; starting over with a full export")]
    private partial void LogResyncRequired(string peerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull from {PeerId}: run time limit reached after {Batches} batches; the next run continues")]
    private partial void LogRunLimit(string peerId, int batches);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pull from {PeerId}: a full export ended that this run did not follow from its start; nothing is deleted (run a full resync to reconcile)")]
    private partial void LogExportNotFollowed(string peerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pull from {PeerId}: {Count} changes rejected, e.g. {SourceChangeId}: {Reason} {Message}")]
    private partial void LogRejected(string peerId, long count, string sourceChangeId, string reason, string message);
}
