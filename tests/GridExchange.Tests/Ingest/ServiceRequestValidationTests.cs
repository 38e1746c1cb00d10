using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Errors;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class ServiceRequestValidationTests
{
    public static TheoryData<string, Action<ServiceRequest>, string, string> RequestProblems() => new()
    {
        { "grid missing", r => r.GridCode = "", "service_request.grid_code", ErrorReasons.RequiredField },
        { "grid elsewhere", r => r.GridCode = OtherCountyGrid, "service_request.grid_code", ErrorReasons.OutOfJurisdiction },
        { "request number too long", r => r.RequestNumber = new string('D', 33), "service_request.request_number", ErrorReasons.InvalidLength },
        { "resident id malformed", r => r.ResidentPersonId = "p#1", "service_request.resident_person_id", ErrorReasons.InvalidFormat },
        { "resident name missing", r => r.ResidentName = "", "service_request.resident_name", ErrorReasons.RequiredField },
        { "resident name masked", r => r.ResidentName = "王*", "service_request.resident_name", ErrorReasons.InvalidFormat },
        { "resident phone missing", r => r.ResidentContact = "", "service_request.resident_contact", ErrorReasons.RequiredField },
        { "resident phone malformed", r => r.ResidentContact = "9902982787", "service_request.resident_contact", ErrorReasons.InvalidFormat },
        { "category missing", r => r.CategoryCode = "", "service_request.category_code", ErrorReasons.RequiredField },
        { "item too long", r => r.ItemCode = new string('D', 21), "service_request.item_code", ErrorReasons.InvalidLength },
        { "item name too long", r => r.ItemName = new string('申', 101), "service_request.item_name", ErrorReasons.InvalidLength },
        { "worker number malformed", r => r.GridWorkerNumber = "3706020010010030", "service_request.grid_worker_number", ErrorReasons.InvalidCode },
        { "state unspecified", r => r.State = ServiceRequestState.Unspecified, "service_request.state", ErrorReasons.RequiredField },
        { "description too long", r => r.Description = new string('请', 501), "service_request.description", ErrorReasons.InvalidLength },
        { "deadline malformed", r => r.Deadline = new Timestamp { Seconds = -70_000_000_000 }, "service_request.deadline", ErrorReasons.InvalidDate },
        { "completed before requested", r => r.CompletedAt = At(21), "service_request.completed_at", ErrorReasons.InconsistentFields },
        { "delivered before completed", r => r.DeliveredAt = At(9), "service_request.delivered_at", ErrorReasons.InconsistentFields },
        { "reviewed without completion", r => r.CompletedAt = null, "service_request.completed_at", ErrorReasons.RequiredField },
        { "reviewed without delivery", r => r.DeliveredAt = null, "service_request.delivered_at", ErrorReasons.RequiredField },
        { "rating negative", r => r.Rating = -1, "service_request.rating", ErrorReasons.InvalidFormat },
        { "reviewed without rating", r => r.Rating = 0, "service_request.rating", ErrorReasons.InconsistentFields },
        { "first step not the request", r => r.Steps[0].Action = ServiceRequestAction.Accept, "service_request.steps[0]", ErrorReasons.InconsistentFields },
        { "seq gap", r => r.Steps[2].Seq = 4, "service_request.steps[2].seq", ErrorReasons.InconsistentFields },
        { "from not the previous to", r => r.Steps[3].FromState = ServiceRequestState.Accepted, "service_request.steps[3].from_state", ErrorReasons.InconsistentFields },
        { "illegal move", r => r.Steps[4].Action = ServiceRequestAction.Decline, "service_request.steps[4].action", ErrorReasons.InconsistentFields },
        { "action unspecified", r => r.Steps[4].Action = ServiceRequestAction.Unspecified, "service_request.steps[4].action", ErrorReasons.RequiredField },
        { "step at missing", r => r.Steps[1].At = null, "service_request.steps[1].at", ErrorReasons.RequiredField },
        { "step at before the step before", r => r.Steps[2].At = At(30), "service_request.steps[2].at", ErrorReasons.InconsistentFields },
        { "step comment too long", r => r.Steps[2].Comment = new string('补', 501), "service_request.steps[2].comment", ErrorReasons.InvalidLength },
    };

    [Theory]
    [MemberData(nameof(RequestProblems))]
    public void ServiceRequest_InvalidField_IsReported(string name, Action<ServiceRequest> mutate, string field, string reason)
    {
        var change = ServiceRequest();
        mutate(change.ServiceRequest);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Theory]
    [InlineData(ServiceRequestState.Requested, 1)]
    [InlineData(ServiceRequestState.Submitted, 4)]
    [InlineData(ServiceRequestState.Completed, 5)]
    [InlineData(ServiceRequestState.Delivered, 6)]
    public void ServiceRequest_TruncatedHistory_HasExactlyTheMilestonesOfItsState(ServiceRequestState state, int steps)
    {
        var change = ServiceRequest();
        var request = change.ServiceRequest;
        while (request.Steps.Count > steps)
        {
            request.Steps.RemoveAt(request.Steps.Count - 1);
        }

        request.State = state;
        request.Rating = 0;
        if (state is not (ServiceRequestState.Completed or ServiceRequestState.Delivered))
        {
            request.CompletedAt = null;
        }

        if (state != ServiceRequestState.Delivered)
        {
            request.DeliveredAt = null;
        }

        AssertValid(Validate(change));

        request.State = ServiceRequestState.Withdrawn;
        AssertHasProblem(Validate(change), "service_request.state", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void ServiceRequest_CompletedAtBeforeCompletion_IsInconsistent()
    {
        var change = ServiceRequest();
        var request = change.ServiceRequest;
        request.Steps.RemoveAt(6);
        request.Steps.RemoveAt(5);
        request.Steps.RemoveAt(4);
        request.State = ServiceRequestState.Submitted;
        request.Rating = 0;

        var check = Validate(change);

        Assert.Equal(["service_request.completed_at", "service_request.delivered_at"], check.Problems.Select(p => p.Field));
        Assert.All(check.Problems, p => Assert.Equal(ErrorReasons.InconsistentFields, p.Reason));
    }

    [Fact]
    public void ServiceRequest_RatedButNotReviewed_IsInconsistent()
    {
        var change = ServiceRequest();
        change.ServiceRequest.Steps.RemoveAt(6);
        change.ServiceRequest.State = ServiceRequestState.Delivered;

        AssertSingleProblem(Validate(change), "service_request.rating", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void ServiceRequest_DeclinedOrWithdrawnEarly_IsValid()
    {
        var change = ServiceRequest();
        var request = change.ServiceRequest;
        while (request.Steps.Count > 2)
        {
            request.Steps.RemoveAt(request.Steps.Count - 1);
        }

        request.Steps.Add(new ServiceRequestStep { Seq = 3, Action = ServiceRequestAction.Decline, FromState = ServiceRequestState.Accepted, ToState = ServiceRequestState.Declined, Comment = "不属于代办目录", At = At(18) });
        request.State = ServiceRequestState.Declined;
        request.Rating = 0;
        request.CompletedAt = null;
        request.DeliveredAt = null;
        request.GridWorkerNumber = "";

        AssertValid(Validate(change));
    }

    [Fact]
    public void ServiceRequest_WithoutHistory_IsValid()
    {
        var change = ServiceRequest();
        change.ServiceRequest.Steps.Clear();

        AssertValid(Validate(change));
    }
}
