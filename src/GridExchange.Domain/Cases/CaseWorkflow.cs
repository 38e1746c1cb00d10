using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Domain.Cases;

/// <summary>
/// The hub-managed case lifecycle (DOMAIN §3.1, <c>case_service.proto</c>): what a
/// TransitionCase request must carry, who may act at which level, and how a case changes under
/// an action. Pure: no I/O and no clock (the instant is passed in). The legal moves are
/// <see cref="CaseTransitions"/>, shared with the validation of source-run cases.
/// </summary>
/// <remarks>
/// <para>
/// Levels. A case is owned by its grid first (GRID, owning code = the grid code). ESCALATE moves
/// the owner one level up at once — village (the grid's first 12 digits), township (first 9 +
/// <c>000</c>), county (first 6 + <c>000000</c>) — and the case waits there, ESCALATED, to be
/// accepted again by that level. COUNTY is the top: a case owned there is not escalated further.
/// </para>
/// <para>
/// Actors. Every action but RATE is taken by the owning level (its handling units act through its
/// system): the caller's jurisdiction must contain the owning region, or the call is
/// PERMISSION_DENIED — a village system cannot accept, dispatch or verify a case its township
/// owns. A higher level's system acts for the levels below it in its jurisdiction (a county
/// platform runs the workflow of its grids). RATE comes from the reporting side (the reporter or
/// the grid): any caller whose jurisdiction contains the case's grid. Callers whose jurisdiction
/// does not contain the grid do not see the case at all (NOT_FOUND).
/// </para>
/// </remarks>
public static class CaseWorkflow
{
    /// <summary>Longest comment.</summary>
    public const int MaxCommentLength = 500;

    /// <summary>Longest assignee.</summary>
    public const int MaxAssigneeLength = 100;

    /// <summary>Longest actor id.</summary>
    public const int MaxActorIdLength = 64;

    /// <summary>Longest actor name.</summary>
    public const int MaxActorNameLength = 50;

    /// <summary>Most steps a case keeps before the oldest are folded into a summary step.</summary>
    public const int MaxSteps = 200;

