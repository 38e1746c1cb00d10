using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.V1;

namespace GridExchange.Domain.Directives;

/// <summary>
/// What DirectiveService accepts (<c>directive_service.proto</c>): field rules of each request,
/// the "strictly downwards" rule of issuing, and how a receipt changes under an action. Pure: no
/// I/O and no clock (the instant is passed in).
/// </summary>
public static class DirectiveRules
{
    /// <summary>Longest title, in characters (Unicode scalar values).</summary>
    public const int MaxTitleLength = 100;

    /// <summary>Longest directive text.</summary>
    public const int MaxContentLength = 4000;

    /// <summary>Longest issuing-office name.</summary>
    public const int MaxIssuerUnitLength = 100;

    /// <summary>Most target regions of one directive.</summary>
    public const int MaxTargets = 1000;

    /// <summary>Longest actor name.</summary>
    public const int MaxActorNameLength = 50;

    /// <summary>Longest feedback text.</summary>
    public const int MaxFeedbackLength = 4000;

    /// <summary>Longest review comment or withdrawal reason.</summary>
    public const int MaxCommentLength = 500;

    /// <summary>Longest directive id a request may name (the hub mints shorter ones).</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// Every field rule <paramref name="directive"/> breaks, in field order, with paths under
    /// <c>directive.</c>; empty when valid. Output-only fields are ignored, as the contract says.
    /// </summary>
    public static IReadOnlyList<FieldProblem> ValidateIssue(Directive? directive)
    {
        var problems = new List<FieldProblem>();
        if (directive is null)
        {
            problems.Add(new FieldProblem("directive", ErrorReasons.RequiredField, "directive is required."));
            return problems;
        }

        Text(problems, "directive.title", directive.Title, MaxTitleLength, singleLine: true);
        Text(problems, "directive.content", directive.Content, MaxContentLength, singleLine: false);
        Text(problems, "directive.issuer_unit", directive.IssuerUnit, MaxIssuerUnitLength, singleLine: true);
        if (directive.Supervision == SupervisionKind.Unspecified)
        {
            problems.Add(new FieldProblem("directive.supervision", ErrorReasons.RequiredField, "A supervision kind (NORMAL, YELLOW, RED or URGENT) is required."));
        }
        else if (!System.Enum.IsDefined(directive.Supervision))
        {
            problems.Add(new FieldProblem("directive.supervision", ErrorReasons.InvalidFormat, $"{(int)directive.Supervision} is not a SupervisionKind."));
        }

        var targets = directive.TargetRegionCodes;
        if (targets.Count == 0)
        {
            problems.Add(new FieldProblem("directive.target_region_codes", ErrorReasons.RequiredField, "At least one target region is required."));
        }
        else if (targets.Count > MaxTargets)
        {
            problems.Add(new FieldProblem("directive.target_region_codes", ErrorReasons.TooManyItems, $"At most {MaxTargets} target regions."));
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < targets.Count; i++)
            {
                var field = string.Create(CultureInfo.InvariantCulture, $"directive.target_region_codes[{i}]");
                var check = RegionCode.Validate(targets[i]);
                if (!check.IsValid)
                {
                    problems.Add(new FieldProblem(field, check.Reason!, check.Message!));
                }
                else if (!seen.Add(targets[i]))
                {
                    problems.Add(new FieldProblem(field, ErrorReasons.InconsistentFields, $"Target region {targets[i]} is listed twice."));
                }
            }
        }

        var level = directive.RecipientLevel;
        if (!System.Enum.IsDefined(level))
        {
            problems.Add(new FieldProblem("directive.recipient_level", ErrorReasons.InvalidFormat, $"{(int)level} is not a RegionLevel."));
        }
        else if (level is RegionLevel.Central or RegionLevel.Province or RegionLevel.Grid)
        {
            // A recipient is a 12-digit region strictly below some issuer: a city at the highest,
            // a village at the lowest (a grid has a 15-digit code and no receipts of its own).
            problems.Add(new FieldProblem("directive.recipient_level", ErrorReasons.InvalidCode,
                "recipient_level is CITY, COUNTY, TOWNSHIP or VILLAGE (or unset: the targets themselves)."));
        }
        else if (level != RegionLevel.Unspecified && problems.Count == 0)
        {
            for (var i = 0; i < targets.Count; i++)
            {
                if ((int)RegionCode.Parse(targets[i]).Level > (int)level)
                {
                    problems.Add(new FieldProblem(string.Create(CultureInfo.InvariantCulture, $"directive.target_region_codes[{i}]"), ErrorReasons.InconsistentFields,
                        $"Target region {targets[i]} lies below recipient_level {level}: no region of that level lies inside it."));
                    break;
                }
            }
        }

