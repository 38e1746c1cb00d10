using GridExchange.Domain.Errors;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>The key of an entity: its type and stable id.</summary>
/// <param name="Type">The entity type.</param>
/// <param name="Key">The entity's <c>meta.id</c>.</param>
public readonly record struct EntityId(EntityType Type, string Key);

/// <summary>What the hub holds of an entity when a batch arrives.</summary>
/// <param name="Version">The last version applied.</param>
/// <param name="Owner">The source system that owns the record.</param>
/// <param name="RegionCode">Where the record is (for a deleted one: where it was).</param>
/// <param name="Deleted">Whether the last change deleted it (a tombstone keeps version and owner).</param>
public sealed record StoredEntity(long Version, string Owner, string RegionCode, bool Deleted);

/// <summary>A submitted change that passed <c>ChangeValidator</c>.</summary>
/// <param name="Index">Its index in the request.</param>
/// <param name="Change">The normalised change (<c>ChangeCheck.Normalized</c>).</param>
/// <param name="RegionCode">Its derived location; null for DELETE.</param>
/// <param name="ParentKey">The parent key (regions) or "".</param>
public sealed record ValidChange(int Index, Change Change, string? RegionCode, string ParentKey);

/// <summary>How a planned change ends.</summary>
public enum PlanStatus
{
    /// <summary>Applied; it gets a sequence.</summary>
    Applied = 1,

    /// <summary>Its (source, source_change_id) was applied before.</summary>
    Duplicate = 2,

    /// <summary>Its version is not above the held one.</summary>
    Stale = 3,

    /// <summary>Not allowed (e.g. NOT_OWNER, NOT_FOUND).</summary>
    Rejected = 4,
}

/// <summary>The planned outcome of one valid change.</summary>
/// <param name="Index">Its index in the request.</param>
/// <param name="Change">The change.</param>
/// <param name="Status">What happens to it.</param>
/// <param name="Reason">For STALE and REJECTED: an <see cref="ErrorReasons"/> constant.</param>
/// <param name="Message">For STALE and REJECTED: an explanation.</param>
/// <param name="StoredVersion">For STALE: the version held.</param>
/// <param name="RegionCode">For APPLIED: where the record is after the change (DELETE: where it was).</param>
/// <param name="OldRegionCode">For APPLIED: where it was before, when the change moved it.</param>
/// <param name="ParentKey">For APPLIED: the parent key.</param>
/// <param name="OwnerChanged">For APPLIED: the change took the record over from another source.</param>
public sealed record PlannedChange(
    int Index,
    Change Change,
    PlanStatus Status,
    string? Reason,
    string? Message,
    long StoredVersion,
    string RegionCode,
    string? OldRegionCode,
    string ParentKey,
    bool OwnerChanged)
{
    /// <summary>The entity the change is about.</summary>
    public EntityId Entity => new(Change.EntityType, Change.EntityKey);
}

/// <summary>
/// Decides, without I/O, what a batch of valid changes does to what the hub holds: applies
/// them in order, reports repeats as DUPLICATE, older versions as STALE, writes to records
/// another source owns as REJECTED/NOT_OWNER unless they take the record over, and finds the
/// records that moved (for LEAVE/ENTER). The store runs it inside its write transaction, on
/// state read under the same lock, so the plan is what commits.
/// </summary>
public static class IngestPlanner
{
    /// <summary>Owner of records created through hub RPCs; they cannot be taken over.</summary>
    public const string HubOwner = "hub";

    /// <summary>Plans <paramref name="changes"/> (in request order) from <paramref name="source"/>.</summary>
    /// <param name="source">The submitting source system.</param>
    /// <param name="changes">The valid changes, in request order.</param>
    /// <param name="stored">What the hub holds of the entities the changes name (missing = never seen).</param>
    /// <param name="seenChangeIds">The changes' source_change_ids already applied for this source.</param>
    public static IReadOnlyList<PlannedChange> Plan(
        string source,
        IReadOnlyList<ValidChange> changes,
        IReadOnlyDictionary<EntityId, StoredEntity> stored,
        IReadOnlySet<string> seenChangeIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(seenChangeIds);

        var state = new Dictionary<EntityId, StoredEntity>(stored);
        var appliedIds = new HashSet<string>(StringComparer.Ordinal);
        var plan = new List<PlannedChange>(changes.Count);
        foreach (var valid in changes)
        {
            var change = valid.Change;
            var id = new EntityId(change.EntityType, change.EntityKey);
            state.TryGetValue(id, out var current);

            if (seenChangeIds.Contains(change.SourceChangeId) || appliedIds.Contains(change.SourceChangeId))
            {
                plan.Add(Outcome(valid, PlanStatus.Duplicate, ErrorReasons.Duplicate,
                    "This source_change_id was applied before; nothing changed.", 0));
                continue;
            }

            var isDelete = change.Operation == ChangeOperation.Delete;
            if (current is null && isDelete)
            {
                plan.Add(Outcome(valid, PlanStatus.Rejected, ErrorReasons.NotFound,
                    "The hub holds no such record to delete.", 0));
                continue;
            }

            var takesOver = current is not null && current.Owner != source;
            if (takesOver && (!change.TakeOver || isDelete || current!.Owner == HubOwner))
            {
                plan.Add(Outcome(valid, PlanStatus.Rejected, ErrorReasons.NotOwner, current!.Owner == HubOwner
                    ? "The record is owned by the hub and cannot be taken over; use the hub's RPCs."
                    : "The record is owned by another source system; drop the change, or set take_over if it moved into your jurisdiction.", 0));
                continue;
            }

            if (current is not null && change.EntityVersion <= current.Version)
            {
                plan.Add(Outcome(valid, PlanStatus.Stale, ErrorReasons.StaleVersion,
                    $"entity_version {change.EntityVersion} is not above the version the hub holds ({current.Version}).",
                    current.Version));
                continue;
            }

            if (isDelete && current!.Deleted)
            {
                plan.Add(Outcome(valid, PlanStatus.Rejected, ErrorReasons.NotFound,
                    "The record is already deleted.", 0));
                continue;
            }

            var region = isDelete ? current!.RegionCode : valid.RegionCode!;
            var oldRegion = current is { Deleted: false } && current.RegionCode != region ? current.RegionCode : null;
            plan.Add(new PlannedChange(valid.Index, change, PlanStatus.Applied, null, null, 0, region, oldRegion,
                valid.ParentKey, takesOver));
            state[id] = new StoredEntity(change.EntityVersion, source, region, isDelete);
            appliedIds.Add(change.SourceChangeId);
        }

        return plan;
    }

    private static PlannedChange Outcome(ValidChange valid, PlanStatus status, string reason, string message, long storedVersion) =>
        new(valid.Index, valid.Change, status, reason, message, storedVersion, "", null, valid.ParentKey, false);
}
