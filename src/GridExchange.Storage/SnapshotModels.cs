using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>One current record served by a snapshot.</summary>
/// <param name="Type">Entity type.</param>
/// <param name="Key">Entity key.</param>
/// <param name="ScopeCode">Where it is.</param>
/// <param name="Version">Its version.</param>
/// <param name="SourceSystem">Its owner.</param>
/// <param name="Sequence">The sequence of its last change (0 for records loaded before the change log existed).</param>
/// <param name="CommittedAt">When its last change committed.</param>
/// <param name="Payload">The entity message.</param>
public sealed record SnapshotRecord(
    EntityType Type, string Key, string ScopeCode, long Version, string SourceSystem, long Sequence, DateTimeOffset CommittedAt, byte[] Payload);

/// <summary>A key and version under a region, for digests.</summary>
/// <param name="Key">Entity key.</param>
/// <param name="Version">Entity version.</param>
/// <param name="RegionCode">Where the record is.</param>
public readonly record struct DigestEntry(string Key, long Version, string RegionCode);

/// <summary>
/// A read transaction over one consistent state of the store, for snapshots and digests.
/// Everything read through it is as of <see cref="Head"/>.
/// </summary>
public interface IStoreSnapshot : IAsyncDisposable
{
    /// <summary>The log head the view is consistent with.</summary>
    FeedHead Head { get; }

    /// <summary>
    /// Live records of <paramref name="type"/> whose scope code starts with
    /// <paramref name="prefix"/> ("" = all), in (scope code, key) order after <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<SnapshotRecord>> ReadAsync(
        EntityType type, string prefix, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Keys and versions of the live records of <paramref name="type"/> under
    /// <paramref name="prefix"/> as they were after sequence <paramref name="asOf"/>
    /// (at most the head): records changed since are read back from the log.
    /// </summary>
    Task<IReadOnlyList<DigestEntry>> ReadDigestEntriesAsync(
        EntityType type, string prefix, long asOf, CancellationToken cancellationToken);

    /// <summary>
    /// The mark (<c>FeedCursor.MarkOf</c> its commit time) of the change logged at
    /// <paramref name="sequence"/>, or null when the log does not hold it.
    /// </summary>
    Task<long?> ReadMarkAsync(long sequence, CancellationToken cancellationToken);
}

/// <summary>What a retention pass did.</summary>
/// <param name="FirstRetainedSequence">The log's first retained sequence afterwards.</param>
/// <param name="ChangesRemoved">Log rows deleted.</param>
/// <param name="RequestsForgotten">Stored SubmitChanges answers deleted.</param>
/// <param name="PayloadsReencrypted">Payloads moved to the active key (<see cref="IHubStore.ReencryptPayloadsAsync"/>).</param>
public sealed record RetentionResult(long FirstRetainedSequence, long ChangesRemoved, long RequestsForgotten, long PayloadsReencrypted = 0);
