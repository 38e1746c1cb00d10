using System.Globalization;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Stats;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Protection;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Storage.StoreContract;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// The region counters: every write fills the clear stat facet with the row, so a read has
/// nothing to classify; and migration 14 on a store an older hub filled (the counters are
/// backfilled from the records already stored, the payload facets classified from the log),
/// then kept by the triggers.
/// </summary>
public abstract class RegionStatsStoreTests : IAsyncLifetime
{
    private const string Village = "370602001001";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    private IHubStore Store { get; set; } = null!;

    private CancellationToken Timeout => _timeout.Token;

    /// <summary>Creates a fresh, empty store, not migrated.</summary>
    protected abstract Task<IHubStore> CreateStoreAsync();

    /// <inheritdoc />
    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Upgrade_BackfillsTheCountersOfStoredRecords_AndTriggersKeepThemAfterwards()
    {
        // Records as a hub of schema 12 wrote them (this hub's writers fill stat_facet, a column
        // that schema lacks): a batch, a deletion and another county's person.
        await ((SqlHubStore)Store).MigrateAsync(throughId: 12, Timeout);
        await WriteAsOlderHubAsync(
            Record(new Region { Meta = Meta(Village), Code = Village, Level = RegionLevel.Village, Name = "幸福社区", ParentCode = "370602001000" },
                EntityType.Region, Village, Village, "370602001000"),
            Record(new Region { Meta = Meta("370602001002"), Code = "370602001002", Level = RegionLevel.Village, Name = "光明社区", ParentCode = "370602001000" },
                EntityType.Region, "370602001002", "370602001002", "370602001000"),
            Record(new Grid { Meta = Meta(GridA1), Code = GridA1, Name = "一网格", Type = GridType.Basic, VillageCode = Village }, EntityType.Grid, GridA1, GridA1),
            Record(new Grid { Meta = Meta("370602001001901"), Code = "370602001001901", Name = "学校网格", Type = GridType.Dedicated, VillageCode = Village },
                EntityType.Grid, "370602001001901", "370602001001901"),
            Record(new GridWorker { Meta = Meta(GridA1 + "01"), Number = GridA1 + "01", GridCode = GridA1, Name = "王五", Employment = EmploymentType.FullTime },
                EntityType.GridWorker, GridA1 + "01", GridA1),
            Record(new Case { Meta = Meta("case-1"), GridCode = GridA1, State = CaseState.InProgress, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Red },
                EntityType.Case, "case-1", GridA1),
            Record(new Case { Meta = Meta("case-2"), GridCode = GridA1, State = CaseState.Closed, WarningColor = WarningColor.Blue }, EntityType.Case, "case-2", GridA1),
            Person(0, "p1", GridA1, 1, "c-p1", CountyA),
            Person(0, "p2", GridA1, 1, "c-p2", CountyA),
            Person(0, "p3", GridA2, 1, "c-p3", CountyA));
        await WriteAsOlderHubAsync(Delete(0, EntityType.Person, "p3", 2, "c-p3-d", CountyA) with { RegionCode = GridA2 });
        await WriteAsOlderHubAsync(Person(0, "p4", GridB1, 1, "c-p4", CountyB));

        // A directive to two counties issued by the older hub: one signed for on time, one
        // withdrawn (not counted). Deadlines at 1,000 and 5,000 µs after the epoch.
        await ((SqlHubStore)Store).ExecuteSqlAsync("""
            INSERT INTO directives (directive_id, ord, issuer_region_code, directive_number, state, version,
                                    sign_deadline_us, completion_deadline_us, withdrawn_us, issued_us, recipient_count)
            VALUES ('d1', 1, '370600000000', 'ZL-1', 1, 1, 1000, 5000, NULL, 1, 3);
            INSERT INTO directive_receipts (directive_id, recipient_region_code, state, version, signed_us, completed_us, delivered_us)
            VALUES ('d1', '370602000000', 2, 2, 900, NULL, NULL), ('d1', '370611000000', 1, 1, NULL, NULL, NULL),
                   ('d1', '370612000000', 6, 2, NULL, NULL, NULL);
            """, Timeout);

        // Tiny catch-up steps: the classification resumes across batches, windows and reads.
        var sql = (SqlHubStore)Store;
        (sql.CatchUpBatch, sql.CatchUpWindow, sql.MaxCatchUpSteps) = (1, 3, 1_000);
        await Store.MigrateAsync(Timeout);
        Assert.Contains(14, await Store.GetAppliedMigrationsAsync(Timeout));

        // An older hub still running beside the upgraded store writes an open case without its
        // facet; this hub's next write finds the facets behind the head and leaves them there.
        await WriteAsOlderHubAsync(
            Record(new Case { Meta = Meta("case-3"), GridCode = GridA2, State = CaseState.InProgress, WarningColor = WarningColor.Yellow },
                EntityType.Case, "case-3", GridA2));
        await Store.IngestAsync(Batch(CountyA, "r-after", Person(0, "p5", GridA3, 1, "c-p5", CountyA)), Timeout);
        var (facetSeq, head) = await FacetSeqAndHeadAsync();
        Assert.Equal(0, facetSeq);
        Assert.Equal(14, head);
        var compliance = (await StatsAsync("370600000000")).DirectiveCompliance;
        Assert.Equal(2, compliance.ReceiptCount);
        Assert.Equal(1, compliance.SignedForOnTimeCount);
        Assert.Equal(2, compliance.OverdueCount);
        Assert.Equal(1, (await StatsAsync("370602000000")).DirectiveCompliance.ReceiptCount);

        var zhifu = await StatsAsync("370602000000");
        Assert.Equal(3, zhifu.ResidentCount);
        Assert.Equal(2, zhifu.GridCount);
        Assert.Equal(1, zhifu.GridWorkerCount);
        Assert.Equal(1, zhifu.FullTimeWorkerCount);
        Assert.Equal(0.5, zhifu.GridCoverage);
        Assert.Equal(2, zhifu.OpenCaseCount);
        Assert.Equal(1, zhifu.OverdueCaseCount);
        Assert.Equal(1, zhifu.CasesByColor.Single(c => c.Color == WarningColor.Red).OverdueCount);
        Assert.Equal(1, zhifu.CasesByColor.Single(c => c.Color == WarningColor.Yellow).OpenCount);
        Assert.Equal(4, (await StatsAsync("370000000000")).ResidentCount);
        Assert.Equal(1, (await StatsAsync(Village)).GridCoverage);
        Assert.Equal(2, (await StatsAsync(GridA1)).ResidentCount);
        Assert.Equal((14L, 14L), await FacetSeqAndHeadAsync());

        // After the upgrade the triggers keep them: a move to another county and a closed case.
        await Store.IngestAsync(Batch(CountyB, "r4", Indexed(
        [
            Person(0, "p2", GridB1, 2, "c-p2-2", CountyB, takeOver: true),
        ])), Timeout);
        await Store.IngestAsync(Batch(CountyA, "r5", Indexed(
        [
            Record(new Case { Meta = Meta("case-1", 2), GridCode = GridA1, State = CaseState.Closed, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Red },
                EntityType.Case, "case-1", GridA1, version: 2),
        ])), Timeout);
        Assert.Equal((16L, 16L), await FacetSeqAndHeadAsync());
        zhifu = await StatsAsync("370602000000");
        Assert.Equal(2, zhifu.ResidentCount);
        Assert.Equal(1, zhifu.OpenCaseCount);
        Assert.Equal(0, zhifu.OverdueCaseCount);
        Assert.Equal(2, (await StatsAsync("370611000000")).ResidentCount);
        Assert.Equal(4, (await StatsAsync("370600000000")).ResidentCount);
    }

