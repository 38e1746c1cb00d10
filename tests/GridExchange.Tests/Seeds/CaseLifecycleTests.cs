using GridExchange.Seeds.Generation;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Tests.Seeds;

public class CaseLifecycleTests
{
    /// <summary>DOMAIN.md §3.1 as (from, action, to).</summary>
    internal static readonly HashSet<(CaseState From, CaseAction Action, CaseState To)> Table =
    [
        (CaseState.Unspecified, CaseAction.Report, CaseState.Reported),
        (CaseState.Reported, CaseAction.Accept, CaseState.Accepted),
        (CaseState.Reported, CaseAction.Void, CaseState.Voided),
        (CaseState.Accepted, CaseAction.ResolveOnSpot, CaseState.Resolved),
        (CaseState.Accepted, CaseAction.Register, CaseState.Registered),
        (CaseState.Registered, CaseAction.Dispatch, CaseState.Dispatched),
        (CaseState.Registered, CaseAction.Escalate, CaseState.Escalated),
        (CaseState.Dispatched, CaseAction.Escalate, CaseState.Escalated),
        (CaseState.Escalated, CaseAction.Accept, CaseState.Accepted),
        (CaseState.Dispatched, CaseAction.SignFor, CaseState.InProgress),
        (CaseState.Dispatched, CaseAction.Return, CaseState.Registered),
        (CaseState.InProgress, CaseAction.SubmitResult, CaseState.Resolved),
        (CaseState.Resolved, CaseAction.VerifyPass, CaseState.Closed),
        (CaseState.Resolved, CaseAction.VerifyFail, CaseState.InProgress),
        (CaseState.Closed, CaseAction.Rate, CaseState.Evaluated),
    ];

    public static TheoryData<CaseState> States() => [.. CaseLifecycle.AllStates];

    [Theory]
    [MemberData(nameof(States))]
    public void Walk_AnyTarget_EndsThereAndFollowsTheTable(CaseState target)
    {
        var random = new SeedRandom((ulong)target);
        for (var i = 0; i < 500; i++)
        {
            var walk = CaseLifecycle.Walk(target, random);

            Assert.Equal(target, walk[^1].To);
            var previous = CaseState.Unspecified;
            var level = 0;
            foreach (var step in walk)
            {
                var from = step.Action == CaseAction.Report ? CaseState.Unspecified : step.From;
                Assert.Equal(previous, from);
                Assert.Contains((from, step.Action, step.To), Table);
                Assert.Equal(step.Action == CaseAction.Escalate ? level + 1 : level, step.Level);
                Assert.True(step.Minutes >= 0);
                level = step.Level;
                previous = step.To;
            }

            Assert.InRange(level, 0, 3);
        }
    }

    [Theory]
    [InlineData(CaseGrade.Major, EventScale.Individual, OverdueLevel.None, "0201", WarningColor.Red)]
    [InlineData(CaseGrade.General, EventScale.MajorGroup, OverdueLevel.None, "0201", WarningColor.Red)]
    [InlineData(CaseGrade.Larger, EventScale.Individual, OverdueLevel.None, "0201", WarningColor.Orange)]
    [InlineData(CaseGrade.General, EventScale.Individual, OverdueLevel.RedCard, "1501", WarningColor.Orange)]
    [InlineData(CaseGrade.General, EventScale.Individual, OverdueLevel.YellowCard, "1501", WarningColor.Yellow)]
    [InlineData(CaseGrade.General, EventScale.Individual, OverdueLevel.None, "0902", WarningColor.Yellow)]
    [InlineData(CaseGrade.General, EventScale.Individual, OverdueLevel.None, "1501", WarningColor.Blue)]
    public void Warning_GradeScaleOverdue_MapsToColour(CaseGrade grade, EventScale scale, OverdueLevel overdue, string category, WarningColor expected)
    {
        Assert.Equal(expected, CaseLifecycle.Warning(grade, scale, overdue, category));
    }
}
