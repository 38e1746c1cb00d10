using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>The change log's position and extent.</summary>
/// <param name="Epoch">The log's epoch (32 hex characters), minted with the database.</param>
/// <param name="LastSequence">The last sequence committed; 0 when the log is empty.</param>
/// <param name="FirstRetainedSequence">
/// The lowest sequence still held: a cursor below <c>FirstRetainedSequence - 1</c> has lost
/// changes to retention and must re-snapshot.
/// </param>
/// <param name="LastMark">The mark (<c>FeedCursor.MarkOf</c> its commit time) of the change at <c>LastSequence</c>; 0 when the log is empty.</param>
public sealed record FeedHead(string Epoch, long LastSequence, long FirstRetainedSequence, long LastMark = 0)
{
    /// <summary>Whether a consumer positioned after <paramref name="sequence"/> can still read on without a gap.</summary>
    public bool CanResumeAfter(long sequence) => sequence >= FirstRetainedSequence - 1 && sequence <= LastSequence;
}

/// <summary>One SubmitChanges batch as the store commits it.</summary>
/// <param name="SourceSystem">The submitting source.</param>
/// <param name="RequestId">The request's idempotency key.</param>
/// <param name="RequestHash">A hash of the whole request, to tell a repeat from a reuse of the id.</param>
/// <param name="SourceCheckpoint">The source's checkpoint to store with the batch, or null to keep the old one.</param>
/// <param name="Changes">The changes that passed validation, in request order.</param>
/// <param name="EncodeResponse">
/// Builds the answer from the commit; called inside the transaction, and stored with it, so a
/// repeated request gets exactly this answer.
/// </param>
public sealed record IngestBatch(
    string SourceSystem,
    string RequestId,
    byte[] RequestHash,
    string? SourceCheckpoint,
    IReadOnlyList<ValidChange> Changes,
    Func<IngestCommit, byte[]> EncodeResponse);

/// <summary>What a batch did.</summary>
/// <param name="Plan">The outcome of every valid change, in request order.</param>
/// <param name="Sequences">The sequence of each applied change, by request index.</param>
/// <param name="Head">The log head after the commit.</param>
/// <param name="SourceCheckpoint">The checkpoint now stored for the source ("" if none).</param>
/// <param name="CommittedAt">The commit time stamped on the applied changes.</param>
public sealed record IngestCommit(
    IReadOnlyList<PlannedChange> Plan,
    IReadOnlyDictionary<int, long> Sequences,
    FeedHead Head,
    string SourceCheckpoint,
    DateTimeOffset CommittedAt);

/// <summary>The store's answer to a batch: a new commit, or the stored answer to an earlier identical request.</summary>
/// <param name="Commit">The commit, when the batch was new.</param>
/// <param name="StoredResponse">The earlier answer, when the request repeats one.</param>
/// <param name="RequestIdReused">The request id was used before for a different request.</param>
public sealed record IngestOutcome(IngestCommit? Commit, byte[]? StoredResponse, bool RequestIdReused);

/// <summary>One change as the log holds it: the change to the record, not yet projected onto a consumer's scope.</summary>
/// <param name="Sequence">Its hub-wide sequence.</param>
/// <param name="Type">Entity type.</param>
/// <param name="Key">Entity key.</param>
/// <param name="RegionCode">Where the record is after the change (DELETE: where it was).</param>
/// <param name="OldRegionCode">Where it was before, when the change moved it; otherwise null.</param>
/// <param name="Operation">UPSERT or DELETE.</param>
/// <param name="Version">Entity version after the change.</param>
/// <param name="SourceSystem">The source that made the change (the owner after it).</param>
/// <param name="SourceChangeId">The source's id for the change.</param>
/// <param name="TakeOver">Whether the change moved the record to a new owner.</param>
/// <param name="CommittedAt">Commit time.</param>
/// <param name="Payload">The entity message (UPSERT), or null (DELETE).</param>
public sealed record LoggedChange(
    long Sequence,
    EntityType Type,
    string Key,
    string RegionCode,
    string? OldRegionCode,
    ChangeOperation Operation,
    long Version,
    string SourceSystem,
    string SourceChangeId,
    bool TakeOver,
    DateTimeOffset CommittedAt,
    byte[]? Payload);

/// <summary>A page of the log for a scope.</summary>
/// <param name="Head">The head as of the page's consistent read.</param>
/// <param name="Changes">The logged changes in the scope after the position, in sequence order.</param>
/// <param name="Next">Where the next page starts: the last change served, or the head when caught up.</param>
/// <param name="CaughtUp">Nothing in the scope lies between <paramref name="Next"/> and the head.</param>
/// <param name="AfterMark">
/// The mark of the change at the query's <c>After</c> as the log holds it now, when the query
/// asked (<see cref="FeedQuery.CheckAfter"/>) and the change is there; null otherwise.
/// </param>
public sealed record FeedPage(FeedHead Head, IReadOnlyList<LoggedChange> Changes, long Next, bool CaughtUp, long? AfterMark = null)
{
    /// <summary>The mark of the change at <see cref="Next"/> (a cursor there carries it).</summary>
    public long NextMark => MarkAt(Next);

    /// <summary>The mark of the change at <paramref name="sequence"/>: the head's or one of the page's; 0 when neither.</summary>
    public long MarkAt(long sequence)
    {
        if (sequence == Head.LastSequence)
        {
            return Head.LastMark;
        }

        for (var i = Changes.Count - 1; i >= 0; i--)
        {
            if (Changes[i].Sequence == sequence)
            {
                return GridExchange.Domain.Feed.FeedCursor.MarkOf(Changes[i].CommittedAt);
            }
        }

        return 0;
    }
}

/// <summary>What to read from the log.</summary>
/// <param name="After">Read changes with a sequence above this.</param>
/// <param name="Scope">Region subtrees and entity types.</param>
/// <param name="Limit">Most changes to return.</param>
/// <param name="CheckAfter">Whether to read the mark of the change at <paramref name="After"/> (see <see cref="FeedPage.AfterMark"/>).</param>
public sealed record FeedQuery(long After, FeedScope Scope, int Limit, bool CheckAfter = false);

/// <summary>A source's last committed checkpoint.</summary>
/// <param name="Checkpoint">The opaque checkpoint.</param>
/// <param name="CommittedAt">When it was committed.</param>
public sealed record SourceCheckpoint(string Checkpoint, DateTimeOffset CommittedAt);
