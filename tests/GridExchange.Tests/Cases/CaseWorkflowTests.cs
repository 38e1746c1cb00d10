using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Cases;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Tests.Cases;

public class CaseWorkflowTests
{
    private const string Grid = "370602001001003";

    // Monday 2026-11-02 09:00 in Beijing.
    private static readonly DateTimeOffset Monday9 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private static readonly CaseDeadlineSettings Settings = new();

    /// <summary>The table on <c>CaseState</c> in <c>case.proto</c>, REPORT aside.</summary>
    public static readonly (CaseState From, CaseAction Action, CaseState To)[] Table =
    [
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

    public static TheoryData<CaseState, CaseAction> EveryStateAndAction()
    {
        var data = new TheoryData<CaseState, CaseAction>();
        foreach (var state in CaseTransitions.States)
        {
            foreach (var action in System.Enum.GetValues<CaseAction>())
            {
                data.Add(state, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStateAndAction))]
    public void StateRefusal_EveryStateAndAction_LegalExactlyPerTheTable(CaseState state, CaseAction action)
    {
        var record = CaseIn(state, RegionLevel.Village);
        var legal = Table.Any(t => t.From == state && t.Action == action);
        var refusal = CaseWorkflow.StateRefusal(record, action);
        if (legal)
        {
            Assert.Null(refusal);
            var (next, _) = CaseWorkflow.Apply(record, Times(), Request(action), Monday9, Settings);
            Assert.Equal(Table.Single(t => t.From == state && t.Action == action).To, next.State);
            Assert.Equal(record.Meta.Version + 1, next.Meta.Version);
            Assert.Equal(action, next.Steps[^1].Action);
            Assert.Equal(state, next.Steps[^1].FromState);
        }
        else
        {
            Assert.NotNull(refusal);
            Assert.Contains(CaseTransitions.Name(action), refusal, StringComparison.Ordinal);
            Assert.Contains(CaseTransitions.Name(state), refusal, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => CaseWorkflow.Apply(record, Times(), Request(action), Monday9, Settings));
        }
    }

    [Fact]
    public void Refusal_NamesTheLegalActions() =>
        Assert.Equal("SIGN_FOR is not legal from REPORTED (legal from REPORTED: ACCEPT, VOID).",
            CaseTransitions.Refusal(CaseState.Reported, CaseAction.SignFor));

    [Fact]
    public void Refusal_FinalStates_SayFinal()
    {
        Assert.Contains("VOIDED is final", CaseTransitions.Refusal(CaseState.Voided, CaseAction.Accept), StringComparison.Ordinal);
        Assert.Contains("EVALUATED is final", CaseTransitions.Refusal(CaseState.Evaluated, CaseAction.Rate), StringComparison.Ordinal);
    }

    [Fact]
    public void Escalate_MovesOwnerOneLevelUp_UntilCounty()
    {
        var record = CaseIn(CaseState.Registered, RegionLevel.Grid);
        var expected = new[] { (RegionLevel.Village, "370602001001"), (RegionLevel.Township, "370602001000"), (RegionLevel.County, "370602000000") };
        var times = Times();
        foreach (var (level, code) in expected)
        {
            (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Escalate), Monday9, Settings);
            Assert.Equal(CaseState.Escalated, record.State);
            Assert.Equal(level, record.OwningLevel);
            Assert.Equal(code, record.OwningRegionCode);
            Assert.Equal(level, record.Steps[^1].Level);
            Assert.Equal(code, record.Steps[^1].OwningRegionCode);
            (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Accept), Monday9, Settings);
            (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Register), Monday9, Settings);
            Assert.Equal(level, record.OwningLevel);
        }

        var refusal = CaseWorkflow.StateRefusal(record, CaseAction.Escalate);
        Assert.NotNull(refusal);
        Assert.Contains("COUNTY", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("370602001001", RegionLevel.Grid, CaseAction.Accept, true)]
    [InlineData("370602001001", RegionLevel.Village, CaseAction.Dispatch, true)]
    [InlineData("370602001001", RegionLevel.Township, CaseAction.Accept, false)]
    [InlineData("370602001001", RegionLevel.Township, CaseAction.VerifyPass, false)]
    [InlineData("370602001001", RegionLevel.County, CaseAction.Escalate, false)]
    [InlineData("370602001000", RegionLevel.Township, CaseAction.Accept, true)]
    [InlineData("370602001000", RegionLevel.County, CaseAction.Accept, false)]
    [InlineData("370602000000", RegionLevel.County, CaseAction.VerifyPass, true)]
    [InlineData("370602000000", RegionLevel.Grid, CaseAction.Accept, true)]
    [InlineData("370600000000", RegionLevel.County, CaseAction.Accept, true)]
    [InlineData("370602002000", RegionLevel.Grid, CaseAction.Accept, false)]
    // RATE is the reporting side's: a village rates a case its county closed.
    [InlineData("370602001001", RegionLevel.County, CaseAction.Rate, true)]
    public void ActorRefusal_OnlyTheOwningLevelOrAboveActs(string callerRegion, RegionLevel owner, CaseAction action, bool allowed)
    {
        var record = CaseIn(CaseState.Reported, owner);
        var refusal = CaseWorkflow.ActorRefusal(callerRegion, record, action);
        Assert.Equal(allowed, refusal is null);
    }