    [Fact]
    public async Task EveryWrite_FillsTheStatFacet_SoAReadHasNothingToClassify()
    {
        await Store.MigrateAsync(Timeout);
        var live = new Dictionary<(EntityType, string), (string Scope, Google.Protobuf.IMessage Message)>();

        // New records (on PostgreSQL the COPY path), of every facet a worker or case can have.
        ValidChange[] created =
        [
            Record(new Grid { Meta = Meta(GridA1), Code = GridA1, Name = "一网格", Type = GridType.Basic, VillageCode = Village }, EntityType.Grid, GridA1, GridA1),
            Record(new GridWorker { Meta = Meta("w1"), Number = "w1", GridCode = GridA1, Name = "王五", Employment = EmploymentType.FullTime },
                EntityType.GridWorker, "w1", GridA1),
            Record(new GridWorker { Meta = Meta("w2"), Number = "w2", GridCode = GridA2, Name = "赵六", Employment = EmploymentType.PartTime },
                EntityType.GridWorker, "w2", GridA2),
            Record(new GridWorker { Meta = Meta("w3"), Number = "w3", GridCode = GridB1, Name = "钱七" }, EntityType.GridWorker, "w3", GridB1),
            Record(new Case { Meta = Meta("case-1"), GridCode = GridA1, State = CaseState.InProgress, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Red },
                EntityType.Case, "case-1", GridA1),
            Record(new Case { Meta = Meta("case-2"), GridCode = GridA1, State = CaseState.Closed, WarningColor = WarningColor.Blue }, EntityType.Case, "case-2", GridA1),
            Record(new Case { Meta = Meta("case-3"), GridCode = GridA3, State = CaseState.Reported, OverdueLevel = OverdueLevel.YellowCard, WarningColor = WarningColor.Orange },
                EntityType.Case, "case-3", GridA3),
            Record(new Case { Meta = Meta("case-4"), GridCode = GridB1, State = CaseState.InProgress, WarningColor = WarningColor.Yellow }, EntityType.Case, "case-4", GridB1),
            Person(0, "p1", GridA1, 1, "c-p1", CountyA),
            Person(0, "p2", GridB1, 1, "c-p2", CountyA),
        ];
        await IngestAsync("f1", live, created);
        Assert.Equal((10L, 10L), await FacetSeqAndHeadAsync());

        // Changes to stored records (on PostgreSQL the update by ctid) beside a new one, and a
        // deletion: a case closes, another turns red, a worker turns full time, one leaves.
        await IngestAsync("f2", live,
        [
            Record(new Case { Meta = Meta("case-1", 2), GridCode = GridA1, State = CaseState.Closed, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Red },
                EntityType.Case, "case-1", GridA1, version: 2),
            Record(new Case { Meta = Meta("case-4", 2), GridCode = GridB1, State = CaseState.InProgress, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Red },
                EntityType.Case, "case-4", GridB1, version: 2),
            Record(new GridWorker { Meta = Meta("w2", 2), Number = "w2", GridCode = GridA2, Name = "赵六", Employment = EmploymentType.FullTime },
                EntityType.GridWorker, "w2", GridA2, version: 2),
            Delete(0, EntityType.GridWorker, "w3", 2, "c-w3-d", CountyA),
            Record(new Case { Meta = Meta("case-5"), GridCode = GridA2, State = CaseState.Accepted, WarningColor = WarningColor.Blue }, EntityType.Case, "case-5", GridA2),
        ]);
        Assert.Equal((15L, 15L), await FacetSeqAndHeadAsync());

        // A case the hub manages (CaseService's path): reported, then handled past its red card.
        await WriteHubCaseAsync(live, "hub-case-1", isNew: true, CaseState.Reported, OverdueLevel.None, WarningColor.Blue);
        await WriteHubCaseAsync(live, "hub-case-1", isNew: false, CaseState.InProgress, OverdueLevel.RedCard, WarningColor.Orange);
        Assert.Equal((17L, 17L), await FacetSeqAndHeadAsync());

        // Each stored facet is the one its payload gives; a deleted worker keeps none.
        var stored = (await ((SqlHubStore)Store).QuerySqlAsync(
                $"SELECT entity_type, entity_key, stat_facet, deleted FROM entities WHERE entity_type IN ({(int)EntityType.GridWorker}, {(int)EntityType.Case})",
                Timeout))
            .ToDictionary(r => ((EntityType)Convert.ToInt32(r[0], CultureInfo.InvariantCulture), (string)r[1]!), r => Convert.ToInt16(r[2], CultureInfo.InvariantCulture));
        Assert.Equal(9, stored.Count);
        Assert.Equal(StatFacets.Unclassified, stored[(EntityType.GridWorker, "w3")]);
        foreach (var ((type, key), record) in live.Where(l => StatFacets.HasPayloadFacet(l.Key.Item1)))
        {
            Assert.NotEqual(StatFacets.Unclassified, stored[(type, key)]);
            Assert.Equal(StatFacets.Of(type, record.Message), stored[(type, key)]);
        }

        // The figures equal a count of the records themselves.
        string[] codes = ["370000000000", "370600000000", "370602000000", "370611000000", "370602001000", Village, GridA1, GridA2, GridA3, GridB1];
        foreach (var code in codes)
        {
            AssertRecount(code, live, await StatsAsync(code));
        }

        // The catch-up made to look again at every change from the first finds nothing to change.
        var facets = await SnapshotAsync("SELECT entity_type, entity_key, stat_facet FROM entities");
        var counters = await SnapshotAsync("SELECT code, entity_type, facet, n FROM region_stats WHERE n <> 0");
        await ((SqlHubStore)Store).ExecuteSqlAsync("UPDATE stats_state SET facet_seq = 0 WHERE id = 1", Timeout);
        await StatsAsync(GridA1);
        Assert.Equal((17L, 17L), await FacetSeqAndHeadAsync());
        Assert.Equal(facets, await SnapshotAsync("SELECT entity_type, entity_key, stat_facet FROM entities"));
        Assert.Equal(counters, await SnapshotAsync("SELECT code, entity_type, facet, n FROM region_stats WHERE n <> 0"));
    }

