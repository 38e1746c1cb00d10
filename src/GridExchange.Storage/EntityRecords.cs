using Google.Protobuf;
using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>Maps change envelopes to stored current-state rows and back to entity messages.</summary>
public static class EntityRecords
{
    /// <summary>
    /// The current-state row an UPSERT change leaves behind. The payload stored is the entity
    /// message alone, not the envelope: envelopes belong to the change log.
    /// </summary>
    public static EntityRecord FromChange(Change change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Operation != ChangeOperation.Upsert)
        {
            throw new ArgumentException(
                $"Change {change.SourceChangeId} is {change.Operation}; only UPSERT changes describe current state.", nameof(change));
        }

        var payload = PayloadOf(change)
            ?? throw new ArgumentException($"Change {change.SourceChangeId} carries no payload.", nameof(change));
        var parent = change.PayloadCase == Change.PayloadOneofCase.Region ? change.Region.ParentCode : "";
        var meta = MetaOf(change);
        return new EntityRecord(
            change.EntityType,
            change.EntityKey,
            change.RegionCode,
            parent,
            change.EntityVersion,
            change.SourceSystem,
            meta?.UpdatedAt?.ToDateTimeOffset() ?? change.CommittedAt?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch,
            payload.ToByteArray());
    }

    /// <summary>The entity message inside a change, or null when the oneof is empty.</summary>
    public static IMessage? PayloadOf(Change change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.PayloadCase switch
        {
            Change.PayloadOneofCase.Region => change.Region,
            Change.PayloadOneofCase.Grid => change.Grid,
            Change.PayloadOneofCase.GridWorker => change.GridWorker,
            Change.PayloadOneofCase.Person => change.Person,
            Change.PayloadOneofCase.Household => change.Household,
            Change.PayloadOneofCase.House => change.House,
            Change.PayloadOneofCase.CaseRecord => change.CaseRecord,
            Change.PayloadOneofCase.ServiceRequest => change.ServiceRequest,
            Change.PayloadOneofCase.Directive => change.Directive,
            Change.PayloadOneofCase.DirectiveReceipt => change.DirectiveReceipt,
            _ => null,
        };
    }

    /// <summary>Parses a stored payload as the entity message <typeparamref name="T"/>.</summary>
    public static T Parse<T>(EntityRecord record, MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(parser);
        return parser.ParseFrom(record.Payload.Span);
    }

    /// <summary>When the source last changed the record (<c>meta.updated_at</c>), if the payload says.</summary>
    public static DateTimeOffset? UpdatedAtOf(Change change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return MetaOf(change)?.UpdatedAt?.ToDateTimeOffset();
    }

    private static EntityMeta? MetaOf(Change change) => change.PayloadCase switch
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
        _ => null,
    };
}
