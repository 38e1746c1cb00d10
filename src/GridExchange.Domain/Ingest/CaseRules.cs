using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>
/// Rules for a Case submitted by the source system that runs its own case workflow
/// (case.proto). Its "Output only" fields (state, steps, deadlines, warnings, rating) are the
/// source's own values, carried as sent within the limits the proto states; the cheap and
/// certain cross-field rules below keep them coherent.
/// </summary>
internal static class CaseRules
{
    public const int MaxSteps = 200;
    public const int MaxParties = 100;
    private const int CaseNumber = 32;
    private const int Title = 100;
    private const int Description = 2_000;
    private const int Place = 200;
    private const int Name = 50;
    private const int ActorId = 64;
    private const int Comment = 500;
    private const int Assignee = 100;
    private const int MaxRating = 5;
    private const int DisputeClasses = 16;

    /// <returns>The case's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? Check(Change change, IngestContext context)
    {
        var record = change.CaseRecord;
        var location = HousingRules.Location("case_record.grid_code", record.GridCode, context);
        GridCode.TryParse(record.GridCode, out var grid);

        context.Text("case_record.case_number", record.CaseNumber, CaseNumber, required: false);
        var kindValid = context.Enum("case_record.kind", record.Kind, required: true);
        Category(record, kindValid, context);
        context.Text("case_record.title", record.Title, Title, required: true);
        context.Text("case_record.description", record.Description, Description, required: false, TextRules.Multiline);
        var occurredValid = context.Instant("case_record.occurred_at", record.OccurredAt, required: true, notFuture: true, out var occurredAt);
        context.Text("case_record.place", record.Place, Place, required: false, TextRules.NotMasked);
        context.Enum("case_record.grade", record.Grade, required: false);
        context.Enum("case_record.scale", record.Scale, required: false);
        Parties(record, context);
        context.Enum("case_record.source", record.Source, required: true);
        var stateValid = context.Enum("case_record.state", record.State, required: true);
        var levelValid = context.Enum("case_record.owning_level", record.OwningLevel, required: false);
        OwningRegion("case_record", "owning_level", record.OwningLevel, levelValid, record.OwningRegionCode, grid, context);
        context.Instant("case_record.accept_deadline", record.AcceptDeadline, required: false, notFuture: false, out _);
        context.Instant("case_record.handle_deadline", record.HandleDeadline, required: false, notFuture: false, out _);
        context.Enum("case_record.overdue_level", record.OverdueLevel, required: false);
        context.Enum("case_record.warning_color", record.WarningColor, required: false);
        Steps(record, stateValid, occurredValid ? occurredAt : null, context);
        Rating(record, stateValid, context);
        context.NonNegative("case_record.involved_count", record.HasInvolvedCount, record.InvolvedCount);
        context.Point("case_record.location", record.Location);
        Hazard(record, kindValid, context);
        return location;
    }

    // category: required for a dispute; when set, a 4-digit code of GB/T 31000 table 5.56
    // (class 01-16, sub-class 01-99).
    private static void Category(Case record, bool kindValid, IngestContext context)
    {
        const string Field = "case_record.category";
        if (record.Category.Length == 0)
        {
            if (kindValid && record.Kind == CaseKind.Dispute)
            {
                context.Add(Field, ErrorReasons.RequiredField, "case_record.category is required for a DISPUTE case: a 4-digit code of GB/T 31000 table 5.56, e.g. 0902.");
            }

            return;
        }

        if (!context.Digits(Field, record.Category, 4, required: false))
        {
            return;
        }

        var major = Ascii.ParseDigits(record.Category.AsSpan(0, 2));
        var minor = Ascii.ParseDigits(record.Category.AsSpan(2, 2));
        if (major is < 1 or > DisputeClasses || minor == 0)
        {
            context.Add(Field, ErrorReasons.InvalidCode, "case_record.category must be a code of GB/T 31000 table 5.56: class 01-16 followed by a sub-class 01-99.");
        }
    }

    private static void Parties(Case record, IngestContext context)
    {
        if (!context.MaxItems("case_record.parties", record.Parties.Count, MaxParties))
        {
            return;
        }

        for (var i = 0; i < record.Parties.Count; i++)
        {
            var party = record.Parties[i];
            var path = IngestContext.Item("case_record.parties", i);
            context.Text(path + ".name", party.Name, Name, required: true, TextRules.NotMasked);
            party.CitizenId = context.CitizenIdField(path + ".citizen_id", party.CitizenId, required: false, out _);
            context.Enum(path + ".role", party.Role, required: true);
            context.Phone(path + ".contact", party.Contact, required: false);
            context.EntityId(path + ".person_id", party.PersonId, required: false);
        }
    }

