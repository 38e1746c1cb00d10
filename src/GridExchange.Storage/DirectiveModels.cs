using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// What every DirectiveService write carries for idempotency: the caller's request id is answered
/// once, and a repeat (same method and request) gets the stored answer.
/// </summary>
/// <param name="CallerId">The peer making the call: request ids are unique per caller.</param>
/// <param name="RequestId">The request's idempotency key.</param>
/// <param name="Method">The full gRPC method name, kept with the answer.</param>
/// <param name="RequestHash">SHA-256 of the method and the request: a repeat must carry the same request.</param>
public sealed record DirectiveRequest(string CallerId, string RequestId, string Method, byte[] RequestHash);

/// <summary>
/// A new directive and its receipts, committed by <see cref="IHubStore.IssueDirectiveAsync"/>.
/// </summary>
/// <param name="Request">The idempotency key.</param>
/// <param name="Directive">
/// The directive as stored, every output field set (id, meta, state ISSUED, issued_at, recipient
/// count) except <c>directive_number</c>, whose serial the store assigns under its write lock
/// from <paramref name="NumberPrefix"/>.
/// </param>
/// <param name="NumberPrefix"><c>ZL</c> + issuer code + date: the number is this and a 4-digit serial, the next free one.</param>
/// <param name="Receipts">One receipt per recipient (state ISSUED, version 1), in recipient order.</param>
/// <param name="EncodeResponse">Builds the answer from the directive as stored (with its number); stored with it.</param>
public sealed record DirectiveIssue(
    DirectiveRequest Request,
    Directive Directive,
    string NumberPrefix,
    IReadOnlyList<DirectiveReceipt> Receipts,
    Func<Directive, byte[]> EncodeResponse);

/// <summary>
/// One recipient's receipt changed by an action (AcknowledgeDirective, ReviewDirectiveFeedback),
/// committed by <see cref="IHubStore.ChangeReceiptAsync"/>.
/// </summary>
/// <param name="Request">The idempotency key.</param>
/// <param name="DirectiveId">The directive.</param>
/// <param name="RecipientRegionCode">The recipient.</param>
/// <param name="Plan">
/// Decides the new receipt from the stored directive and receipt (either null if missing), under
/// the write lock. Throws to refuse: nothing is written.
/// </param>
/// <param name="EncodeResponse">Builds the answer from the directive (roll-up applied) and the new receipt.</param>
public sealed record ReceiptChange(
    DirectiveRequest Request,
    string DirectiveId,
    string RecipientRegionCode,
    Func<Directive?, DirectiveReceipt?, DirectiveReceipt> Plan,
    Func<Directive, DirectiveReceipt, byte[]> EncodeResponse);

/// <summary>A withdrawal, committed by <see cref="IHubStore.WithdrawDirectiveAsync"/>.</summary>
/// <param name="Request">The idempotency key.</param>
/// <param name="DirectiveId">The directive.</param>
/// <param name="Plan">
/// Decides the withdrawn directive from the stored one (null if missing), under the write lock;
/// throws to refuse. The store withdraws every receipt not yet COMPLETED with it.
/// </param>
/// <param name="WithdrawReceipt">The receipt withdrawn (version raised), from the stored one.</param>
/// <param name="EncodeResponse">Builds the answer from the withdrawn directive.</param>
public sealed record DirectiveWithdrawal(
    DirectiveRequest Request,
    string DirectiveId,
    Func<Directive?, Directive> Plan,
    Func<DirectiveReceipt, DirectiveReceipt> WithdrawReceipt,
    Func<Directive, byte[]> EncodeResponse);

/// <summary>The outcome of a directive write.</summary>
/// <param name="Response">The answer: the one just committed, or for a repeat the one stored then.</param>
/// <param name="Repeated">The request id had been answered before: nothing was written now.</param>
/// <param name="RequestIdReused">The caller used the request id before for a different request: nothing was written.</param>
/// <param name="FeedSequence">The last feed sequence the write appended (0 when nothing was appended).</param>
public sealed record DirectiveWriteOutcome(byte[] Response, bool Repeated, bool RequestIdReused, long FeedSequence = 0);

/// <summary>Which receipts to read or count.</summary>
/// <param name="DirectiveId">The directive.</param>
/// <param name="RecipientPrefix">Only recipients whose code starts with this (a jurisdiction's significant prefix); empty: all.</param>
/// <param name="SignForDeadline">The directive's sign-for deadline.</param>
/// <param name="CompletionDeadline">The directive's completion deadline.</param>
/// <param name="End">When open waits end: the withdrawal if withdrawn, else now (see <c>DirectiveOverdue</c>).</param>
public sealed record ReceiptScope(string DirectiveId, string RecipientPrefix, DateTimeOffset SignForDeadline, DateTimeOffset CompletionDeadline, DateTimeOffset End);

/// <summary>A page request of receipts, in recipient-code order.</summary>
/// <param name="Scope">Which receipts.</param>
/// <param name="States">Only these states; empty: every state.</param>
/// <param name="OverdueOnly">Only receipts overdue for signing for or for completion.</param>
/// <param name="AfterRecipient">Start after this recipient code ("" from the first).</param>
/// <param name="Limit">Most receipts.</param>
public sealed record ReceiptQuery(ReceiptScope Scope, IReadOnlyList<DirectiveState> States, bool OverdueOnly, string AfterRecipient, int Limit);

/// <summary>Roll-up counts of receipts (overdue as of the scope's end).</summary>
public sealed record ReceiptCounts(IReadOnlyDictionary<DirectiveState, int> ByState, int SignForOverdue, int CompletionOverdue)
{
    /// <summary>Every receipt counted.</summary>
    public int Total => ByState.Values.Sum();
}

/// <summary>A page request of directives, newest first.</summary>
/// <param name="IssuerRegion">The caller's region: directives it issued.</param>
/// <param name="RecipientPrefix">The caller's jurisdiction prefix: directives with a recipient under it (not issued by the caller).</param>
/// <param name="Issued">Include directives the caller issued.</param>
/// <param name="Received">Include directives received in the caller's jurisdiction.</param>
/// <param name="States">Only directives whose roll-up is one of these; empty: all.</param>
/// <param name="OverdueOnly">Only directives with an overdue receipt (among those the caller sees).</param>
/// <param name="Now">The instant overdue is judged at.</param>
/// <param name="BeforeOrdinal">Start below this issue ordinal (long.MaxValue from the newest).</param>
/// <param name="Limit">Most directives.</param>
public sealed record DirectiveQuery(
    string IssuerRegion, string RecipientPrefix, bool Issued, bool Received, IReadOnlyList<DirectiveState> States, bool OverdueOnly,
    DateTimeOffset Now, long BeforeOrdinal, int Limit);

/// <summary>A directive and its issue ordinal (the paging key of ListDirectives, newest first).</summary>
public sealed record ListedDirective(long Ordinal, Directive Directive);

/// <summary>A receipt not yet delivered to its recipient's system (PeerService.ReceiveDirective).</summary>
public sealed record UndeliveredReceipt(Directive Directive, DirectiveReceipt Receipt);
