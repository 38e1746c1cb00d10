using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Edge cases of the change feed over a real socket, on each store: snapshot resume tokens and
/// end cursors, trimmed PullChanges pages, wide scopes, concurrent idempotent submits and the
/// subscription wake-up. Tests share one hub per store (sample loaded) and change it, so each
/// works on its own records (its own slice of the sample) and on positions it read itself.
/// Tests that trim the log run on hubs of their own (<see cref="FeedEdgeCaseRetentionTests"/>).
/// </summary>
public abstract partial class FeedEdgeCaseTests(HubFixture fixture) : IAsyncLifetime
{
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";
    private const string Muping = "370612000000";
    private const string ZhifuSource = "county-370602";
    private const string FushanSource = "county-370611";
    private const string MupingSource = "county-370612";

    private SampleTruth _truth = null!;

    private HubInstance Hub => fixture.Hub;

    private ExchangeService.ExchangeServiceClient Client => new(Hub.Channel);

    private PopulationService.PopulationServiceClient Population => new(Hub.Channel);

    private RegistryService.RegistryServiceClient Registry => new(Hub.Channel);

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    private List<Person> SamplePersons(string county) =>
        [.. _truth.Persons.Values.Where(p => p.GridCode.StartsWith(county[..6], StringComparison.Ordinal)).OrderBy(p => p.Meta.Id, StringComparer.Ordinal)];

    private List<House> SampleHouses(string county) =>
        [.. _truth.Houses.Values.Where(h => h.GridCode.StartsWith(county[..6], StringComparison.Ordinal)).OrderBy(h => h.Meta.Id, StringComparer.Ordinal)];

    private List<Household> SampleHouseholds(string county) =>
        [.. _truth.Households.Values.Where(h => h.GridCode.StartsWith(county[..6], StringComparison.Ordinal)).OrderBy(h => h.Meta.Id, StringComparer.Ordinal)];

