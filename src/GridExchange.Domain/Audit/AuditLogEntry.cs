namespace GridExchange.Domain.Audit;

/// <summary>
/// One entry of the audit log: an event at its place in the chain. <see cref="Hash"/> covers
/// <see cref="PreviousHash"/>, <see cref="Sequence"/> and the event (<see cref="AuditHash"/>), and
/// <see cref="PreviousHash"/> is the hash of the entry at <c>Sequence - 1</c>
/// (<see cref="AuditHash.Genesis"/> for the first), so changing, removing or reordering any entry
/// breaks the chain from there on.
/// </summary>
/// <param name="Sequence">Position in the log, from 1, without gaps.</param>
/// <param name="Event">What was done, normalised (<see cref="AuditEvent.Normalize"/>).</param>
/// <param name="PreviousHash">The previous entry's <see cref="Hash"/>; 64 zeros for the first.</param>
/// <param name="Hash">Lower-case hex SHA-256 of the entry (<see cref="AuditHash.Compute"/>).</param>
public sealed record AuditLogEntry(long Sequence, AuditEvent Event, string PreviousHash, string Hash)
{
    /// <summary>
    /// Chains <paramref name="auditEvent"/> (normalised first) at <paramref name="sequence"/>
    /// after an entry whose hash is <paramref name="previousHash"/>.
    /// </summary>
    public static AuditLogEntry Create(long sequence, string previousHash, AuditEvent auditEvent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(auditEvent);
        var normalized = auditEvent.Normalize();
        return new AuditLogEntry(sequence, normalized, previousHash, AuditHash.Compute(previousHash, sequence, normalized));
    }

    /// <summary>
    /// Chains <paramref name="events"/> at consecutive sequences after
    /// <paramref name="lastSequence"/>, whose hash is <paramref name="lastHash"/>.
    /// </summary>
    public static IReadOnlyList<AuditLogEntry> Chain(long lastSequence, string lastHash, IEnumerable<AuditEvent> events)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastSequence);
        ArgumentNullException.ThrowIfNull(events);
        var entries = new List<AuditLogEntry>();
        foreach (var auditEvent in events)
        {
            var entry = Create(++lastSequence, lastHash, auditEvent);
            entries.Add(entry);
            lastHash = entry.Hash;
        }

        return entries;
    }
}
