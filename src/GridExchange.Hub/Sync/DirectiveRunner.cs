using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Directives;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Sync;

/// <summary>
/// The DIRECTIVES link of a SINK peer: every directive addressed to a region in the peer's
/// jurisdiction is delivered with <c>PeerService.ReceiveDirective</c> — its current state and the
/// receipts of the recipients inside the jurisdiction — when it is issued and again whenever one
/// of those receipts changes (signed for, feedback, accepted, rejected, withdrawn).
/// <para>
/// What to deliver is read from the change feed, not from a "delivered" flag: the receipts of the
/// jurisdiction are DIRECTIVE_RECEIPT changes at the recipients' region codes, so the feed scoped
/// to the peer's region and that one type is exactly the list of directives to (re)deliver, in
/// commit order, through the scope index. The link's position is a feed cursor, stored after each
/// page once every directive of the page is delivered: a crash re-delivers at most one page, and
/// the sink recognises a repeat by its request id (derived from the delivered content). A cursor
/// the log can no longer resume (retention, restore), a first run or a full resync delivers every
/// directive addressed to the jurisdiction from the current state instead, then continues from the
/// head read before it.
/// </para>
/// </summary>
internal sealed partial class DirectiveRunner(
    IHubStore store, PeerPipelines pipelines, PeerChannels channels, IOptions<HubOptions> options, TimeProvider clock,
    ILogger<DirectiveRunner> logger)
{
    private const int FeedPage = 500;
    private const int ReceiptPage = 1000;
    private const int DirectivePage = 200;

    /// <summary>Delivers to <paramref name="peer"/> until it holds every directive change of its jurisdiction, or until the run's time limit.</summary>
    public async Task<LinkRunResult> RunAsync(Peer peer, bool fullResync, CancellationToken cancellationToken)
    {
        var syncStore = store as ISyncStore ?? throw new InvalidOperationException($"The {store.Kind} store keeps no sync state.");
        if (!RegionCode.TryParse(peer.RegionCode, out var region))
        {
            throw new InvalidOperationException($"Peer '{peer.Id}' has no region code to deliver directives to.");
        }

        var run = new DirectiveRun(peer, region.Prefix, FeedScope.Create([peer.RegionCode], [EntityType.DirectiveReceipt]))
        {
            Cursor = fullResync ? "" : (await syncStore.GetSyncLinkAsync(peer.Id, SyncDirection.Directives, cancellationToken))?.Position ?? "",
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.Value.Sync.MaxRun);
        try
        {
            while (!await DeliverPageAsync(run, syncStore, limit.Token))
            {
            }

            return run.Result(caughtUp: true, 0, 0);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogRunLimit(peer.Id, run.Delivered);
            var (lag, seconds) = await LagAsync(peer, run.Cursor, cancellationToken);
            return run.Result(caughtUp: false, lag, seconds);
        }
    }

    /// <summary>
    /// Directives with a receipt change in <paramref name="peer"/>'s jurisdiction after
    /// <paramref name="position"/> not yet delivered (counted over the next 1,000 changes) and the
    /// age of the oldest such change; for GetPeerStatus.
    /// </summary>
    public async Task<(long Directives, long Seconds)> LagAsync(Peer peer, string position, CancellationToken cancellationToken)
    {
        if (!RegionCode.TryParse(peer.RegionCode, out _))
        {
            return (0, 0);
        }

        var (pending, seconds) = await FeedLag.ReadAsync(
            store, FeedScope.Create([peer.RegionCode], [EntityType.DirectiveReceipt]), position, clock, cancellationToken);
        return (pending.Select(c => DirectiveIdOf(c.Key)).Distinct(StringComparer.Ordinal).LongCount(), seconds);
    }

    // One page of the feed. True when the peer holds every directive change up to the head.
    private async Task<bool> DeliverPageAsync(DirectiveRun run, ISyncStore syncStore, CancellationToken cancellationToken)
    {
        FeedCursor? cursor = null;
        if (run.Cursor.Length > 0 && FeedCursor.TryDecode(run.Cursor, out var decoded))
        {
            cursor = decoded;
        }
        else if (run.Cursor.Length > 0)
        {
            LogRedeliver(run.Peer.Id, "the stored position is not a cursor this hub issued");
        }

        if (cursor is null)
        {
            await DeliverAllAsync(run, syncStore, cancellationToken);
            return true;
        }

        var page = await store.ReadFeedAsync(new FeedQuery(cursor.Value.Sequence, run.Scope, FeedPage, CheckAfter: cursor.Value.Mark > 0), cancellationToken);
        try
        {
            FeedRequests.EnsureResumable(cursor, page.Head, page.AfterMark);
        }
        catch (RpcException e) when (RpcFailures.IsResyncRequired(e))
        {
            LogRedeliver(run.Peer.Id, e.Status.Detail);
            await DeliverAllAsync(run, syncStore, cancellationToken);
            return true;
        }

        var ids = new List<string>();
        foreach (var logged in page.Changes)
        {
            if (run.Scope.Project(logged.Type, logged.Operation, logged.RegionCode, logged.OldRegionCode) is not null)
            {
                var id = DirectiveIdOf(logged.Key);
                if (!ids.Contains(id, StringComparer.Ordinal))
                {
                    ids.Add(id);
                }
            }
        }

        foreach (var id in ids)
        {
            await DeliverAsync(run, id, cancellationToken);
        }

        var next = new FeedCursor(page.Head.Epoch, page.Next, page.MarkAt(page.Next)).Encode();
        if (next != run.Cursor)
        {
            await SavePositionAsync(run, syncStore, next, cancellationToken);
        }

        return page.CaughtUp;
    }

    // Every directive addressed to the jurisdiction, from the current state; then the position is
    // the head read before the first of them (changes after it are delivered again: harmless).
    private async Task DeliverAllAsync(DirectiveRun run, ISyncStore syncStore, CancellationToken cancellationToken)
    {
        var head = (await store.ReadFeedAsync(new FeedQuery(long.MaxValue - 1, run.Scope, 1), cancellationToken)).Head;
        var before = long.MaxValue;
        while (true)
        {
            var query = new DirectiveQuery(run.Peer.RegionCode, run.Prefix, Issued: false, Received: true, [], OverdueOnly: false, clock.GetUtcNow(),
                before, DirectivePage);
            var page = await store.ListDirectivesAsync(query, cancellationToken);
            foreach (var listed in page)
            {
                await DeliverAsync(run, listed.Directive.Meta.Id, cancellationToken);
            }

            if (page.Count < DirectivePage)
            {
                break;
            }

            before = page[^1].Ordinal;
        }

        run.Redelivered++;
        await SavePositionAsync(run, syncStore, new FeedCursor(head.Epoch, head.LastSequence, head.LastMark).Encode(), cancellationToken);
    }

    private async Task DeliverAsync(DirectiveRun run, string directiveId, CancellationToken cancellationToken)
    {
        var directive = await store.GetDirectiveAsync(directiveId, cancellationToken);
        if (directive is null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var scope = new ReceiptScope(directiveId, run.Prefix, directive.SignForDeadline.ToDateTimeOffset(), directive.CompletionDeadline.ToDateTimeOffset(),
            directive.WithdrawnAt?.ToDateTimeOffset() ?? now);
        var request = new ReceiveDirectiveRequest { Directive = directive };
        var after = "";
        while (true)
        {
            var receipts = await store.ListReceiptsAsync(new ReceiptQuery(scope, [], false, after, ReceiptPage), cancellationToken);
            request.Receipts.Add(receipts.Select(r => DirectiveOverdue.Mark(r, directive, now)));
            if (receipts.Count < ReceiptPage)
            {
                break;
            }

            after = receipts[^1].RecipientRegionCode;
        }

        if (request.Receipts.Count == 0)
        {
            // Addressed elsewhere (a cursor page can name a directive only through a receipt here, so
            // this is a directive listed by a wider query): nothing of it is the peer's.
            return;
        }

        // Overdue flags move with the clock; the id names what the sink stores: the directive and
        // the receipts' versions. The same state delivered again repeats the same id.
        var stamp = new ReceiveDirectiveRequest { Directive = directive.Clone() };
        stamp.Receipts.Add(request.Receipts.Select(r =>
        {
            var copy = r.Clone();
            copy.SignForOverdue = false;
            copy.CompletionOverdue = false;
            return copy;
        }));
        request.RequestId = SyncRequestIds.ForDeliveredDirective(run.Peer.Id, SHA256.HashData(stamp.ToByteArray()));

        var client = channels.ClientFor(run.Peer);
        var timeout = options.Value.Sync.AttemptTimeout;
        var response = await pipelines.ExecuteAsync(run.Peer.Id, PeerCallKind.Unary, async token =>
            await client.ReceiveDirectiveAsync(request, channels.Headers(run.Peer.Id), clock.GetUtcNow().UtcDateTime.Add(timeout), token),
            cancellationToken);
        await store.MarkReceiptsDeliveredAsync(directiveId, run.Prefix, clock.GetUtcNow(), cancellationToken);
        run.Delivered++;
        LogDelivered(run.Peer.Id, directiveId, directive.Meta.Version, request.Receipts.Count, response.LocalReference);
    }

    private static async Task SavePositionAsync(DirectiveRun run, ISyncStore syncStore, string cursor, CancellationToken cancellationToken)
    {
        run.Cursor = cursor;
        var state = await syncStore.GetSyncLinkAsync(run.Peer.Id, SyncDirection.Directives, cancellationToken)
            ?? SyncLinkState.New(run.Peer.Id, SyncDirection.Directives);
        await syncStore.SaveSyncLinkAsync(state with { Position = cursor }, cancellationToken);
    }

    // A receipt's key is "{directive id}/{recipient region code}".
    private static string DirectiveIdOf(string receiptKey)
    {
        var slash = receiptKey.LastIndexOf('/');
        return slash < 0 ? receiptKey : receiptKey[..slash];
    }

    private sealed class DirectiveRun(Peer peer, string prefix, FeedScope scope)
    {
        public Peer Peer { get; } = peer;

        /// <summary>The jurisdiction's significant code prefix.</summary>
        public string Prefix { get; } = prefix;

        public FeedScope Scope { get; } = scope;

        public required string Cursor { get; set; }

        public long Delivered { get; set; }

        public int Redelivered { get; set; }

        public LinkRunResult Result(bool caughtUp, long lag, long lagSeconds) =>
            new(Cursor, caughtUp, (int)Math.Min(int.MaxValue, Delivered), Delivered, 0, 0, 0, 0, lag, lagSeconds, Redelivered, 0);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Directives to {PeerId}: run time limit reached after {Delivered} deliveries; the next run continues")]
    private partial void LogRunLimit(string peerId, long delivered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Directives to {PeerId}: delivering every directive of the jurisdiction from the current state: {Why}")]
    private partial void LogRedeliver(string peerId, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Directive {DirectiveId} v{Version} with {Receipts} receipts delivered to {PeerId} (its reference '{Reference}')")]
    private partial void LogDelivered(string peerId, string directiveId, long version, int receipts, string reference);
}
