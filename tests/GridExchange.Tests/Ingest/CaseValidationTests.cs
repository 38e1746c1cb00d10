using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Errors;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class CaseValidationTests
{
    public static TheoryData<string, Action<Case>, string, string> CaseProblems() => new()
    {
        { "case number too long", c => c.CaseNumber = new string('S', 33), "case_record.case_number", ErrorReasons.InvalidLength },
        { "kind unspecified", c => c.Kind = CaseKind.Unspecified, "case_record.kind", ErrorReasons.RequiredField },
        { "kind unknown", c => c.Kind = (CaseKind)50, "case_record.kind", ErrorReasons.InvalidCode },
        { "dispute without category", c => c.Category = "", "case_record.category", ErrorReasons.RequiredField },
        { "category class 17", c => c.Category = "1701", "case_record.category", ErrorReasons.InvalidCode },
        { "category class 00", c => c.Category = "0001", "case_record.category", ErrorReasons.InvalidCode },
        { "category sub-class 00", c => c.Category = "0900", "case_record.category", ErrorReasons.InvalidCode },
        { "category three digits", c => c.Category = "090", "case_record.category", ErrorReasons.InvalidCode },
        { "title missing", c => c.Title = "", "case_record.title", ErrorReasons.RequiredField },
        { "title too long", c => c.Title = new string('题', 101), "case_record.title", ErrorReasons.InvalidLength },
        { "description too long", c => c.Description = new string('述', 2001), "case_record.description", ErrorReasons.InvalidLength },
        { "description with a bell", c => c.Description = "bell\a", "case_record.description", ErrorReasons.InvalidFormat },
        { "occurred_at missing", c => c.OccurredAt = null, "case_record.occurred_at", ErrorReasons.RequiredField },
        { "occurred_at in the future", c => c.OccurredAt = Timestamp.FromDateTimeOffset(Now.AddMinutes(6)), "case_record.occurred_at", ErrorReasons.InvalidDate },
        { "occurred_at malformed", c => c.OccurredAt = new Timestamp { Seconds = long.MaxValue }, "case_record.occurred_at", ErrorReasons.InvalidDate },
        { "place masked", c => c.Place = "东岗社区****", "case_record.place", ErrorReasons.InvalidFormat },
        { "grade unknown", c => c.Grade = (CaseGrade)9, "case_record.grade", ErrorReasons.InvalidCode },
        { "scale unknown", c => c.Scale = (EventScale)9, "case_record.scale", ErrorReasons.InvalidCode },
        { "too many parties", c => c.Parties.AddRange(Enumerable.Range(0, 99).Select(i => new CaseParty { Name = "甲", Role = CasePartyRole.Witness })), "case_record.parties", ErrorReasons.TooManyItems },
        { "party name missing", c => c.Parties[1].Name = "", "case_record.parties[1].name", ErrorReasons.RequiredField },
        { "party name masked", c => c.Parties[1].Name = "徐**", "case_record.parties[1].name", ErrorReasons.InvalidFormat },
        { "party ID malformed", c => c.Parties[1].CitizenId = "ABCDEFGHIJKLMNOPQR", "case_record.parties[1].citizen_id", ErrorReasons.InvalidFormat },
        { "party role unspecified", c => c.Parties[0].Role = CasePartyRole.Unspecified, "case_record.parties[0].role", ErrorReasons.RequiredField },
        { "party phone blank", c => c.Parties[0].Contact = "\u3000", "case_record.parties[0].contact", ErrorReasons.InvalidFormat },
        { "party phone malformed", c => c.Parties[0].Contact = "137-2323-9192", "case_record.parties[0].contact", ErrorReasons.InvalidFormat },
        { "party person id malformed", c => c.Parties[0].PersonId = "p 1", "case_record.parties[0].person_id", ErrorReasons.InvalidFormat },
        { "source unspecified", c => c.Source = CaseSource.Unspecified, "case_record.source", ErrorReasons.RequiredField },
        { "owning region malformed", c => c.OwningRegionCode = "3706", "case_record.owning_region_code", ErrorReasons.InvalidCode },
        { "step owning region malformed", c => c.Steps[2].OwningRegionCode = "37060200100100", "case_record.steps[2].owning_region_code", ErrorReasons.InvalidCode },
        { "step level disagrees with its region", c => c.Steps[2].Level = RegionLevel.Village, "case_record.steps[2].level", ErrorReasons.InconsistentFields },
        { "owning level unknown", c => c.OwningLevel = (RegionLevel)8, "case_record.owning_level", ErrorReasons.InvalidCode },
        { "accept deadline malformed", c => c.AcceptDeadline = new Timestamp { Nanos = -5 }, "case_record.accept_deadline", ErrorReasons.InvalidDate },
        { "overdue unknown", c => c.OverdueLevel = (OverdueLevel)4, "case_record.overdue_level", ErrorReasons.InvalidCode },
        { "warning unknown", c => c.WarningColor = (WarningColor)5, "case_record.warning_color", ErrorReasons.InvalidCode },
        { "rating above five", c => c.Rating = 6, "case_record.rating", ErrorReasons.InvalidFormat },
        { "evaluated without rating", c => c.Rating = 0, "case_record.rating", ErrorReasons.InconsistentFields },
        { "involved count negative", c => c.InvolvedCount = -2, "case_record.involved_count", ErrorReasons.InvalidFormat },
        { "location out of range", c => c.Location.Latitude = -91, "case_record.location.latitude", ErrorReasons.InvalidFormat },
        { "hazard type on a dispute", c => c.HazardType = HazardType.Fire, "case_record.hazard_type", ErrorReasons.InconsistentFields },
        { "hazard type unknown", c => c.HazardType = (HazardType)99, "case_record.hazard_type", ErrorReasons.InvalidCode },
    };

    [Theory]
    [MemberData(nameof(CaseProblems))]
    public void Case_InvalidField_IsReported(string name, Action<Case> mutate, string field, string reason)
    {
        var change = Case();
        mutate(change.CaseRecord);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Case_InAGridElsewhere_IsOutOfJurisdictionAndItsOwnerNoLongerContainsIt()
    {
        var change = Case();
        change.CaseRecord.GridCode = OtherCountyGrid;

        var check = Validate(change);

        Assert.Equal(["case_record.grid_code", "case_record.owning_region_code"], check.Problems.Select(p => p.Field));
        Assert.Equal(ErrorReasons.OutOfJurisdiction, check.Reason);
    }

    [Fact]
    public void Case_HandedOverFromAnotherCounty_KeepsItsOldHistory()
    {
        // Reported and handled in county 370611, then handed over (移交) to 370602: the steps
        // keep the owning regions of their time; the case's current owner is in the new county.
        var change = Case();
        change.TakeOver = true;
        foreach (var step in change.CaseRecord.Steps.Take(7))
        {
            step.OwningRegionCode = OtherCountyGrid;
        }

        AssertValid(Validate(change));
    }

    [Fact]
    public void Case_OccurredWithinTheClockSkewTolerance_IsAccepted()
    {
        var change = Reported();
        change.CaseRecord.OccurredAt = Timestamp.FromDateTimeOffset(Now.AddMinutes(4));
        change.CaseRecord.Steps[0].At = change.CaseRecord.OccurredAt;

        AssertValid(Validate(change));
    }

    [Fact]
    public void Case_OtherKindWithoutCategory_IsValid_AndAHazardMayNameItsType()
    {
        var change = Case();
        change.CaseRecord.Kind = CaseKind.Other;
        change.CaseRecord.Category = "";
        AssertValid(Validate(change));

        change.CaseRecord.Kind = CaseKind.Hazard;
        change.CaseRecord.HazardType = HazardType.Fire;
        AssertValid(Validate(change));
    }

    [Fact]
    public void Case_HazardWithTypeNone_IsInconsistent()
    {
        var change = Case();
        change.CaseRecord.Kind = CaseKind.Hazard;
        change.CaseRecord.HazardType = HazardType.None;

        AssertSingleProblem(Validate(change), "case_record.hazard_type", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Case_StateUnspecified_IsRequired()
    {
        var change = Case();
        change.CaseRecord.State = CaseState.Unspecified;

        AssertSingleProblem(Validate(change), "case_record.state", ErrorReasons.RequiredField);
    }

    [Fact]
    public void Case_OwningRegionOutsideItsGrid_IsInconsistent()
    {
        var change = Case();
        change.CaseRecord.OwningLevel = RegionLevel.County;
        change.CaseRecord.OwningRegionCode = "370611000000";
        change.CaseRecord.Steps[^1].Level = RegionLevel.County;
        change.CaseRecord.Steps[^1].OwningRegionCode = "370611000000";

        var check = Validate(change);

        AssertSingleProblem(check, "case_record.owning_region_code", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Case_OwnedAboveItsGrid_IsValidWhenLevelAndCodeAgree()
    {
        var change = Case();
        change.CaseRecord.OwningLevel = RegionLevel.Township;
        change.CaseRecord.OwningRegionCode = Township;
        change.CaseRecord.Steps[^1].Level = RegionLevel.Township;
        change.CaseRecord.Steps[^1].OwningRegionCode = Township;
        AssertValid(Validate(change));

        change.CaseRecord.OwningLevel = RegionLevel.Village;
        AssertHasProblem(Validate(change), "case_record.owning_level", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Case_OwningRegionDifferentFromTheLastStep_IsInconsistent()
    {
        var change = Case();
        change.CaseRecord.OwningLevel = RegionLevel.Village;
        change.CaseRecord.OwningRegionCode = Village;

        var check = Validate(change);

        Assert.Equal(["case_record.owning_level", "case_record.owning_region_code"], check.Problems.Select(p => p.Field));
    }

    // ---- Rating and state ----------------------------------------------------------------

    [Fact]
    public void Case_ClosedWithARating_IsInconsistent()
    {
        var change = Case();
        change.CaseRecord.Steps.RemoveAt(7);
        change.CaseRecord.State = CaseState.Closed;

        AssertSingleProblem(Validate(change), "case_record.rating", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Case_ClosedWithoutHistory_MustIncludeTheClosingStep()
    {
        var change = Case();
        change.CaseRecord.Steps.Clear();
        change.CaseRecord.State = CaseState.Closed;
        change.CaseRecord.Rating = 0;

        AssertSingleProblem(Validate(change), "case_record.steps", ErrorReasons.RequiredField);
    }

    [Fact]
    public void Case_ReportedWithoutHistory_IsValid()
    {
        var change = Reported();
        change.CaseRecord.Steps.Clear();

        AssertValid(Validate(change));
    }

    [Fact]
    public void Case_StateNotTheLastStep_IsInconsistent()
    {
        var change = Case();
        change.CaseRecord.State = CaseState.Closed;
        change.CaseRecord.Rating = 0;

        AssertSingleProblem(Validate(change), "case_record.state", ErrorReasons.InconsistentFields);
    }

    // ---- Steps --------------------------------------------------------------------------

    public static TheoryData<string, Action<Case>, string, string> StepProblems() => new()
    {
        { "first step not the report", c => c.Steps.RemoveAt(0), "case_record.steps[0]", ErrorReasons.InconsistentFields },
        { "first step seq 0", c => c.Steps[0].Seq = 0, "case_record.steps[0]", ErrorReasons.InconsistentFields },
        { "seq gap", c => c.Steps[3].Seq = 5, "case_record.steps[3].seq", ErrorReasons.InconsistentFields },
        { "from not the previous to", c => c.Steps[2].FromState = CaseState.Reported, "case_record.steps[2].from_state", ErrorReasons.InconsistentFields },
        { "illegal move", c => { c.Steps[4].Action = CaseAction.SubmitResult; }, "case_record.steps[4].action", ErrorReasons.InconsistentFields },
        { "action unspecified", c => c.Steps[1].Action = CaseAction.Unspecified, "case_record.steps[1].action", ErrorReasons.InconsistentFields },
        { "action unknown", c => c.Steps[1].Action = (CaseAction)99, "case_record.steps[1].action", ErrorReasons.InvalidCode },
        { "to_state unspecified", c => c.Steps[1].ToState = CaseState.Unspecified, "case_record.steps[1].to_state", ErrorReasons.RequiredField },
        { "at missing", c => c.Steps[2].At = null, "case_record.steps[2].at", ErrorReasons.RequiredField },
        { "at before the step before", c => c.Steps[3].At = c.Steps[2].At.Clone().Also(t => t.Seconds -= 60), "case_record.steps[3].at", ErrorReasons.InconsistentFields },
        { "report before the event", c => c.Steps[0].At = Timestamp.FromDateTimeOffset(c.OccurredAt.ToDateTimeOffset().AddMinutes(-1)), "case_record.steps[0].at", ErrorReasons.InconsistentFields },
        { "actor id too long", c => c.Steps[0].ActorId = new string('a', 65), "case_record.steps[0].actor_id", ErrorReasons.InvalidLength },
        { "actor name masked", c => c.Steps[0].ActorName = "高*", "case_record.steps[0].actor_name", ErrorReasons.InvalidFormat },
        { "comment too long", c => c.Steps[0].Comment = new string('意', 501), "case_record.steps[0].comment", ErrorReasons.InvalidLength },
        { "assignee too long", c => c.Steps[3].Assignee = new string('队', 101), "case_record.steps[3].assignee", ErrorReasons.InvalidLength },
        { "summarized count negative", c => c.Steps[2].SummarizedStepCount = -1, "case_record.steps[2].summarized_step_count", ErrorReasons.InvalidFormat },
        { "summary not right after the report", c => { c.Steps[2].SummarizedStepCount = 1; c.Steps[2].Action = CaseAction.Unspecified; }, "case_record.steps[2]", ErrorReasons.InconsistentFields },
        { "too many steps", c => c.Steps.AddRange(Enumerable.Range(0, 193).Select(_ => c.Steps[^1].Clone())), "case_record.steps", ErrorReasons.TooManyItems },
    };

    [Theory]
    [MemberData(nameof(StepProblems))]
    public void Steps_Incoherent_AreReported(string name, Action<Case> mutate, string field, string reason)
    {
        var change = Case();
        mutate(change.CaseRecord);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Steps_WithASummaryStepAfterTheReport_AreValid()
    {
        var change = Case();
        var steps = change.CaseRecord.Steps;
        // Fold steps 2-4 (accept, register, dispatch) into one summary step.
        var summary = new CaseStep
        {
            Seq = 4,
            FromState = CaseState.Reported,
            ToState = CaseState.Dispatched,
            Level = RegionLevel.Grid,
            OwningRegionCode = TheGrid,
            Comment = "3 steps folded",
            At = steps[3].At,
            SummarizedStepCount = 3,
        };
        steps.RemoveAt(1);
        steps.RemoveAt(1);
        steps.RemoveAt(1);
        steps.Insert(1, summary);

        AssertValid(Validate(change));

        summary.Seq = 3;
        AssertSingleProblem(Validate(change), "case_record.steps[1].seq", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Steps_ExactlyTwoHundred_AreAccepted()
    {
        var change = Reported();
        var record = change.CaseRecord;
        record.State = CaseState.Dispatched;
        record.Steps.Add(Step(2, CaseAction.Accept, CaseState.Reported, CaseState.Accepted));
        record.Steps.Add(Step(3, CaseAction.Register, CaseState.Accepted, CaseState.Registered));
        var seq = 4;
        while (record.Steps.Count < 200)
        {
            record.Steps.Add(Step(seq++, CaseAction.Dispatch, CaseState.Registered, CaseState.Dispatched));
            if (record.Steps.Count < 199)
            {
                record.Steps.Add(Step(seq++, CaseAction.Return, CaseState.Dispatched, CaseState.Registered));
            }
        }

        Assert.Equal(200, record.Steps.Count);
        AssertValid(Validate(change));
    }

    [Fact]
    public void Steps_ABrokenStep_DoesNotCascadeIntoTheNext()
    {
        var change = Case();
        change.CaseRecord.Steps[3].At = null;

        var check = Validate(change);

        AssertSingleProblem(check, "case_record.steps[3].at", ErrorReasons.RequiredField);
    }

    [Fact]
    public void Case_ManyProblems_AreAllReported()
    {
        var change = Case();
        change.CaseRecord.Title = "";
        change.CaseRecord.Category = "99";
        change.CaseRecord.Parties[0].CitizenId = MaleLegacyId;
        change.CaseRecord.Parties[1].Role = CasePartyRole.Unspecified;
        change.CaseRecord.Rating = 9;
        change.CaseRecord.HazardType = HazardType.Fire;

        var check = Validate(change);

        Assert.Equal(
            ["case_record.category", "case_record.title", "case_record.parties[1].role", "case_record.rating", "case_record.hazard_type"],
            check.Problems.Select(p => p.Field));
        Assert.Equal(MaleId, check.Normalized.CaseRecord.Parties[0].CitizenId);
    }

    private static Change Reported()
    {
        var change = Case();
        var record = change.CaseRecord;
        while (record.Steps.Count > 1)
        {
            record.Steps.RemoveAt(record.Steps.Count - 1);
        }

        record.State = CaseState.Reported;
        record.Rating = 0;
        return change;
    }

    private static CaseStep Step(int seq, CaseAction action, CaseState from, CaseState to) => new()
    {
        Seq = seq,
        Action = action,
        FromState = from,
        ToState = to,
        Level = RegionLevel.Grid,
        OwningRegionCode = TheGrid,
        At = At(1),
    };
}

internal static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
