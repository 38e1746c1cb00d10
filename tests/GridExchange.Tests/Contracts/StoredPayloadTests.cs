using Google.Protobuf;
using GridExchange.V1;

namespace GridExchange.Tests.Contracts;

public class StoredPayloadTests
{
    private static Change Envelope() => new()
    {
        Sequence = 42,
        Cursor = "cursor",
        EntityType = EntityType.Person,
        EntityKey = "P1",
        RegionCode = "370602001001",
        Operation = ChangeOperation.Upsert,
        EntityVersion = 3,
        SourceSystem = "county-370602",
        SourceChangeId = "c-1",
    };

    [Fact]
    public void StoredBytes_SerialiseExactlyAsTheTypedPayload_AndParseIntoIt()
    {
        var person = new Person { CitizenId = "370602198001010011", Name = "张三", Contact = "13800000000", GridCode = "370602001001" };
        var typed = Envelope();
        typed.Person = person;
        var stored = Envelope();
        stored.SetStoredPayload(EntityType.Person, person.ToByteArray());

        Assert.Equal(typed.CalculateSize(), stored.CalculateSize());
        Assert.Equal(typed.ToByteArray(), stored.ToByteArray());

        var received = Change.Parser.ParseFrom(stored.ToByteArray());
        Assert.Equal(Change.PayloadOneofCase.Person, received.PayloadCase);
        Assert.Equal(person, received.Person);
        Assert.Equal(typed, received);
    }

    [Fact]
    public void EveryEntityType_UsesItsOwnPayloadField()
    {
        var house = new House { HouseNumber = "H1", Address = "芝罘区 1 号" };
        var change = Envelope();
        change.EntityType = EntityType.House;
        change.SetStoredPayload(EntityType.House, house.ToByteArray());
        var received = Change.Parser.ParseFrom(change.ToByteArray());
        Assert.Equal(Change.PayloadOneofCase.House, received.PayloadCase);
        Assert.Equal(house, received.House);

        foreach (var type in Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified))
        {
            var one = Envelope();
            one.SetStoredPayload(type, []);
            var back = Change.Parser.ParseFrom(one.ToByteArray());
            Assert.Equal(Change.Descriptor.FindFieldByNumber(Change.PayloadFieldNumber(type)).Name,
                Change.Descriptor.FindFieldByNumber((int)back.PayloadCase).Name);
        }
    }

    [Fact]
    public void ASecondPayload_IsRefused()
    {
        var change = Envelope();
        change.SetStoredPayload(EntityType.Person, new Person { Name = "张三" }.ToByteArray());
        Assert.Throws<InvalidOperationException>(() => change.SetStoredPayload(EntityType.Person, []));
        var typed = Envelope();
        typed.Person = new Person();
        Assert.Throws<InvalidOperationException>(() => typed.SetStoredPayload(EntityType.Person, []));
    }
}