    // The figures the payloads give for `code`, counted one record at a time.
    private static void AssertRecount(
        string code, Dictionary<(EntityType, string), (string Scope, Google.Protobuf.IMessage Message)> live, RegionStats stats)
    {
        var under = live.Where(l => CodesOf(l.Value.Scope).Contains(code)).ToList();
        var workers = under.Select(l => l.Value.Message).OfType<GridWorker>().ToList();
        var open = under.Select(l => l.Value.Message).OfType<Case>().Where(c => StatFacets.IsOpen(c.State)).ToList();
        static bool Late(Case c) => c.OverdueLevel is OverdueLevel.YellowCard or OverdueLevel.RedCard;
        Assert.Equal(under.Count(l => l.Key.Item1 == EntityType.Person), stats.ResidentCount);
        Assert.Equal(under.Count(l => l.Key.Item1 == EntityType.Grid), stats.GridCount);
        Assert.Equal(workers.Count, stats.GridWorkerCount);
        Assert.Equal(workers.Count(w => w.Employment == EmploymentType.FullTime), stats.FullTimeWorkerCount);
        Assert.Equal(open.Count, stats.OpenCaseCount);
        Assert.Equal(open.Count(Late), stats.OverdueCaseCount);
        foreach (var color in stats.CasesByColor)
        {
            Assert.Equal(open.Count(c => c.WarningColor == color.Color), color.OpenCount);
            Assert.Equal(open.Count(c => c.WarningColor == color.Color && Late(c)), color.OverdueCount);
        }
    }

