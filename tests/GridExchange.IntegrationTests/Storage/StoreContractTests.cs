using Google.Protobuf;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Storage.StoreContract;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// One contract, two stores: every test here runs against SQLite and a real PostgreSQL, and
/// both must behave the same.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    /// <summary>The store under test, migrated and empty.</summary>
    protected IHubStore Store { get; private set; } = null!;

    /// <summary>Gives up on a hung test.</summary>
    protected CancellationToken Timeout => _timeout.Token;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<IHubStore> CreateStoreAsync();

    /// <summary>Creates another fresh, empty store (its own database), not migrated.</summary>
    protected abstract Task<IHubStore> CreateOtherStoreAsync();

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.MigrateAsync(Timeout);
    }

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Ingest_AssignsConsecutiveSequences_AndTheFeedServesThemInOrder()
    {
        var empty = await Store.GetFeedHeadAsync(Timeout);
        Assert.Equal(0, empty.LastSequence);
        Assert.True(FeedCursor.IsEpoch(empty.Epoch));

        var outcome = await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA),
            Person(1, "p2", GridA2, 1, "c2", CountyA),
            Person(2, "p1", GridA1, 2, "c3", CountyA, name: "李四")), Timeout);

        var commit = Assert.IsType<IngestCommit>(outcome.Commit);
        Assert.All(commit.Plan, p => Assert.Equal(PlanStatus.Applied, p.Status));
        Assert.Equal([1L, 2L, 3L], commit.Sequences.OrderBy(s => s.Key).Select(s => s.Value));
        Assert.Equal(3, commit.Head.LastSequence);

        var feed = await ReadAllAsync(Store, FeedScope.All, 0, 2, Timeout);
        Assert.Equal([1L, 2L, 3L], feed.Select(f => f.Logged.Sequence));
        Assert.Equal(["c1", "c2", "c3"], feed.Select(f => f.Logged.SourceChangeId));
        Assert.Equal(commit.CommittedAt, feed[0].Logged.CommittedAt);

        var current = await Store.GetAsync(EntityType.Person, "p1", Timeout);
        Assert.NotNull(current);
        Assert.Equal(2, current.Version);
        Assert.Equal("李四", EntityRecords.Parse(current, GridExchange.V1.Person.Parser).Name);
    }

    [Fact]
    public async Task ResentChanges_AreDuplicates_ARepeatedRequestGetsTheStoredAnswer_AndAReusedIdIsRefused()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);

        var resent = await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);
        Assert.Equal(PlanStatus.Duplicate, Assert.Single(resent.Commit!.Plan).Status);
        Assert.Equal(1, resent.Commit.Head.LastSequence);

        var repeated = await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);
        Assert.Null(repeated.Commit);
        Assert.Equal("answer:r1", System.Text.Encoding.UTF8.GetString(repeated.StoredResponse!));

        var reused = await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p9", GridA1, 1, "c9", CountyA)), Timeout);
        Assert.True(reused.RequestIdReused);
        Assert.Null(await Store.GetAsync(EntityType.Person, "p9", Timeout));
        Assert.Equal(1, (await Store.GetFeedHeadAsync(Timeout)).LastSequence);
    }

    [Fact]
    public async Task AChangeIdAppliedBefore_IsADuplicate_EvenForANewerVersionOrAnotherRecord()
    {
        // Planned without the id look-up these are all new (PostgreSQL's fast path): the store
        // must still find the repeated id, write none of the batch's first attempt, and answer
        // as the look-up would.
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA, name: "v1")), Timeout);

        var newer = await Store.IngestAsync(Batch(CountyA, "r2",
            Person(0, "p2", GridA1, 1, "c2", CountyA),
            Person(1, "p1", GridA1, 2, "c1", CountyA, name: "v2")), Timeout);
        var another = await Store.IngestAsync(Batch(CountyA, "r3", Person(0, "p3", GridA2, 1, "c1", CountyA)), Timeout);

        Assert.Equal([PlanStatus.Applied, PlanStatus.Duplicate], newer.Commit!.Plan.Select(p => p.Status));
        Assert.Equal([2L], newer.Commit.Sequences.Values);
        Assert.Equal(PlanStatus.Duplicate, Assert.Single(another.Commit!.Plan).Status);
        Assert.Equal("v1", EntityRecords.Parse((await Store.GetAsync(EntityType.Person, "p1", Timeout))!, GridExchange.V1.Person.Parser).Name);
        Assert.Null(await Store.GetAsync(EntityType.Person, "p3", Timeout));
        Assert.NotNull(await Store.GetAsync(EntityType.Person, "p2", Timeout));
        var feed = await ReadAllAsync(Store, FeedScope.All, 0, 10, Timeout);
        Assert.Equal([(1L, "p1", "c1"), (2L, "p2", "c2")], feed.Select(c => (c.Logged.Sequence, c.Logged.Key, c.Logged.SourceChangeId)));
        Assert.Equal(2, (await Store.GetFeedHeadAsync(Timeout)).LastSequence);

        // The next batch goes on from there.
        var next = await Store.IngestAsync(Batch(CountyA, "r4", Person(0, "p1", GridA1, 2, "c3", CountyA, name: "v2")), Timeout);
        Assert.Equal(3, next.Commit!.Sequences.Values.Single());
        Assert.Equal("v2", EntityRecords.Parse((await Store.GetAsync(EntityType.Person, "p1", Timeout))!, GridExchange.V1.Person.Parser).Name);
    }

    [Fact]
    public async Task OlderVersions_AreStale_AndDoNotChangeTheRecord()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 5, "c1", CountyA, name: "v5")), Timeout);
        var stale = await Store.IngestAsync(Batch(CountyA, "r2",
            Person(0, "p1", GridA1, 5, "c2", CountyA, name: "same"),
            Person(1, "p1", GridA1, 3, "c3", CountyA, name: "older")), Timeout);

        Assert.All(stale.Commit!.Plan, p =>
        {
            Assert.Equal(PlanStatus.Stale, p.Status);
            Assert.Equal(ErrorReasons.StaleVersion, p.Reason);
            Assert.Equal(5, p.StoredVersion);
        });
        Assert.Equal("v5", EntityRecords.Parse((await Store.GetAsync(EntityType.Person, "p1", Timeout))!, GridExchange.V1.Person.Parser).Name);
        Assert.Equal(1, (await Store.GetFeedHeadAsync(Timeout)).LastSequence);
    }

    [Fact]
    public async Task AnotherSourcesRecord_IsNotOwned_UntilTakenOver_ThenLeaveAndEnterShareOneSequence()
    {
        await Store.IngestAsync(Batch(CountyA, "a1", Person(0, "p1", GridA1, 1, "a-c1", CountyA)), Timeout);

        var refused = await Store.IngestAsync(Batch(CountyB, "b1", Person(0, "p1", GridB1, 2, "b-c1", CountyB)), Timeout);
        Assert.Equal(ErrorReasons.NotOwner, Assert.Single(refused.Commit!.Plan).Reason);

        var moved = await Store.IngestAsync(Batch(CountyB, "b2", Person(0, "p1", GridB1, 2, "b-c2", CountyB, takeOver: true)), Timeout);
        var applied = Assert.Single(moved.Commit!.Plan);
        Assert.Equal(PlanStatus.Applied, applied.Status);
        Assert.True(applied.OwnerChanged);
        Assert.Equal(GridA1, applied.OldRegionCode);

        var oldCounty = await ReadAllAsync(Store, FeedScope.Create(["370602000000"], []), 0, 10, Timeout);
        var newCounty = await ReadAllAsync(Store, FeedScope.Create(["370611000000"], []), 0, 10, Timeout);
        var city = await ReadAllAsync(Store, FeedScope.Create(["370600000000"], []), 0, 10, Timeout);
        Assert.Equal([(1L, ChangeOperation.Upsert), (2L, ChangeOperation.Leave)], oldCounty.Select(c => (c.Logged.Sequence, c.Seen)));
        Assert.Equal([(2L, ChangeOperation.Enter)], newCounty.Select(c => (c.Logged.Sequence, c.Seen)));
        Assert.Equal([(1L, ChangeOperation.Upsert), (2L, ChangeOperation.Upsert)], city.Select(c => (c.Logged.Sequence, c.Seen)));

        // The old owner can no longer write it.
        var late = await Store.IngestAsync(Batch(CountyA, "a2", Person(0, "p1", GridA1, 3, "a-c2", CountyA)), Timeout);
        Assert.Equal(ErrorReasons.NotOwner, Assert.Single(late.Commit!.Plan).Reason);
        var record = await Store.GetAsync(EntityType.Person, "p1", Timeout);
        Assert.Equal((CountyB, GridB1), (record!.SourceSystem, record.ScopeCode));
    }

    [Fact]
    public async Task AMoveBetweenGridsOfOneCounty_IsLeaveAndEnterForGridScopes()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);
        await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p1", GridA3, 2, "c2", CountyA)), Timeout);

        var from = await ReadAllAsync(Store, FeedScope.Create([GridA1], []), 1, 10, Timeout);
        var to = await ReadAllAsync(Store, FeedScope.Create([GridA3], []), 1, 10, Timeout);
        var county = await ReadAllAsync(Store, FeedScope.Create(["370602000000"], []), 1, 10, Timeout);
        Assert.Equal(ChangeOperation.Leave, Assert.Single(from).Seen);
        Assert.Equal(ChangeOperation.Enter, Assert.Single(to).Seen);
        Assert.Equal(ChangeOperation.Upsert, Assert.Single(county).Seen);
    }

    [Fact]
    public async Task Delete_LeavesATombstone_ReadsNoLongerSeeTheRecord_AndOnlyNewerVersionsRevive()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);
        var deleted = await Store.IngestAsync(Batch(CountyA, "r2", Delete(0, EntityType.Person, "p1", 2, "c2", CountyA)), Timeout);
        Assert.Equal(PlanStatus.Applied, Assert.Single(deleted.Commit!.Plan).Status);

        Assert.Null(await Store.GetAsync(EntityType.Person, "p1", Timeout));
        Assert.Empty(await Store.ListInScopeAsync(EntityType.Person, "370602", null, 10, Timeout));
        var feed = await ReadAllAsync(Store, FeedScope.Create([GridA1], []), 0, 10, Timeout);
        Assert.Equal([ChangeOperation.Upsert, ChangeOperation.Delete], feed.Select(f => f.Seen));
        Assert.Null(feed[1].Logged.Payload);
        Assert.Equal(GridA1, feed[1].Logged.RegionCode);

        var again = await Store.IngestAsync(Batch(CountyA, "r3",
            Delete(0, EntityType.Person, "p1", 3, "c3", CountyA),
            Delete(1, EntityType.Person, "never", 1, "c4", CountyA),
            Person(2, "p1", GridA1, 2, "c5", CountyA)), Timeout);
        Assert.Equal([ErrorReasons.NotFound, ErrorReasons.NotFound, ErrorReasons.StaleVersion], again.Commit!.Plan.Select(p => p.Reason));

        await Store.IngestAsync(Batch(CountyA, "r4", Person(0, "p1", GridA1, 4, "c6", CountyA)), Timeout);
        Assert.Equal(4, (await Store.GetAsync(EntityType.Person, "p1", Timeout))!.Version);
    }

    [Fact]
    public async Task ScopedFeeds_ServeExactlyTheirRegionsAndTypes()
    {
        var changes = new List<ValidChange>();
        var grids = new[] { GridA1, GridA2, GridA3, GridB1, "370612001001001" };
        for (var i = 0; i < 50; i++)
        {
            var grid = grids[i % grids.Length];
            changes.Add(Person(i, $"p{i}", grid, 1, $"c{i}", "loader"));
        }

        await Store.IngestAsync(Batch("loader", "all", [.. changes]), Timeout);

        async Task<IEnumerable<string>> Keys(FeedScope scope) =>
            (await ReadAllAsync(Store, scope, 0, 7, Timeout)).Select(c => c.Logged.Key);
        IEnumerable<string> Expected(Func<string, bool> inScope) =>
            changes.Where(c => inScope(c.RegionCode!)).Select(c => c.Change.EntityKey);

        Assert.Equal(Expected(g => g.StartsWith("370602", StringComparison.Ordinal)), await Keys(FeedScope.Create(["370602000000"], [])));
        Assert.Equal(Expected(g => g.StartsWith("3706", StringComparison.Ordinal)), await Keys(FeedScope.Create(["370600000000"], [])));
        Assert.Equal(Expected(g => g.StartsWith("370602001", StringComparison.Ordinal)), await Keys(FeedScope.Create(["370602001000"], [])));
        Assert.Equal(Expected(g => g == GridB1 || g == GridA2), await Keys(FeedScope.Create([GridB1, GridA2], [])));
        Assert.Equal(Expected(g => g.StartsWith("37", StringComparison.Ordinal)), await Keys(FeedScope.Create(["370000000000"], [])));
        Assert.Empty(await Keys(FeedScope.Create(["370602000000"], [EntityType.Case])));
        Assert.Empty(await Keys(FeedScope.Create(["110000000000"], [])));

        // The province holds every bucket so far (read as the unscoped log); once a change lands
        // outside it, its scope filters again, and a move out of it is the province's LEAVE.
        var outside = Person(50, "p50", "110101001001001", 1, "c50", "loader");
        var movedOut = Person(51, "p0", "110101001001001", 2, "c51", "loader");
        await Store.IngestAsync(Batch("loader", "outside", outside, movedOut), Timeout);
        var province = await ReadAllAsync(Store, FeedScope.Create(["370000000000"], []), 0, 7, Timeout);
        Assert.Equal([.. changes.Select(c => c.Change.EntityKey), "p0"], province.Select(c => c.Logged.Key));
        Assert.Equal(ChangeOperation.Leave, province[^1].Seen);
        Assert.Equal(["p50", "p0"], await Keys(FeedScope.Create(["110000000000"], [])));
    }

    [Fact]
    public async Task AFailureBeforeCommit_WritesNothing()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)), Timeout);
        var failing = new IngestBatch(CountyA, "r2", [1], "checkpoint-2",
            [Person(0, "p1", GridA1, 2, "c2", CountyA), Person(1, "p2", GridA1, 1, "c3", CountyA)],
            _ => throw new InvalidOperationException("boom"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.IngestAsync(failing, Timeout));

        Assert.Equal(1, (await Store.GetFeedHeadAsync(Timeout)).LastSequence);
        Assert.Equal(1, (await Store.GetAsync(EntityType.Person, "p1", Timeout))!.Version);
        Assert.Null(await Store.GetAsync(EntityType.Person, "p2", Timeout));
        Assert.Null(await Store.GetSourceCheckpointAsync(CountyA, Timeout));
        var retried = await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p1", GridA1, 2, "c2", CountyA)), Timeout);
        Assert.Equal(PlanStatus.Applied, Assert.Single(retried.Commit!.Plan).Status);
    }

    [Fact]
    public async Task Checkpoints_CommitWithTheBatch()
    {
        var batch = Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA)) with { SourceCheckpoint = "offset-42" };
        var outcome = await Store.IngestAsync(batch, Timeout);
        Assert.Equal("offset-42", outcome.Commit!.SourceCheckpoint);
        var stored = await Store.GetSourceCheckpointAsync(CountyA, Timeout);
        Assert.Equal("offset-42", stored!.Checkpoint);
        Assert.Equal(outcome.Commit.CommittedAt, stored.CommittedAt);

        var without = await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p2", GridA1, 1, "c2", CountyA)), Timeout);
        Assert.Equal("offset-42", without.Commit!.SourceCheckpoint);
    }

    [Fact]
    public async Task Retention_DropsOldChangesFromTheFeed_ButKeepsEachEntitysLastOne_ForDigestsAsOfACursor()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA), Person(1, "p1", GridA1, 2, "c2", CountyA), Person(2, "p2", GridA2, 1, "c3", CountyA)), Timeout);
        await Task.Delay(20, Timeout);
        var later = await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p3", GridA1, 1, "c4", CountyA)), Timeout);

        var result = await Store.TrimLogAsync(later.Commit!.CommittedAt, DateTimeOffset.UtcNow.AddDays(-1), Timeout);
        Assert.Equal((4L, 1L), (result.FirstRetainedSequence, result.ChangesRemoved));
        var head = await Store.GetFeedHeadAsync(Timeout);
        Assert.Equal(4, head.FirstRetainedSequence);
        Assert.False(head.CanResumeAfter(2));
        Assert.True(head.CanResumeAfter(3));
        Assert.Equal([4L], (await ReadAllAsync(Store, FeedScope.All, 3, 10, Timeout)).Select(c => c.Logged.Sequence));

        await Store.IngestAsync(Batch(CountyA, "r3", Person(0, "p1", GridB1, 3, "c5", CountyA), Delete(1, EntityType.Person, "p2", 2, "c6", CountyA)), Timeout);
        await using var view = await Store.OpenSnapshotAsync(Timeout);
        var asOf3 = await view.ReadDigestEntriesAsync(EntityType.Person, "370602", 3, Timeout);
        Assert.Equal([("p1", 2L, GridA1), ("p2", 1L, GridA2)], asOf3.Select(e => (e.Key, e.Version, e.RegionCode)).OrderBy(e => e.Key));
        var now = await view.ReadDigestEntriesAsync(EntityType.Person, "370602", view.Head.LastSequence, Timeout);
        Assert.Equal([("p3", 1L, GridA1)], now.Select(e => (e.Key, e.Version, e.RegionCode)));

        // Trimming again with the same horizon changes nothing.
        var again = await Store.TrimLogAsync(later.Commit.CommittedAt, DateTimeOffset.UtcNow.AddDays(-1), Timeout);
        Assert.Equal((4L, 0L), (again.FirstRetainedSequence, again.ChangesRemoved));

        // A later horizon: p1 (5) and p2 (6, its delete) changed since, so their rows below the
        // first horizon (2 and 3), kept last time as their entities' last ones, go now.
        await Task.Delay(20, Timeout);
        var latest = await Store.IngestAsync(Batch(CountyA, "r4", Person(0, "p4", GridA1, 1, "c7", CountyA)), Timeout);
        var third = await Store.TrimLogAsync(latest.Commit!.CommittedAt, DateTimeOffset.UtcNow.AddDays(-1), Timeout);
        Assert.Equal((7L, 2L), (third.FirstRetainedSequence, third.ChangesRemoved));
        Assert.Equal([4L, 5L, 6L, 7L], (await ReadAllAsync(Store, FeedScope.All, 0, 10, Timeout)).Select(c => c.Logged.Sequence));
    }

    [Fact]
    public async Task RecordsStoredBeforeTheLogExisted_GetOneUpsertEach_WhenTheStoreIsUpgraded()
    {
        // A database as the first release left it: current state only, no change log.
        await using var old = await CreateOtherStoreAsync();
        var sql = (SqlHubStore)old;
        await sql.MigrateAsync(throughId: 1, Timeout);
        var person = new Person { Name = "李四", GridCode = GridA1 }.ToByteArray();
        var payload = Convert.ToHexString(person);
        var (blob, instant) = old.Kind == "postgresql"
            ? ($"'\\x{payload}'::bytea", "now()")
            : ($"X'{payload}'", "1700000000000000");
        await sql.ExecuteSqlAsync($"""
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload)
            VALUES (4, 'p-old-1', '{GridA1}', '', 3, '{CountyA}', {instant}, {blob}),
                   (4, 'p-old-2', '{GridB1}', '', 1, '{CountyB}', {instant}, {blob})
            """, Timeout);

        await old.MigrateAsync(Timeout);

        var head = await old.GetFeedHeadAsync(Timeout);
        Assert.Equal(2, head.LastSequence);
        var feed = await ReadAllAsync(old, FeedScope.All, 0, 10, Timeout);
        Assert.Equal([(1L, "p-old-1", 3L, GridA1), (2L, "p-old-2", 1L, GridB1)],
            feed.Select(c => (c.Logged.Sequence, c.Logged.Key, c.Logged.Version, c.Logged.RegionCode)));
        Assert.All(feed, c => Assert.Equal(ChangeOperation.Upsert, c.Seen));
        Assert.Equal(person, feed[0].Logged.Payload);

        // Current state reads its payload from the log (migration 4 dropped the second copy).
        Assert.Equal(person, (await old.GetAsync(EntityType.Person, "p-old-1", Timeout))!.Payload);
        Assert.Equal(["p-old-1"], (await old.ListInScopeAsync(EntityType.Person, "370602", null, 10, Timeout)).Select(r => r.Key));

        // The county's scoped read finds it through the bucket, and ingest continues after it.
        Assert.Single(await ReadAllAsync(old, FeedScope.Create(["370602000000"], []), 0, 10, Timeout));
        var next = await old.IngestAsync(Batch(CountyA, "r1", Person(0, "p-old-1", GridA1, 4, "c1", CountyA)), Timeout);
        Assert.Equal(3, next.Commit!.Sequences.Values.Single());
    }

    [Fact]
    public async Task UpgradingToOnePayloadCopy_KeepsCurrentStatesBytes_WhereTheLogDiffered()
    {
        // A database as the third release left it: the payload in entities and in the log. Should
        // the two ever differ, the record's bytes (what reads served) are the ones kept.
        await using var old = await CreateOtherStoreAsync();
        var sql = (SqlHubStore)old;
        await sql.MigrateAsync(throughId: 3, Timeout);
        var current = Convert.ToHexString(new Person { Name = "王五", GridCode = GridA1 }.ToByteArray());
        var logged = Convert.ToHexString(new Person { Name = "王五（旧）", GridCode = GridA1 }.ToByteArray());
        string Blob(string hex) => old.Kind == "postgresql" ? $"'\\x{hex}'::bytea" : $"X'{hex}'";
        var (instant, no) = old.Kind == "postgresql" ? ("now()", "false") : ("1700000000000000", "0");
        await sql.ExecuteSqlAsync($"""
            INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                    operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            VALUES (1, 4, 'p-1', '{GridA1}', NULL, '370602', NULL, 1, 1, '{CountyA}', 'c1', {no}, {instant}, {Blob(logged)});
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, payload, deleted, last_seq)
            VALUES (4, 'p-1', '{GridA1}', '', 1, '{CountyA}', {instant}, {Blob(current)}, {no}, 1);
            INSERT INTO feed_buckets (bucket) VALUES ('370602');
            UPDATE feed_head SET last_seq = 1 WHERE id = 1;
            """, Timeout);

        await old.MigrateAsync(Timeout);

        Assert.Equal(Convert.FromHexString(current), (await old.GetAsync(EntityType.Person, "p-1", Timeout))!.Payload);
        Assert.Equal(Convert.FromHexString(current), Assert.Single(await ReadAllAsync(old, FeedScope.All, 0, 10, Timeout)).Logged.Payload);
        await using var view = await old.OpenSnapshotAsync(Timeout);
        Assert.Equal(Convert.FromHexString(current), Assert.Single(await view.ReadAsync(EntityType.Person, "", null, 10, Timeout)).Payload);
    }

    [Fact]
    public async Task SnapshotView_ReadsOneConsistentState_WhileWritersCommit()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA), Person(1, "p2", GridA2, 1, "c2", CountyA)), Timeout);
        await using var view = await Store.OpenSnapshotAsync(Timeout);
        var first = await view.ReadAsync(EntityType.Person, "370602", null, 1, Timeout);
        await Store.IngestAsync(Batch(CountyA, "r2", Person(0, "p2", GridA2, 2, "c3", CountyA), Person(1, "p0", GridA1, 1, "c4", CountyA)), Timeout);
        var rest = await view.ReadAsync(EntityType.Person, "370602", new EntityPosition(first[0].ScopeCode, first[0].Key), 10, Timeout);

        Assert.Equal(2, view.Head.LastSequence);
        Assert.Equal([("p1", 1L), ("p2", 1L)], first.Concat(rest).Select(r => (r.Key, r.Version)));
        Assert.All(first.Concat(rest), r => Assert.InRange(r.Sequence, 1, 2));
    }

    [Fact]
    public async Task ConcurrentWriters_AReaderPagingAllTheWhile_SeesEveryChangeOnceInOrder()
    {
        const int writers = 8;
        const int batchesPerWriter = 12;
        await using var unrelated = await OpenLongTransactionAsync();
        using var done = new CancellationTokenSource();
        var read = new List<long>();
        var reader = Task.Run(async () =>
        {
            long after = 0;
            var scope = FeedScope.Create(["370602000000"], []);
            while (true)
            {
                var finished = done.IsCancellationRequested;
                var page = await Store.ReadFeedAsync(new FeedQuery(after, scope, 17), Timeout);
                read.AddRange(page.Changes.Select(c => c.Sequence));
                after = page.Next;
                if (finished && page.CaughtUp)
                {
                    return;
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var b = 0; b < batchesPerWriter; b++)
            {
                await Task.Delay(random.Next(0, 15), Timeout);
                var size = random.Next(1, 20);
                var batch = Enumerable.Range(0, size)
                    .Select(i => Person(i, $"w{w}-b{b}-{i}", i % 2 == 0 ? GridA1 : GridA3, 1, $"w{w}-b{b}-{i}", $"writer-{w}"))
                    .ToArray();
                var ingest = Batch($"writer-{w}", $"w{w}-b{b}", batch);
                if (w == 0 && b == 2)
                {
                    // One writer holds its transaction open for a long time before committing:
                    // the others must queue behind it, and the reader must not skip past it.
                    ingest = ingest with { EncodeResponse = _ => { Thread.Sleep(1500); return [1]; } };
                }

                await Store.IngestAsync(ingest, Timeout);
            }
        })));
        await done.CancelAsync();
        await reader;

        var head = await Store.GetFeedHeadAsync(Timeout);
        Assert.Equal(Enumerable.Range(1, (int)head.LastSequence).Select(i => (long)i), read);
    }

    /// <summary>
    /// Keeps an unrelated transaction open during the concurrency test (PostgreSQL: one holding
    /// a transaction id, the hazard that stalls xmin-watermark feeds); null where not applicable.
    /// </summary>
    protected virtual Task<IAsyncDisposable?> OpenLongTransactionAsync() => Task.FromResult<IAsyncDisposable?>(null);
}

