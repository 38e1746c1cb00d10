using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// What the sync engine keeps durably besides what ingest commits: per peer and link, the PUSH
/// link's acked hub cursor and every link's health, shared by all replicas (table
/// <c>sync_links</c>, migration 11). A pulled source's checkpoint is not here: ingest commits it
/// with each batch (<see cref="IHubStore.GetSourceCheckpointAsync"/>).
/// </summary>
public interface ISyncStore
{
    /// <summary>The stored state of one link, or null before its first run.</summary>
    Task<SyncLinkState?> GetSyncLinkAsync(string peerId, SyncDirection direction, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the stored state of one link.</summary>
    Task SaveSyncLinkAsync(SyncLinkState state, CancellationToken cancellationToken);

    /// <summary>
    /// The live records owned by <paramref name="sourceSystem"/> (EntityMeta.source_system), with
    /// their versions: what a pulled full export that reached SNAPSHOT_END is compared with. Reads
    /// the whole entity table filtered by owner (full exports are rare; no index for it).
    /// </summary>
    Task<IReadOnlyList<OwnedRecord>> ListOwnedRecordsAsync(string sourceSystem, CancellationToken cancellationToken);
}

/// <summary>A live record's identity, version and place, without its payload.</summary>
/// <param name="Type">Entity type.</param>
/// <param name="Key">Entity key.</param>
/// <param name="Version">Version held.</param>
/// <param name="ScopeCode">Where it lies.</param>
public sealed record OwnedRecord(EntityType Type, string Key, long Version, string ScopeCode);

/// <summary>The durable state of one sync link of a peer.</summary>
/// <param name="PeerId">The peer.</param>
/// <param name="Direction">PULL, PUSH or DIRECTIVES.</param>
/// <param name="Position">PUSH: the hub cursor the sink acked ("" before the first reload ended). PULL: the last checkpoint, for display.</param>
/// <param name="LastAttemptAt">When a run last started.</param>
/// <param name="LastSuccessAt">When a run last succeeded.</param>
/// <param name="LastError">The last error for people ("" after a success).</param>
/// <param name="LastErrorAt">When it happened.</param>
/// <param name="ConsecutiveFailures">Failed runs since the last success.</param>
/// <param name="LagChanges">Changes behind as of the last run (PULL: the peer's estimate).</param>
/// <param name="LagSeconds">Seconds behind as of the last run.</param>
public sealed record SyncLinkState(
    string PeerId,
    SyncDirection Direction,
    string Position,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? LastSuccessAt,
    string LastError,
    DateTimeOffset? LastErrorAt,
    int ConsecutiveFailures,
    long LagChanges,
    long LagSeconds)
{
    /// <summary>A link that never ran.</summary>
    public static SyncLinkState New(string peerId, SyncDirection direction) =>
        new(peerId, direction, "", null, null, "", null, 0, 0, 0);
}
