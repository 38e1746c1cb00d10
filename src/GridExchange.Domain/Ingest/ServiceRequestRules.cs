using GridExchange.Domain.Errors;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>
/// Rules for a ServiceRequest submitted by the source system that runs it (service_request.proto).
/// Like a source-run Case, its "Output only" fields are the source's own values, kept coherent
/// by the cheap and certain cross-field rules below.
/// </summary>
internal static class ServiceRequestRules
{
    private const int RequestNumber = 32;
    private const int Name = 50;
    private const int CatalogueCode = 20;
    private const int ItemName = 100;
    private const int Description = 500;
    private const int ActorId = 64;
    private const int Comment = 500;
    private const int MaxRating = 5;

    /// <returns>The request's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? Check(Change change, IngestContext context)
    {
        const string P = "service_request";
        var request = change.ServiceRequest;
        var location = HousingRules.Location(P + ".grid_code", request.GridCode, context);

        context.Text(P + ".request_number", request.RequestNumber, RequestNumber, required: false);
        context.EntityId(P + ".resident_person_id", request.ResidentPersonId, required: false);
        context.Text(P + ".resident_name", request.ResidentName, Name, required: true, TextRules.NotMasked);
        context.Phone(P + ".resident_contact", request.ResidentContact, required: true);
        context.Text(P + ".category_code", request.CategoryCode, CatalogueCode, required: true);
        context.Text(P + ".item_code", request.ItemCode, CatalogueCode, required: true);
        context.Text(P + ".item_name", request.ItemName, ItemName, required: false);
        context.Worker(P + ".grid_worker_number", request.GridWorkerNumber, required: false, out _);
        var stateValid = context.Enum(P + ".state", request.State, required: true);
        context.Text(P + ".description", request.Description, Description, required: false, TextRules.Multiline);
        var requestedValid = context.Instant(P + ".requested_at", request.RequestedAt, required: false, notFuture: false, out var requestedAt);
        context.Instant(P + ".deadline", request.Deadline, required: false, notFuture: false, out _);
        var completedValid = context.Instant(P + ".completed_at", request.CompletedAt, required: false, notFuture: false, out var completedAt);
        var deliveredValid = context.Instant(P + ".delivered_at", request.DeliveredAt, required: false, notFuture: false, out var deliveredAt);
        if (stateValid)
        {
            Milestones(request, context);
        }

        if (completedValid && requestedValid && completedAt < requestedAt)
        {
            context.Add(P + ".completed_at", ErrorReasons.InconsistentFields, "service_request.completed_at is before requested_at.");
        }

        if (deliveredValid && completedValid && deliveredAt < completedAt)
        {
            context.Add(P + ".delivered_at", ErrorReasons.InconsistentFields, "service_request.delivered_at is before completed_at.");
        }

        Rating(request, stateValid, context);
        Steps(request, stateValid, context);
        return location;
    }

    // completed_at exists exactly from COMPLETED on, delivered_at exactly from DELIVERED on.
    private static void Milestones(ServiceRequest request, IngestContext context)
    {
        var completed = request.State is ServiceRequestState.Completed or ServiceRequestState.Delivered or ServiceRequestState.Reviewed;
        var delivered = request.State is ServiceRequestState.Delivered or ServiceRequestState.Reviewed;
        if (completed && request.CompletedAt is null)
        {
            context.Add("service_request.completed_at", ErrorReasons.RequiredField, "A COMPLETED, DELIVERED or REVIEWED request must say when the department completed it (completed_at).");
        }
        else if (!completed && request.CompletedAt is not null)
        {
            context.Add("service_request.completed_at", ErrorReasons.InconsistentFields, "Only a COMPLETED, DELIVERED or REVIEWED request has completed_at.");
        }

        if (delivered && request.DeliveredAt is null)
        {
            context.Add("service_request.delivered_at", ErrorReasons.RequiredField, "A DELIVERED or REVIEWED request must say when the result was delivered (delivered_at).");
        }
        else if (!delivered && request.DeliveredAt is not null)
        {
            context.Add("service_request.delivered_at", ErrorReasons.InconsistentFields, "Only a DELIVERED or REVIEWED request has delivered_at.");
        }
    }

