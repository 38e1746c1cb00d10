using Google.Protobuf;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Time;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>
/// Validates one change submitted through <c>ExchangeService.SubmitChanges</c> (or pulled from a
/// peer's <c>PeerService.ExportChanges</c>, which takes the same path) and prepares the copy to
/// store. Pure: no I/O, no store look-ups (ownership, versions and duplicates are the store's
/// business), and the input is never changed.
/// </summary>
/// <remarks>
/// <para>
/// Every invalid field is reported, not only the first, except after an envelope-level fatal
/// problem (entity type unsupported, payload case wrong or missing, payload on a DELETE), when
/// the payload is not examined. Checks run in this order, which decides
/// <see cref="ChangeCheck.Reason"/>: strings that are not valid Unicode (unpaired UTF-16
/// surrogates, in any field), the envelope (entity_type, operation, entity_key, entity_version,
/// source_change_id, take_over, payload case), the payload's meta, the record's location and
/// jurisdiction, then the payload's other fields, broadly in proto field order.
/// </para>
/// <para>
/// Values are never trimmed or case-folded: a code with surrounding whitespace is rejected, not
/// repaired. Descriptions name the field path and the rule, never the value, so they carry no
/// personal data. Numbers outside their range (negative counts, non-finite areas, coordinates
/// off the globe, ratings above 5) are reported as INVALID_FORMAT, as errors.proto has no
/// range reason.
/// </para>
/// <para>
/// Jurisdiction: the record's location (a Region's own code; otherwise its 15-digit grid code)
/// must lie in the source's subtree, the jurisdiction's own code included, so a county source
/// may upsert its own county's Region record and everything below it. A Region's
/// <c>parent_code</c> is not a location: it must be the code's parent, which lies outside a
/// county's subtree for the county record itself. Codes that name other places (a person's
/// registered or residence county, a case party's details) are not jurisdiction-checked.
/// </para>
/// </remarks>
public static class ChangeValidator
{
    /// <summary>Maximum length of <c>entity_key</c> and <c>source_change_id</c>.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>
    /// How far an instant that must not be in the future (e.g. <c>Case.occurred_at</c>) may lie
    /// ahead of the hub's clock, to tolerate clock skew between county systems and the hub.
    /// Dates (<c>YYYYMMDD</c>) are compared with today in China, without tolerance.
    /// </summary>
    public static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromMinutes(5);

    private static readonly MessageParser<Change> DiscardingParser = Change.Parser.WithDiscardUnknownFields(true);

    /// <summary>Validates a submitted change against the system clock.</summary>
    /// <param name="change">The change as submitted; not modified.</param>
    /// <param name="source">The submitter and its jurisdiction.</param>
    /// <returns>The outcome, with every problem found and the normalized copy to store.</returns>
    /// <exception cref="ArgumentNullException">An argument or <see cref="SourceJurisdiction.SourceSystem"/> is null.</exception>
    public static ChangeCheck Validate(Change change, SourceJurisdiction source) =>
        Validate(change, source, TimeProvider.System);

    /// <summary>Validates a submitted change; "today" and "now" come from <paramref name="timeProvider"/> (China Standard Time).</summary>
    /// <param name="change">The change as submitted; not modified.</param>
    /// <param name="source">The submitter and its jurisdiction.</param>
    /// <param name="timeProvider">The clock bounding birth dates and other "not in the future" values.</param>
    /// <returns>The outcome, with every problem found and the normalized copy to store.</returns>
    /// <exception cref="ArgumentNullException">An argument or <see cref="SourceJurisdiction.SourceSystem"/> is null.</exception>
    public static ChangeCheck Validate(Change change, SourceJurisdiction source, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(source.SourceSystem, nameof(source));
        ArgumentNullException.ThrowIfNull(timeProvider);

        var context = new IngestContext(source, ChinaTime.Now(timeProvider));
        TextScan.ReportUnpairedSurrogates(change, context);
        var normalized = Copy(change, roundTrip: context.Count == 0);

        var location = Check(normalized, context, out var parentKey);

        var valid = context.Count == 0;
        var regionCode = valid && normalized.Operation == ChangeOperation.Upsert ? location : null;
        Normalize(normalized, source, regionCode);
        return new ChangeCheck(context.Problems, regionCode, valid ? parentKey : string.Empty, normalized);
    }

