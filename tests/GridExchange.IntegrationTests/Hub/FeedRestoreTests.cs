using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// A hub database restored from a backup keeps its epoch but forgets the changes committed
/// after the backup, and then gives their sequence numbers to other changes. A consumer that
/// had read past the backup point must be told to re-snapshot (RESYNC_REQUIRED), not resume as
/// if the new changes at its old positions were the ones it had seen; a consumer behind the
/// backup point resumes normally.
/// </summary>
public sealed class FeedRestoreTests
{
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task AfterARestore_CursorsPastTheBackupAreResyncRequired_AndCursorsBeforeItResume(StoreKind kind)
    {
        await using var scratch = await ScratchHub.StartAsync(kind);
        var hub = scratch.Hub;
        var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
        var truth = await SampleTruth.GetAsync();
        var persons = truth.Persons.Values.Where(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal))
            .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).Take(3).ToList();
        var scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } };

        var before = await HeadCursorAsync(client);
        await SubmitAppliedAsync(client, ZhifuSource, Upsert(persons[0], persons[0].Meta.Version + 1, $"restore-kept-{Guid.NewGuid():N}"));
        var backup = await HeadCursorAsync(client);
        await SubmitAppliedAsync(client, ZhifuSource, Upsert(persons[1], persons[1].Meta.Version + 1, $"restore-lost-{Guid.NewGuid():N}"));
        var (seen, head) = await PullAllAsync(client, before, scope);
        Assert.Equal([persons[0].Meta.Id, persons[1].Meta.Id], seen.Select(c => c.EntityKey));
        var digestCursor = (await client.GetDigestAsync(
            new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person }, deadline: Calls.Deadline())).Cursor;
        Assert.Equal(SequenceOf(head), SequenceOf(digestCursor));

        // The database goes back to the backup taken after the first change: the second
        // change, its id and its effect on current state are gone.
        var kept = SequenceOf(backup);
        var store = (SqlHubStore)hub.Services.GetRequiredService<IHubStore>();
        await store.ExecuteSqlAsync($"""
            DELETE FROM change_log WHERE seq > {kept};
            DELETE FROM source_changes WHERE seq > {kept};
            UPDATE entities SET last_seq = (
                SELECT max(l.seq) FROM change_log l WHERE l.entity_type = entities.entity_type AND l.entity_key = entities.entity_key)
            WHERE last_seq > {kept};
            UPDATE entities SET
                version = (SELECT l.entity_version FROM change_log l WHERE l.seq = entities.last_seq),
                scope_code = (SELECT l.region_code FROM change_log l WHERE l.seq = entities.last_seq)
            WHERE entity_type = 4 AND entity_key = '{persons[1].Meta.Id}';
            UPDATE feed_head SET last_seq = {kept}, last_committed_at = (SELECT committed_at FROM change_log WHERE seq = {kept}) WHERE id = 1;
            """, CancellationToken.None);
        Assert.Equal(persons[1].Meta.Version, (await store.GetAsync(EntityType.Person, persons[1].Meta.Id, CancellationToken.None))!.Version);

        // The restored hub takes another change, at the sequence the lost one had.
        await Task.Delay(5);
        await SubmitAppliedAsync(client, ZhifuSource, Upsert(persons[2], persons[2].Meta.Version + 1, $"restore-new-{Guid.NewGuid():N}"));
        Assert.Equal(SequenceOf(head), SequenceOf(await HeadCursorAsync(client)));

        // Cursors at the lost change — its own, the page's next cursor, a digest's — are refused
        // on every read path: resuming would skip the new change.
        foreach (var past in new[] { seen[1].Cursor, head, digestCursor })
        {
            await ErrorAssert.ThrowsAsync(
                () => client.PullChangesAsync(new PullChangesRequest { Cursor = past, Scope = scope }, deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
            await ErrorAssert.ThrowsAsync(
                () => client.PullChangesAsync(new PullChangesRequest { Cursor = past, Scope = Nowhere }, deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
            await ErrorAssert.ThrowsAsync(async () =>
            {
                using var call = client.SubscribeChanges(new SubscribeChangesRequest { Cursor = past, Scope = scope }, deadline: Calls.Deadline());
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    Assert.Fail($"SubscribeChanges from a cursor past the restore sent {call.ResponseStream.Current}");
                }
            }, StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
            await ErrorAssert.ThrowsAsync(
                () => client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Cursor = past },
                    deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
        }

        // Cursors up to the backup point still hold: the consumer gets the new change.
        foreach (var behind in new[] { seen[0].Cursor, backup })
        {
            var (rest, _) = await PullAllAsync(client, behind, scope);
            Assert.Equal([persons[2].Meta.Id], rest.Select(c => c.EntityKey));
        }

        using var subscription = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = seen[0].Cursor,
            Scope = scope,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, deadline: Calls.Deadline());
        Assert.True(await subscription.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(persons[2].Meta.Id, subscription.ResponseStream.Current.Change.EntityKey);
        Assert.True(await subscription.ResponseStream.MoveNext(CancellationToken.None));
        var heartbeat = subscription.ResponseStream.Current.Heartbeat;
        Assert.NotNull(heartbeat);

        // And the cursors the restored hub hands out resume on it.
        Assert.Empty((await PullAllAsync(client, heartbeat.Cursor, scope)).Changes);
    }
}