/// <summary>The contract on the embedded SQLite store.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-sqlite-").FullName;

    /// <inheritdoc />
    protected override Task<IHubStore> CreateStoreAsync() =>
        Task.FromResult<IHubStore>(new SqliteHubStore(Path.Combine(_directory, "store.db"), TestKeys.Protection));

    /// <inheritdoc />
    protected override Task<IHubStore> CreateOtherStoreAsync() =>
        Task.FromResult<IHubStore>(new SqliteHubStore(Path.Combine(_directory, $"other-{Guid.NewGuid():N}.db"), TestKeys.Protection));

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>The contract on a real PostgreSQL.</summary>
public sealed class PostgresStoreContractTests : StoreContractTests
{
    /// <inheritdoc />
    protected override async Task<IHubStore> CreateStoreAsync() =>
        new PostgresHubStore(_connectionString = await PostgresServer.NewDatabaseAsync("contract"), TestKeys.Protection);

    private string _connectionString = "";

    /// <inheritdoc />
    protected override async Task<IHubStore> CreateOtherStoreAsync() =>
        new PostgresHubStore(await PostgresServer.NewDatabaseAsync("contract-other"), TestKeys.Protection);

    /// <inheritdoc />
    protected override async Task<IAsyncDisposable?> OpenLongTransactionAsync()
    {
        var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync(Timeout);
        var transaction = await connection.BeginTransactionAsync(Timeout);
        await using (var command = new Npgsql.NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction))
        {
            await command.ExecuteScalarAsync(Timeout);
        }

        return new Held(connection, transaction);
    }

    private sealed class Held(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
