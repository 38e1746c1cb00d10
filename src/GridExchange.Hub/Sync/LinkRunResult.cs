namespace GridExchange.Hub.Sync;

/// <summary>What one run of a link did.</summary>
/// <param name="Position">PULL: the checkpoint committed last. PUSH: the cursor the sink acked last.</param>
/// <param name="CaughtUp">The run reached the end of what there was to move.</param>
/// <param name="Batches">Batches applied (PULL) or delivered (PUSH).</param>
/// <param name="Applied">Changes applied by the receiving side (PULL: the hub's ingest; PUSH: changes sent and acked).</param>
/// <param name="Duplicates">PULL: changes ingest reported as duplicates (already applied before).</param>
/// <param name="Stale">PULL: changes ingest reported as stale.</param>
/// <param name="Rejected">PULL: changes ingest rejected (invalid, out of jurisdiction, not the owner).</param>
/// <param name="Deleted">PULL: records deleted because a full export no longer contained them.</param>
/// <param name="LagChanges">Changes still behind, as far as known.</param>
/// <param name="LagSeconds">Seconds behind, as far as known.</param>
/// <param name="Reloads">PUSH: full reloads sent.</param>
/// <param name="Resumes">Streams reopened after breaking mid-way (PULL).</param>
public sealed record LinkRunResult(
    string Position,
    bool CaughtUp,
    int Batches,
    long Applied,
    long Duplicates,
    long Stale,
    long Rejected,
    long Deleted,
    long LagChanges,
    long LagSeconds,
    int Reloads,
    int Resumes);