    // rating: 0 (not rated) or 1-5; given at REVIEW, the only way into REVIEWED.
    private static void Rating(ServiceRequest request, bool stateValid, IngestContext context)
    {
        const string Field = "service_request.rating";
        if (request.Rating is < 0 or > MaxRating)
        {
            context.Add(Field, ErrorReasons.InvalidFormat, "service_request.rating must be 0 (not rated) or 1 to 5.");
        }
        else if (stateValid && request.Rating > 0 && request.State != ServiceRequestState.Reviewed)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "Only a REVIEWED request has a rating: it is given at REVIEW.");
        }
        else if (stateValid && request.Rating == 0 && request.State == ServiceRequestState.Reviewed)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "A REVIEWED request has a rating from 1 to 5, given at REVIEW.");
        }
    }

    private static void Steps(ServiceRequest request, bool stateValid, IngestContext context)
    {
        const string Field = "service_request.steps";
        var steps = request.Steps;
        var coherent = true;
        ServiceRequestStep? previous = null;
        DateTimeOffset? previousAt = null;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var path = IngestContext.Item(Field, i);
            var before = context.Count;
            context.Enum(path + ".action", step.Action, required: true);
            context.Enum(path + ".from_state", step.FromState, required: false);
            context.Enum(path + ".to_state", step.ToState, required: true);
            context.Text(path + ".actor_id", step.ActorId, ActorId, required: false);
            context.Text(path + ".actor_name", step.ActorName, Name, required: false, TextRules.NotMasked);
            context.Text(path + ".comment", step.Comment, Comment, required: false, TextRules.Multiline);
            var atValid = context.Instant(path + ".at", step.At, required: true, notFuture: false, out var at);
            if (context.Count > before)
            {
                coherent = false;
                previous = null;
                previousAt = null;
                continue;
            }

            var follows = StepFollows(step, i, previous, path, context);
            coherent &= follows;
            if (atValid && previousAt is { } last && at < last)
            {
                context.Add(path + ".at", ErrorReasons.InconsistentFields, $"{path}.at is before the step before it; steps are oldest first.");
            }

            // A step that does not follow is reported once, not again through the next one.
            previous = follows ? step : null;
            previousAt = at;
        }

        if (coherent && stateValid && steps.Count > 0 && request.State != steps[^1].ToState)
        {
            context.Add("service_request.state", ErrorReasons.InconsistentFields, "service_request.state must be the to_state of the last step.");
        }
    }

    // Step 1 is the REQUEST (seq 1); every later step continues the numbering, starts where the
    // step before ended, and is a legal move.
    private static bool StepFollows(ServiceRequestStep step, int index, ServiceRequestStep? previous, string path, IngestContext context)
    {
        if (index == 0)
        {
            if (step.Seq != 1 || step.Action != ServiceRequestAction.Request || !ServiceRequestTransitions.IsLegal(step.FromState, step.Action, step.ToState))
            {
                context.Add(path, ErrorReasons.InconsistentFields, "The first step must be the REQUEST: seq 1, from no state to REQUESTED.");
                return false;
            }

            return true;
        }

        if (previous is null)
        {
            return true; // the step before was reported broken
        }

        if (step.Seq != previous.Seq + 1)
        {
            context.Add(path + ".seq", ErrorReasons.InconsistentFields, $"{path}.seq must be one more than the step before.");
            return false;
        }

        if (step.FromState != previous.ToState)
        {
            context.Add(path + ".from_state", ErrorReasons.InconsistentFields, $"{path}.from_state must be the to_state of the step before.");
            return false;
        }

        if (!ServiceRequestTransitions.IsLegal(step.FromState, step.Action, step.ToState))
        {
            context.Add(path + ".action", ErrorReasons.InconsistentFields, $"{path}: the action does not lead from from_state to to_state in the service-request lifecycle.");
            return false;
        }

        return true;
    }
}
