using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Sync;

/// <summary>
/// Deterministic request ids of the batches the sync engine applies and delivers, so a batch
/// repeated after a lost answer or a crash is recognised as the same request.
/// </summary>
public static class SyncRequestIds
{
    /// <summary>
    /// The SubmitChanges request id of a pulled batch: a hash of the peer, the checkpoint the
    /// batch continues from, the checkpoint after it and the batch's content. Applying the same
    /// batch again (a retry after the answer was lost, or the peer re-sending it after a reset)
    /// returns the stored answer and changes nothing; a different batch between the same
    /// checkpoints (a peer re-reading current state) gets its own id instead of being refused as a
    /// reused one. 53 characters, within the contract's 64.
    /// </summary>
    public static string ForPulledBatch(string peerId, string fromCheckpoint, string toCheckpoint, ReadOnlySpan<byte> contentHash) =>
        "pull-" + Hash(peerId, fromCheckpoint, toCheckpoint, Convert.ToHexStringLower(contentHash));

    /// <summary>The ReceiveChanges request id of an incremental batch: the same batch (peer, previous cursor, cursor) always gets the same id.</summary>
    public static string ForPushedBatch(string peerId, string previousCursor, string cursor) =>
        "push-" + Hash(peerId, previousCursor, cursor, "");

    /// <summary>The ReceiveChanges request id of a reload batch.</summary>
    public static string ForReloadBatch(string reloadId, long batchIndex) =>
        "reload-" + Hash(reloadId, batchIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), "", "");

    /// <summary>
    /// The ReceiveDirective request id of a delivery: a hash of the peer and of what is delivered
    /// (the directive and the receipts, overdue flags aside), so delivering the same state again
    /// repeats the id and the sink recognises it.
    /// </summary>
    public static string ForDeliveredDirective(string peerId, ReadOnlySpan<byte> contentHash) =>
        "directive-" + Hash(peerId, Convert.ToHexStringLower(contentHash), "", "");

    /// <summary>
    /// The source_change_id of the DELETE the hub writes for a record a full export no longer
    /// contained: unique per export (its final checkpoint) and record, so a later export that
    /// deletes the same key again is not taken for a duplicate.
    /// </summary>
    public static string ForResyncDelete(string exportEndCheckpoint, string entityType, string entityKey) =>
        "hub-resync-delete-" + Hash(exportEndCheckpoint, entityType, entityKey, "")[..32];

    private static string Hash(string a, string b, string c, string d)
    {
        var text = string.Join('\n', a, b, c, d);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..48];
    }
}
