using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Domain.Cases;

/// <summary>
/// The hub-managed proxy-service lifecycle (DOMAIN §3.3, <c>case_service.proto</c>): request
/// rules, the new request, and how a request changes under an action. Pure. The legal moves are
/// <see cref="ServiceRequestTransitions"/>. A request is handled in its resident's grid: any
/// caller whose jurisdiction contains that grid (the grid worker's system or a level above it)
/// acts on it; others do not see it (NOT_FOUND).
/// </summary>
public static class ServiceRequestWorkflow
{
    /// <summary>Longest comment.</summary>
    public const int MaxCommentLength = 500;

    /// <summary>
    /// Whether <paramref name="request"/> is past its deadline at <paramref name="now"/> while the
    /// matter is still open (accepted and not yet completed, declined or withdrawn). The deadline
    /// runs from acceptance, so a request not yet accepted has none.
    /// </summary>
    public static bool IsOverdue(ServiceRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Deadline is not null
            && request.State is ServiceRequestState.Accepted or ServiceRequestState.MaterialsCollected or ServiceRequestState.Submitted
                or ServiceRequestState.NeedsSupplement
            && now > request.Deadline.ToDateTimeOffset();
    }

    /// <summary><paramref name="request"/> with <c>overdue</c> as of <paramref name="now"/> (the same message, changed).</summary>
    public static ServiceRequest MarkOverdue(ServiceRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Overdue = IsOverdue(request, now);
        return request;
    }

    /// <summary>Every field rule a TransitionServiceRequest request breaks (request_id and the id aside).</summary>
    public static IReadOnlyList<FieldProblem> ValidateTransition(TransitionServiceRequestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<FieldProblem>();
        var action = request.Action;
        if (action == ServiceRequestAction.Unspecified)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.RequiredField, "action is required."));
        }
        else if (action == ServiceRequestAction.Request)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidCode, "REQUEST is not a transition: record a request with ReportServiceRequest."));
        }
        else if (!System.Enum.IsDefined(action))
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidCode, $"{(int)action} is not a ServiceRequestAction."));
        }

        var needsComment = action is ServiceRequestAction.RequestSupplement or ServiceRequestAction.Decline;
        RequestText.Check(problems, "comment", request.Comment, MaxCommentLength, needsComment, singleLine: false);
        if (action == ServiceRequestAction.Review && request.Rating == 0)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.RequiredField, "rating (1 to 5) is required for REVIEW."));
        }
        else if (request.Rating is < 0 or > 5)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.InvalidFormat, "rating is 1 (worst) to 5 (best)."));
        }
        else if (action != ServiceRequestAction.Review && request.Rating != 0)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.InconsistentFields, "rating is given only with REVIEW (0 otherwise)."));
        }

        if (request.ExpectedVersion < 0)
        {
            problems.Add(new FieldProblem("expected_version", ErrorReasons.InvalidFormat, "expected_version is 0 (no check) or a version."));
        }

        RequestText.Check(problems, "actor_id", request.ActorId, CaseWorkflow.MaxActorIdLength, required: false, singleLine: true);
        RequestText.Check(problems, "actor_name", request.ActorName, CaseWorkflow.MaxActorNameLength, required: false, singleLine: true);
        return problems;
    }

    /// <summary>
    /// A new request as the hub stores it: input fields copied, item name from the catalogue (empty
    /// when <paramref name="item"/> is null: the caller then refuses the unknown item),
    /// state REQUESTED, <c>requested_at</c> and the REQUEST step at <paramref name="now"/>.
    /// </summary>
    public static ServiceRequest Report(ServiceRequest input, ServiceItem? item, string id, string actorId, string actorName, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        var at = Timestamp.FromDateTimeOffset(now);
        var record = input.Clone();
        record.Meta = new EntityMeta { Id = id, SourceSystem = IngestPlanner.HubOwner, Version = 1, UpdatedAt = at };
        record.ItemName = item?.Name ?? "";
        record.State = ServiceRequestState.Requested;
        record.RequestedAt = at;
        record.Deadline = null;
        record.CompletedAt = null;
        record.DeliveredAt = null;
        record.Rating = 0;
        record.Steps.Clear();
        record.Steps.Add(new ServiceRequestStep
        {
            Seq = 1,
            Action = ServiceRequestAction.Request,
            FromState = ServiceRequestState.Unspecified,
            ToState = ServiceRequestState.Requested,
            ActorId = actorId,
            ActorName = actorName,
            At = at,
        });
        return record;
    }

    /// <summary>
    /// The request after <paramref name="request"/>'s action at <paramref name="now"/>: state
    /// moved, version raised, step appended; ACCEPT sets the deadline <paramref name="item"/>'s
    /// time limit in working days ahead (none when the item has left the catalogue), COMPLETE and
    /// DELIVER stamp their instants, REVIEW records the rating. The move must be legal.
    /// </summary>
    /// <exception cref="InvalidOperationException">The move is not legal.</exception>
    public static ServiceRequest Apply(
        ServiceRequest current, TransitionServiceRequestRequest request, ServiceItem? item, DateTimeOffset now, CaseDeadlineSettings calendar)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(calendar);
        if (!ServiceRequestTransitions.TryApply(current.State, request.Action, out var to))
        {
            throw new InvalidOperationException(ServiceRequestTransitions.Refusal(current.State, request.Action));
        }

        var at = Timestamp.FromDateTimeOffset(now);
        var next = current.Clone();
        next.State = to;
        next.Meta.Version = current.Meta.Version + 1;
        next.Meta.UpdatedAt = at;
        switch (request.Action)
        {
            case ServiceRequestAction.Accept when item is not null:
                next.Deadline = Timestamp.FromDateTimeOffset(calendar.AddWorkingDays(now, item.TimeLimitDays));
                break;
            case ServiceRequestAction.Complete:
                next.CompletedAt = at;
                break;
            case ServiceRequestAction.Deliver:
                next.DeliveredAt = at;
                break;
            case ServiceRequestAction.Review:
                next.Rating = request.Rating;
                break;
        }

        next.Steps.Add(new ServiceRequestStep
        {
            Seq = current.Steps.Count == 0 ? 1 : current.Steps[^1].Seq + 1,
            Action = request.Action,
            FromState = current.State,
            ToState = to,
            ActorId = request.ActorId,
            ActorName = request.ActorName,
            Comment = request.Comment,
            At = at,
        });
        return next;
    }
}
