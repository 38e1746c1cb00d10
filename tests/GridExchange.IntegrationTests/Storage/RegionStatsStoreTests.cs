using GridExchange.Domain.Ingest;
using GridExchange.Domain.Stats;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Storage.StoreContract;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// Migration 14 on a store an older hub filled (the counters are backfilled from the records
/// already stored, the payload facets classified from the log), then kept by the triggers.
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
        await ((SqlHubStore)Store).MigrateAsync(throughId: 12, Timeout);
        await Store.IngestAsync(Batch(CountyA, "r1", Indexed(
        [
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
            Person(0, "p3", GridA2, 1, "c-p3", CountyA),
        ])), Timeout);
        await Store.IngestAsync(Batch(CountyA, "r2", Delete(0, EntityType.Person, "p3", 2, "c-p3-d", CountyA)), Timeout);
        await Store.IngestAsync(Batch(CountyB, "r3", Person(0, "p4", GridB1, 1, "c-p4", CountyB)), Timeout);

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
        var compliance = (await StatsAsync("370600000000")).DirectiveCompliance;
        Assert.Equal(2, compliance.ReceiptCount);
        Assert.Equal(1, compliance.SignedForOnTimeCount);
        Assert.Equal(2, compliance.OverdueCount);
        Assert.Equal(1, (await StatsAsync("370602000000")).DirectiveCompliance.ReceiptCount);

        var zhifu = await StatsAsync("370602000000");
        Assert.Equal(2, zhifu.ResidentCount);
        Assert.Equal(2, zhifu.GridCount);
        Assert.Equal(1, zhifu.GridWorkerCount);
        Assert.Equal(1, zhifu.FullTimeWorkerCount);
        Assert.Equal(0.5, zhifu.GridCoverage);
        Assert.Equal(1, zhifu.OpenCaseCount);
        Assert.Equal(1, zhifu.OverdueCaseCount);
        Assert.Equal(1, zhifu.CasesByColor.Single(c => c.Color == WarningColor.Red).OverdueCount);
        Assert.Equal(3, (await StatsAsync("370000000000")).ResidentCount);
        Assert.Equal(1, (await StatsAsync(Village)).GridCoverage);
        Assert.Equal(2, (await StatsAsync(GridA1)).ResidentCount);

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
        zhifu = await StatsAsync("370602000000");
        Assert.Equal(1, zhifu.ResidentCount);
        Assert.Equal(0, zhifu.OpenCaseCount);
        Assert.Equal(2, (await StatsAsync("370611000000")).ResidentCount);
        Assert.Equal(3, (await StatsAsync("370600000000")).ResidentCount);
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
