using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Tests.Lifecycle;

public class DirectiveTransitionsTests
{
    /// <summary>The table on <c>DirectiveState</c> in <c>directive.proto</c>, moves by a DirectiveAction only.</summary>
    public static readonly (DirectiveState From, DirectiveAction Action, DirectiveState To)[] Table =
    [
        (DirectiveState.Issued, DirectiveAction.SignFor, DirectiveState.SignedFor),
        (DirectiveState.SignedFor, DirectiveAction.Start, DirectiveState.InProgress),
        (DirectiveState.SignedFor, DirectiveAction.SubmitFeedback, DirectiveState.FeedbackSubmitted),
        (DirectiveState.InProgress, DirectiveAction.SubmitFeedback, DirectiveState.FeedbackSubmitted),
        (DirectiveState.FeedbackSubmitted, DirectiveAction.AcceptFeedback, DirectiveState.Completed),
        (DirectiveState.FeedbackSubmitted, DirectiveAction.RejectFeedback, DirectiveState.InProgress),
    ];

    public static TheoryData<DirectiveState, DirectiveAction> EveryCombination()
    {
        var data = new TheoryData<DirectiveState, DirectiveAction>();
        foreach (var from in Enum.GetValues<DirectiveState>())
        {
            foreach (var action in Enum.GetValues<DirectiveAction>())
            {
                data.Add(from, action);
            }
        }

        return data;
    }

    [Fact]
    public void All_IsTheTableOfDirectiveProto() =>
        Assert.Equal(Table.OrderBy(t => t.From).ThenBy(t => t.Action), DirectiveTransitions.All.OrderBy(t => t.From).ThenBy(t => t.Action));

    [Theory]
    [MemberData(nameof(EveryCombination))]
    public void TryApplyAndRefusal_AnswerEveryStateAndAction(DirectiveState from, DirectiveAction action)
    {
        var legal = Table.Where(t => t.From == from && t.Action == action).ToList();
        Assert.Equal(legal.Count == 1, DirectiveTransitions.TryApply(from, action, out var to));
        var refusal = DirectiveTransitions.Refusal(from, action);
        if (legal.Count == 1)
        {
            Assert.Equal(legal[0].To, to);
            Assert.Null(refusal);
        }
        else
        {
            // Every illegal move says what was tried, from where, and what would be legal.
            Assert.NotNull(refusal);
            Assert.Contains(DirectiveTransitions.Name(action), refusal, StringComparison.Ordinal);
            Assert.Contains(DirectiveTransitions.Name(from), refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FinalStates_HaveNoMoveOut_AndSaySo()
    {
        Assert.True(DirectiveTransitions.IsFinal(DirectiveState.Completed));
        Assert.True(DirectiveTransitions.IsFinal(DirectiveState.Withdrawn));
        foreach (var state in new[] { DirectiveState.Completed, DirectiveState.Withdrawn })
        {
            Assert.DoesNotContain(DirectiveTransitions.All, t => t.From == state);
            Assert.Contains("is final", DirectiveTransitions.Refusal(state, DirectiveAction.SignFor), StringComparison.Ordinal);
        }

        Assert.Contains("legal from SIGNED_FOR: START, SUBMIT_FEEDBACK",
            DirectiveTransitions.Refusal(DirectiveState.SignedFor, DirectiveAction.AcceptFeedback), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DirectiveState.Issued, true)]
    [InlineData(DirectiveState.SignedFor, true)]
    [InlineData(DirectiveState.InProgress, true)]
    [InlineData(DirectiveState.FeedbackSubmitted, true)]
    [InlineData(DirectiveState.Completed, false)]
    [InlineData(DirectiveState.Withdrawn, false)]
    [InlineData(DirectiveState.Unspecified, false)]
    public void CanWithdraw_EveryStateNotFinal(DirectiveState state, bool expected) =>
        Assert.Equal(expected, DirectiveTransitions.CanWithdraw(state));

    [Theory]
    [InlineData(DirectiveState.Issued, false)]
    [InlineData(DirectiveState.InProgress, false)]
    [InlineData(DirectiveState.FeedbackSubmitted, false)]
    [InlineData(DirectiveState.Completed, true)]
    [InlineData(DirectiveState.Withdrawn, true)]
    public void WithdrawRefusal_OnlyForCompletedOrWithdrawnDirectives(DirectiveState rollUp, bool refused) =>
        Assert.Equal(refused, DirectiveTransitions.WithdrawRefusal(rollUp) is not null);

    [Fact]
    public void ActionsSplitBetweenRecipientAndIssuer()
    {
        Assert.All(new[] { DirectiveAction.SignFor, DirectiveAction.Start, DirectiveAction.SubmitFeedback }, a =>
        {
            Assert.True(DirectiveTransitions.IsRecipientAction(a));
            Assert.False(DirectiveTransitions.IsReviewAction(a));
        });
        Assert.All(new[] { DirectiveAction.AcceptFeedback, DirectiveAction.RejectFeedback }, a =>
        {
            Assert.True(DirectiveTransitions.IsReviewAction(a));
            Assert.False(DirectiveTransitions.IsRecipientAction(a));
        });
        Assert.False(DirectiveTransitions.IsRecipientAction(DirectiveAction.Unspecified));
        Assert.False(DirectiveTransitions.IsReviewAction(DirectiveAction.Unspecified));
    }

    [Theory]
    [InlineData(false, new[] { DirectiveState.Completed, DirectiveState.Issued, DirectiveState.InProgress }, DirectiveState.Issued)]
    [InlineData(false, new[] { DirectiveState.Completed, DirectiveState.FeedbackSubmitted }, DirectiveState.FeedbackSubmitted)]
    [InlineData(false, new[] { DirectiveState.SignedFor, DirectiveState.InProgress }, DirectiveState.SignedFor)]
    [InlineData(false, new[] { DirectiveState.Completed, DirectiveState.Completed }, DirectiveState.Completed)]
    [InlineData(true, new[] { DirectiveState.Completed, DirectiveState.Withdrawn }, DirectiveState.Withdrawn)]
    [InlineData(true, new[] { DirectiveState.Completed }, DirectiveState.Withdrawn)]
    public void RollUp_IsWithdrawnOrTheLeastAdvancedReceipt(bool withdrawn, DirectiveState[] receipts, DirectiveState expected) =>
        Assert.Equal(expected, DirectiveTransitions.RollUp(withdrawn, receipts));
}
