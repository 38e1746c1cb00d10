using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// The hub's storage port. The gRPC services and jobs talk only to this; the PostgreSQL and
/// SQLite adapters implement it with the same semantics, proved by one contract test suite.
/// </summary>
public interface IHubStore : IAsyncDisposable
{
    /// <summary>"postgresql" or "sqlite": for logs and health output.</summary>
    string Kind { get; }

    /// <summary>Applies every migration not yet applied. Safe to call from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Returns the applied migration ids in order.</summary>
    Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken cancellationToken);

    /// <summary>True when no entity has been stored yet (first start).</summary>
    Task<bool> IsEmptyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Loads current state in bulk (first-start sample, snapshots). A record replaces the stored
    /// one only when its version is newer; of equal versions the first one seen is kept. Loading
    /// the same input twice therefore changes nothing.
    /// </summary>
    /// <returns>The number of records read.</returns>
    Task<long> BulkLoadAsync(IAsyncEnumerable<EntityRecord> records, CancellationToken cancellationToken);

    /// <summary>Reads one entity by type and key, or null.</summary>
    Task<EntityRecord?> GetAsync(EntityType type, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Lists entities whose scope code starts with <paramref name="scopePrefix"/>, in
    /// (scope code, key) order after <paramref name="after"/>: an index range scan, not a table scan.
    /// </summary>
    Task<IReadOnlyList<EntityRecord>> ListInScopeAsync(
        EntityType type, string scopePrefix, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>Lists the entities whose parent key is <paramref name="parentKey"/> ("" = top level), in key order.</summary>
    Task<IReadOnlyList<EntityRecord>> ListChildrenAsync(
        EntityType type, string parentKey, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>Round trip to the database, for health checks.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}

/// <summary>One entity's current state.</summary>
/// <param name="Type">The entity type.</param>
/// <param name="Key">The stable key (<c>meta.id</c>).</param>
/// <param name="ScopeCode">The finest region or grid code the entity lies in; prefix scans use it.</param>
/// <param name="ParentKey">The parent's key for tree-shaped entities (regions), otherwise "".</param>
/// <param name="Version">Monotonic version from the source.</param>
/// <param name="SourceSystem">The system that owns the record.</param>
/// <param name="UpdatedAt">When the source last changed it.</param>
/// <param name="Payload">The entity message in protobuf binary form.</param>
public sealed record EntityRecord(
    EntityType Type,
    string Key,
    string ScopeCode,
    string ParentKey,
    long Version,
    string SourceSystem,
    DateTimeOffset UpdatedAt,
    ReadOnlyMemory<byte> Payload);

/// <summary>A position in (scope code, key) order, for keyset paging.</summary>
public readonly record struct EntityPosition(string ScopeCode, string Key);
