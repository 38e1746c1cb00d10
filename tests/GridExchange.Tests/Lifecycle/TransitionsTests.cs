using GridExchange.Domain.Lifecycle;
using GridExchange.Tests.Seeds;
using GridExchange.V1;

namespace GridExchange.Tests.Lifecycle;

public class TransitionsTests
{
    [Fact]
    public void CaseTransitions_AreTheTableOfCaseProto()
    {
        Assert.Equal(
            CaseLifecycleTests.Table.OrderBy(t => t.From).ThenBy(t => t.Action),
            CaseTransitions.All.OrderBy(t => t.From).ThenBy(t => t.Action));
    }

    [Fact]
    public void CaseTransitions_AnswerEveryCombination()
    {
        foreach (var from in Enum.GetValues<CaseState>())
        {
            foreach (var action in Enum.GetValues<CaseAction>())
            {
                var legal = CaseLifecycleTests.Table.Where(t => t.From == from && t.Action == action).ToList();
                Assert.Equal(legal.Count == 1, CaseTransitions.TryApply(from, action, out var to));
                if (legal.Count == 1)
                {
                    Assert.Equal(legal[0].To, to);
                    Assert.True(CaseTransitions.IsLegal(from, action, to));
                }
            }
        }

        Assert.True(CaseTransitions.IsFinal(CaseState.Voided));
        Assert.True(CaseTransitions.IsFinal(CaseState.Evaluated));
        Assert.False(CaseTransitions.IsFinal(CaseState.Closed));
        Assert.All(
            Enum.GetValues<CaseState>().Where(CaseTransitions.IsFinal),
            s => Assert.DoesNotContain(CaseTransitions.All, t => t.From == s));
    }

    [Theory]
    [InlineData(ServiceRequestState.Unspecified, ServiceRequestAction.Request, ServiceRequestState.Requested, true)]
    [InlineData(ServiceRequestState.NeedsSupplement, ServiceRequestAction.CollectMaterials, ServiceRequestState.MaterialsCollected, true)]
    [InlineData(ServiceRequestState.Submitted, ServiceRequestAction.RequestSupplement, ServiceRequestState.NeedsSupplement, true)]
    [InlineData(ServiceRequestState.MaterialsCollected, ServiceRequestAction.Withdraw, ServiceRequestState.Withdrawn, true)]
    [InlineData(ServiceRequestState.Submitted, ServiceRequestAction.Withdraw, ServiceRequestState.Withdrawn, false)] // not after submission
    [InlineData(ServiceRequestState.Submitted, ServiceRequestAction.Decline, ServiceRequestState.Declined, false)]
    [InlineData(ServiceRequestState.Completed, ServiceRequestAction.Review, ServiceRequestState.Reviewed, false)] // deliver first
    [InlineData(ServiceRequestState.Delivered, ServiceRequestAction.Review, ServiceRequestState.Delivered, false)]
    public void ServiceRequestTransitions_FollowTheTableOfServiceRequestProto(ServiceRequestState from, ServiceRequestAction action, ServiceRequestState to, bool legal)
    {
        Assert.Equal(legal, ServiceRequestTransitions.IsLegal(from, action, to));
    }

    [Fact]
    public void ServiceRequestTransitions_HaveFifteenMovesAndNoneOutOfAFinalState()
    {
        Assert.Equal(15, ServiceRequestTransitions.All.Count());
        Assert.All(
            Enum.GetValues<ServiceRequestState>().Where(ServiceRequestTransitions.IsFinal),
            s => Assert.DoesNotContain(ServiceRequestTransitions.All, t => t.From == s));
        Assert.Equal(3, Enum.GetValues<ServiceRequestState>().Count(ServiceRequestTransitions.IsFinal));
    }
}
