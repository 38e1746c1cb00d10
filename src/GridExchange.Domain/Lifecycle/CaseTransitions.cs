using System.Collections.Frozen;
using GridExchange.V1;

namespace GridExchange.Domain.Lifecycle;

/// <summary>
/// The legal moves of a case (DOMAIN §3.1, the table on <c>CaseState</c> in <c>case.proto</c>).
/// </summary>
/// <remarks>
/// <see cref="CaseState.Voided"/> and <see cref="CaseState.Evaluated"/> are final. The report
/// itself is the move from <see cref="CaseState.Unspecified"/> by <see cref="CaseAction.Report"/>.
/// </remarks>
public static class CaseTransitions
{
    private static readonly FrozenDictionary<(CaseState From, CaseAction Action), CaseState> Moves =
        new Dictionary<(CaseState, CaseAction), CaseState>
        {
            [(CaseState.Unspecified, CaseAction.Report)] = CaseState.Reported,
            [(CaseState.Reported, CaseAction.Accept)] = CaseState.Accepted,
            [(CaseState.Reported, CaseAction.Void)] = CaseState.Voided,
            [(CaseState.Accepted, CaseAction.ResolveOnSpot)] = CaseState.Resolved,
            [(CaseState.Accepted, CaseAction.Register)] = CaseState.Registered,
            [(CaseState.Registered, CaseAction.Dispatch)] = CaseState.Dispatched,
            [(CaseState.Registered, CaseAction.Escalate)] = CaseState.Escalated,
            [(CaseState.Dispatched, CaseAction.Escalate)] = CaseState.Escalated,
            [(CaseState.Escalated, CaseAction.Accept)] = CaseState.Accepted,
            [(CaseState.Dispatched, CaseAction.SignFor)] = CaseState.InProgress,
            [(CaseState.Dispatched, CaseAction.Return)] = CaseState.Registered,
            [(CaseState.InProgress, CaseAction.SubmitResult)] = CaseState.Resolved,
            [(CaseState.Resolved, CaseAction.VerifyPass)] = CaseState.Closed,
            [(CaseState.Resolved, CaseAction.VerifyFail)] = CaseState.InProgress,
            [(CaseState.Closed, CaseAction.Rate)] = CaseState.Evaluated,
        }.ToFrozenDictionary();

    /// <summary>Every legal move as (from, action, to), in no particular order.</summary>
    public static IEnumerable<(CaseState From, CaseAction Action, CaseState To)> All =>
        Moves.Select(m => (m.Key.From, m.Key.Action, m.Value));

    /// <summary>The state <paramref name="action"/> leads to from <paramref name="from"/>, if the move is legal.</summary>
    public static bool TryApply(CaseState from, CaseAction action, out CaseState to) =>
        Moves.TryGetValue((from, action), out to);

    /// <summary>Whether (<paramref name="from"/>, <paramref name="action"/>, <paramref name="to"/>) is a legal move.</summary>
    public static bool IsLegal(CaseState from, CaseAction action, CaseState to) =>
        TryApply(from, action, out var target) && target == to;

    /// <summary>Whether no action leads out of <paramref name="state"/> (VOIDED, EVALUATED).</summary>
    public static bool IsFinal(CaseState state) => state is CaseState.Voided or CaseState.Evaluated;

    /// <summary>Every case state a stored case can be in, in lifecycle order.</summary>
    public static IReadOnlyList<CaseState> States { get; } =
    [
        CaseState.Reported, CaseState.Accepted, CaseState.Voided, CaseState.Registered, CaseState.Dispatched,
        CaseState.Escalated, CaseState.InProgress, CaseState.Resolved, CaseState.Closed, CaseState.Evaluated,
    ];

    /// <summary>
    /// Why <paramref name="action"/> is not legal from <paramref name="from"/>, for the caller
    /// (FAILED_PRECONDITION, ILLEGAL_TRANSITION), naming what would be legal; null when it is legal.
    /// </summary>
    public static string? Refusal(CaseState from, CaseAction action)
    {
        if (Moves.ContainsKey((from, action)))
        {
            return null;
        }

        var legal = Moves.Keys.Where(k => k.From == from).Select(k => Name(k.Action)).Order(StringComparer.Ordinal).ToList();
        var next = IsFinal(from)
            ? $"{Name(from)} is final: no action is legal"
            : $"legal from {Name(from)}: {string.Join(", ", legal)}";
        return $"{Name(action)} is not legal from {Name(from)} ({next}).";
    }

    /// <summary>The contract's name of a state, e.g. <c>IN_PROGRESS</c>.</summary>
    public static string Name(CaseState state) => state == CaseState.Unspecified ? "UNSPECIFIED" : Snake(state.ToString());

    /// <summary>The contract's name of an action, e.g. <c>SIGN_FOR</c>.</summary>
    public static string Name(CaseAction action) => action == CaseAction.Unspecified ? "UNSPECIFIED" : Snake(action.ToString());

    // The generated C# names are the contract's names in Pascal case without the enum prefix.
    internal static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));
}
