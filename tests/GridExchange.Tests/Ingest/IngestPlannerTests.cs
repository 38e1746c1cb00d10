using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;

namespace GridExchange.Tests.Ingest;

public class IngestPlannerTests
{
    private const string Zhifu = "county-370602";
    private const string Fushan = "county-370611";

    private static ValidChange Upsert(int index, string key, long version, string changeId, string grid = "370602001001001", bool takeOver = false) =>
        new(index, new Change
        {
            EntityType = EntityType.Person, EntityKey = key, Operation = ChangeOperation.Upsert, EntityVersion = version,
            SourceChangeId = changeId, TakeOver = takeOver, Person = new Person { Meta = new EntityMeta { Id = key }, GridCode = grid },
        }, grid, "");

    private static ValidChange Delete(int index, string key, long version, string changeId) =>
        new(index, new Change { EntityType = EntityType.Person, EntityKey = key, Operation = ChangeOperation.Delete, EntityVersion = version, SourceChangeId = changeId }, null, "");

    private static Dictionary<EntityId, StoredEntity> Held(params (string Key, long Version, string Owner, string Region, bool Deleted)[] entities) =>
        entities.ToDictionary(e => new EntityId(EntityType.Person, e.Key), e => new StoredEntity(e.Version, e.Owner, e.Region, e.Deleted));

    [Fact]
    public void Plan_AppliesInOrder_AndLaterChangesInTheBatchSeeEarlierOnes()
    {
        var plan = IngestPlanner.Plan(Zhifu, [Upsert(0, "p", 1, "a"), Upsert(1, "p", 2, "b"), Upsert(2, "p", 2, "c"), Upsert(3, "p", 3, "a")], Held(), new HashSet<string>());
        Assert.Equal([PlanStatus.Applied, PlanStatus.Applied, PlanStatus.Stale, PlanStatus.Duplicate], plan.Select(p => p.Status));
        Assert.Equal(2, plan[2].StoredVersion);
    }

    [Fact]
    public void Plan_SeenChangeIds_AreDuplicates_EvenWithNewerVersions()
    {
        var plan = IngestPlanner.Plan(Zhifu, [Upsert(0, "p", 9, "seen")], Held(), new HashSet<string> { "seen" });
        Assert.Equal(PlanStatus.Duplicate, Assert.Single(plan).Status);
    }

    [Fact]
    public void Plan_AnotherSourcesRecord_IsNotOwner_UnlessTakenOver_AndHubRecordsNever()
    {
        var held = Held(("p", 1, Zhifu, "370602001001001", false), ("h", 1, IngestPlanner.HubOwner, "370611001001001", false));
        var plan = IngestPlanner.Plan(Fushan,
            [Upsert(0, "p", 2, "a", "370611001001001"), Upsert(1, "p", 2, "b", "370611001001001", takeOver: true),
             Upsert(2, "h", 2, "c", "370611001001001", takeOver: true), Delete(3, "p", 3, "d")],
            held, new HashSet<string>());
        Assert.Equal([PlanStatus.Rejected, PlanStatus.Applied, PlanStatus.Rejected, PlanStatus.Applied], plan.Select(p => p.Status));
        Assert.Equal(ErrorReasons.NotOwner, plan[0].Reason);
        Assert.True(plan[1].OwnerChanged);
        Assert.Equal("370602001001001", plan[1].OldRegionCode);
        Assert.Equal(ErrorReasons.NotOwner, plan[2].Reason);
        Assert.False(plan[3].OwnerChanged);
        Assert.Equal("370611001001001", plan[3].RegionCode);
    }

    [Fact]
    public void Plan_Deletes_NeedARecord_AndTombstonesKeepVersions()
    {
        var held = Held(("gone", 5, Zhifu, "370602001001001", true));
        var plan = IngestPlanner.Plan(Zhifu,
            [Delete(0, "never", 1, "a"), Delete(1, "gone", 6, "b"), Upsert(2, "gone", 5, "c"), Upsert(3, "gone", 6, "d")],
            held, new HashSet<string>());
        Assert.Equal([PlanStatus.Rejected, PlanStatus.Rejected, PlanStatus.Stale, PlanStatus.Applied], plan.Select(p => p.Status));
        Assert.Equal([ErrorReasons.NotFound, ErrorReasons.NotFound, ErrorReasons.StaleVersion, null], plan.Select(p => p.Reason));
        Assert.Null(plan[3].OldRegionCode);
    }

    [Fact]
    public void Plan_AMoveRecordsWhereTheRecordWas()
    {
        var held = Held(("p", 1, Zhifu, "370602001001001", false));
        var plan = IngestPlanner.Plan(Zhifu, [Upsert(0, "p", 2, "a", "370602002001001"), Upsert(1, "p", 3, "b", "370602002001001")], held, new HashSet<string>());
        Assert.Equal("370602001001001", plan[0].OldRegionCode);
        Assert.Null(plan[1].OldRegionCode);
    }
}
