using GridExchange.V1;

namespace GridExchange.Domain.Sync;

/// <summary>
/// Follows a pulled peer's full export (ExportBatchKind SNAPSHOT ... SNAPSHOT_END) across the
/// batches and stream reconnections of one run, noting every key sent, so that at SNAPSHOT_END
/// the hub deletes exactly the records the peer owns that the export no longer contained
/// (peer_service.proto). Pure: the pull job feeds it the batches and the owned records.
/// </summary>
/// <remarks>
/// Deleting is the one irreversible thing a pull does, so the tracker is conservative: it deletes
/// only when it saw the export from its first batch in this run (the run asked for a full export
/// with an empty checkpoint, or saw the peer switch from CHANGES to SNAPSHOT). An export resumed
/// by a later run (after a crash or a run that hit its time limit inside it) completes without
/// deleting anything; the next full resync does.
/// </remarks>
public sealed class ExportTracker
{
    private readonly HashSet<(EntityType Type, string Key)> _sent = [];
    private bool _inExport;
    private bool _sawStart;
    private bool _sawChanges;

    /// <summary>Whether a full export is in progress.</summary>
    public bool InExport => _inExport;

    /// <summary>
    /// Notes a batch before it is applied. <paramref name="requestCheckpoint"/> is the checkpoint the
    /// stream was opened with and <paramref name="firstOfStream"/> whether this is its first batch.
    /// </summary>
    public void Observe(ExportChangesResponse batch, string requestCheckpoint, bool firstOfStream)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(requestCheckpoint);
        var kind = Kind(batch);
        if (kind == ExportBatchKind.Changes)
        {
            _inExport = false;
            _sawStart = false;
            _sawChanges = true;
            _sent.Clear();
            return;
        }

        if (!_inExport)
        {
            // A new export: from an empty checkpoint it starts here for sure; after CHANGES seen
            // in this run the peer chose to re-send everything. Otherwise it may be the middle of
            // an export an earlier run began, whose keys this run never saw.
            _inExport = true;
            _sawStart = (firstOfStream && requestCheckpoint.Length == 0) || _sawChanges;
            _sent.Clear();
        }

        foreach (var change in batch.Changes)
        {
            _sent.Add((change.EntityType, change.EntityKey));
        }
    }

    /// <summary>
    /// At SNAPSHOT_END: the DELETE changes for the owned records the export did not send, each at
    /// the version above the one held; none when the export was not followed from its start
    /// (<paramref name="complete"/> false then).
    /// </summary>
    public IReadOnlyList<Change> Deletions(IEnumerable<(EntityType Type, string Key, long Version)> owned, string endCheckpoint, out bool complete)
    {
        ArgumentNullException.ThrowIfNull(owned);
        complete = _inExport && _sawStart;
        if (!complete)
        {
            return [];
        }

        var deletions = new List<Change>();
        foreach (var (type, key, version) in owned)
        {
            if (_sent.Contains((type, key)))
            {
                continue;
            }

            deletions.Add(new Change
            {
                EntityType = type,
                EntityKey = key,
                Operation = ChangeOperation.Delete,
                EntityVersion = version + 1,
                SourceChangeId = SyncRequestIds.ForResyncDelete(endCheckpoint, type.ToString(), key),
            });
        }

        return deletions;
    }

    /// <summary>Marks the export finished once its SNAPSHOT_END batch has been committed.</summary>
    public void Completed()
    {
        _inExport = false;
        _sawStart = false;
        _sent.Clear();
    }

    /// <summary>The batch's kind; unset counts as CHANGES, so it can never delete anything.</summary>
    public static ExportBatchKind Kind(ExportChangesResponse batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Kind is ExportBatchKind.Snapshot or ExportBatchKind.SnapshotEnd ? batch.Kind : ExportBatchKind.Changes;
    }
}
