using GridExchange.Hub.Startup;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Two hub processes on one PostgreSQL database: a commit through one wakes the other's
/// subscriptions through LISTEN/NOTIFY, not only through its once-a-second re-read.
/// </summary>
public sealed class ReplicaWakeupTests
{
    [Fact]
    public async Task ACommitOnOneHub_PulsesTheOtherHubsSignal_AndReachesItsSubscriber()
    {
        var database = await PostgresServer.NewDatabaseAsync("replicas");
        await using var a = await HubInstance.StartAsync(null, database);
        await using var b = await HubInstance.StartAsync(null, database, runHangfire: false);
        await b.Services.GetRequiredService<FeedListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var signalOfB = b.Services.GetRequiredService<IHubStore>().Signal;

        var truth = await SampleTruth.GetAsync();
        var person = truth.Persons.Values.Where(p => p.GridCode.StartsWith("370612", StringComparison.Ordinal))
            .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).First().Clone();
        person.Meta.Version += 1;
        var submitted = await new ExchangeService.ExchangeServiceClient(a.Channel).SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = "county-370612",
            Changes =
            {
                new Change
                {
                    EntityType = EntityType.Person, EntityKey = person.Meta.Id, Operation = ChangeOperation.Upsert,
                    EntityVersion = person.Meta.Version, SourceChangeId = $"replica-{Guid.NewGuid():N}", Person = person,
                },
            },
        }, deadline: Calls.Deadline());
        var sequence = submitted.Results[0].Sequence;
        Assert.True(sequence > 0, submitted.ToString());

        // Hub B committed nothing itself: only a NOTIFY from hub A's commit can raise its signal.
        Assert.True(await signalOfB.WaitAsync(sequence - 1, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(sequence, signalOfB.LastSequence);
        Assert.Empty(a.ErrorLog.Errors);
        Assert.Empty(b.ErrorLog.Errors);
    }
}
