using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>The projection of logged changes onto the wire, without a hub.</summary>
public class FeedChangesTests
{
    private const string Epoch = "0123456789abcdef0123456789abcdef";

    public static TheoryData<string, int> Extremes() => new()
    {
        { "P", 0 },
        { "人", 1 },
        { new string('人', 64), 70_000 },
        { new string('x', 200), 3 },
        { string.Concat(Enumerable.Repeat("\U00020000", 32)), 900 }, // surrogate pairs: 4 UTF-8 bytes per 2 UTF-16 units
    };

    [Theory]
    [MemberData(nameof(Extremes))]
    public void SizeBound_IsNeverBelowTheSerialisedSize(string text, int payloadLength)
    {
        var payload = new byte[payloadLength];
        Random.Shared.NextBytes(payload);
        var logged = new LoggedChange(
            long.MaxValue, EntityType.DirectiveReceipt, text, text, text, ChangeOperation.Upsert, long.MaxValue,
            text, text, true, DateTimeOffset.MaxValue.AddTicks(-9), payload);
        var change = FeedChanges.Project(logged, FeedScope.All, Epoch)!;
        var onTheWire = CodedOutputStream.ComputeMessageSize(change) + CodedOutputStream.ComputeTagSize(PullChangesResponse.ChangesFieldNumber);

        Assert.True(FeedChanges.SizeBound(logged) >= onTheWire, $"bound {FeedChanges.SizeBound(logged)} < {onTheWire} on the wire");
    }

    [Fact]
    public void StoredPayload_ReachesTheClientAsTheTypedRecord()
    {
        var person = new Person { CitizenId = "370602198001010011", Name = "张三", Contact = "13800000000", GridCode = "370602001001" };
        var logged = new LoggedChange(
            7, EntityType.Person, "370602198001010011", "370602001001", null, ChangeOperation.Upsert, 2,
            "county-370602", "c-7", false, DateTimeOffset.UnixEpoch, person.ToByteArray());
        var response = new PullChangesResponse { Changes = { FeedChanges.Project(logged, FeedScope.All, Epoch)! } };

        var received = PullChangesResponse.Parser.ParseFrom(response.ToByteArray()).Changes.Single();
        Assert.Equal(person, received.Person);
        Assert.Equal(new FeedCursor(Epoch, 7).Encode(), received.Cursor);
        Assert.Equal("370602001001", received.RegionCode);
    }
}