    /// <summary>Every field rule a TransitionCase request breaks (request_id and case_id aside), in field order.</summary>
    public static IReadOnlyList<FieldProblem> ValidateTransition(TransitionCaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<FieldProblem>();
        var action = request.Action;
        if (action == CaseAction.Unspecified)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.RequiredField, "action is required."));
        }
        else if (action == CaseAction.Report)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidCode, "REPORT is not a transition: report a case with ReportCase."));
        }
        else if (!System.Enum.IsDefined(action))
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidCode, $"{(int)action} is not a CaseAction."));
        }

        var needsComment = action is CaseAction.Void or CaseAction.Return or CaseAction.SubmitResult or CaseAction.VerifyFail;
        RequestText.Check(problems, "comment", request.Comment, MaxCommentLength, needsComment, singleLine: false);
        if (action == CaseAction.Dispatch)
        {
            RequestText.Check(problems, "assignee", request.Assignee, MaxAssigneeLength, required: true, singleLine: true);
        }
        else if (request.Assignee.Length > 0)
        {
            problems.Add(new FieldProblem("assignee", ErrorReasons.InconsistentFields, "assignee is given only with DISPATCH."));
        }

        if (action == CaseAction.Rate && request.Rating == 0)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.RequiredField, "rating (1 to 5) is required for RATE."));
        }
        else if (request.Rating is < 0 or > 5)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.InvalidFormat, "rating is 1 (worst) to 5 (best)."));
        }
        else if (action != CaseAction.Rate && request.Rating != 0)
        {
            problems.Add(new FieldProblem("rating", ErrorReasons.InconsistentFields, "rating is given only with RATE (0 otherwise)."));
        }

        if (request.ExpectedVersion < 0)
        {
            problems.Add(new FieldProblem("expected_version", ErrorReasons.InvalidFormat, "expected_version is 0 (no check) or a case version."));
        }

        RequestText.Check(problems, "actor_id", request.ActorId, MaxActorIdLength, required: false, singleLine: true);
        RequestText.Check(problems, "actor_name", request.ActorName, MaxActorNameLength, required: false, singleLine: true);
        return problems;
    }

    /// <summary>Every field rule the actor fields of a ReportCase request break.</summary>
    public static IReadOnlyList<FieldProblem> ValidateReportActor(string actorId, string actorName)
    {
        var problems = new List<FieldProblem>();
        RequestText.Check(problems, "actor_id", actorId, MaxActorIdLength, required: false, singleLine: true);
        RequestText.Check(problems, "actor_name", actorName, MaxActorNameLength, required: false, singleLine: true);
        return problems;
    }

    /// <summary>The code of the region that owns a case in grid <paramref name="gridCode"/> at <paramref name="level"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not GRID, VILLAGE, TOWNSHIP or COUNTY.</exception>
    public static string OwningRegion(string gridCode, RegionLevel level)
    {
        ArgumentNullException.ThrowIfNull(gridCode);
        return level switch
        {
            RegionLevel.Grid => gridCode,
            RegionLevel.Village => gridCode[..12],
            RegionLevel.Township => gridCode[..9] + "000",
            RegionLevel.County => gridCode[..6] + "000000",
            _ => throw new ArgumentOutOfRangeException(nameof(level), level, "A case is owned at grid, village, township or county level."),
        };
    }

    /// <summary>The level a case escalates to from <paramref name="level"/>; null at the top (COUNTY).</summary>
    public static RegionLevel? LevelAbove(RegionLevel level) => level switch
    {
        RegionLevel.Grid => RegionLevel.Village,
        RegionLevel.Village => RegionLevel.Township,
        RegionLevel.Township => RegionLevel.County,
        _ => null,
    };

    /// <summary>
    /// Why a caller with jurisdiction <paramref name="callerRegion"/> may not take
    /// <paramref name="action"/> on <paramref name="record"/> (PERMISSION_DENIED,
    /// OUT_OF_JURISDICTION), or null. See the class remarks; the caller is assumed to see the case
    /// (its jurisdiction contains the grid).
    /// </summary>
    public static string? ActorRefusal(string callerRegion, Case record, CaseAction action)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (action == CaseAction.Rate || ScopeCode.Contains(callerRegion, record.OwningRegionCode))
        {
            return null;
        }

        return $"Case '{record.Meta.Id}' is owned at {Level(record.OwningLevel)} level by {record.OwningRegionCode}: "
            + $"{CaseTransitions.Name(action)} is for the owning level, and the caller's jurisdiction {callerRegion} lies below it.";
    }

    /// <summary>
    /// Why <paramref name="action"/> cannot be taken on <paramref name="record"/> in its state
    /// (FAILED_PRECONDITION, ILLEGAL_TRANSITION), or null: the state machine's refusal, or an
    /// ESCALATE of a case already owned at the top level.
    /// </summary>
    public static string? StateRefusal(Case record, CaseAction action)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (CaseTransitions.Refusal(record.State, action) is { } refusal)
        {
            return refusal;
        }

        return action == CaseAction.Escalate && LevelAbove(record.OwningLevel) is null
            ? $"ESCALATE is not legal: the case is owned at {Level(record.OwningLevel)} level, the highest a case rises to (grid → village → township → county)."
            : null;
    }

    /// <summary>
    /// A new case as the hub stores it from the reporter's <paramref name="input"/>: every input
    /// field copied, every output field the hub's (state REPORTED, owning level GRID, deadlines,
    /// the REPORT step, overdue level and colour as of <paramref name="now"/>), meta version 1.
    /// The number is left as given (the store assigns one when empty).
    /// </summary>
    public static (Case Record, CaseTimes Times) Report(
        Case input, string id, string actorId, string actorName, DateTimeOffset now, CaseDeadlineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        var at = Timestamp.FromDateTimeOffset(now);
        var record = input.Clone();
        record.Meta = new EntityMeta { Id = id, SourceSystem = IngestPlanner.HubOwner, Version = 1, UpdatedAt = at };
        record.State = CaseState.Reported;
        record.OwningLevel = RegionLevel.Grid;
        record.OwningRegionCode = input.GridCode;
        record.Rating = 0;
        record.Steps.Clear();
        record.Steps.Add(new CaseStep
        {
            Seq = 1,
            Action = CaseAction.Report,
            FromState = CaseState.Unspecified,
            ToState = CaseState.Reported,
            Level = RegionLevel.Grid,
            OwningRegionCode = input.GridCode,
            ActorId = actorId,
            ActorName = actorName,
            At = at,
        });
        var times = new CaseTimes(
            settings.AddWorkingDays(now, settings.AcceptYellowDays), settings.AddWorkingDays(now, settings.AcceptRedDays), null, null, null, null);
        record.AcceptDeadline = Timestamp.FromDateTimeOffset(times.AcceptYellow!.Value);
        record.HandleDeadline = null;
        return (CaseWarnings.Mark(record, times, now), times);
    }

    /// <summary>
    /// The case after <paramref name="request"/>'s action at <paramref name="now"/>: state moved,
    /// version raised by one, the step appended (older steps folded past <see cref="MaxSteps"/>),
    /// owner, deadlines and waits updated, overdue level and colour as of <paramref name="now"/>.
    /// The move must be legal (<see cref="StateRefusal"/> null).
    /// </summary>
    /// <exception cref="InvalidOperationException">The move is not legal.</exception>
    public static (Case Record, CaseTimes Times) Apply(
        Case current, CaseTimes times, TransitionCaseRequest request, DateTimeOffset now, CaseDeadlineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(settings);
        if (StateRefusal(current, request.Action) is { } refusal || !CaseTransitions.TryApply(current.State, request.Action, out var to))
        {
            throw new InvalidOperationException(StateRefusal(current, request.Action));
        }

        var at = Timestamp.FromDateTimeOffset(now);
        var next = current.Clone();
        next.State = to;
        next.Meta.Version = current.Meta.Version + 1;
        next.Meta.UpdatedAt = at;
        var nextTimes = times;
        switch (request.Action)
        {
            case CaseAction.Escalate:
                next.OwningLevel = LevelAbove(current.OwningLevel)!.Value;
                next.OwningRegionCode = OwningRegion(current.GridCode, next.OwningLevel);
                // The level above has its own accept wait; the handle wait starts again at its acceptance.
                nextTimes = new CaseTimes(
                    settings.AddWorkingDays(now, settings.AcceptYellowDays), settings.AddWorkingDays(now, settings.AcceptRedDays), null, null, null, null);
                next.AcceptDeadline = Timestamp.FromDateTimeOffset(nextTimes.AcceptYellow!.Value);
                next.HandleDeadline = null;
                break;
            case CaseAction.Accept:
                nextTimes = times with
                {
                    AcceptEnd = now,
                    HandleYellow = settings.AddWorkingDays(now, settings.HandleYellowDays),
                    HandleRed = settings.AddWorkingDays(now, settings.HandleRedDays),
                    HandleEnd = null,
                };
                next.HandleDeadline = Timestamp.FromDateTimeOffset(nextTimes.HandleYellow!.Value);
                break;
            case CaseAction.Void:
                nextTimes = times with { AcceptEnd = now };
                break;
            case CaseAction.ResolveOnSpot or CaseAction.SubmitResult:
                nextTimes = times with { HandleEnd = now };
                break;
            case CaseAction.VerifyFail:
                // Back to handling: the handle wait resumes against the same deadlines.
                nextTimes = times with { HandleEnd = null };
                break;
            case CaseAction.Rate:
                next.Rating = request.Rating;
                break;
        }

        next.Steps.Add(new CaseStep
        {
            Seq = current.Steps.Count == 0 ? 1 : current.Steps[^1].Seq + 1,
            Action = request.Action,
            FromState = current.State,
            ToState = to,
            Level = next.OwningLevel,
            OwningRegionCode = next.OwningRegionCode,
            ActorId = request.ActorId,
            ActorName = request.ActorName,
            Comment = request.Comment,
            At = at,
            Assignee = request.Assignee,
        });
        Fold(next.Steps);
        return (CaseWarnings.Mark(next, nextTimes, now), nextTimes);
    }

    /// <summary>
    /// Keeps <paramref name="steps"/> at <see cref="MaxSteps"/> at most (case.proto, Case.steps):
    /// step 1 and the latest steps stay; the oldest of the others are folded into one summary step
    /// right after step 1 (merged with the summary already there).
    /// </summary>
    public static void Fold(IList<CaseStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count <= MaxSteps)
        {
            return;
        }

        // Steps 2 .. (2 + excess) become one: the result has MaxSteps steps.
        var fold = steps.Count - MaxSteps + 1;
        var first = steps[1];
        var last = steps[fold];
        var count = 0;
        for (var i = 1; i <= fold; i++)
        {
            count += steps[i].SummarizedStepCount > 0 ? steps[i].SummarizedStepCount : 1;
        }

        var summary = new CaseStep
        {
            Seq = last.Seq,
            Action = CaseAction.Unspecified,
            FromState = first.FromState,
            ToState = last.ToState,
            Level = last.Level,
            OwningRegionCode = last.OwningRegionCode,
            At = last.At,
            SummarizedStepCount = count,
            Comment = string.Create(CultureInfo.InvariantCulture, $"{count} earlier steps (seq {last.Seq - count + 1} to {last.Seq}) folded into this summary."),
        };
        for (var i = fold; i >= 1; i--)
        {
            steps.RemoveAt(i);
        }

        steps.Insert(1, summary);
    }

    private static string Level(RegionLevel level) => level == RegionLevel.Unspecified ? "UNSPECIFIED" : CaseTransitions.Snake(level.ToString());
}

/// <summary>Length and character rules of the free-text fields of case and service-request RPCs.</summary>
internal static class RequestText
{
    public static void Check(List<FieldProblem> problems, string field, string value, int max, bool required, bool singleLine)
    {
        if (value.Length == 0)
        {
            if (required)
            {
                problems.Add(new FieldProblem(field, ErrorReasons.RequiredField, $"{field} is required."));
            }

            return;
        }

        if (required && string.IsNullOrWhiteSpace(value))
        {
            problems.Add(new FieldProblem(field, ErrorReasons.RequiredField, $"{field} is required (not only blanks)."));
        }
        else if (value.EnumerateRunes().Count() > max)
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidLength, $"{field} is at most {max} characters."));
        }
        else if (value.Any(c => char.IsControl(c) && (singleLine || c is not ('\n' or '\r' or '\t'))))
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidFormat,
                singleLine ? $"{field} must be single-line text without control characters." : $"{field} must be text without control characters other than line breaks and tabs."));
        }
    }
}