    // The codes a record at `scope` counts under: each level from the province down to the scope.
    private static HashSet<string> CodesOf(string scope) =>
        [scope[..2] + "0000000000", scope[..4] + "00000000", scope[..6] + "000000", scope[..9] + "000", scope[..12], scope];

    private async Task IngestAsync(
        string requestId, Dictionary<(EntityType, string), (string Scope, Google.Protobuf.IMessage Message)> live, ValidChange[] changes)
    {
        var outcome = await Store.IngestAsync(Batch(CountyA, requestId, Indexed(changes)), Timeout);
        Assert.All(outcome.Commit!.Plan, p => Assert.Equal(PlanStatus.Applied, p.Status));
        foreach (var change in changes.Select(c => c.Change))
        {
            if (change.Operation == ChangeOperation.Delete)
            {
                live.Remove((change.EntityType, change.EntityKey));
            }
            else
            {
                live[(change.EntityType, change.EntityKey)] = (change.RegionCode, EntityRecords.PayloadOf(change)!);
            }
        }
    }

    private async Task WriteHubCaseAsync(
        Dictionary<(EntityType, string), (string Scope, Google.Protobuf.IMessage Message)> live, string key, bool isNew,
        CaseState state, OverdueLevel overdue, WarningColor color)
    {
        var version = isNew ? 1 : 2;
        var record = new Case
        {
            Meta = new EntityMeta { Id = key, Version = version, SourceSystem = IngestPlanner.HubOwner },
            GridCode = GridA2, State = state, OverdueLevel = overdue, WarningColor = color,
        };
        var request = new DirectiveRequest("grid-app", $"{key}-{version}", "CaseService/Test", [(byte)version]);
        var outcome = await Store.WriteHubRecordAsync(
            new HubRecordWrite(request, EntityType.Case, key, isNew, "", (_, _) => new HubRecordPlan(record, GridA2, "AJ-" + key, (int)state, null, [1])),
            Timeout);
        Assert.False(outcome.Repeated || outcome.RequestIdReused || outcome.NumberTaken);
        live[(EntityType.Case, key)] = (GridA2, record);
    }

    private async Task<(long FacetSeq, long Head)> FacetSeqAndHeadAsync()
    {
        var row = (await ((SqlHubStore)Store).QuerySqlAsync(
            "SELECT (SELECT facet_seq FROM stats_state WHERE id = 1), (SELECT last_seq FROM feed_head WHERE id = 1)", Timeout)).Single();
        return (Convert.ToInt64(row[0], CultureInfo.InvariantCulture), Convert.ToInt64(row[1], CultureInfo.InvariantCulture));
    }

