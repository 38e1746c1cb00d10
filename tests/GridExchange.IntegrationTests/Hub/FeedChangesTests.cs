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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ResponsesWrittenFromTheLog_AreByteForByteWhatTheGeneratedSerialiserWrites(int seed)
    {
        // Random pages through a county scope, so LEAVE and ENTER occur besides UPSERT and
        // DELETE, with every entity type, non-ASCII and surrogate-pair text, empty and absent
        // payloads, times on and off whole seconds, at and after the Unix epoch.
        var random = new Random(seed);
        var scope = FeedScope.Create(["370602000000"], []);
        string[] texts = ["", "p", "张三", "\U00020000\U00020001", new string('x', 300), "county-370602"];
        string[] regions = ["370602001001", "370611002003", "370602"];
        for (var round = 0; round < 25; round++)
        {
            var logged = new List<LoggedChange>();
            for (var i = 0; i < random.Next(0, 40); i++)
            {
                var type = (EntityType)random.Next(1, 11);
                var delete = random.Next(5) == 0;
                var payload = delete ? null : new byte[random.Next(4) == 0 ? 0 : random.Next(1, 3000)];
                random.NextBytes(payload ?? []);
                var committed = random.Next(4) switch
                {
                    0 => DateTimeOffset.UnixEpoch,
                    1 => DateTimeOffset.FromUnixTimeSeconds(random.Next()),
                    _ => DateTimeOffset.UnixEpoch.AddTicks(random.NextInt64(0, 3_000_000_000_000_000) / 10 * 10),
                };
                logged.Add(new LoggedChange(
                    random.NextInt64(1, long.MaxValue), type, texts[random.Next(1, texts.Length)], regions[random.Next(regions.Length)],
                    random.Next(3) == 0 ? regions[random.Next(regions.Length)] : null, delete ? ChangeOperation.Delete : ChangeOperation.Upsert,
                    random.Next(3) == 0 ? long.MaxValue : random.Next(0, 1000), texts[random.Next(texts.Length)], texts[random.Next(1, texts.Length)],
                    random.Next(2) == 0, committed, payload));
            }

            var caughtUp = random.Next(2) == 0;
            var nextCursor = random.Next(5) == 0 ? "" : new FeedCursor(Epoch, random.Next(), random.Next()).Encode();
            var typed = new PullChangesResponse { CaughtUp = caughtUp, NextCursor = nextCursor };
            var direct = new PullChangesResponse { CaughtUp = caughtUp, NextCursor = nextCursor };
            var projected = new List<ProjectedChange>();
            foreach (var change in logged)
            {
                var expected = FeedChanges.Project(change, scope, Epoch);
                var written = ProjectedChange.Of(change, scope, Epoch);
                Assert.Equal(expected is null, written is null);
                if (expected is not null)
                {
                    Assert.Equal(expected.CalculateSize(), written!.Value.Size);
                    typed.Changes.Add(expected);
                    projected.Add(written.Value);
                }
            }

            PullResponses.Attach(direct, projected);
            Assert.Equal(typed.ToByteArray(), PullResponses.Encode(direct));
        }
    }

    [Fact]
    public void AResponseWithoutChangesFromTheLog_IsSerialisedAsGenerated()
    {
        var response = new PullChangesResponse { NextCursor = new FeedCursor(Epoch, 9).Encode(), CaughtUp = true };
        response.Changes.Add(new Change { Sequence = 9, EntityType = EntityType.Person, EntityKey = "p-9" });
        Assert.Equal(response.ToByteArray(), PullResponses.Encode(response));
        Assert.Throws<InvalidOperationException>(() => PullResponses.Attach(response, []));
    }
}
