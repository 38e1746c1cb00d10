using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Feed;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>Turns logged changes into the <see cref="Change"/> envelopes a consumer's scope sees.</summary>
internal static class FeedChanges
{
    /// <summary>
    /// The envelope <paramref name="scope"/> sees for <paramref name="logged"/>, or null when
    /// the change is outside the scope.
    /// </summary>
    public static Change? Project(LoggedChange logged, FeedScope scope, string epoch)
    {
        var operation = scope.Project(logged.Type, logged.Operation, logged.RegionCode, logged.OldRegionCode);
        if (operation is not { } seen)
        {
            return null;
        }

        var change = new Change
        {
            Sequence = logged.Sequence,
            Cursor = new FeedCursor(epoch, logged.Sequence).Encode(),
            EntityType = logged.Type,
            EntityKey = logged.Key,
            RegionCode = seen == ChangeOperation.Leave ? logged.OldRegionCode! : logged.RegionCode,
            Operation = seen,
            EntityVersion = logged.Version,
            SourceSystem = logged.SourceSystem,
            SourceChangeId = logged.SourceChangeId,
            CommittedAt = Timestamp.FromDateTimeOffset(logged.CommittedAt),
            TakeOver = logged.TakeOver,
        };
        if (seen is ChangeOperation.Upsert or ChangeOperation.Enter && logged.Payload is { } payload)
        {
            SetPayload(change, logged.Type, payload);
        }

        return change;
    }

    /// <summary>Sets the payload oneof of <paramref name="change"/> from stored entity bytes.</summary>
    public static void SetPayload(Change change, EntityType type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case EntityType.Region: change.Region = Region.Parser.ParseFrom(payload); break;
            case EntityType.Grid: change.Grid = Grid.Parser.ParseFrom(payload); break;
            case EntityType.GridWorker: change.GridWorker = GridWorker.Parser.ParseFrom(payload); break;
            case EntityType.Person: change.Person = Person.Parser.ParseFrom(payload); break;
            case EntityType.Household: change.Household = Household.Parser.ParseFrom(payload); break;
            case EntityType.House: change.House = House.Parser.ParseFrom(payload); break;
            case EntityType.Case: change.CaseRecord = Case.Parser.ParseFrom(payload); break;
            case EntityType.ServiceRequest: change.ServiceRequest = ServiceRequest.Parser.ParseFrom(payload); break;
            case EntityType.Directive: change.Directive = Directive.Parser.ParseFrom(payload); break;
            case EntityType.DirectiveReceipt: change.DirectiveReceipt = DirectiveReceipt.Parser.ParseFrom(payload); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not an entity type.");
        }
    }
}