    // An owning region is a valid grid or region code whose level is the step's or case's level.
    // The case's current owner is its grid or one of its ancestors (cases move up grid → village →
    // township → county); `grid` is default for steps, whose owners may lie where the case was
    // before it was handed over (移交) to another county.
    private static void OwningRegion(string prefix, string levelField, RegionLevel level, bool levelValid, string code, GridCode grid, IngestContext context)
    {
        var field = prefix + ".owning_region_code";
        if (code.Length == 0 || context.HasProblemAt(field))
        {
            return;
        }

        if (!ScopeCode.TryParseAny(code, out var codeLevel, out var codePrefix))
        {
            context.Add(field, ErrorReasons.InvalidCode, $"{field} must be the owning grid's 15-digit code or a region's 12-digit code.");
            return;
        }

        if (grid.Value.Length > 0 && !grid.Value.StartsWith(codePrefix, StringComparison.Ordinal))
        {
            context.Add(field, ErrorReasons.InconsistentFields, $"{field} must be the case's grid or a region that contains it.");
        }

        if (levelValid && (int)level != (int)codeLevel)
        {
            context.Add(prefix + "." + levelField, ErrorReasons.InconsistentFields, $"{prefix}.{levelField} does not agree with the level of owning_region_code.");
        }
    }

    private static void Steps(Case record, bool stateValid, DateTimeOffset? occurredAt, IngestContext context)
    {
        const string Field = "case_record.steps";
        var steps = record.Steps;
        if (!context.MaxItems(Field, steps.Count, MaxSteps))
        {
            return;
        }

        if (steps.Count == 0)
        {
            if (stateValid && record.State is CaseState.Closed or CaseState.Evaluated)
            {
                context.Add(Field, ErrorReasons.RequiredField, "A CLOSED or EVALUATED case must include its history, whose VERIFY_PASS step records when it was closed.");
            }

            return;
        }

        var coherent = true;
        CaseStep? previous = null;
        DateTimeOffset? previousAt = null;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var path = IngestContext.Item(Field, i);
            var before = context.Count;
            var summary = step.SummarizedStepCount != 0;

            context.Enum(path + ".action", step.Action, required: false);
            context.Enum(path + ".from_state", step.FromState, required: false);
            context.Enum(path + ".to_state", step.ToState, required: true);
            var levelValid = context.Enum(path + ".level", step.Level, required: false);
            OwningRegion(path, "level", step.Level, levelValid, step.OwningRegionCode, default, context);
            context.Text(path + ".actor_id", step.ActorId, ActorId, required: false);
            context.Text(path + ".actor_name", step.ActorName, Name, required: false, TextRules.NotMasked);
            context.Text(path + ".comment", step.Comment, Comment, required: false, TextRules.Multiline);
            var atValid = context.Instant(path + ".at", step.At, required: true, notFuture: false, out var at);
            context.Text(path + ".assignee", step.Assignee, Assignee, required: false);
            if (step.SummarizedStepCount < 0)
            {
                context.Add(path + ".summarized_step_count", ErrorReasons.InvalidFormat, $"{path}.summarized_step_count must be 0 or more.");
            }

            if (context.Count > before)
            {
                // A broken step cannot anchor the history checks of the next one.
                coherent = false;
                previous = null;
                previousAt = null;
                continue;
            }

            // A step that does not follow is reported once; the next one is checked against it
            // only from the one after on, so one bad number or state is not reported twice.
            var follows = StepFollows(step, i, previous, path, context);
            coherent &= follows;

            if (atValid && previousAt is { } last && at < last)
            {
                context.Add(path + ".at", ErrorReasons.InconsistentFields, $"{path}.at is before the step before it; steps are oldest first.");
            }
            else if (atValid && i == 0 && occurredAt is { } occurred && at < occurred)
            {
                context.Add(path + ".at", ErrorReasons.InconsistentFields, $"{path}.at (the report) is before case_record.occurred_at.");
            }

            previous = follows ? step : null;
            previousAt = at;
        }

