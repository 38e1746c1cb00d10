using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>Builders for store-level tests: changes that already passed validation.</summary>
internal static class StoreContract
{
    public const string CountyA = "county-370602";
    public const string CountyB = "county-370611";
    public const string GridA1 = "370602001001001";
    public const string GridA2 = "370602001001002";
    public const string GridA3 = "370602002001001";
    public const string GridB1 = "370611001001001";

    /// <summary>A person UPSERT located in <paramref name="grid"/>.</summary>
    public static ValidChange Person(
        int index, string key, string grid, long version, string changeId, string source, bool takeOver = false, string name = "张三", string citizenId = "")
    {
        var change = new Change
        {
            EntityType = EntityType.Person,
            EntityKey = key,
            Operation = ChangeOperation.Upsert,
            EntityVersion = version,
            SourceChangeId = changeId,
            SourceSystem = source,
            RegionCode = grid,
            TakeOver = takeOver,
            Person = new Person
            {
                Meta = new EntityMeta { Id = key, Version = version, SourceSystem = source }, Name = name, GridCode = grid, CitizenId = citizenId,
            },
        };
        return new ValidChange(index, change, grid, "");
    }

    /// <summary>A DELETE of <paramref name="key"/>.</summary>
    public static ValidChange Delete(int index, EntityType type, string key, long version, string changeId, string source) =>
        new(index, new Change
        {
            EntityType = type,
            EntityKey = key,
            Operation = ChangeOperation.Delete,
            EntityVersion = version,
            SourceChangeId = changeId,
            SourceSystem = source,
        }, null, "");

    /// <summary>A batch whose stored answer is the batch's request id, so replays are recognisable.</summary>
    public static IngestBatch Batch(string source, string requestId, params ValidChange[] changes) =>
        new(source, requestId, System.Text.Encoding.UTF8.GetBytes(requestId + string.Join(',', changes.Select(c => c.Change.SourceChangeId))),
            null, changes, _ => System.Text.Encoding.UTF8.GetBytes("answer:" + requestId));

    /// <summary>Re-indexes changes 0..n-1 (the planner reports by index).</summary>
    public static ValidChange[] Indexed(IEnumerable<ValidChange> changes) =>
        changes.Select((c, i) => c with { Index = i }).ToArray();

    /// <summary>Reads the whole feed for a scope from <paramref name="after"/>, page by page.</summary>
    public static async Task<List<(LoggedChange Logged, ChangeOperation Seen)>> ReadAllAsync(
        IHubStore store, FeedScope scope, long after, int pageSize, CancellationToken cancellationToken)
    {
        var seen = new List<(LoggedChange, ChangeOperation)>();
        while (true)
        {
            var page = await store.ReadFeedAsync(new FeedQuery(after, scope, pageSize), cancellationToken);
            foreach (var logged in page.Changes)
            {
                if (scope.Project(logged.Type, logged.Operation, logged.RegionCode, logged.OldRegionCode) is { } operation)
                {
                    seen.Add((logged, operation));
                }
            }

            after = page.Next;
            if (page.CaughtUp)
            {
                return seen;
            }
        }
    }
}
