using GridExchange.Domain.Cases;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Tests.Cases;

public class ServiceRequestWorkflowTests
{
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private static readonly ServiceItem Item = new("CIVIL_AFFAIRS", "CA-003", "临时救助申请", 10);

    public static TheoryData<ServiceRequestState, ServiceRequestAction> EveryStateAndAction()
    {
        var data = new TheoryData<ServiceRequestState, ServiceRequestAction>();
        foreach (var state in System.Enum.GetValues<ServiceRequestState>().Where(s => s != ServiceRequestState.Unspecified))
        {
            foreach (var action in System.Enum.GetValues<ServiceRequestAction>())
            {
                data.Add(state, action);
            }
        }

        return data;
    }

    [Theory]
    [InlineData(ServiceRequestState.Requested, false)]
    [InlineData(ServiceRequestState.Accepted, true)]
    [InlineData(ServiceRequestState.MaterialsCollected, true)]
    [InlineData(ServiceRequestState.Submitted, true)]
    [InlineData(ServiceRequestState.NeedsSupplement, true)]
    [InlineData(ServiceRequestState.Completed, false)]
    [InlineData(ServiceRequestState.Delivered, false)]
    [InlineData(ServiceRequestState.Reviewed, false)]
    [InlineData(ServiceRequestState.Declined, false)]
    [InlineData(ServiceRequestState.Withdrawn, false)]
    public void IsOverdue_OnlyAnOpenMatterPastItsDeadline(ServiceRequestState state, bool openMatter)
    {
        var request = new ServiceRequest { State = state, Deadline = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Monday9) };
        Assert.False(ServiceRequestWorkflow.IsOverdue(request, Monday9));
        Assert.Equal(openMatter, ServiceRequestWorkflow.IsOverdue(request, Monday9.AddTicks(10)));
        Assert.False(ServiceRequestWorkflow.IsOverdue(new ServiceRequest { State = state }, Monday9.AddYears(1)));
        Assert.Equal(openMatter, ServiceRequestWorkflow.MarkOverdue(request, Monday9.AddDays(1)).Overdue);
        Assert.False(ServiceRequestWorkflow.MarkOverdue(request, Monday9).Overdue);
    }

    [Theory]
    [MemberData(nameof(EveryStateAndAction))]
    public void Apply_EveryStateAndAction_LegalExactlyPerTheTable(ServiceRequestState state, ServiceRequestAction action)
    {
        var current = new ServiceRequest { Meta = new EntityMeta { Id = "db-1", Version = 2 }, State = state, ItemCode = Item.Code };
        var request = Request(action);
        if (ServiceRequestTransitions.TryApply(state, action, out var to))
        {
            Assert.Null(ServiceRequestTransitions.Refusal(state, action));
            var next = ServiceRequestWorkflow.Apply(current, request, Item, Monday9, new CaseDeadlineSettings());
            Assert.Equal(to, next.State);
            Assert.Equal(3, next.Meta.Version);
            Assert.Equal(action, next.Steps[^1].Action);
        }
        else
        {
            Assert.Contains(ServiceRequestTransitions.Name(action), ServiceRequestTransitions.Refusal(state, action), StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => ServiceRequestWorkflow.Apply(current, request, Item, Monday9, new CaseDeadlineSettings()));
        }
    }

    [Fact]
    public void Lifecycle_StampsDeadlineCompletionDeliveryAndRating()
    {
        var record = ServiceRequestWorkflow.Report(new ServiceRequest { GridCode = "370602001001003", ItemCode = Item.Code }, Item, "db-1", "", "", Monday9);
        Assert.Equal(ServiceRequestState.Requested, record.State);
        Assert.Equal("临时救助申请", record.ItemName);
        var settings = new CaseDeadlineSettings();
        foreach (var action in new[]
        {
            ServiceRequestAction.Accept, ServiceRequestAction.CollectMaterials, ServiceRequestAction.Submit,
            ServiceRequestAction.RequestSupplement, ServiceRequestAction.CollectMaterials, ServiceRequestAction.Submit,
            ServiceRequestAction.Complete, ServiceRequestAction.Deliver, ServiceRequestAction.Review,
        })
        {
            record = ServiceRequestWorkflow.Apply(record, Request(action), Item, Monday9, settings);
        }

        Assert.Equal(ServiceRequestState.Reviewed, record.State);
        Assert.Equal(Monday9.AddDays(14), record.Deadline.ToDateTimeOffset()); // 10 working days = two weeks
        Assert.NotNull(record.CompletedAt);
        Assert.NotNull(record.DeliveredAt);
        Assert.Equal(5, record.Rating);
        Assert.Equal(Enumerable.Range(1, 10), record.Steps.Select(s => s.Seq));
    }

    [Theory]
    [InlineData(ServiceRequestAction.Unspecified, "action")]
    [InlineData(ServiceRequestAction.Request, "action")]
    [InlineData(ServiceRequestAction.RequestSupplement, "comment")]
    [InlineData(ServiceRequestAction.Decline, "comment")]
    [InlineData(ServiceRequestAction.Review, "rating")]
    public void ValidateTransition_MissingRequiredInput_NamesTheField(ServiceRequestAction action, string field) =>
        Assert.Equal(field, ServiceRequestWorkflow.ValidateTransition(new TransitionServiceRequestRequest { Action = action }).First().Field);

    [Fact]
    public void ValidateTransition_RatingOutsideReview_IsRefused() =>
        Assert.Equal("rating", ServiceRequestWorkflow.ValidateTransition(new TransitionServiceRequestRequest { Action = ServiceRequestAction.Accept, Rating = 2 }).Single().Field);

    internal static TransitionServiceRequestRequest Request(ServiceRequestAction action) => new()
    {
        Action = action,
        Comment = action is ServiceRequestAction.RequestSupplement or ServiceRequestAction.Decline ? "缺少户口簿复印件" : "",
        Rating = action == ServiceRequestAction.Review ? 5 : 0,
    };
}