    // A query's rows as sorted text, comparable across the providers' column types.
    private async Task<List<string>> SnapshotAsync(string sql) =>
        [.. (await ((SqlHubStore)Store).QuerySqlAsync(sql, Timeout))
            .Select(r => string.Join('|', r.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))))
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// Writes <paramref name="changes"/> in one transaction as a hub before this one did (schema
    /// 12, or 14 before every write filled the facet): each change logged at the next sequence
    /// with its payload encrypted and bound to it, its id and bucket, the entity's current state
    /// without a stat facet, and the head, which moves alone (stats_state is left behind).
    /// </summary>
    private async Task WriteAsOlderHubAsync(params ValidChange[] changes)
    {
        var postgres = Store.Kind == "postgresql";
        string Blob(byte[] bytes) => postgres ? $"'\\x{Convert.ToHexString(bytes)}'::bytea" : $"X'{Convert.ToHexString(bytes)}'";
        var at = postgres ? "'2023-11-14T22:13:20Z'::timestamptz" : "1700000000000000";
        var sequence = (await Store.GetFeedHeadAsync(Timeout)).LastSequence;
        var sql = new System.Text.StringBuilder();
        foreach (var valid in changes)
        {
            var change = valid.Change;
            var scope = valid.RegionCode!;
            var deleted = change.Operation == ChangeOperation.Delete;
            sequence++;
            var payload = deleted
                ? "NULL"
                : Blob(TestKeys.Protection.Protect(EntityRecords.PayloadOf(change)!, new PayloadBinding(sequence, change.EntityType, change.EntityKey)));
            var bucket = FeedScope.BucketOf(scope);
            sql.Append(CultureInfo.InvariantCulture, $"""
                INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                        operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
                VALUES ({sequence}, {(int)change.EntityType}, '{change.EntityKey}', '{scope}', NULL, '{bucket}', NULL,
                        {(int)change.Operation}, {change.EntityVersion}, '{change.SourceSystem}', '{change.SourceChangeId}', '0', {at}, {payload});
                INSERT INTO source_changes (source_system, source_change_id, seq) VALUES ('{change.SourceSystem}', '{change.SourceChangeId}', {sequence});
                INSERT INTO feed_buckets (bucket) VALUES ('{bucket}') ON CONFLICT DO NOTHING;
                INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, deleted, last_seq)
                VALUES ({(int)change.EntityType}, '{change.EntityKey}', '{scope}', '{valid.ParentKey}', {change.EntityVersion},
                        '{change.SourceSystem}', {at}, '{(deleted ? 1 : 0)}', {sequence})
                ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                    scope_code = excluded.scope_code, parent_key = excluded.parent_key, version = excluded.version,
                    source_system = excluded.source_system, updated_at = excluded.updated_at,
                    deleted = excluded.deleted, last_seq = excluded.last_seq;

                """);
        }

        sql.Append(CultureInfo.InvariantCulture, $"UPDATE feed_head SET last_seq = {sequence}, last_committed_at = {at} WHERE id = 1;");
        await ((SqlHubStore)Store).ExecuteSqlAsync(sql.ToString(), Timeout);
    }

    private async Task<RegionStats> StatsAsync(string code)
    {
        var figures = (await Store.ReadRegionFiguresAsync([code], DateTimeOffset.UtcNow, Timeout))[code];
        return RegionStatsCalculator.Compute(code, code, RegionLevel.Unspecified, figures.Counters, figures.Compliance, DateTimeOffset.UtcNow);
    }

    private static EntityMeta Meta(string id, long version = 1) => new() { Id = id, Version = version, SourceSystem = CountyA };

    private static ValidChange Record(Google.Protobuf.IMessage payload, EntityType type, string key, string scope, string parent = "", long version = 1)
    {
        var change = new Change
        {
            EntityType = type, EntityKey = key, Operation = ChangeOperation.Upsert, EntityVersion = version,
            SourceChangeId = $"c-{key}-{version}", SourceSystem = CountyA, RegionCode = scope,
        };
        switch (payload)
        {
            case Region region: change.Region = region; break;
            case Grid grid: change.Grid = grid; break;
            case GridWorker worker: change.GridWorker = worker; break;
            case Case record: change.CaseRecord = record; break;
        }

        return new ValidChange(0, change, scope, parent);
    }
}

/// <summary>Migration 14 on SQLite.</summary>
public sealed class SqliteRegionStatsStoreTests : RegionStatsStoreTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-stats-").FullName;

    /// <inheritdoc />
    protected override Task<IHubStore> CreateStoreAsync() =>
        Task.FromResult<IHubStore>(new SqliteHubStore(Path.Combine(_directory, "store.db"), TestKeys.Protection));

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Migration 14 on PostgreSQL.</summary>
public sealed class PostgresRegionStatsStoreTests : RegionStatsStoreTests
{
    /// <inheritdoc />
    protected override async Task<IHubStore> CreateStoreAsync() =>
        new PostgresHubStore(await PostgresServer.NewDatabaseAsync("stats-store"), TestKeys.Protection);
}