    /// <summary>The proto field name of a payload case, e.g. <c>case_record</c>.</summary>
    public static string PayloadFieldName(Change.PayloadOneofCase payload) => payload switch
    {
        Change.PayloadOneofCase.Region => "region",
        Change.PayloadOneofCase.Grid => "grid",
        Change.PayloadOneofCase.GridWorker => "grid_worker",
        Change.PayloadOneofCase.Person => "person",
        Change.PayloadOneofCase.Household => "household",
        Change.PayloadOneofCase.House => "house",
        Change.PayloadOneofCase.CaseRecord => "case_record",
        Change.PayloadOneofCase.ServiceRequest => "service_request",
        Change.PayloadOneofCase.Directive => "directive",
        Change.PayloadOneofCase.DirectiveReceipt => "directive_receipt",
        _ => "payload",
    };

    /// <summary>The payload case an entity type must carry; <see cref="Change.PayloadOneofCase.None"/> for types SubmitChanges does not accept.</summary>
    public static Change.PayloadOneofCase SubmittablePayload(EntityType type) => type switch
    {
        EntityType.Region => Change.PayloadOneofCase.Region,
        EntityType.Grid => Change.PayloadOneofCase.Grid,
        EntityType.GridWorker => Change.PayloadOneofCase.GridWorker,
        EntityType.Person => Change.PayloadOneofCase.Person,
        EntityType.Household => Change.PayloadOneofCase.Household,
        EntityType.House => Change.PayloadOneofCase.House,
        EntityType.Case => Change.PayloadOneofCase.CaseRecord,
        EntityType.ServiceRequest => Change.PayloadOneofCase.ServiceRequest,
        _ => Change.PayloadOneofCase.None,
    };

    // A deep copy without the fields this contract version does not know (a newer v1 client may
    // send some; receivers skip them, and stored they would bypass validation and masking). The
    // round trip through bytes would replace unpaired surrogates, so it is only taken when the
    // text scan found none (otherwise the change is invalid anyway and a plain clone will do).
    private static Change Copy(Change change, bool roundTrip)
    {
        if (roundTrip)
        {
            try
            {
                return DiscardingParser.ParseFrom(change.ToByteString());
            }
            catch (InvalidProtocolBufferException)
            {
                // Fall through: a plain clone keeps validation going.
            }
        }

        return change.Clone();
    }

    private static string? Check(Change change, IngestContext context, out string parentKey)
    {
        parentKey = string.Empty;
        var typeSupported = CheckEntityType(change.EntityType, context);
        CheckOperation(change.Operation, context);
        CheckKey(change.EntityType, change.EntityKey, context);
        CheckVersion(change.EntityVersion, context);
        context.Text("source_change_id", change.SourceChangeId, MaxKeyLength, required: true);
        if (change.TakeOver && change.Operation == ChangeOperation.Delete)
        {
            context.Add("take_over", ErrorReasons.InconsistentFields, "take_over is allowed only with an UPSERT, which carries the record that moved into your jurisdiction.");
        }

        if (change.Operation == ChangeOperation.Delete)
        {
            if (change.PayloadCase != Change.PayloadOneofCase.None)
            {
                context.Add(PayloadFieldName(change.PayloadCase), ErrorReasons.InconsistentFields, "A DELETE is a tombstone: it carries the key only and must not carry a payload.");
            }
            else if (typeSupported)
            {
                CheckDeletedCodeKey(change, context);
            }

            return null;
        }

        if (!typeSupported)
        {
            return null;
        }

        var expected = SubmittablePayload(change.EntityType);
        if (change.PayloadCase == Change.PayloadOneofCase.None)
        {
            if (change.Operation == ChangeOperation.Upsert)
            {
                context.Add(PayloadFieldName(expected), ErrorReasons.PayloadMismatch, $"An UPSERT must carry the whole record in the payload field {PayloadFieldName(expected)}.");
            }

            return null;
        }

        if (change.PayloadCase != expected)
        {
            context.Add(PayloadFieldName(change.PayloadCase), ErrorReasons.PayloadMismatch, $"The payload is {PayloadFieldName(change.PayloadCase)} but entity_type {change.EntityType} needs the payload field {PayloadFieldName(expected)}.");
            return null;
        }

        CheckMeta(change, context);
        return change.PayloadCase switch
        {
            Change.PayloadOneofCase.Region => RegistryRules.CheckRegion(change, context, out parentKey),
            Change.PayloadOneofCase.Grid => RegistryRules.CheckGrid(change, context),
            Change.PayloadOneofCase.GridWorker => RegistryRules.CheckGridWorker(change, context),
            Change.PayloadOneofCase.Person => PersonRules.Check(change, context),
            Change.PayloadOneofCase.Household => HousingRules.CheckHousehold(change, context),
            Change.PayloadOneofCase.House => HousingRules.CheckHouse(change, context),
            Change.PayloadOneofCase.CaseRecord => CaseRules.Check(change, context),
            Change.PayloadOneofCase.ServiceRequest => ServiceRequestRules.Check(change, context),
            _ => null,
        };
    }

