using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>The outcome of <see cref="ChangeValidator.Validate(Change, SourceJurisdiction)"/> for one submitted change.</summary>
public sealed class ChangeCheck
{
    internal ChangeCheck(IReadOnlyList<FieldProblem> problems, string? regionCode, string parentKey, Change normalized)
    {
        Problems = problems;
        Normalized = normalized;
        if (problems.Count == 0)
        {
            RegionCode = regionCode;
            ParentKey = parentKey;
            return;
        }

        var first = problems[0];
        Reason = first.Reason;
        Message = problems.Count == 1
            ? $"{first.Field}: {first.Description}"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{first.Field}: {first.Description} (and {problems.Count - 1} more problem{(problems.Count == 2 ? "" : "s")}; see the field violations)");
        ParentKey = string.Empty;
    }

    /// <summary>Whether the change may be applied: <see cref="Reason"/> is null.</summary>
    public bool IsValid => Reason is null;

    /// <summary>
    /// The main <see cref="Errors.ErrorReasons"/> constant when invalid: the reason of the first
    /// problem, checked in this order: strings that are not valid Unicode (unpaired surrogates,
    /// anywhere), the envelope, the payload's meta, the record's location and jurisdiction, then
    /// the payload's other fields, broadly in proto field order.
    /// </summary>
    public string? Reason { get; }

    /// <summary>The main reason as the <c>ErrorReason</c> enum; <see cref="ErrorReason.Unspecified"/> when valid.</summary>
    public ErrorReason ReasonCode => ErrorReasonCodes.ToProto(Reason);

    /// <summary>English explanation when invalid (the first problem, and how many more); never contains personal data.</summary>
    public string? Message { get; }

    /// <summary>Every problem found; empty when valid.</summary>
    public IReadOnlyList<FieldProblem> Problems { get; }

    /// <summary>
    /// The finest code the record lies in, which becomes <c>Change.region_code</c>: a Region's own
    /// 12-digit code, otherwise the record's 15-digit grid code. Null for DELETE (the store knows
    /// where the record was) and when invalid.
    /// </summary>
    public string? RegionCode { get; }

    /// <summary>For a valid REGION upsert its <c>parent_code</c> (empty for a province); otherwise empty.</summary>
    public string ParentKey { get; }

    /// <summary>
    /// A copy of the input as it will be stored (built even when invalid, then for diagnostics
    /// only): output-only envelope fields (<c>sequence</c>, <c>cursor</c>, <c>committed_at</c>)
    /// cleared; <c>region_code</c> set to <see cref="RegionCode"/> (empty for DELETE or when
    /// invalid) and <c>source_system</c> to the submitter; the payload's <c>meta.source_system</c>
    /// set to the submitter, <c>meta.version</c> to <c>entity_version</c> and the output-only
    /// <c>meta.redacted_classes</c> cleared; legacy 15-digit citizen IDs upgraded to 18
    /// characters; fields unknown to this hub's contract version dropped, as every protobuf
    /// receiver skips them. The input is never changed.
    /// </summary>
    public Change Normalized { get; }
}