        if (!coherent || !stateValid)
        {
            return;
        }

        var final = steps[^1];
        if (record.State != final.ToState)
        {
            context.Add("case_record.state", ErrorReasons.InconsistentFields, "case_record.state must be the to_state of the last step.");
            return;
        }

        if (final.Level != RegionLevel.Unspecified && record.OwningLevel != RegionLevel.Unspecified && record.OwningLevel != final.Level
            && !context.HasProblemAt("case_record.owning_level"))
        {
            context.Add("case_record.owning_level", ErrorReasons.InconsistentFields, "case_record.owning_level must be the level of the last step.");
        }

        if (final.OwningRegionCode.Length > 0 && record.OwningRegionCode.Length > 0
            && !string.Equals(record.OwningRegionCode, final.OwningRegionCode, StringComparison.Ordinal)
            && !context.HasProblemAt("case_record.owning_region_code"))
        {
            context.Add("case_record.owning_region_code", ErrorReasons.InconsistentFields, "case_record.owning_region_code must be the owning region of the last step.");
        }
    }

    // Step 1 is the REPORT (seq 1). A summary step (summarized_step_count > 0) may come right
    // after it, has no action and carries the seq of the last step it stands for. Every other
    // step continues the numbering, starts where the step before ended, and is a legal move.
    private static bool StepFollows(CaseStep step, int index, CaseStep? previous, string path, IngestContext context)
    {
        var summary = step.SummarizedStepCount != 0;
        if (index == 0)
        {
            if (summary || step.Seq != 1 || !CaseTransitions.IsLegal(step.FromState, step.Action, step.ToState) || step.Action != CaseAction.Report)
            {
                context.Add(path, ErrorReasons.InconsistentFields, "The first step must be the REPORT: seq 1, from no state to REPORTED.");
                return false;
            }

            return true;
        }

        if (summary && (index != 1 || step.Action != CaseAction.Unspecified))
        {
            context.Add(path, ErrorReasons.InconsistentFields, "A summary step (summarized_step_count above 0) comes right after step 1 and has no action.");
            return false;
        }

        if (previous is null)
        {
            return true; // the step before was reported broken
        }

        if (step.Seq != previous.Seq + (summary ? step.SummarizedStepCount : 1))
        {
            context.Add(path + ".seq", ErrorReasons.InconsistentFields, $"{path}.seq must continue the numbering of the step before (a summary step carries the seq of the last step it stands for).");
            return false;
        }

        if (step.FromState != previous.ToState)
        {
            context.Add(path + ".from_state", ErrorReasons.InconsistentFields, $"{path}.from_state must be the to_state of the step before.");
            return false;
        }

        if (!summary && !CaseTransitions.IsLegal(step.FromState, step.Action, step.ToState))
        {
            context.Add(path + ".action", ErrorReasons.InconsistentFields, $"{path}: the action does not lead from from_state to to_state in the case lifecycle.");
            return false;
        }

        return true;
    }

    // rating: 0 (not rated) or 1-5; given with RATE, the only way into EVALUATED.
    private static void Rating(Case record, bool stateValid, IngestContext context)
    {
        const string Field = "case_record.rating";
        if (record.Rating is < 0 or > MaxRating)
        {
            context.Add(Field, ErrorReasons.InvalidFormat, "case_record.rating must be 0 (not rated) or 1 to 5.");
        }
        else if (stateValid && record.Rating > 0 && record.State != CaseState.Evaluated)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "Only an EVALUATED case has a rating: the rating is given with RATE, which makes the case EVALUATED.");
        }
        else if (stateValid && record.Rating == 0 && record.State == CaseState.Evaluated)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "An EVALUATED case has a rating from 1 to 5, given with RATE.");
        }
    }

    // hazard_type: only on HAZARD cases, and never NONE there.
    private static void Hazard(Case record, bool kindValid, IngestContext context)
    {
        const string Field = "case_record.hazard_type";
        if (!context.Enum(Field, record.HazardType, required: false) || !kindValid)
        {
            return;
        }

        if (record.Kind != CaseKind.Hazard)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "case_record.hazard_type applies only to HAZARD cases; leave it unset for other kinds.");
        }
        else if (record.HazardType == HazardType.None)
        {
            context.Add(Field, ErrorReasons.InconsistentFields, "A HAZARD case cannot have hazard_type NONE; leave it unset until assessed.");
        }
    }
}