    private static bool CheckEntityType(EntityType type, IngestContext context)
    {
        switch (type)
        {
            case EntityType.Unspecified:
                context.Add("entity_type", ErrorReasons.UnsupportedEntityType, "entity_type is required and must name the kind of record the change carries.");
                return false;
            case EntityType.Directive or EntityType.DirectiveReceipt:
                context.Add("entity_type", ErrorReasons.UnsupportedEntityType, "Directives and directive receipts are not submitted through SubmitChanges; use DirectiveService (IssueDirective, AcknowledgeDirective).");
                return false;
            default:
                if (SubmittablePayload(type) == Change.PayloadOneofCase.None)
                {
                    context.Add("entity_type", ErrorReasons.UnsupportedEntityType, "entity_type has a value this hub does not know.");
                    return false;
                }

                return true;
        }
    }

    private static void CheckOperation(ChangeOperation operation, IngestContext context)
    {
        switch (operation)
        {
            case ChangeOperation.Upsert or ChangeOperation.Delete:
                return;
            case ChangeOperation.Unspecified:
                context.Add("operation", ErrorReasons.RequiredField, "operation is required: UPSERT or DELETE.");
                return;
            case ChangeOperation.Enter or ChangeOperation.Leave:
                context.Add("operation", ErrorReasons.InconsistentFields, "ENTER and LEAVE are output only (the hub derives them from moves); sources send UPSERT or DELETE.");
                return;
            default:
                context.Add("operation", ErrorReasons.InvalidCode, "operation has a value this hub does not know; sources send UPSERT or DELETE.");
                return;
        }
    }

