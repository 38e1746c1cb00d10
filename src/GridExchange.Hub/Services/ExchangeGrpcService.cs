using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Security;
using GridExchange.Hub.Operations;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// The change feed over the wire: validation and mapping only; planning is the domain's
/// (<see cref="IngestPlanner"/>, <see cref="FeedScope"/>), ordering and atomicity the store's.
/// </summary>
[BindServiceMethod(typeof(ExchangeServiceBinding), nameof(ExchangeServiceBinding.BindService))]
internal sealed partial class ExchangeGrpcService(
    IHubStore store, TimeProvider clock, IHostApplicationLifetime lifetime, FeedReadAhead readAhead, PeerAuthenticator authenticator,
    AuditTrail audit, HubMetrics metrics)
    : ExchangeService.ExchangeServiceBase
{
    /// <summary>Most changes per SubmitChanges request.</summary>
    public const int MaxChangesPerBatch = 1000;

    /// <summary>Largest SubmitChanges request, serialised.</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Largest PullChanges response we build (the contract's 4 MiB, with room for the envelope).</summary>
    private const int MaxResponseBytes = (4 * 1024 * 1024) - (64 * 1024);

    private const int DefaultPullPage = 500;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <inheritdoc />
    public override async Task<SubmitChangesResponse> SubmitChanges(SubmitChangesRequest request, ServerCallContext context)
    {
        var size = request.CalculateSize();
        if (size > MaxRequestBytes)
        {
            throw RpcErrors.InvalidArgument("changes", ErrorReasons.MessageTooLarge,
                $"The request is {size} bytes; at most {MaxRequestBytes} are accepted. Split the batch.");
        }

        RequireText(request.RequestId, "request_id", 64);
        RequireText(request.SourceSystem, "source_system", 64);
        if (request.SourceCheckpoint.Length > 1024)
        {
            throw RpcErrors.InvalidArgument("source_checkpoint", ErrorReasons.InvalidLength, "source_checkpoint is longer than 1,024 characters.");
        }

        RequirePlainText(request.SourceCheckpoint, "source_checkpoint");

        if (request.Changes.Count == 0)
        {
            throw RpcErrors.InvalidArgument("changes", ErrorReasons.RequiredField, "A batch needs at least one change.");
        }

        if (request.Changes.Count > MaxChangesPerBatch)
        {
            throw RpcErrors.InvalidArgument("changes", ErrorReasons.TooManyItems,
                $"A batch holds at most {MaxChangesPerBatch} changes; this one has {request.Changes.Count}.");
        }

        var jurisdiction = SourceOf(context.Caller(), request.SourceSystem);
        var (response, repeated) = await IngestPath.SubmitAsync(store, clock, request, jurisdiction, context.CancellationToken);
        metrics.Ingested(response, repeated, "submit");
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetSourceCheckpointResponse> GetSourceCheckpoint(GetSourceCheckpointRequest request, ServerCallContext context)
    {
        RequireText(request.SourceSystem, "source_system", 64);
        _ = SourceOf(context.Caller(), request.SourceSystem);
        var checkpoint = await store.GetSourceCheckpointAsync(request.SourceSystem, context.CancellationToken);
        return checkpoint is null
            ? new GetSourceCheckpointResponse()
            : new GetSourceCheckpointResponse
            {
                SourceCheckpoint = checkpoint.Checkpoint,
                CommittedAt = Timestamp.FromDateTimeOffset(checkpoint.CommittedAt),
            };
    }

    /// <inheritdoc />
    public override async Task<PullChangesResponse> PullChanges(PullChangesRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var scope = FeedRequests.Scope(request.Scope, "scope", caller);
        var cursor = FeedRequests.Cursor(request.Cursor, "cursor");
        var limit = FeedRequests.PageSize(request.PageSize, DefaultPullPage);
        // A page read ahead for this very cursor (same epoch, scope and page size) when the
        // previous page was served, or else a read now. The read-ahead page is a consistent read
        // of the log after the cursor made a moment ago; the log is append-only in sequence
        // order, so serving it is what the client would have got had it asked a moment earlier,
        // and whatever was committed since comes with the next page (see FeedReadAhead).
        var page = (cursor is { } position ? await readAhead.TakeAsync(position, scope, limit, context.CancellationToken) : null)
            ?? await store.ReadFeedAsync(
                new FeedQuery(cursor?.Sequence ?? 0, scope, limit, CheckAfter: cursor?.Mark > 0), context.CancellationToken);
        FeedRequests.EnsureResumable(cursor, page.Head, page.AfterMark);

        var response = new PullChangesResponse { CaughtUp = page.CaughtUp };
        var next = page.Next;
        // A page whose upper bound fits in a response (the usual case: 1,000 changes of a few
        // KB) cannot be cut, so its read-ahead starts before it is projected.
        var mayCut = page.Changes.Sum(FeedChanges.SizeBound) > MaxResponseBytes;
        if (!mayCut && !page.CaughtUp)
        {
            // Not cut, so the client's next cursor is the page's: the store reads that page
            // while this one is built, sent and parsed.
            readAhead.Start(page.Head.Epoch, scope, page.Next, limit);
        }

        int count;
        var redact = Disclosure.NeedsRedaction(caller, scope);
        if (redact || HttpJsonCalls.IsTranscoded(context))
        {
            // A caller without every grant the scope's records need gets typed, redacted copies:
            // the stored bytes never go out unredacted. An HTTP/JSON call gets typed copies too:
            // JSON is written from the typed message, not from stored bytes.
            (next, count) = AddTyped(response, page, scope, redact ? caller : null, next);
        }
        else
        {
            (next, count) = AttachStored(response, page, scope, next);
        }

        await audit.ReadAsync(context, caller, ScopeText(scope), scope.Types, count);
        metrics.Served(count, "pull");
        if (mayCut && !response.CaughtUp)
        {
            // Perhaps cut at 4 MiB: read ahead from where this response ends.
            readAhead.Start(page.Head.Epoch, scope, next, limit);
        }

        response.NextCursor = new FeedCursor(page.Head.Epoch, next, page.MarkAt(next)).Encode();
        return response;
    }

    // The changes are written to the wire straight from the log rows (PullResponses); each one's
    // exact size is known, so the 4 MiB cut measures rather than estimates. Returns the
    // sequence the response ends at and how many changes it holds.
    private static (long Next, int Count) AttachStored(PullChangesResponse response, FeedPage page, FeedScope scope, long next)
    {
        var changes = new List<ProjectedChange>(page.Changes.Count);
        var bytes = 0;
        foreach (var logged in page.Changes)
        {
            if (ProjectedChange.Of(logged, scope, page.Head.Epoch) is not { } change)
            {
                continue;
            }

            if (changes.Count > 0 && bytes + change.Size > MaxResponseBytes)
            {
                // Keep the response under the contract's 4 MiB: stop before this change.
                next = changes[^1].Logged.Sequence;
                response.CaughtUp = false;
                break;
            }

            bytes += change.Size;
            changes.Add(change);
        }

        PullResponses.Attach(response, changes);
        return (next, changes.Count);
    }

    // The typed path: envelopes with typed payloads, redacted for redactFor when given, measured
    // one by one for the 4 MiB cut. Returns the sequence the response ends at and how many
    // changes it holds.
    private static (long Next, int Count) AddTyped(PullChangesResponse response, FeedPage page, FeedScope scope, Caller? redactFor, long next)
    {
        var bytes = 0;
        foreach (var logged in page.Changes)
        {
            if (FeedChanges.Project(logged, scope, page.Head.Epoch) is not { } projected)
            {
                continue;
            }

            var change = redactFor is null ? projected : Redactor.RedactChange(projected, redactFor.Grants);
            if (change.HasStoredPayload)
            {
                // Still the stored bytes (nothing to redact): parsed into the typed payload field.
                change = Change.Parser.ParseFrom(change.ToByteString());
            }

            var size = CodedOutputStream.ComputeMessageSize(change) + 1;
            if (response.Changes.Count > 0 && bytes + size > MaxResponseBytes)
            {
                next = response.Changes[^1].Sequence;
                response.CaughtUp = false;
                break;
            }

            bytes += size;
            response.Changes.Add(change);
        }

        return (next, response.Changes.Count);
    }

    /// <summary>A scope as the audit log records it: the region prefixes read, or <c>*</c> for every region.</summary>
    internal static string ScopeText(FeedScope scope) => scope.Prefixes.Count == 0 ? "*" : string.Join(",", scope.Prefixes);

    /// <inheritdoc />
    public override async Task SubscribeChanges(
        SubscribeChangesRequest request, IServerStreamWriter<SubscribeChangesResponse> responseStream, ServerCallContext context)
    {
        var scope = FeedRequests.Scope(request.Scope, "scope", context.Caller());
        var cursor = FeedRequests.Cursor(request.Cursor, "cursor");
        var heartbeat = HeartbeatInterval(request.HeartbeatInterval);
        // A subscription ends when the client goes or the hub stops: on shutdown the client gets
        // UNAVAILABLE with RetryInfo and reconnects (to another replica) from its last cursor,
        // instead of holding up the shutdown until the transport resets it.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellation = linked.Token;
        metrics.Subscribers(+1);
        try
        {
            var grant = new GrantCheck(authenticator, context, request.Scope, scope, clock);
            var caller = context.Caller();
            await TailAsync(scope, cursor, heartbeat, grant, Disclosure.NeedsRedaction(caller, scope) ? caller : null,
                count =>
                {
                    metrics.Served(count, "subscribe");
                    return audit.ReadAsync(context, caller, ScopeText(scope), scope.Types, count);
                },
                responseStream, cancellation);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw RpcErrors.Unavailable(ErrorReasons.ServiceUnavailable,
                "The hub is shutting down; reconnect from your last cursor.", TimeSpan.FromSeconds(1));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (Exception e) when (e is not RpcException && e is not OperationCanceledException
            && (context.CancellationToken.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested))
        {
            // A write or read that failed because the connection was aborted (the client went, or
            // the hub is stopping and Kestrel tore the connection down) is the end of the stream,
            // not a fault of the hub: the client resumes from its last cursor.
            if (!context.CancellationToken.IsCancellationRequested)
            {
                throw RpcErrors.Unavailable(ErrorReasons.ServiceUnavailable,
                    "The hub is shutting down; reconnect from your last cursor.", TimeSpan.FromSeconds(1));
            }
        }
        finally
        {
            metrics.Subscribers(-1);
        }
    }

    private async Task TailAsync(
        FeedScope scope, FeedCursor? cursor, TimeSpan heartbeat, GrantCheck grant, Caller? redactFor, Func<int, Task> recordRead,
        IServerStreamWriter<SubscribeChangesResponse> responseStream, CancellationToken cancellation)
    {
        var after = cursor?.Sequence ?? 0;
        var first = true;
        var lastSent = clock.GetTimestamp();
        Task<FeedPage>? prefetched = null;
        // The previous page on its way out: while it is written, the next page is projected and
        // its audit entry appended (a database round trip or three a page would otherwise wait
        // for). Pages still go out strictly in order, each only after its own entry is durable;
        // an entry may record a page the client then never received (it went away meanwhile),
        // never the reverse.
        var sending = Task.CompletedTask;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var page = await (prefetched ?? store.ReadFeedAsync(
                    new FeedQuery(after, scope, DefaultPullPage, CheckAfter: first && cursor?.Mark > 0), cancellation));
                prefetched = null;

                // Replaying a backlog: the store reads the next page while this one is written.
                if (!page.CaughtUp)
                {
                    prefetched = store.ReadFeedAsync(new FeedQuery(page.Next, scope, DefaultPullPage), cancellation);
                }

                // Checked on every page, not only the first: a subscriber that falls behind past
                // retention while connected must be told to re-snapshot, not skip silently.
                FeedRequests.EnsureResumable(first ? cursor : new FeedCursor(page.Head.Epoch, after), page.Head, page.AfterMark);
                first = false;
                await grant.EnsureAsync();

                var outgoing = new List<Change>(page.Changes.Count);
                foreach (var logged in page.Changes)
                {
                    if (FeedChanges.Project(logged, scope, page.Head.Epoch) is { } projected)
                    {
                        outgoing.Add(redactFor is null ? projected : Redactor.RedactChange(projected, redactFor.Grants));
                    }
                }

                // A page is recorded in the audit log before any of it is sent.
                var recorded = outgoing.Count > 0 ? recordRead(outgoing.Count) : Task.CompletedTask;
                await sending;
                await recorded;
                if (outgoing.Count > 0)
                {
                    sending = WritePageAsync(responseStream, outgoing, cancellation);
                    lastSent = clock.GetTimestamp();
                }

                after = page.Next;
                if (!page.CaughtUp)
                {
                    continue;
                }

                // Caught up: the page must be out before the stream waits or beats.
                await sending;
                lastSent = outgoing.Count > 0 ? clock.GetTimestamp() : lastSent;

                // Caught up: wait for a commit. While the signal hears every commit (PostgreSQL
                // with LISTEN up) only a heartbeat or a commit ends the wait; otherwise re-read at
                // least every second, so commits by other hub processes on the same database are
                // seen too. An idle subscriber then costs no query.
                var idle = clock.GetElapsedTime(lastSent);
                var untilHeartbeat = heartbeat - idle;
                if (untilHeartbeat <= TimeSpan.Zero)
                {
                    await responseStream.WriteAsync(new SubscribeChangesResponse
                    {
                        Heartbeat = new Heartbeat
                        {
                            Cursor = new FeedCursor(page.Head.Epoch, after, page.MarkAt(after)).Encode(),
                            ServerTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
                        },
                    }, cancellation);
                    lastSent = clock.GetTimestamp();
                    continue;
                }

                var wait = store.Signal.Complete || untilHeartbeat < TimeSpan.FromSeconds(1) ? untilHeartbeat : TimeSpan.FromSeconds(1);
                await store.Signal.WaitAsync(after, wait, cancellation);
            }

            await sending;
        }
        finally
        {
            // The subscription is ending (client gone, shutdown, an error): the read ahead and a
            // page being written are not needed, but must not be left running or unobserved.
            foreach (var pending in new Task?[] { prefetched, sending })
            {
                if (pending is null)
                {
                    continue;
                }

                try
                {
                    await pending;
                }
                catch (Exception)
                {
                    // Whatever ended the subscription is already on its way to the client.
                }
            }
        }
    }

    // One page as one flush: every message but the last is only buffered, so a replay is not a
    // network write per change.
    private static async Task WritePageAsync(
        IServerStreamWriter<SubscribeChangesResponse> responseStream, List<Change> changes, CancellationToken cancellation)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            responseStream.WriteOptions = i < changes.Count - 1 ? Buffered : null;
            await responseStream.WriteAsync(new SubscribeChangesResponse { Change = changes[i] }, cancellation);
        }
    }

    private static TimeSpan HeartbeatInterval(Duration? requested)
    {
        if (requested is null || (requested.Seconds == 0 && requested.Nanos == 0))
        {
            return TimeSpan.FromSeconds(15);
        }

        // Checked before ToTimeSpan, which throws on non-normalised or huge durations.
        if (requested.Seconds is < 0 or > 300 || requested.Nanos is < 0 or > 999_999_999
            || requested.ToTimeSpan() is var value && (value < TimeSpan.FromSeconds(1) || value > TimeSpan.FromSeconds(300)))
        {
            throw RpcErrors.InvalidArgument("heartbeat_interval", ErrorReasons.InvalidFormat,
                "heartbeat_interval must be between 1 and 300 seconds (0 means 15).");
        }

        return requested.ToTimeSpan();
    }

    // A source submits only as itself: its jurisdiction is the authenticated peer's.
    private static SourceJurisdiction SourceOf(Caller caller, string sourceSystem)
    {
        if (!string.Equals(caller.PeerId, sourceSystem, StringComparison.Ordinal))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.RoleNotGranted,
                $"source_system '{sourceSystem}' is not the caller's own peer id ('{caller.PeerId}').",
                new Dictionary<string, string> { ["field"] = "source_system" });
        }

        return new SourceJurisdiction(caller.PeerId, caller.RegionCode);
    }

    private static void RequireText(string value, string field, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw RpcErrors.InvalidArgument(field, ErrorReasons.RequiredField, $"{field} is required.");
        }

        if (value.Length > maxLength)
        {
            throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidLength, $"{field} is longer than {maxLength} characters.");
        }

        RequirePlainText(value, field);
    }

    /// <summary>
    /// Identifiers and checkpoints are single-line text: control characters (NUL above all,
    /// which PostgreSQL cannot store) and unpaired surrogates are refused up front, so both
    /// stores answer the same INVALID_ARGUMENT instead of one failing in the database.
    /// </summary>
    private static void RequirePlainText(string value, string field)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var broken = char.IsHighSurrogate(c)
                ? i + 1 >= value.Length || !char.IsLowSurrogate(value[++i])
                : char.IsLowSurrogate(c);
            if (char.IsControl(c) || broken)
            {
                throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidFormat, $"{field} contains a control character or invalid text.");
            }
        }
    }
}