    private List<string> SampleGrids(string county) =>
        [.. _truth.Grids.Keys.Where(g => g.StartsWith(county[..6], StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    // The hub's current copies (earlier tests on the shared hub may have changed a record).
    private async Task<Person> PersonAsync(string id) =>
        (await Population.GetPersonAsync(new GetPersonRequest { PersonId = id }, deadline: Calls.Deadline())).Person;

    private async Task<House> HouseAsync(string id) =>
        (await Population.GetHouseAsync(new GetHouseRequest { HouseId = id }, deadline: Calls.Deadline())).House;

    private async Task<Household> HouseholdAsync(string id) =>
        (await Population.GetHouseholdAsync(new GetHouseholdRequest { HouseholdId = id }, deadline: Calls.Deadline())).Household;

    private async Task<Grid> GridAsync(string code) =>
        (await Registry.GetGridAsync(new GetGridRequest { GridCode = code }, deadline: Calls.Deadline())).Grid;

    private async Task<Region> RegionAsync(string code) =>
        (await Registry.GetRegionAsync(new GetRegionRequest { RegionCode = code }, deadline: Calls.Deadline())).Region;

    private static string ChangeId(string purpose) => $"edge-{purpose}-{Guid.NewGuid():N}";

    [Fact]
    public async Task ExportSnapshot_ResumeToken_IsHonouredAfterChangesOutsideTheScope_AndRefusedAfterAnyChangeInIt()
    {
        var scope = new ChangeScope { RegionPrefixes = { Muping }, EntityTypes = { EntityType.Household, EntityType.House } };
        var head = await HeadCursorAsync(Client);
        var reference = await ReadSnapshotAsync(Client, scope);
        Assert.NotNull(reference.End);
        Assert.Equal(head, reference.End.Cursor);
        Assert.True(reference.Chunks >= 3, $"only {reference.Chunks} chunks: the scope is too small to break off in the middle");

        // Broken off after its second chunk; then the hub commits changes that lie outside the
        // scope: a record of a type the scope does not read (a person of the same county), and
        // a record of a type it reads in a region it does not (a house of another county).
        var startedAt = DateTimeOffset.UtcNow;
        var broken = await ReadSnapshotAsync(Client, scope, stopAfterChunks: 2);
        var brokenAt = DateTimeOffset.UtcNow;
        Assert.Null(broken.End);
        await Task.Delay(20);
        var person = await PersonAsync(SamplePersons(Muping)[0].Meta.Id);
        var otherHouse = await HouseAsync(SampleHouses(Fushan)[0].Meta.Id);
        var outside = new[]
        {
            await SubmitAppliedAsync(Client, MupingSource, Upsert(person, person.Meta.Version + 1, ChangeId("resume-type"))),
            await SubmitAppliedAsync(Client, FushanSource, Upsert(otherHouse, otherHouse.Meta.Version + 1, ChangeId("resume-region"))),
        };

        var rest = await ReadSnapshotAsync(Client, scope, broken.LastToken);
        Assert.NotNull(rest.End);
        var resumed = broken.Records.Concat(rest.Records).ToList();

        // The same snapshot, continued: every record once, none missing, same end (its point
        // and its time are the broken-off stream's, not the resume's).
        Assert.Equal(resumed.Count, resumed.Select(c => (c.EntityType, c.EntityKey)).Distinct().Count());
        Assert.Equal(Describe(reference.Records), Describe(resumed));
        Assert.Equal(reference.Records, resumed);
        Assert.Equal(reference.End.Cursor, rest.End.Cursor);
        Assert.Equal(reference.End.RecordCount, rest.End.RecordCount);
        Assert.Equal(resumed.Count, rest.End.RecordCount);
        // Snapshot times are whole milliseconds (what a resume token keeps), so a resumed
        // stream reports exactly the time the broken-off one would have.
        Assert.Equal(0, reference.End.SnapshotTime.Nanos % 1_000_000);
        Assert.Equal(0, rest.End.SnapshotTime.Nanos % 1_000_000);
        Assert.InRange(rest.End.SnapshotTime.ToDateTimeOffset(), startedAt.AddMilliseconds(-1), brokenAt);

        // The outside changes really came after the snapshot's point, and the scope sees none of them.
        Assert.All(outside, r => Assert.True(r.Results[0].Sequence > SequenceOf(rest.End.Cursor)));
        Assert.Empty((await PullAllAsync(Client, rest.End.Cursor, scope)).Changes);

        // Any change of the scope after the snapshot's point makes the token unusable: an update,
        // a delete, a record leaving the scope (old region inside) and one entering it.
        var houses = SampleHouses(Muping);
        var households = SampleHouseholds(Muping);
        var fushanGrid = SampleGrids(Fushan)[0];
        var mupingGrid = SampleGrids(Muping)[0];
        var inScope = new (string Name, Func<Task> Commit)[]
        {
            ("update", async () =>
            {
                var house = await HouseAsync(houses[^1].Meta.Id);
                house.Address += "（更正）";
                await SubmitAppliedAsync(Client, MupingSource, Upsert(house, house.Meta.Version + 1, ChangeId("resume-update")));
            }),
            ("delete", async () =>
            {
                var household = await HouseholdAsync(households[^1].Meta.Id);
                await SubmitAppliedAsync(Client, MupingSource, new Change
                {
                    EntityType = EntityType.Household,
                    EntityKey = household.Meta.Id,
                    Operation = ChangeOperation.Delete,
                    EntityVersion = household.Meta.Version + 1,
                    SourceChangeId = ChangeId("resume-delete"),
                });
            }),
            ("leave", async () =>
            {
                var house = await HouseAsync(houses[^2].Meta.Id);
                house.GridCode = fushanGrid;
                await SubmitAppliedAsync(Client, FushanSource, Upsert(house, house.Meta.Version + 1, ChangeId("resume-leave"), takeOver: true));
            }),
            ("enter", async () =>
            {
                var house = await HouseAsync(SampleHouses(Fushan)[1].Meta.Id);
                house.GridCode = mupingGrid;
                await SubmitAppliedAsync(Client, MupingSource, Upsert(house, house.Meta.Version + 1, ChangeId("resume-enter"), takeOver: true));
            }),
        };
        foreach (var (name, commit) in inScope)
        {
            var partial = await ReadSnapshotAsync(Client, scope, stopAfterChunks: 1);
            Assert.Null(partial.End);
            await commit();
            try
            {
                await ErrorAssert.ThrowsAsync(
                    () => ReadSnapshotAsync(Client, scope, partial.LastToken), StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
            }
            catch (Xunit.Sdk.XunitException e)
            {
                throw new Xunit.Sdk.XunitException($"Resuming after an in-scope {name}: {e.Message}");
            }
        }

        // Starting again with an empty token works, and sees the moves.
        var fresh = await ReadSnapshotAsync(Client, scope);
        Assert.NotNull(fresh.End);
        Assert.Equal(fresh.Records.Count, fresh.End.RecordCount);
        Assert.DoesNotContain(fresh.Records, r => r.EntityKey == houses[^2].Meta.Id);
        Assert.DoesNotContain(fresh.Records, r => r.EntityKey == households[^1].Meta.Id);
        Assert.Contains(fresh.Records, r => r.EntityKey == SampleHouses(Fushan)[1].Meta.Id);
    }

    [Fact]
    public async Task ExportSnapshot_EndCursor_ThenPullChanges_RepeatsNothingFromTheSnapshot_EvenWithCommitsDuringTheStream()
    {
        var scope = new ChangeScope { RegionPrefixes = { Fushan } };

        // Snapshots serve records type by type in (region, key) order: this house is among the
        // last records, so the hub has not read it yet when the first chunk arrives.
        var late = _truth.Houses.Values.Where(h => h.GridCode.StartsWith("370611", StringComparison.Ordinal))
            .OrderBy(h => h.GridCode, StringComparer.Ordinal).ThenBy(h => h.Meta.Id, StringComparer.Ordinal).Last();
        var lateBefore = await HouseAsync(late.Meta.Id);
        SubmitChangesResponse? lateChange = null;
        SubmitChangesResponse? earlyChange = null;
        Change? early = null;

        var snapshot = await ReadSnapshotAsync(Client, scope, afterChunk: async (n, chunk) =>
        {
            if (n != 1)
            {
                return;
            }

            // While the snapshot stream is open: change a record it has not sent yet, and one it
            // has already sent (a grid or region record of the first chunk).
            var house = lateBefore.Clone();
            house.Address += "（迁址）";
            lateChange = await SubmitAppliedAsync(Client, FushanSource, Upsert(house, house.Meta.Version + 1, ChangeId("during-late")));

            var sent = chunk.Records.First(r => r.EntityType is EntityType.Grid or EntityType.Region);
            early = sent;
            var current = sent.EntityType == EntityType.Grid
                ? (Google.Protobuf.IMessage)await GridAsync(sent.EntityKey)
                : await RegionAsync(sent.EntityKey);
            earlyChange = await SubmitAppliedAsync(Client, FushanSource, Upsert(current, sent.EntityVersion + 1, ChangeId("during-early")));
        });

        Assert.NotNull(snapshot.End);
        Assert.NotNull(lateChange);
        Assert.NotNull(earlyChange);
        Assert.NotNull(early);
        var asOf = SequenceOf(snapshot.End.Cursor);
        Assert.True(asOf < lateChange.Results[0].Sequence && asOf < earlyChange.Results[0].Sequence,
            "the snapshot's point must lie before commits made while it streamed");
        Assert.Equal(snapshot.Records.Count, snapshot.End.RecordCount);
        Assert.Equal(snapshot.Records.Count, snapshot.Records.Select(r => (r.EntityType, r.EntityKey)).Distinct().Count());
        Assert.All(snapshot.Records, r => Assert.InRange(r.Sequence, 1, asOf));

        // Both records appear in the snapshot as they were at its point.
        Assert.Equal(lateBefore.Meta.Version, Assert.Single(snapshot.Records, r => r.EntityType == EntityType.House && r.EntityKey == late.Meta.Id).EntityVersion);
        Assert.Equal(early.EntityVersion, Assert.Single(snapshot.Records, r => r.EntityType == early.EntityType && r.EntityKey == early.EntityKey).EntityVersion);

        // A change committed after the snapshot.
        var person = await PersonAsync(SamplePersons(Fushan)[0].Meta.Id);
        var after = await SubmitAppliedAsync(Client, FushanSource, Upsert(person, person.Meta.Version + 1, ChangeId("after-snapshot")));

        // From the end cursor: exactly the three later commits, each once, in commit order.
        var (pulled, _) = await PullAllAsync(Client, snapshot.End.Cursor, scope, pageSize: 1);
        var expected = new[] { lateChange, earlyChange, after }.Select(r => r.Results[0].Sequence).Order().ToList();
        Assert.Equal(expected, pulled.Select(c => c.Sequence));
        Assert.Equal(
            [(EntityType.House, late.Meta.Id, lateBefore.Meta.Version + 1), (early.EntityType, early.EntityKey, early.EntityVersion + 1), (EntityType.Person, person.Meta.Id, person.Meta.Version + 1)],
            pulled.OrderBy(c => c.Sequence).Select(c => (c.EntityType, c.EntityKey, c.EntityVersion)));
        var held = snapshot.Records.Select(r => (r.EntityType, r.EntityKey, r.EntityVersion)).ToHashSet();
        Assert.DoesNotContain(pulled, c => held.Contains((c.EntityType, c.EntityKey, c.EntityVersion)));

        // Snapshot + pull = replaying the scope's whole log.
        var state = Apply(Apply([], snapshot.Records), pulled);
        var full = Apply([], (await PullAllAsync(Client, "", scope)).Changes);
        Assert.Equal(full.OrderBy(e => e.Key).ToList(), state.OrderBy(e => e.Key).ToList());
    }

    [Fact]
    public async Task SubmitChanges_SameRequestIdFromEightClientsAtOnce_AppliesOnce_AndEveryCallerGetsTheSameAnswer()
    {
        var persons = SamplePersons(Zhifu).Skip(100).Take(5).ToList();
        var current = new List<Person>();
        foreach (var person in persons)
        {
            current.Add(await PersonAsync(person.Meta.Id));
        }

        var request = new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            SourceCheckpoint = "edge-idempotency-1",
            Changes = { current.Take(3).Select(p => Upsert(p, p.Meta.Version + 1, ChangeId("same-id"))) },
        };

        var channels = Enumerable.Range(0, 8).Select(_ => GrpcChannel.ForAddress(Hub.Address)).ToList();
        try
        {
            var clients = channels.Select(c => new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(c))).ToList();
            foreach (var client in clients)
            {
                // Connect every channel first, so the eight submits race on the hub, not on set-up.
                await client.GetSourceCheckpointAsync(new GetSourceCheckpointRequest { SourceSystem = ZhifuSource }, deadline: Calls.Deadline());
            }

            var before = await HeadCursorAsync(Client);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var calls = clients.Select(async client =>
            {
                await gate.Task;
                return await client.SubmitChangesAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
            }).ToList();
            gate.SetResult();
            var responses = await Task.WhenAll(calls);

            var first = responses[0];
            Assert.All(responses, r => Assert.Equal(first, r));
            Assert.Equal((3, 0, 0, 0), (first.AppliedCount, first.DuplicateCount, first.StaleCount, first.RejectedCount));
            Assert.All(first.Results, r => Assert.Equal(ChangeResultStatus.Applied, r.Status));
            Assert.Equal("edge-idempotency-1", first.SourceCheckpoint);

            // The log holds each change once: exactly this batch was committed since `before`.
            var (log, head) = await PullAllAsync(Client, before, null);
            Assert.Equal(first.Results.Select(r => r.Sequence), log.Select(c => c.Sequence));
            Assert.Equal(request.Changes.Select(c => c.SourceChangeId), log.Select(c => c.SourceChangeId));
            Assert.Equal(first.Cursor, head);

            // The same request_id for a different request is refused and changes nothing; the
            // original request still gets its first answer.
            var different = request.Clone();
            different.Changes[0] = Upsert(current[0], current[0].Meta.Version + 2, ChangeId("same-id-other"));
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.SubmitChangesAsync(different, deadline: Calls.Deadline()).ResponseAsync, "request_id", "REQUEST_ID_REUSED");
            Assert.Equal(first, await Client.SubmitChangesAsync(request, deadline: Calls.Deadline()));
            Assert.Equal(head, await HeadCursorAsync(Client));

            // Two different bodies race under one new request_id, four callers each: one body
            // wins and all its callers get one answer; every caller of the other is refused.
            var raceId = Guid.NewGuid().ToString();
            var bodies = current.Skip(3).Select((p, i) => new SubmitChangesRequest
            {
                RequestId = raceId,
                SourceSystem = ZhifuSource,
                Changes = { Upsert(p, p.Meta.Version + 1, ChangeId($"race-{i}")) },
            }).ToList();
            var raceGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task<(int Body, SubmitChangesResponse? Response, RpcException? Error)> RaceAsync(ExchangeService.ExchangeServiceClient client, int body)
            {
                await raceGate.Task;
                try
                {
                    return (body, await client.SubmitChangesAsync(bodies[body], deadline: DateTime.UtcNow.AddSeconds(60)), null);
                }
                catch (RpcException e)
                {
                    return (body, null, e);
                }
            }

            var race = clients.Select((client, i) => RaceAsync(client, i % 2)).ToList();
            raceGate.SetResult();
            var outcomes = await Task.WhenAll(race);

            var winners = outcomes.Where(o => o.Response is not null).ToList();
            Assert.Equal(4, winners.Count);
            var winner = winners[0].Body;
            Assert.All(winners, w => Assert.Equal(winner, w.Body));
            Assert.All(winners, w => Assert.Equal(winners[0].Response, w.Response));
            Assert.Equal(1, winners[0].Response!.AppliedCount);
            Assert.All(outcomes.Where(o => o.Response is null), o =>
            {
                Assert.Equal(StatusCode.InvalidArgument, o.Error!.StatusCode);
                Assert.Equal("REQUEST_ID_REUSED", o.Error.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
            });
            var (raced, _) = await PullAllAsync(Client, head, null);
            Assert.Equal(bodies[winner].Changes[0].SourceChangeId, Assert.Single(raced).SourceChangeId);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    [Fact]
    public async Task SubscribeChanges_ACommitWakesTheSubscriber_WithoutWaitingForTheOnceASecondReRead()
    {
        // Why this is not flaky yet still catches a broken wake-up: a caught-up subscription
        // waits for the store's signal for at most one second, then re-reads. With a one-second
        // heartbeat, each heartbeat is sent just before such a wait starts. We submit right after
        // receiving a heartbeat and time from the heartbeat's server_time (same machine clock) to
        // the change's arrival. Woken by the commit signal that takes one submit round trip plus
        // a read (milliseconds); woken only by the fallback re-read it takes at least one full
        // second, however fast or slow the machine. The median of five rounds must stay under
        // 900 ms, which leaves the working path plenty of head-room on a busy 2-core machine.
        // The commit pulsing the signal before SubmitChanges answers is asserted directly.
        var persons = SamplePersons(Zhifu).Skip(200).Take(5).ToList();
        var current = new List<Person>();
        foreach (var person in persons)
        {
            current.Add(await PersonAsync(person.Meta.Id));
        }

        var signal = Hub.Services.GetRequiredService<IHubStore>().Signal;
        var scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } };
        using var call = Client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = await HeadCursorAsync(Client),
            Scope = scope,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, deadline: DateTime.UtcNow.AddSeconds(90));

        var latencies = new List<TimeSpan>();
        foreach (var person in current)
        {
            Heartbeat? heartbeat = null;
            while (heartbeat is null)
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(SubscribeChangesResponse.ItemOneofCase.Heartbeat, call.ResponseStream.Current.ItemCase);
                heartbeat = call.ResponseStream.Current.Heartbeat;
            }

            var submitted = await SubmitAppliedAsync(Client, ZhifuSource, Upsert(person, person.Meta.Version + 1, ChangeId("wake")));
            var sequence = submitted.Results[0].Sequence;
            Assert.True(signal.LastSequence >= sequence, $"signal at {signal.LastSequence} after commit {sequence}");

            // Normally the very next message; a heartbeat can only come first if the submit
            // itself took over a second, and then this round is an outlier for the median.
            Change? change = null;
            while (change is null)
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                change = call.ResponseStream.Current.Change;
            }

            var arrived = DateTimeOffset.UtcNow;
            Assert.Equal(sequence, change.Sequence);
            Assert.Equal(person.Meta.Id, change.EntityKey);
            latencies.Add(arrived - heartbeat.ServerTime.ToDateTimeOffset());
        }

        var median = latencies.Order().ElementAt(latencies.Count / 2);
        Assert.True(median < TimeSpan.FromMilliseconds(900),
            $"heartbeat → change latencies {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:F0} ms"))}: the commit did not wake the subscription");
    }
}

/// <summary>Feed edge cases on the embedded store.</summary>
public sealed class FeedEdgeCaseOnSqliteTests(SqliteHubFixture fixture)
    : FeedEdgeCaseTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>Feed edge cases on PostgreSQL.</summary>
public sealed class FeedEdgeCaseOnPostgresTests(PostgresHubFixture fixture)
    : FeedEdgeCaseTests(fixture), IClassFixture<PostgresHubFixture>;
