using System.Collections.Frozen;
using GridExchange.V1;

namespace GridExchange.Domain.Lifecycle;

/// <summary>
/// The legal moves of a directive receipt, one recipient's part of a directive (DOMAIN §3.2, the
/// table on <c>DirectiveState</c> in <c>directive.proto</c>), and the roll-up of a directive's
/// receipts into the directive's own state.
/// </summary>
/// <remarks>
/// Withdrawal has no <see cref="DirectiveAction"/>: it is its own RPC and moves every open receipt
/// at once (<see cref="CanWithdraw"/>). <see cref="DirectiveState.Completed"/> and
/// <see cref="DirectiveState.Withdrawn"/> are final. Overdue is not a state: a missed deadline
/// never moves a receipt (<see cref="Directives.DirectiveOverdue"/>).
/// </remarks>
public static class DirectiveTransitions
{
    private static readonly FrozenDictionary<(DirectiveState From, DirectiveAction Action), DirectiveState> Moves =
        new Dictionary<(DirectiveState, DirectiveAction), DirectiveState>
        {
            [(DirectiveState.Issued, DirectiveAction.SignFor)] = DirectiveState.SignedFor,
            [(DirectiveState.SignedFor, DirectiveAction.Start)] = DirectiveState.InProgress,
            [(DirectiveState.SignedFor, DirectiveAction.SubmitFeedback)] = DirectiveState.FeedbackSubmitted,
            [(DirectiveState.InProgress, DirectiveAction.SubmitFeedback)] = DirectiveState.FeedbackSubmitted,
            [(DirectiveState.FeedbackSubmitted, DirectiveAction.AcceptFeedback)] = DirectiveState.Completed,
            [(DirectiveState.FeedbackSubmitted, DirectiveAction.RejectFeedback)] = DirectiveState.InProgress,
        }.ToFrozenDictionary();

    /// <summary>The states a receipt can be in, in the order of progress (WITHDRAWN last, outside it).</summary>
    public static IReadOnlyList<DirectiveState> States { get; } =
    [
        DirectiveState.Issued, DirectiveState.SignedFor, DirectiveState.InProgress,
        DirectiveState.FeedbackSubmitted, DirectiveState.Completed, DirectiveState.Withdrawn,
    ];

    /// <summary>Every legal move by an action as (from, action, to), in no particular order.</summary>
    public static IEnumerable<(DirectiveState From, DirectiveAction Action, DirectiveState To)> All =>
        Moves.Select(m => (m.Key.From, m.Key.Action, m.Value));

    /// <summary>The actions a recipient takes (AcknowledgeDirective).</summary>
    public static bool IsRecipientAction(DirectiveAction action) =>
        action is DirectiveAction.SignFor or DirectiveAction.Start or DirectiveAction.SubmitFeedback;

    /// <summary>The actions the issuer takes (ReviewDirectiveFeedback).</summary>
    public static bool IsReviewAction(DirectiveAction action) =>
        action is DirectiveAction.AcceptFeedback or DirectiveAction.RejectFeedback;

    /// <summary>The state <paramref name="action"/> leads to from <paramref name="from"/>, if the move is legal.</summary>
    public static bool TryApply(DirectiveState from, DirectiveAction action, out DirectiveState to) =>
        Moves.TryGetValue((from, action), out to);

    /// <summary>
    /// Why <paramref name="action"/> is not legal from <paramref name="from"/>, for the caller
    /// (FAILED_PRECONDITION, ILLEGAL_TRANSITION); null when it is legal.
    /// </summary>
    public static string? Refusal(DirectiveState from, DirectiveAction action)
    {
        if (Moves.ContainsKey((from, action)))
        {
            return null;
        }

        var legal = Moves.Keys.Where(k => k.From == from).Select(k => Name(k.Action)).ToList();
        var next = IsFinal(from)
            ? $"{Name(from)} is final: no action is legal"
            : $"legal from {Name(from)}: {string.Join(", ", legal)}";
        return $"{Name(action)} is not legal from {Name(from)} ({next}).";
    }

    /// <summary>Whether no move leads out of <paramref name="state"/> (COMPLETED, WITHDRAWN).</summary>
    public static bool IsFinal(DirectiveState state) => state is DirectiveState.Completed or DirectiveState.Withdrawn;

    /// <summary>Whether WithdrawDirective withdraws a receipt in <paramref name="state"/> (every state not final).</summary>
    public static bool CanWithdraw(DirectiveState state) =>
        state is DirectiveState.Issued or DirectiveState.SignedFor or DirectiveState.InProgress or DirectiveState.FeedbackSubmitted;

    /// <summary>
    /// Why the directive cannot be withdrawn, or null when it can: a directive is withdrawn while
    /// open, i.e. its roll-up is neither COMPLETED (every receipt completed) nor WITHDRAWN.
    /// </summary>
    public static string? WithdrawRefusal(DirectiveState rollUp) => rollUp switch
    {
        DirectiveState.Withdrawn => "The directive is already withdrawn.",
        DirectiveState.Completed => "The directive is completed (every recipient's part accepted): a completed directive cannot be withdrawn.",
        _ => null,
    };

    /// <summary>
    /// The directive's state from its receipts' (<c>Directive.state</c>): WITHDRAWN when
    /// withdrawn, otherwise the least advanced receipt state, ISSUED &lt; SIGNED_FOR &lt;
    /// IN_PROGRESS &lt; FEEDBACK_SUBMITTED &lt; COMPLETED.
    /// </summary>
    /// <param name="withdrawn">Whether the issuer withdrew the directive.</param>
    /// <param name="receiptStates">The states of all its receipts (at least one).</param>
    public static DirectiveState RollUp(bool withdrawn, IEnumerable<DirectiveState> receiptStates)
    {
        ArgumentNullException.ThrowIfNull(receiptStates);
        if (withdrawn)
        {
            return DirectiveState.Withdrawn;
        }

        var least = DirectiveState.Unspecified;
        foreach (var state in receiptStates)
        {
            // Without withdrawal no receipt is WITHDRAWN; one that is (a damaged row) does not count.
            if (state is DirectiveState.Unspecified or DirectiveState.Withdrawn)
            {
                continue;
            }

            if (least == DirectiveState.Unspecified || state < least)
            {
                least = state;
            }
        }

        return least == DirectiveState.Unspecified ? DirectiveState.Issued : least;
    }

    /// <summary>The contract's name of a state, e.g. <c>SIGNED_FOR</c>.</summary>
    public static string Name(DirectiveState state) => state switch
    {
        DirectiveState.Issued => "ISSUED",
        DirectiveState.SignedFor => "SIGNED_FOR",
        DirectiveState.InProgress => "IN_PROGRESS",
        DirectiveState.FeedbackSubmitted => "FEEDBACK_SUBMITTED",
        DirectiveState.Completed => "COMPLETED",
        DirectiveState.Withdrawn => "WITHDRAWN",
        _ => "UNSPECIFIED",
    };

    /// <summary>The contract's name of an action, e.g. <c>SIGN_FOR</c>.</summary>
    public static string Name(DirectiveAction action) => action switch
    {
        DirectiveAction.SignFor => "SIGN_FOR",
        DirectiveAction.Start => "START",
        DirectiveAction.SubmitFeedback => "SUBMIT_FEEDBACK",
        DirectiveAction.AcceptFeedback => "ACCEPT_FEEDBACK",
        DirectiveAction.RejectFeedback => "REJECT_FEEDBACK",
        _ => "UNSPECIFIED",
    };
}