    [Fact]
    public void Report_SetsOutputFields_AndDeadlinesInWorkingDays()
    {
        var input = new Case
        {
            Meta = new EntityMeta { Id = "ignored", Version = 9, SourceSystem = "x" },
            GridCode = Grid, Kind = CaseKind.Hazard, Title = "消防通道堵塞", Source = CaseSource.GridWorkerApp,
            OccurredAt = Timestamp.FromDateTimeOffset(Monday9.AddHours(-1)), State = CaseState.Closed, Rating = 5,
            OverdueLevel = OverdueLevel.RedCard, Steps = { new CaseStep { Seq = 7 } },
        };
        var (record, times) = CaseWorkflow.Report(input, "sj-1", "37060200100100301", "王网格", Monday9, Settings);
        Assert.Equal("sj-1", record.Meta.Id);
        Assert.Equal("hub", record.Meta.SourceSystem);
        Assert.Equal(1, record.Meta.Version);
        Assert.Equal(CaseState.Reported, record.State);
        Assert.Equal(RegionLevel.Grid, record.OwningLevel);
        Assert.Equal(Grid, record.OwningRegionCode);
        Assert.Equal(0, record.Rating);
        Assert.Equal(OverdueLevel.None, record.OverdueLevel);
        Assert.Equal(WarningColor.Blue, record.WarningColor);
        var step = Assert.Single(record.Steps);
        Assert.Equal((1, CaseAction.Report, CaseState.Unspecified, CaseState.Reported), (step.Seq, step.Action, step.FromState, step.ToState));
        Assert.Equal("王网格", step.ActorName);
        Assert.Equal(Monday9.AddDays(1), times.AcceptYellow);
        Assert.Equal(Monday9.AddDays(2), times.AcceptRed);
        Assert.Equal(Monday9.AddDays(1), record.AcceptDeadline.ToDateTimeOffset());
        Assert.Null(record.HandleDeadline);
    }

    [Fact]
    public void Overdue_AcceptWait_YellowThenRed_WithoutChangingState()
    {
        var (record, times) = CaseWorkflow.Report(NewCase(), "sj-1", "", "", Monday9, Settings);
        Assert.Equal(OverdueLevel.None, times.OverdueAt(Monday9.AddDays(1)));
        Assert.Equal(OverdueLevel.YellowCard, times.OverdueAt(Monday9.AddDays(1).AddTicks(10)));
        Assert.Equal(OverdueLevel.RedCard, times.OverdueAt(Monday9.AddDays(2).AddTicks(10)));
        var marked = CaseWarnings.Mark(record.Clone(), times, Monday9.AddDays(3));
        Assert.Equal(CaseState.Reported, marked.State);
        Assert.Equal(OverdueLevel.RedCard, marked.OverdueLevel);
        Assert.Equal(WarningColor.Red, marked.WarningColor);
    }

