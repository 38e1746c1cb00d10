using GridExchange.Domain.Audit;

namespace GridExchange.Storage;

/// <summary>
/// The append-only, hash-chained log of every read or export of personal data and every
/// administrative action (DESIGN §6). Both SQL stores implement it on the same database as the
/// data, in their own tables.
/// </summary>
/// <remarks>
/// The store assigns sequences (from 1, without gaps) and hashes, serialised across every caller
/// in every process sharing the database; the database refuses UPDATE, DELETE and TRUNCATE of
/// the log. A database superuser can still get around that (disable the triggers, edit the
/// file): the hash chain exposes such an edit to <see cref="VerifyAuditAsync"/>, and a
/// <see cref="AuditVerification.LastHash"/> kept outside the hub exposes a rewrite of the whole
/// chain.
/// </remarks>
public interface IAuditLog
{
    /// <summary>
    /// Appends <paramref name="events"/> atomically, at consecutive sequences after the last
    /// entry, in the order given, and returns them as chained (normalised, with sequence and hashes).
    /// </summary>
    /// <exception cref="ArgumentException">An event cannot be recorded as it is (<see cref="AuditEvent.Normalize"/>).</exception>
    Task<IReadOnlyList<AuditLogEntry>> AppendAuditAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken);

    /// <summary>The last sequence appended and its hash (0 and <see cref="AuditHash.Genesis"/> when the log is empty).</summary>
    Task<AuditHead> GetAuditHeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One page of entries matching <paramref name="query"/>, in sequence order after
    /// <see cref="AuditQuery.AfterSequence"/> (keyset paging: a page costs the same wherever it lies).
    /// </summary>
    Task<AuditPage> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Streams the entries with sequences in [<paramref name="fromSequence"/>,
    /// <paramref name="toSequence"/>], in sequence order, as stored (a missing sequence is simply
    /// absent). Read a page at a time, each page its own short query: memory and transactions
    /// stay small whatever the range.
    /// </summary>
    IAsyncEnumerable<AuditLogEntry> ReadAuditRangeAsync(long fromSequence, long toSequence, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies the chain over [<paramref name="fromSequence"/>, <paramref name="toSequence"/>]
    /// (<c>VerifyAuditLog</c>): 0 for <paramref name="fromSequence"/> means 1, 0 for
    /// <paramref name="toSequence"/> (or a value beyond it) means the last entry. The first entry
    /// must link to the stored hash of the one before it; a range ending at the last entry must
    /// also end at the hash the head recorded.
    /// </summary>
    Task<AuditVerification> VerifyAuditAsync(long fromSequence, long toSequence, CancellationToken cancellationToken);
}

/// <summary>Conveniences over <see cref="IAuditLog"/>.</summary>
public static class AuditLogExtensions
{
    /// <summary>Appends one event and returns its entry.</summary>
    public static async Task<AuditLogEntry> AppendAuditAsync(this IAuditLog log, AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        return (await log.AppendAuditAsync([auditEvent], cancellationToken))[0];
    }
}

/// <summary>The end of the audit log.</summary>
/// <param name="LastSequence">The last sequence appended; 0 when the log is empty.</param>
/// <param name="LastHash">Its hash; <see cref="AuditHash.Genesis"/> when the log is empty.</param>
public sealed record AuditHead(long LastSequence, string LastHash);

/// <summary>A page request over the audit log (<c>ListAuditEntries</c>).</summary>
/// <param name="AfterSequence">Entries after this sequence: 0 for the first page, the previous page's <see cref="AuditPage.NextAfterSequence"/> after.</param>
/// <param name="Limit">Entries per page, above 0.</param>
/// <param name="PeerId">Only entries of this peer; null or "" for all.</param>
/// <param name="Since">Only entries at or after this time; null for no lower bound.</param>
/// <param name="Before">Only entries before this time; null for no upper bound.</param>
public sealed record AuditQuery(long AfterSequence, int Limit, string? PeerId = null, DateTimeOffset? Since = null, DateTimeOffset? Before = null);

/// <summary>One page of the audit log.</summary>
/// <param name="Entries">The entries, in sequence order.</param>
/// <param name="NextAfterSequence">The <see cref="AuditQuery.AfterSequence"/> of the next page; null on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditLogEntry> Entries, long? NextAfterSequence);