    private static void CheckKey(EntityType type, string key, IngestContext context)
    {
        const string Field = "entity_key";
        if (IngestContext.IsBlank(key))
        {
            context.Add(Field, ErrorReasons.RequiredField, "entity_key is required: the key of the record (its code, or the opaque id in meta.id).");
            return;
        }

        if (TextScan.HasUnpairedSurrogate(key))
        {
            return; // reported by the text scan
        }

        foreach (var c in key)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || Whitespace.Chars.Contains(c))
            {
                context.Add(Field, ErrorReasons.InvalidFormat, "entity_key must not contain whitespace or control characters.");
                return;
            }
        }

        if (key.Length > MaxKeyLength)
        {
            context.Add(Field, ErrorReasons.InvalidLength, "entity_key must have at most 64 characters.");
            return;
        }

        switch (type)
        {
            case EntityType.Region when !RegionCode.TryParse(key, out _):
                context.Add(Field, ErrorReasons.InvalidCode, "The entity_key of a REGION must be its 12-digit region code.");
                break;
            case EntityType.Grid when !GridCode.TryParse(key, out _):
                context.Add(Field, ErrorReasons.InvalidCode, "The entity_key of a GRID must be its 15-digit grid code.");
                break;
            case EntityType.GridWorker when !GridWorkerNumber.TryParse(key, out _):
                context.Add(Field, ErrorReasons.InvalidCode, "The entity_key of a GRID_WORKER must be its 17-digit grid-worker number.");
                break;
            case EntityType.Person or EntityType.Household or EntityType.House or EntityType.Case or EntityType.ServiceRequest:
                context.EntityId(Field, key, required: true);
                break;
        }
    }

    private static void CheckVersion(long version, IngestContext context)
    {
        if (version == 0)
        {
            context.Add("entity_version", ErrorReasons.RequiredField, "entity_version is required: the record's version after the change, 1 or more.");
        }
        else if (version < 0)
        {
            context.Add("entity_version", ErrorReasons.InvalidFormat, "entity_version must be 1 or more.");
        }
    }

    // Regions, grids and grid workers are keyed by their code, so even a tombstone shows where the record is.
    private static void CheckDeletedCodeKey(Change change, IngestContext context)
    {
        var isCode = change.EntityType switch
        {
            EntityType.Region => RegionCode.TryParse(change.EntityKey, out _),
            EntityType.Grid => GridCode.TryParse(change.EntityKey, out _),
            EntityType.GridWorker => GridWorkerNumber.TryParse(change.EntityKey, out _),
            _ => false,
        };
        if (isCode)
        {
            context.InJurisdiction("entity_key", change.EntityKey);
        }
    }

    private static void CheckMeta(Change change, IngestContext context)
    {
        var payload = PayloadFieldName(change.PayloadCase);
        var meta = MetaOf(change);
        if (meta is null)
        {
            context.Add(payload + ".meta", ErrorReasons.RequiredField, $"{payload}.meta is required; meta.id must equal entity_key.");
            return;
        }

        if (meta.Id.Length == 0)
        {
            context.Add(payload + ".meta.id", ErrorReasons.RequiredField, $"{payload}.meta.id is required and must equal entity_key.");
        }
        else if (!string.Equals(meta.Id, change.EntityKey, StringComparison.Ordinal))
        {
            context.Add(payload + ".meta.id", ErrorReasons.PayloadMismatch, $"{payload}.meta.id must equal entity_key.");
        }

        if (meta.Version != 0 && meta.Version != change.EntityVersion)
        {
            context.Add(payload + ".meta.version", ErrorReasons.InconsistentFields, $"{payload}.meta.version must be 0 or equal to entity_version.");
        }

        context.Instant(payload + ".meta.updated_at", meta.UpdatedAt, required: false, notFuture: false, out _);
    }

    internal static EntityMeta? MetaOf(Change change) => change.PayloadCase switch
    {
        Change.PayloadOneofCase.Region => change.Region.Meta,
        Change.PayloadOneofCase.Grid => change.Grid.Meta,
        Change.PayloadOneofCase.GridWorker => change.GridWorker.Meta,
        Change.PayloadOneofCase.Person => change.Person.Meta,
        Change.PayloadOneofCase.Household => change.Household.Meta,
        Change.PayloadOneofCase.House => change.House.Meta,
        Change.PayloadOneofCase.CaseRecord => change.CaseRecord.Meta,
        Change.PayloadOneofCase.ServiceRequest => change.ServiceRequest.Meta,
        Change.PayloadOneofCase.Directive => change.Directive.Meta,
        Change.PayloadOneofCase.DirectiveReceipt => change.DirectiveReceipt.Meta,
        _ => null,
    };

    private static void Normalize(Change change, SourceJurisdiction source, string? regionCode)
    {
        change.Sequence = 0;
        change.Cursor = string.Empty;
        change.CommittedAt = null;
        change.RegionCode = regionCode ?? string.Empty;
        change.SourceSystem = source.SourceSystem;
        var meta = MetaOf(change);
        if (meta is not null)
        {
            meta.SourceSystem = source.SourceSystem;
            meta.Version = change.EntityVersion;
            meta.RedactedClasses.Clear();
        }
    }
}
