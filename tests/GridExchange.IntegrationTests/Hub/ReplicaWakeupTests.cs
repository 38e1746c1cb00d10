using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Hub.Startup;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

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

    [Fact]
    public async Task WithTheListenerUp_AnIdleSubscriberDoesNotReReadTheLog_AndWhenItDropsTheSignalSaysSo()
    {
        var database = await PostgresServer.NewDatabaseAsync("idle");
        await using var hub = await HubInstance.StartAsync(null, database, runHangfire: false);
        await hub.Services.GetRequiredService<FeedListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var store = hub.Services.GetRequiredService<IHubStore>();
        Assert.True(store.Signal.Complete);

        var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
        var head = await FeedCalls.HeadCursorAsync(client);
        using var call = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = head,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
        }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(head, call.ResponseStream.Current.Heartbeat.Cursor);

        // A change committed without NOTIFY (as no hub commits): with every commit announced,
        // the subscriber does not look at the log again until its heartbeat is due (5 s after
        // the last one); a subscriber polling every second would have sent it within about one.
        await Task.Delay(300);
        var sequence = FeedCalls.SequenceOf(head) + 1;
        var person = (await SampleTruth.GetAsync()).Persons.Values.First(p => p.GridCode.StartsWith("370612", StringComparison.Ordinal));
        await ((SqlHubStore)store).ExecuteSqlAsync($"""
            INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                    operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            VALUES ({sequence}, 4, '{person.Meta.Id}', '{person.GridCode}', NULL, '370612', NULL, 1, {person.Meta.Version + 1},
                    'county-370612', 'unannounced', false, now(), '\x{Convert.ToHexString(person.ToByteArray())}'::bytea);
            UPDATE feed_head SET last_seq = {sequence}, last_committed_at = now() WHERE id = 1;
            """, CancellationToken.None);
        var committed = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var delay = System.Diagnostics.Stopwatch.GetElapsedTime(committed);
        Assert.Equal(sequence, call.ResponseStream.Current.Change?.Sequence);
        Assert.True(delay > TimeSpan.FromSeconds(3), $"the unannounced change arrived {delay.TotalMilliseconds:N0} ms after its commit: the subscriber re-read the log");

        // The LISTEN connection is killed: the signal is incomplete (subscribers poll) until
        // the listener's retry has it back.
        var states = new List<bool>();
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested && !(states.Contains(false) && store.Signal.Complete))
            {
                var now = store.Signal.Complete;
                if (states.Count == 0 || states[^1] != now)
                {
                    states.Add(now);
                }

                await Task.Delay(2);
            }

            states.Add(store.Signal.Complete);
        });
        await Task.Delay(50);
        await using (var admin = new NpgsqlConnection(database))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'", admin);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }

        await watcher;
        Assert.Equal([true, false, true], states);
    }
}
