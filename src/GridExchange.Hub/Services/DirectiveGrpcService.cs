using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Directives;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.Domain.Peers;
using GridExchange.Domain.Security;
using GridExchange.Domain.Time;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.Hub.Services;

/// <summary>
/// Directives (指令/督办) and their per-recipient receipts: issue downwards, sign for, work,
/// feedback, review, withdraw, and the issuer's roll-up and receipt matrix
/// (<c>directive_service.proto</c>).
/// </summary>
/// <remarks>
/// The rules live in the domain (<see cref="DirectiveRules"/>, <see cref="DirectiveTransitions"/>,
/// <see cref="DirectiveOverdue"/>); this class maps them to the wire. Every write is committed
/// with its answer and its feed changes in one transaction (idempotent on the caller's
/// request_id), then audited. Overdue flags are computed from the injected clock at every read
/// and never change a state. Visibility: the issuing region sees its directive and all its
/// receipts; any other caller sees a directive only when one of its recipients lies in the
/// caller's jurisdiction, and only those receipts — anything else is NOT_FOUND, so ids of other
/// regions' directives are not confirmed.
/// </remarks>
internal sealed class DirectiveGrpcService(
    IHubStore store, AuditTrail audit, [FromKeyedServices(HubHost.DirectiveClockKey)] TimeProvider clock)
    : DirectiveService.DirectiveServiceBase
{
    private const string Entity = "Directive";

    /// <inheritdoc />
    public override async Task<IssueDirectiveResponse> IssueDirective(IssueDirectiveRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        ThrowFirst(DirectiveRules.ValidateIssue(request.Directive));
        var input = request.Directive;
        for (var i = 0; i < input.TargetRegionCodes.Count; i++)
        {
            if (DirectiveRules.NotDownward(caller.RegionCode, input.TargetRegionCodes[i]) is { } refusal)
            {
                throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.DirectiveNotDownward, refusal,
                    new Dictionary<string, string>
                    {
                        ["field"] = string.Create(CultureInfo.InvariantCulture, $"directive.target_region_codes[{i}]"),
                        ["issuer_region_code"] = caller.RegionCode,
                    });
            }
        }

        var recipients = await ExpandAsync(input, context.CancellationToken);
        var now = Now();
        var at = Timestamp.FromDateTimeOffset(now);
        var id = "zl-" + Guid.NewGuid().ToString("N");
        var issuer = RegionCode.Parse(caller.RegionCode);

        // Only the input fields are taken; every output field is the hub's.
        var directive = new Directive
        {
            Meta = new EntityMeta { Id = id, SourceSystem = IngestPlanner.HubOwner, Version = 1, UpdatedAt = at },
            Title = input.Title,
            Content = input.Content,
            IssuerRegionCode = issuer.Value,
            IssuerLevel = (RegionLevel)(int)issuer.Level,
            IssuerUnit = input.IssuerUnit,
            Supervision = input.Supervision,
            TargetRegionCodes = { input.TargetRegionCodes },
            RecipientLevel = input.RecipientLevel,
            SignForDeadline = input.SignForDeadline,
            CompletionDeadline = input.CompletionDeadline,
            State = DirectiveState.Issued,
            IssuedAt = at,
            RecipientCount = recipients.Count,
        };
        var receipts = recipients.Select(code => new DirectiveReceipt
        {
            Meta = new EntityMeta { Id = $"{id}/{code}", SourceSystem = IngestPlanner.HubOwner, Version = 1, UpdatedAt = at },
            DirectiveId = id,
            RecipientRegionCode = code,
            State = DirectiveState.Issued,
        }).ToList();
        var prefix = "ZL" + issuer.Value + ChinaTime.Today(new FixedClock(now)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

        var outcome = await store.IssueDirectiveAsync(
            new DirectiveIssue(Key(caller, request.RequestId, context, request), directive, prefix, receipts, stored =>
                new IssueDirectiveResponse { Directive = stored, Counts = IssuedCounts(stored, now) }.ToByteArray()),
            context.CancellationToken);
        ThrowIfReused(outcome);
        var response = IssueDirectiveResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope(response.Directive.Meta.Id, outcome.Repeated, string.Create(CultureInfo.InvariantCulture, $"recipients={response.Directive.RecipientCount}")),
            response.Directive.RecipientCount, request.RequestId);
        response.Directive = caller.Redacted(response.Directive);
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetDirectiveResponse> GetDirective(GetDirectiveRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var directive = await VisibleAsync(caller, request.DirectiveId, context.CancellationToken);
        await audit.ReadAsync(context, caller, "directive=" + request.DirectiveId, [EntityType.Directive], 1);
        return new GetDirectiveResponse { Directive = caller.Redacted(directive) };
    }

    /// <inheritdoc />
    public override async Task<ListDirectivesResponse> ListDirectives(ListDirectivesRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var limit = EntityPages.Size(request.PageSize);
        if (!System.Enum.IsDefined(request.Role))
        {
            throw RpcErrors.InvalidArgument("role", ErrorReasons.InvalidFormat, $"{(int)request.Role} is not a DirectiveRole.");
        }

        var states = States(request.States, "states");
        var binding = string.Create(CultureInfo.InvariantCulture,
            $"ListDirectives|{caller.RegionCode}|{(int)request.Role}|{string.Join(',', states.Select(s => (int)s))}|{request.OverdueOnly}");
        var before = long.MaxValue;
        if (PageTokens.Decode(binding, request.PageToken) is { } position
            && !long.TryParse(position.Key, NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            throw RpcErrors.InvalidArgument("page_token", ErrorReasons.InvalidPageToken, "page_token does not belong to this listing.");
        }

        var jurisdiction = Jurisdiction(caller);
        var page = await store.ListDirectivesAsync(
            new DirectiveQuery(caller.RegionCode, jurisdiction ?? "", request.Role != DirectiveRole.Received,
                request.Role != DirectiveRole.Issued && jurisdiction is not null, states, request.OverdueOnly, Now(), before, limit + 1),
            context.CancellationToken);
        var items = page.Take(limit).ToList();
        var response = new ListDirectivesResponse
        {
            Directives = { items.Select(d => caller.Redacted(d.Directive)) },
            NextPageToken = page.Count > limit
                ? PageTokens.Encode(binding, new EntityPosition("", items[^1].Ordinal.ToString(CultureInfo.InvariantCulture)))
                : "",
        };
        await audit.ReadAsync(context, caller, "directives;role=" + request.Role, [EntityType.Directive], response.Directives.Count);
        return response;
    }

    /// <inheritdoc />
    public override async Task<AcknowledgeDirectiveResponse> AcknowledgeDirective(AcknowledgeDirectiveRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        RpcErrors.ThrowIfInvalid(DirectiveRules.ValidateId(request.DirectiveId), "directive_id");
        ThrowFirst(DirectiveRules.ValidateAcknowledge(request));
        if (!caller.Covers(request.RecipientRegionCode))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction,
                $"Recipient {request.RecipientRegionCode} lies outside the caller's jurisdiction {caller.RegionCode}: a recipient acts only for itself.",
                new Dictionary<string, string> { ["field"] = "recipient_region_code" });
        }

        var now = Now();
        var outcome = await store.ChangeReceiptAsync(
            new ReceiptChange(Key(caller, request.RequestId, context, request), request.DirectiveId, request.RecipientRegionCode,
                (directive, receipt) =>
                {
                    if (directive is null || receipt is null)
                    {
                        throw ReceiptNotFound(request.DirectiveId, request.RecipientRegionCode);
                    }

                    CheckMove(receipt, request.Action, request.ExpectedVersion);
                    var text = request.Action == DirectiveAction.SubmitFeedback ? request.Feedback : "";
                    return DirectiveRules.Apply(receipt, request.Action, request.ActorName, text, now);
                },
                (directive, receipt) => new AcknowledgeDirectiveResponse { Receipt = DirectiveOverdue.Mark(receipt.Clone(), directive, now) }.ToByteArray()),
            context.CancellationToken);
        ThrowIfReused(outcome);
        var response = AcknowledgeDirectiveResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope(request.DirectiveId, outcome.Repeated, $"recipient={request.RecipientRegionCode};action={DirectiveTransitions.Name(request.Action)}"), 1, request.RequestId);
        response.Receipt = caller.Redacted(response.Receipt);
        return response;
    }

    /// <inheritdoc />
    public override async Task<ReviewDirectiveFeedbackResponse> ReviewDirectiveFeedback(ReviewDirectiveFeedbackRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        RpcErrors.ThrowIfInvalid(DirectiveRules.ValidateId(request.DirectiveId), "directive_id");
        ThrowFirst(DirectiveRules.ValidateReview(request));
        var now = Now();
        var outcome = await store.ChangeReceiptAsync(
            new ReceiptChange(Key(caller, request.RequestId, context, request), request.DirectiveId, request.RecipientRegionCode,
                (directive, receipt) =>
                {
                    RequireIssuer(caller, directive, request.DirectiveId);
                    if (receipt is null)
                    {
                        throw ReceiptNotFound(request.DirectiveId, request.RecipientRegionCode);
                    }

                    CheckMove(receipt, request.Action, request.ExpectedVersion);
                    var text = request.Action == DirectiveAction.RejectFeedback ? request.Comment : "";
                    return DirectiveRules.Apply(receipt, request.Action, "", text, now);
                },
                (directive, receipt) => new ReviewDirectiveFeedbackResponse { Receipt = DirectiveOverdue.Mark(receipt.Clone(), directive, now) }.ToByteArray()),
            context.CancellationToken);
        ThrowIfReused(outcome);
        var response = ReviewDirectiveFeedbackResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope(request.DirectiveId, outcome.Repeated, $"recipient={request.RecipientRegionCode};action={DirectiveTransitions.Name(request.Action)}"), 1, request.RequestId);
        response.Receipt = caller.Redacted(response.Receipt);
        return response;
    }

    /// <inheritdoc />
    public override async Task<WithdrawDirectiveResponse> WithdrawDirective(WithdrawDirectiveRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        RpcErrors.ThrowIfInvalid(DirectiveRules.ValidateId(request.DirectiveId), "directive_id");
        ThrowFirst(DirectiveRules.ValidateWithdraw(request));
        var now = Now();
        var at = Timestamp.FromDateTimeOffset(now);
        var outcome = await store.WithdrawDirectiveAsync(
            new DirectiveWithdrawal(Key(caller, request.RequestId, context, request), request.DirectiveId,
                directive =>
                {
                    RequireIssuer(caller, directive, request.DirectiveId);
                    if (DirectiveTransitions.WithdrawRefusal(directive!.State) is { } refusal)
                    {
                        throw IllegalTransition(refusal, request.DirectiveId, directive.State);
                    }

                    var withdrawn = directive.Clone();
                    withdrawn.State = DirectiveState.Withdrawn;
                    withdrawn.WithdrawnAt = at;
                    withdrawn.WithdrawReason = request.Reason;
                    withdrawn.Meta.Version++;
                    withdrawn.Meta.UpdatedAt = at;
                    return withdrawn;
                },
                receipt => DirectiveRules.Withdraw(receipt, now),
                directive => new WithdrawDirectiveResponse { Directive = directive }.ToByteArray()),
            context.CancellationToken);
        ThrowIfReused(outcome);
        var response = WithdrawDirectiveResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller, Scope(request.DirectiveId, outcome.Repeated, "withdrawn"), 1, request.RequestId);
        response.Directive = caller.Redacted(response.Directive);
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetDirectiveStatusResponse> GetDirectiveStatus(GetDirectiveStatusRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var directive = await VisibleAsync(caller, request.DirectiveId, context.CancellationToken);
        var counts = await store.CountReceiptsAsync(ScopeFor(caller, directive, Now()), context.CancellationToken);
        await audit.ReadAsync(context, caller, "directive=" + request.DirectiveId, [EntityType.Directive], 1);
        return new GetDirectiveStatusResponse { Directive = caller.Redacted(directive), Counts = ToProto(counts) };
    }

    /// <inheritdoc />
    public override async Task<ListDirectiveReceiptsResponse> ListDirectiveReceipts(ListDirectiveReceiptsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var limit = EntityPages.Size(request.PageSize);
        var states = States(request.States, "states");
        var directive = await VisibleAsync(caller, request.DirectiveId, context.CancellationToken);
        var binding = string.Create(CultureInfo.InvariantCulture,
            $"ListDirectiveReceipts|{request.DirectiveId}|{caller.RegionCode}|{string.Join(',', states.Select(s => (int)s))}|{request.OverdueOnly}");
        var after = PageTokens.Decode(binding, request.PageToken)?.Key ?? "";
        var now = Now();
        var page = await store.ListReceiptsAsync(
            new ReceiptQuery(ScopeFor(caller, directive, now), states, request.OverdueOnly, after, limit + 1), context.CancellationToken);
        var items = page.Take(limit).Select(r => caller.Redacted(DirectiveOverdue.Mark(r, directive, now))).ToList();
        await audit.ReadAsync(context, caller, "directive=" + request.DirectiveId, [EntityType.DirectiveReceipt], items.Count);
        return new ListDirectiveReceiptsResponse
        {
            Receipts = { items },
            NextPageToken = page.Count > limit ? PageTokens.Encode(binding, new EntityPosition("", items[^1].RecipientRegionCode)) : "",
        };
    }

    private DateTimeOffset Now()
    {
        // Microseconds: what both stores keep, so an answer shows the instants a later read returns.
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }

    /// <summary>
    /// The recipients: each target itself, or every region of <c>recipient_level</c> inside it,
    /// in code order without repeats. A target that is not a known region is NOT_FOUND.
    /// </summary>
    private async Task<List<string>> ExpandAsync(Directive input, CancellationToken cancellationToken)
    {
        var recipients = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < input.TargetRegionCodes.Count; i++)
        {
            var target = RegionCode.Parse(input.TargetRegionCodes[i]);
            if (await store.GetAsync(EntityType.Region, target.Value, cancellationToken) is null)
            {
                throw RpcErrors.NotFound("Region", target.Value);
            }

            if (input.RecipientLevel == RegionLevel.Unspecified || (int)target.Level == (int)input.RecipientLevel)
            {
                recipients.Add(target.Value);
                continue;
            }

            EntityPosition? after = null;
            while (true)
            {
                var regions = await store.ListInScopeAsync(EntityType.Region, target.Prefix, after, 1000, cancellationToken);
                foreach (var region in regions)
                {
                    if (DirectiveRules.IsRecipient(target.Value, input.RecipientLevel, region.Key))
                    {
                        recipients.Add(region.Key);
                    }
                }

                if (regions.Count < 1000)
                {
                    break;
                }

                after = new EntityPosition(regions[^1].ScopeCode, regions[^1].Key);
            }
        }

        if (recipients.Count == 0)
        {
            throw RpcErrors.InvalidArgument("directive.recipient_level", ErrorReasons.InconsistentFields,
                $"No region of level {input.RecipientLevel} lies inside the targets: the directive would have no recipient.");
        }

        return [.. recipients];
    }

    /// <summary>The directive if the caller may see it (see the class remarks); NOT_FOUND otherwise.</summary>
    private async Task<Directive> VisibleAsync(Caller caller, string directiveId, CancellationToken cancellationToken)
    {
        RpcErrors.ThrowIfInvalid(DirectiveRules.ValidateId(directiveId), "directive_id");
        var directive = await store.GetDirectiveAsync(directiveId, cancellationToken) ?? throw RpcErrors.NotFound(Entity, directiveId);
        if (directive.IssuerRegionCode == caller.RegionCode)
        {
            return directive;
        }

        var prefix = Jurisdiction(caller);
        if (prefix is not null)
        {
            var scope = new ReceiptScope(directiveId, prefix, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
            if ((await store.ListReceiptsAsync(new ReceiptQuery(scope, [], false, "", 1), cancellationToken)).Count > 0)
            {
                return directive;
            }
        }

        throw RpcErrors.NotFound(Entity, directiveId);
    }

    /// <summary>The receipts the caller sees: all for the issuer, those in its jurisdiction otherwise.</summary>
    private static ReceiptScope ScopeFor(Caller caller, Directive directive, DateTimeOffset now) => new(
        directive.Meta.Id,
        directive.IssuerRegionCode == caller.RegionCode ? "" : Jurisdiction(caller)!,
        directive.SignForDeadline.ToDateTimeOffset(),
        directive.CompletionDeadline.ToDateTimeOffset(),
        directive.WithdrawnAt?.ToDateTimeOffset() ?? now);

    /// <summary>The caller's jurisdiction as a code prefix; null when its region is not a code (it then sees nothing it did not issue).</summary>
    private static string? Jurisdiction(Caller caller) =>
        RegionCode.TryParse(caller.RegionCode, out var region) ? region.Prefix : null;

    private static void RequireIssuer(Caller caller, Directive? directive, string directiveId)
    {
        if (directive is null)
        {
            throw RpcErrors.NotFound(Entity, directiveId);
        }

        if (directive.IssuerRegionCode != caller.RegionCode)
        {
            // A region that only received it sees the directive, so it is told why, not NOT_FOUND.
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction,
                $"Only the issuing region {directive.IssuerRegionCode} reviews feedback on or withdraws directive '{directiveId}'.",
                new Dictionary<string, string> { ["directive_id"] = directiveId });
        }
    }

    private static void CheckMove(DirectiveReceipt receipt, DirectiveAction action, long expectedVersion)
    {
        if (expectedVersion != 0 && expectedVersion != receipt.Meta.Version)
        {
            throw RpcErrors.Status(StatusCode.Aborted, ErrorReasons.VersionConflict,
                string.Create(CultureInfo.InvariantCulture,
                    $"The receipt is at version {receipt.Meta.Version}, not {expectedVersion}: re-read it and decide again."),
                new Dictionary<string, string> { ["stored_version"] = receipt.Meta.Version.ToString(CultureInfo.InvariantCulture) });
        }

        if (DirectiveTransitions.Refusal(receipt.State, action) is { } refusal)
        {
            throw IllegalTransition(refusal, receipt.Meta.Id, receipt.State);
        }
    }

    private static RpcException IllegalTransition(string message, string key, DirectiveState state) =>
        RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.IllegalTransition, message,
            new Dictionary<string, string> { ["key"] = key, ["state"] = DirectiveTransitions.Name(state) });

    private static RpcException ReceiptNotFound(string directiveId, string recipient) =>
        RpcErrors.NotFound("DirectiveReceipt", $"{directiveId}/{recipient}");

    private static List<DirectiveState> States(IReadOnlyList<DirectiveState> states, string field)
    {
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i] == DirectiveState.Unspecified || !System.Enum.IsDefined(states[i]))
            {
                throw RpcErrors.InvalidArgument(string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]"), ErrorReasons.InvalidFormat,
                    $"{(int)states[i]} is not a DirectiveState.");
            }
        }

        return [.. states.Distinct().Order()];
    }

    private static DirectiveReceiptCounts IssuedCounts(Directive directive, DateTimeOffset now)
    {
        var n = directive.RecipientCount;
        return new DirectiveReceiptCounts
        {
            TotalCount = n,
            IssuedCount = n,
            SignForOverdueCount = now > directive.SignForDeadline.ToDateTimeOffset() ? n : 0,
            CompletionOverdueCount = now > directive.CompletionDeadline.ToDateTimeOffset() ? n : 0,
        };
    }

    private static DirectiveReceiptCounts ToProto(ReceiptCounts counts)
    {
        int Of(DirectiveState state) => counts.ByState.TryGetValue(state, out var n) ? n : 0;
        return new DirectiveReceiptCounts
        {
            TotalCount = counts.Total,
            IssuedCount = Of(DirectiveState.Issued),
            SignedForCount = Of(DirectiveState.SignedFor),
            InProgressCount = Of(DirectiveState.InProgress),
            FeedbackSubmittedCount = Of(DirectiveState.FeedbackSubmitted),
            CompletedCount = Of(DirectiveState.Completed),
            WithdrawnCount = Of(DirectiveState.Withdrawn),
            SignForOverdueCount = counts.SignForOverdue,
            CompletionOverdueCount = counts.CompletionOverdue,
        };
    }

    private static DirectiveRequest Key(Caller caller, string requestId, ServerCallContext context, IMessage request)
    {
        // The method is part of the hash: one request id may not stand for two different RPCs.
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(context.Method)) { 0 };
        bytes.AddRange(request.ToByteArray());
        return new DirectiveRequest(caller.PeerId, requestId, context.Method, SHA256.HashData([.. bytes]));
    }

    private static void ThrowIfReused(DirectiveWriteOutcome outcome)
    {
        if (outcome.RequestIdReused)
        {
            throw RpcErrors.InvalidArgument("request_id", ErrorReasons.RequestIdReused,
                "This request_id was used before for a different request; choose a new one for every change.");
        }
    }

    private static void ThrowFirst(IReadOnlyList<FieldProblem> problems)
    {
        if (problems.Count > 0)
        {
            var first = problems[0];
            throw RpcErrors.InvalidArgument(first.Field, first.Reason, $"{first.Field}: {first.Description}");
        }
    }

    private static string Scope(string directiveId, bool repeated, string what) =>
        $"directive={directiveId};{what}{(repeated ? ";repeat" : "")}";

    /// <summary>A clock stopped at one instant: the issue's Beijing date is read from the same instant as its timestamps.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