    [Fact]
    public void Overdue_LateAcceptKeepsItsCard_OnTimeHandlingAddsNone()
    {
        var (record, times) = CaseWorkflow.Report(NewCase(), "sj-1", "", "", Monday9, Settings);
        var late = Monday9.AddDays(1).AddHours(1);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Accept), late, Settings);
        Assert.Equal(OverdueLevel.YellowCard, record.OverdueLevel);
        Assert.Equal(late.AddDays(5).AddDays(2), times.HandleYellow); // Tue 10:00 + 5 working days = next Tue (weekend skipped)
        Assert.Equal(OverdueLevel.YellowCard, times.OverdueAt(late.AddDays(6))); // the accept card stays while handling is on time
        Assert.Equal(OverdueLevel.RedCard, new CaseTimes(null, null, null, times.HandleYellow, times.HandleRed, null).OverdueAt(times.HandleRed!.Value.AddTicks(10)));
    }

    [Fact]
    public void Overdue_HandleWait_EndsAtResolution_ResumesAfterFailedVerification()
    {
        var (record, times) = CaseWorkflow.Report(NewCase(), "sj-1", "", "", Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Accept), Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.ResolveOnSpot), Monday9.AddHours(1), Settings);
        Assert.Equal(OverdueLevel.None, times.OverdueAt(Monday9.AddDays(60)));
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.VerifyFail), Monday9.AddHours(2), Settings);
        Assert.Null(times.HandleEnd);
        Assert.Equal(OverdueLevel.RedCard, times.OverdueAt(Monday9.AddDays(60)));
        Assert.Equal(CaseState.InProgress, record.State);
    }

    [Fact]
    public void Escalate_StartsAFreshAcceptWaitAbove_AndClearsHandling()
    {
        var (record, times) = CaseWorkflow.Report(NewCase(), "sj-1", "", "", Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Accept), Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Register), Monday9, Settings);
        var later = Monday9.AddDays(2); // Wednesday
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Escalate), later, Settings);
        Assert.Equal(later.AddDays(1), times.AcceptYellow);
        Assert.Null(times.AcceptEnd);
        Assert.Null(times.HandleYellow);
        Assert.Null(record.HandleDeadline);
        Assert.Equal(later.AddDays(1), record.AcceptDeadline.ToDateTimeOffset());
    }

    [Fact]
    public void AddWorkingDays_SkipsWeekendsAndHolidays_AndCountsWorkedWeekends()
    {
        var friday17 = new DateTimeOffset(2026, 11, 6, 17, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateTimeOffset(2026, 11, 9, 17, 0, 0, TimeSpan.FromHours(8)), Settings.AddWorkingDays(friday17, 1));
        var saturday = new DateTimeOffset(2026, 11, 7, 10, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.FromHours(8)), Settings.AddWorkingDays(saturday, 1));
        var calendar = new CaseDeadlineSettings
        {
            Holidays = new HashSet<DateOnly> { new(2026, 11, 9) },
            WorkingWeekendDays = new HashSet<DateOnly> { new(2026, 11, 7) },
        };
        Assert.Equal(new DateTimeOffset(2026, 11, 7, 17, 0, 0, TimeSpan.FromHours(8)), calendar.AddWorkingDays(friday17, 1));
        Assert.Equal(new DateTimeOffset(2026, 11, 10, 17, 0, 0, TimeSpan.FromHours(8)), calendar.AddWorkingDays(friday17, 2));
    }

    [Theory]
    [InlineData(CaseGrade.Unspecified, EventScale.Unspecified, OverdueLevel.None, WarningColor.Blue)]
    [InlineData(CaseGrade.Unspecified, EventScale.Unspecified, OverdueLevel.Unspecified, WarningColor.Blue)]
    [InlineData(CaseGrade.General, EventScale.Unspecified, OverdueLevel.None, WarningColor.Yellow)]
    [InlineData(CaseGrade.Unspecified, EventScale.Individual, OverdueLevel.None, WarningColor.Yellow)]
    [InlineData(CaseGrade.Larger, EventScale.Individual, OverdueLevel.None, WarningColor.Orange)]
    [InlineData(CaseGrade.General, EventScale.GeneralGroup, OverdueLevel.None, WarningColor.Orange)]
    [InlineData(CaseGrade.General, EventScale.Individual, OverdueLevel.YellowCard, WarningColor.Orange)]
    [InlineData(CaseGrade.Major, EventScale.Individual, OverdueLevel.None, WarningColor.Red)]
    [InlineData(CaseGrade.Extraordinary, EventScale.Unspecified, OverdueLevel.None, WarningColor.Red)]
    [InlineData(CaseGrade.General, EventScale.MajorGroup, OverdueLevel.None, WarningColor.Red)]
    [InlineData(CaseGrade.Unspecified, EventScale.Unspecified, OverdueLevel.RedCard, WarningColor.Red)]
    [InlineData(CaseGrade.Major, EventScale.MajorGroup, OverdueLevel.RedCard, WarningColor.Red)]
    public void Color_IsTheHighestOfGradeScaleAndOverdue(CaseGrade grade, EventScale scale, OverdueLevel overdue, WarningColor expected) =>
        Assert.Equal(expected, CaseWarnings.Color(grade, scale, overdue));

    [Fact]
    public void Fold_KeepsStepOneAndTheLatest_InTwoHundredSteps()
    {
        var (record, times) = CaseWorkflow.Report(NewCase(), "sj-1", "", "", Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Accept), Monday9, Settings);
        (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Register), Monday9, Settings);
        for (var i = 0; i < 120; i++)
        {
            (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Dispatch), Monday9, Settings);
            (record, times) = CaseWorkflow.Apply(record, times, Request(CaseAction.Return), Monday9, Settings);
        }

        Assert.Equal(CaseWorkflow.MaxSteps, record.Steps.Count);
        Assert.Equal(1, record.Steps[0].Seq);
        var summary = record.Steps[1];
        Assert.Equal(CaseAction.Unspecified, summary.Action);
        Assert.Equal(summary.Seq + 1, record.Steps[2].Seq);
        Assert.Equal(243, record.Steps[^1].Seq);
        Assert.Equal(243 - 1 - (CaseWorkflow.MaxSteps - 2), summary.SummarizedStepCount);
        Assert.Equal(CaseState.Reported, summary.FromState);
        for (var i = 3; i < record.Steps.Count; i++)
        {
            Assert.Equal(record.Steps[i - 1].Seq + 1, record.Steps[i].Seq);
        }
    }

    [Theory]
    [InlineData(CaseAction.Unspecified, "action", "REQUIRED_FIELD")]
    [InlineData(CaseAction.Report, "action", "INVALID_CODE")]
    [InlineData(CaseAction.Void, "comment", "REQUIRED_FIELD")]
    [InlineData(CaseAction.Return, "comment", "REQUIRED_FIELD")]
    [InlineData(CaseAction.SubmitResult, "comment", "REQUIRED_FIELD")]
    [InlineData(CaseAction.VerifyFail, "comment", "REQUIRED_FIELD")]
    [InlineData(CaseAction.Dispatch, "assignee", "REQUIRED_FIELD")]
    [InlineData(CaseAction.Rate, "rating", "REQUIRED_FIELD")]
    public void ValidateTransition_MissingRequiredInput_NamesTheField(CaseAction action, string field, string reason)
    {
        var problem = CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = action }).First();
        Assert.Equal(field, problem.Field);
        Assert.Equal(reason, problem.Reason);
    }

    [Fact]
    public void ValidateTransition_FieldsNotForTheAction_AreRefused()
    {
        Assert.Equal("assignee", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, Assignee = "城管办" }).Single().Field);
        Assert.Equal("rating", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, Rating = 3 }).Single().Field);
        Assert.Equal("rating", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Rate, Rating = 6 }).Single().Field);
        Assert.Equal("comment", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, Comment = new string('x', 501) }).Single().Field);
        Assert.Equal("expected_version", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, ExpectedVersion = -1 }).Single().Field);
        Assert.Equal("actor_name", CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, ActorName = "a\nb" }).Single().Field);
        Assert.Equal(ErrorReasons.InvalidLength, CaseWorkflow.ValidateTransition(new TransitionCaseRequest { Action = CaseAction.Accept, ActorId = new string('1', 65) }).Single().Reason);
        Assert.Empty(CaseWorkflow.ValidateTransition(Request(CaseAction.Dispatch)));
    }

    internal static TransitionCaseRequest Request(CaseAction action) => new()
    {
        Action = action,
        Comment = action is CaseAction.Void or CaseAction.Return or CaseAction.SubmitResult or CaseAction.VerifyFail ? "说明" : "",
        Assignee = action == CaseAction.Dispatch ? "街道城管办" : "",
        Rating = action == CaseAction.Rate ? 4 : 0,
    };

    private static Case NewCase() => new()
    {
        GridCode = Grid, Kind = CaseKind.Dispute, Category = "0902", Title = "宅基地纠纷", Source = CaseSource.GridWorkerApp,
        OccurredAt = Timestamp.FromDateTimeOffset(Monday9.AddDays(-1)),
    };

    private static CaseTimes Times() => new(Monday9.AddDays(1), Monday9.AddDays(2), null, null, null, null);

    private static Case CaseIn(CaseState state, RegionLevel level) => new()
    {
        Meta = new EntityMeta { Id = "sj-1", Version = 3, SourceSystem = "hub" },
        GridCode = Grid,
        State = state,
        OwningLevel = level,
        OwningRegionCode = CaseWorkflow.OwningRegion(Grid, level),
        Steps = { new CaseStep { Seq = 1, Action = CaseAction.Report, ToState = CaseState.Reported } },
    };
}