        var sign = Instant(problems, "directive.sign_for_deadline", directive.SignForDeadline);
        var complete = Instant(problems, "directive.completion_deadline", directive.CompletionDeadline);
        if (sign is { } s && complete is { } c && c < s)
        {
            problems.Add(new FieldProblem("directive.completion_deadline", ErrorReasons.InconsistentFields,
                "completion_deadline must not be before sign_for_deadline."));
        }

        return problems;
    }

    /// <summary>
    /// Why <paramref name="issuerRegion"/> may not send a directive to <paramref name="target"/>
    /// (PERMISSION_DENIED, DIRECTIVE_NOT_DOWNWARD), or null: a directive goes only to regions
    /// strictly below the issuer and inside its jurisdiction — never upwards (a county to its
    /// city), sideways (a county to another county, or to a township of another county) or to
    /// the issuer itself.
    /// </summary>
    public static string? NotDownward(string issuerRegion, string target)
    {
        if (!RegionCode.TryParse(issuerRegion, out var issuer))
        {
            return $"The caller's jurisdiction '{issuerRegion}' is not a region code: it cannot issue directives.";
        }

        if (!RegionCode.TryParse(target, out var code))
        {
            return $"Target '{target}' is not a region code.";
        }

        if (issuer.IsAncestorOf(code))
        {
            return null;
        }

        if (code.Value == issuer.Value)
        {
            return $"Target {target} is the issuer's own region: a directive goes to regions strictly below the issuer.";
        }

        return code.Level <= issuer.Level && code.IsAncestorOf(issuer)
            ? $"Target {target} lies above the issuer {issuerRegion}: a lower level cannot issue upwards."
            : $"Target {target} lies outside the issuer's jurisdiction {issuerRegion}: a directive cannot be sent sideways.";
    }

    /// <summary>
    /// Whether the region <paramref name="region"/> is a recipient of the target
    /// <paramref name="target"/> at <paramref name="level"/> (unset: the target itself).
    /// </summary>
    public static bool IsRecipient(string target, RegionLevel level, string region)
    {
        if (level == RegionLevel.Unspecified)
        {
            return region == target;
        }

        return RegionCode.TryParse(target, out var t) && RegionCode.TryParse(region, out var r)
            && (int)r.Level == (int)level && (t.Value == r.Value || t.IsAncestorOf(r));
    }

    /// <summary>The hub's directive number: <c>ZL</c> + 12-digit issuer code + 8-digit (Beijing) date + 4-digit serial.</summary>
    public static string Number(string issuerRegion, DateOnly chinaDate, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"ZL{issuerRegion}{chinaDate:yyyyMMdd}{serial:D4}");

    /// <summary>Validates a directive id named in a request: required, at most 64 characters from <c>[A-Za-z0-9._:-]</c>.</summary>
    public static CodeCheck ValidateId(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "directive_id is required.");
        }

        if (id.Length > MaxIdLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, $"A directive id is at most {MaxIdLength} characters.");
        }

        return id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidFormat, "A directive id has only the characters A-Z, a-z, 0-9, '.', '_', ':' and '-'.");
    }

    /// <summary>Every field rule an AcknowledgeDirective request breaks (request_id and directive_id aside).</summary>
    public static IReadOnlyList<FieldProblem> ValidateAcknowledge(AcknowledgeDirectiveRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<FieldProblem>();
        Region(problems, "recipient_region_code", request.RecipientRegionCode);
        if (request.Action == DirectiveAction.Unspecified)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.RequiredField, "action is required: SIGN_FOR, START or SUBMIT_FEEDBACK."));
        }
        else if (!DirectiveTransitions.IsRecipientAction(request.Action))
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidFormat,
                $"A recipient acts with SIGN_FOR, START or SUBMIT_FEEDBACK, not {DirectiveTransitions.Name(request.Action)}."));
        }

        if (request.Action == DirectiveAction.SignFor)
        {
            Text(problems, "actor_name", request.ActorName, MaxActorNameLength, singleLine: true);
        }
        else if (request.ActorName.Length > 0)
        {
            Text(problems, "actor_name", request.ActorName, MaxActorNameLength, singleLine: true);
        }

        if (request.Action == DirectiveAction.SubmitFeedback)
        {
            Text(problems, "feedback", request.Feedback, MaxFeedbackLength, singleLine: false);
        }
        else if (request.Feedback.Length > 0)
        {
            problems.Add(new FieldProblem("feedback", ErrorReasons.InconsistentFields, "feedback is given only with SUBMIT_FEEDBACK."));
        }

        Version(problems, "expected_version", request.ExpectedVersion);
        return problems;
    }

    /// <summary>Every field rule a ReviewDirectiveFeedback request breaks (request_id and directive_id aside).</summary>
    public static IReadOnlyList<FieldProblem> ValidateReview(ReviewDirectiveFeedbackRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<FieldProblem>();
        Region(problems, "recipient_region_code", request.RecipientRegionCode);
        if (request.Action == DirectiveAction.Unspecified)
        {
            problems.Add(new FieldProblem("action", ErrorReasons.RequiredField, "action is required: ACCEPT_FEEDBACK or REJECT_FEEDBACK."));
        }
        else if (!DirectiveTransitions.IsReviewAction(request.Action))
        {
            problems.Add(new FieldProblem("action", ErrorReasons.InvalidFormat,
                $"The issuer reviews with ACCEPT_FEEDBACK or REJECT_FEEDBACK, not {DirectiveTransitions.Name(request.Action)}."));
        }

        if (request.Action == DirectiveAction.RejectFeedback || request.Comment.Length > 0)
        {
            Text(problems, "comment", request.Comment, MaxCommentLength, singleLine: false);
        }

        Version(problems, "expected_version", request.ExpectedVersion);
        return problems;
    }

    /// <summary>Every field rule a WithdrawDirective request breaks (request_id and directive_id aside).</summary>
    public static IReadOnlyList<FieldProblem> ValidateWithdraw(WithdrawDirectiveRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<FieldProblem>();
        Text(problems, "reason", request.Reason, MaxCommentLength, singleLine: false);
        return problems;
    }

    /// <summary>
    /// The receipt after <paramref name="action"/> at <paramref name="now"/>: state moved, version
    /// raised by one, the action's fields stamped. The move must be legal
    /// (<see cref="DirectiveTransitions.Refusal"/> null); overdue flags are not stored.
    /// </summary>
    /// <exception cref="InvalidOperationException">The move is not legal.</exception>
    public static DirectiveReceipt Apply(DirectiveReceipt current, DirectiveAction action, string actorName, string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!DirectiveTransitions.TryApply(current.State, action, out var to))
        {
            throw new InvalidOperationException(DirectiveTransitions.Refusal(current.State, action));
        }

        var next = current.Clone();
        var at = Timestamp.FromDateTimeOffset(now);
        next.State = to;
        next.SignForOverdue = false;
        next.CompletionOverdue = false;
        next.Meta.Version = current.Meta.Version + 1;
        next.Meta.UpdatedAt = at;
        switch (action)
        {
            case DirectiveAction.SignFor:
                next.SignedForAt = at;
                next.SignedForBy = actorName;
                break;
            case DirectiveAction.SubmitFeedback:
                next.Feedback = text;
                next.FeedbackAt = at;
                break;
            case DirectiveAction.AcceptFeedback:
                next.CompletedAt = at;
                break;
            case DirectiveAction.RejectFeedback:
                next.ReviewComment = text;
                break;
        }

        return next;
    }

    /// <summary>A receipt withdrawn with its directive at <paramref name="now"/> (its state must allow it).</summary>
    public static DirectiveReceipt Withdraw(DirectiveReceipt current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!DirectiveTransitions.CanWithdraw(current.State))
        {
            throw new InvalidOperationException($"A receipt in {DirectiveTransitions.Name(current.State)} is not withdrawn.");
        }

        var next = current.Clone();
        next.State = DirectiveState.Withdrawn;
        next.SignForOverdue = false;
        next.CompletionOverdue = false;
        next.Meta.Version = current.Meta.Version + 1;
        next.Meta.UpdatedAt = Timestamp.FromDateTimeOffset(now);
        return next;
    }

    private static void Text(List<FieldProblem> problems, string field, string value, int max, bool singleLine)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(new FieldProblem(field, ErrorReasons.RequiredField, $"{field} is required."));
        }
        else if (value.EnumerateRunes().Count() > max)
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidLength, $"{field} is at most {max} characters."));
        }
        else if (value.Any(c => char.IsControl(c) && (singleLine || c is not ('\n' or '\r' or '\t'))) || HasLoneSurrogate(value))
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidFormat,
                singleLine ? $"{field} must be single-line text without control characters." : $"{field} must be text without control characters other than line breaks and tabs."));
        }
    }

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static void Region(List<FieldProblem> problems, string field, string value)
    {
        var check = RegionCode.Validate(value);
        if (!check.IsValid)
        {
            problems.Add(new FieldProblem(field, check.Reason!, check.Message!));
        }
    }

    private static void Version(List<FieldProblem> problems, string field, long value)
    {
        if (value < 0)
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidFormat, $"{field} is 0 (no check) or a receipt version."));
        }
    }

    private static DateTimeOffset? Instant(List<FieldProblem> problems, string field, Timestamp? value)
    {
        if (value is null)
        {
            problems.Add(new FieldProblem(field, ErrorReasons.RequiredField, $"{field} is required."));
            return null;
        }

        // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp allows.
        if (value.Seconds is < -62_135_596_800 or > 253_402_300_799 || value.Nanos is < 0 or > 999_999_999)
        {
            problems.Add(new FieldProblem(field, ErrorReasons.InvalidDate, $"{field} is not a valid timestamp."));
            return null;
        }

        return value.ToDateTimeOffset();
    }
}
