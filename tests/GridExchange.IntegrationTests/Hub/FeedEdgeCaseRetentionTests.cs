using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Hub;
using GridExchange.Hub.Jobs;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Log retention as consumers meet it: after the retention job trims the log, every feed read
/// from a cursor before the first retained change is FAILED_PRECONDITION / RESYNC_REQUIRED, and
/// reads from the boundary on lose nothing. Each run trims its own hub, on each store.
/// </summary>
public sealed class FeedEdgeCaseRetentionTests
{
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task AfterRetention_CursorsBeforeTheFirstRetainedChangeAreResyncRequired_AndTheBoundaryCursorStillWorks(StoreKind store)
    {
        await using var scratch = await ScratchHub.StartAsync(store);
        var hub = scratch.Hub;
        var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
        var truth = await SampleTruth.GetAsync();
        var persons = truth.Persons.Values.Where(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal))
            .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).Take(6).ToList();
        var scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } };

        // Three older changes, then (a little later) three newer ones.
        var before = await HeadCursorAsync(client);
        await SubmitAppliedAsync(client, ZhifuSource,
            [.. persons.Take(3).Select((p, i) => Upsert(p, p.Meta.Version + 1, $"retention-old-{i}-{Guid.NewGuid():N}"))]);
        await Task.Delay(50);
        await SubmitAppliedAsync(client, ZhifuSource,
            [.. persons.Skip(3).Select((p, i) => Upsert(p, p.Meta.Version + 1, $"retention-new-{i}-{Guid.NewGuid():N}"))]);
        var (changes, head) = await PullAllAsync(client, before, scope);
        Assert.Equal(6, changes.Count);
        var keepSince = changes[3].CommittedAt.ToDateTimeOffset();
        Assert.True(changes[2].CommittedAt.ToDateTimeOffset() < keepSince);

        // The daily job, run as of the day the newer changes reach the retention horizon.
        var days = hub.Services.GetRequiredService<IOptions<HubOptions>>().Value.LogRetentionDays;
        var job = ActivatorUtilities.CreateInstance<LogRetentionJob>(hub.Services, new FixedClock(keepSince.AddDays(days)));
        var result = await job.RunAsync(CancellationToken.None);
        Assert.Equal(changes[3].Sequence, result.FirstRetainedSequence);
        Assert.True(result.ChangesRemoved >= 3, $"{result.ChangesRemoved} changes removed");
        Assert.Equal(changes[3].Sequence, (await hub.Services.GetRequiredService<IHubStore>().GetFeedHeadAsync(CancellationToken.None)).FirstRetainedSequence);

        // Too old: the start of the log, the position before the older changes, and the
        // cursors of all but the last trimmed change — whatever the scope, even one that
        // has nothing in it.
        foreach (var stale in new[] { "", before, changes[0].Cursor, changes[1].Cursor })
        {
            foreach (var readScope in new[] { scope, null, Nowhere })
            {
                await ErrorAssert.ThrowsAsync(
                    () => client.PullChangesAsync(new PullChangesRequest { Cursor = stale, Scope = readScope }, deadline: Calls.Deadline()).ResponseAsync,
                    StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
                await ErrorAssert.ThrowsAsync(async () =>
                {
                    using var call = client.SubscribeChanges(new SubscribeChangesRequest { Cursor = stale, Scope = readScope }, deadline: Calls.Deadline());
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        Assert.Fail($"SubscribeChanges from a trimmed cursor sent {call.ResponseStream.Current}");
                    }
                }, StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
            }
        }

        Assert.True(SequenceOf(changes[1].Cursor) < result.FirstRetainedSequence - 1);
        await ErrorAssert.ThrowsAsync(
            () => client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Cursor = changes[1].Cursor },
                deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.FailedPrecondition, "RESYNC_REQUIRED");

        // At the boundary (the cursor of the last change before the first retained one) and
        // after it: everything from there on, exactly once.
        Assert.Equal(changes[3..], (await PullAllAsync(client, changes[2].Cursor, scope)).Changes);
        Assert.Equal(changes[3..], (await PullAllAsync(client, changes[2].Cursor, null, pageSize: 1)).Changes);
        Assert.Equal(changes[4..], (await PullAllAsync(client, changes[3].Cursor, scope)).Changes);
        Assert.Empty((await PullAllAsync(client, head, scope)).Changes);
        var digest = await client.GetDigestAsync(
            new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Cursor = changes[2].Cursor }, deadline: Calls.Deadline());
        Assert.True(digest.Root.RecordCount > 0);

        using (var call = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = changes[2].Cursor,
            Scope = scope,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, deadline: Calls.Deadline()))
        {
            var replayed = new List<Change>();
            Heartbeat? heartbeat = null;
            while (heartbeat is null && await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                if (call.ResponseStream.Current.Change is { } change)
                {
                    replayed.Add(change);
                }
                else
                {
                    heartbeat = call.ResponseStream.Current.Heartbeat;
                }
            }

            Assert.Equal(changes[3..], replayed);
            Assert.NotNull(heartbeat);
            Assert.Equal(head, heartbeat.Cursor);
        }
    }
}
