using GridExchange.V1;

namespace GridExchange.PeerSimulator.Source;

/// <summary>Puts a stored entity message (protobuf bytes) into the payload case its type names.</summary>
internal static class Payloads
{
    public static void Set(Change change, EntityType type, ReadOnlySpan<byte> bytes)
    {
        switch (type)
        {
            case EntityType.Region: change.Region = Region.Parser.ParseFrom(bytes); break;
            case EntityType.Grid: change.Grid = Grid.Parser.ParseFrom(bytes); break;
            case EntityType.GridWorker: change.GridWorker = GridWorker.Parser.ParseFrom(bytes); break;
            case EntityType.Person: change.Person = Person.Parser.ParseFrom(bytes); break;
            case EntityType.Household: change.Household = Household.Parser.ParseFrom(bytes); break;
            case EntityType.House: change.House = House.Parser.ParseFrom(bytes); break;
            case EntityType.Case: change.CaseRecord = Case.Parser.ParseFrom(bytes); break;
            case EntityType.ServiceRequest: change.ServiceRequest = ServiceRequest.Parser.ParseFrom(bytes); break;
            case EntityType.Directive: change.Directive = Directive.Parser.ParseFrom(bytes); break;
            case EntityType.DirectiveReceipt: change.DirectiveReceipt = DirectiveReceipt.Parser.ParseFrom(bytes); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not an entity type with a payload.");
        }
    }
}
