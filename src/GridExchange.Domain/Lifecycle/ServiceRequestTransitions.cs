using System.Collections.Frozen;
using GridExchange.V1;

namespace GridExchange.Domain.Lifecycle;

/// <summary>
/// The legal moves of a proxy service request (DOMAIN §3.3, the table on
/// <c>ServiceRequestState</c> in <c>service_request.proto</c>).
/// </summary>
/// <remarks>
/// REVIEWED, DECLINED and WITHDRAWN are final. The request itself is the move from
/// <see cref="ServiceRequestState.Unspecified"/> by <see cref="ServiceRequestAction.Request"/>.
/// </remarks>
public static class ServiceRequestTransitions
{
    private static readonly FrozenDictionary<(ServiceRequestState From, ServiceRequestAction Action), ServiceRequestState> Moves =
        new Dictionary<(ServiceRequestState, ServiceRequestAction), ServiceRequestState>
        {
            [(ServiceRequestState.Unspecified, ServiceRequestAction.Request)] = ServiceRequestState.Requested,
            [(ServiceRequestState.Requested, ServiceRequestAction.Accept)] = ServiceRequestState.Accepted,
            [(ServiceRequestState.Accepted, ServiceRequestAction.CollectMaterials)] = ServiceRequestState.MaterialsCollected,
            [(ServiceRequestState.NeedsSupplement, ServiceRequestAction.CollectMaterials)] = ServiceRequestState.MaterialsCollected,
            [(ServiceRequestState.MaterialsCollected, ServiceRequestAction.Submit)] = ServiceRequestState.Submitted,
            [(ServiceRequestState.Submitted, ServiceRequestAction.RequestSupplement)] = ServiceRequestState.NeedsSupplement,
            [(ServiceRequestState.Submitted, ServiceRequestAction.Complete)] = ServiceRequestState.Completed,
            [(ServiceRequestState.Completed, ServiceRequestAction.Deliver)] = ServiceRequestState.Delivered,
            [(ServiceRequestState.Delivered, ServiceRequestAction.Review)] = ServiceRequestState.Reviewed,
            [(ServiceRequestState.Requested, ServiceRequestAction.Decline)] = ServiceRequestState.Declined,
            [(ServiceRequestState.Accepted, ServiceRequestAction.Decline)] = ServiceRequestState.Declined,
            [(ServiceRequestState.MaterialsCollected, ServiceRequestAction.Decline)] = ServiceRequestState.Declined,
            [(ServiceRequestState.Requested, ServiceRequestAction.Withdraw)] = ServiceRequestState.Withdrawn,
            [(ServiceRequestState.Accepted, ServiceRequestAction.Withdraw)] = ServiceRequestState.Withdrawn,
            [(ServiceRequestState.MaterialsCollected, ServiceRequestAction.Withdraw)] = ServiceRequestState.Withdrawn,
        }.ToFrozenDictionary();

    /// <summary>Every legal move as (from, action, to), in no particular order.</summary>
    public static IEnumerable<(ServiceRequestState From, ServiceRequestAction Action, ServiceRequestState To)> All =>
        Moves.Select(m => (m.Key.From, m.Key.Action, m.Value));

    /// <summary>The state <paramref name="action"/> leads to from <paramref name="from"/>, if the move is legal.</summary>
    public static bool TryApply(ServiceRequestState from, ServiceRequestAction action, out ServiceRequestState to) =>
        Moves.TryGetValue((from, action), out to);

    /// <summary>Whether (<paramref name="from"/>, <paramref name="action"/>, <paramref name="to"/>) is a legal move.</summary>
    public static bool IsLegal(ServiceRequestState from, ServiceRequestAction action, ServiceRequestState to) =>
        TryApply(from, action, out var target) && target == to;

    /// <summary>Whether no action leads out of <paramref name="state"/> (REVIEWED, DECLINED, WITHDRAWN).</summary>
    public static bool IsFinal(ServiceRequestState state) =>
        state is ServiceRequestState.Reviewed or ServiceRequestState.Declined or ServiceRequestState.Withdrawn;

    /// <summary>
    /// Why <paramref name="action"/> is not legal from <paramref name="from"/>, for the caller
    /// (FAILED_PRECONDITION, ILLEGAL_TRANSITION), naming what would be legal; null when it is legal.
    /// </summary>
    public static string? Refusal(ServiceRequestState from, ServiceRequestAction action)
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

    /// <summary>The contract's name of a state, e.g. <c>MATERIALS_COLLECTED</c>.</summary>
    public static string Name(ServiceRequestState state) =>
        state == ServiceRequestState.Unspecified ? "UNSPECIFIED" : CaseTransitions.Snake(state.ToString());

    /// <summary>The contract's name of an action, e.g. <c>REQUEST_SUPPLEMENT</c>.</summary>
    public static string Name(ServiceRequestAction action) =>
        action == ServiceRequestAction.Unspecified ? "UNSPECIFIED" : CaseTransitions.Snake(action.ToString());
}
