using System.Globalization;

namespace GridExchange.Domain.Audit;

/// <summary>
/// Walks audit entries in sequence order and finds the first place where the chain is broken:
/// a sequence missing (a gap, or entries cut off the end), a sequence out of order or repeated,
/// a <c>previous_hash</c> that is not the previous entry's hash, or a hash that does not match
/// the entry's content. Entries are fed one at a time (<see cref="Add"/>), so a log of millions
/// of entries is verified while it is read page by page, never held in memory.
/// </summary>
/// <remarks>
/// A changed entry shows as a wrong hash at its own sequence; one whose hash was recomputed after
/// the change, as a wrong link at the next sequence; a removed entry, as a missing sequence. An
/// attacker who rewrites the whole chain from some entry to the end is caught only by comparing
/// the last hash with one kept outside the hub (<see cref="AuditVerification.LastHash"/>).
/// </remarks>
public sealed class AuditChainVerifier
{
    private readonly long _firstSequence;
    private long _next;
    private string? _expectedPreviousHash;
    private long _count;
    private long _lastSequence;
    private string _lastHash = "";
    private long _brokenAt;
    private string _problem = "";

    /// <summary>Starts a walk at <paramref name="firstSequence"/>.</summary>
    /// <param name="firstSequence">The first sequence expected (1 for the whole log).</param>
    /// <param name="previousHash">
    /// The hash the first entry must link to: <see cref="AuditHash.Genesis"/> at sequence 1, the
    /// stored hash of <c>firstSequence - 1</c> otherwise; null leaves the first link unchecked.
    /// </param>
    public AuditChainVerifier(long firstSequence, string? previousHash)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(firstSequence);
        _firstSequence = firstSequence;
        _next = firstSequence;
        _expectedPreviousHash = previousHash;
    }

    /// <summary>True once a break has been found; later entries are then ignored.</summary>
    public bool IsBroken => _brokenAt > 0;

    /// <summary>Checks the next entry. Returns false when the chain is broken (at it or before).</summary>
    public bool Add(AuditLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (IsBroken)
        {
            return false;
        }

        var sequence = entry.Sequence;
        if (sequence < _next)
        {
            return Break(sequence, _next == _firstSequence
                ? Text($"sequence {sequence} is out of order: the walk starts at sequence {_firstSequence}")
                : Text($"sequence {sequence} is out of order: it follows sequence {_next - 1}"));
        }

        if (sequence > _next)
        {
            return Break(_next, Text($"sequence {_next} is missing: the next entry present is sequence {sequence}"));
        }

        if (_expectedPreviousHash is not null && !string.Equals(entry.PreviousHash, _expectedPreviousHash, StringComparison.Ordinal))
        {
            return Break(sequence, sequence == 1
                ? "wrong link: the previous_hash of sequence 1 is not 64 zeros"
                : Text($"wrong link: the previous_hash of sequence {sequence} is not the hash of sequence {sequence - 1}"));
        }

        string recomputed;
        try
        {
            recomputed = AuditHash.Compute(entry);
        }
        catch (ArgumentException)
        {
            return Break(sequence, Text($"wrong hash: the content of sequence {sequence} cannot be encoded (invalid text)"));
        }

        if (!string.Equals(recomputed, entry.Hash, StringComparison.Ordinal))
        {
            return Break(sequence, Text($"wrong hash: the hash of sequence {sequence} does not match its content"));
        }

        _count++;
        _lastSequence = sequence;
        _lastHash = entry.Hash;
        _expectedPreviousHash = entry.Hash;
        _next = sequence + 1;
        return true;
    }

    /// <summary>
    /// Ends the walk and reports it. Every sequence up to <paramref name="throughSequence"/> must
    /// have been seen (a shorter walk means entries were cut off the end); when
    /// <paramref name="headHash"/> is given, the hash of <paramref name="throughSequence"/> must
    /// equal it (the hash the log's head recorded when that entry was appended).
    /// </summary>
    public AuditVerification Finish(long throughSequence, string? headHash = null)
    {
        if (!IsBroken && _next <= throughSequence)
        {
            Break(_next, Text($"sequence {_next} is missing: the log holds entries through sequence {throughSequence}"));
        }

        if (!IsBroken && headHash is not null && _count > 0 && _lastSequence == throughSequence
            && !string.Equals(headHash, _lastHash, StringComparison.Ordinal))
        {
            Break(_lastSequence, Text($"wrong hash: the hash of sequence {_lastSequence} is not the one the log's head recorded"));
        }

        var checkedAny = _count > 0 || IsBroken;
        return new AuditVerification(
            !IsBroken, _count, checkedAny ? _firstSequence : 0, _lastSequence, _lastHash, _brokenAt, _problem);
    }

    /// <summary>Verifies a whole log, or an export of it, from sequence 1 through its last entry.</summary>
    public static AuditVerification Verify(IEnumerable<AuditLogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var verifier = new AuditChainVerifier(1, AuditHash.Genesis);
        foreach (var entry in entries)
        {
            if (!verifier.Add(entry))
            {
                break;
            }
        }

        return verifier.Finish(verifier._lastSequence);
    }

    private bool Break(long sequence, string problem)
    {
        _brokenAt = Math.Max(sequence, 1);
        _problem = problem;
        return false;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The result of verifying a range of the audit log (<c>VerifyAuditLogResponse</c>).</summary>
/// <param name="Intact">True when every entry in the range links to its predecessor and its hash matches its content.</param>
/// <param name="VerifiedCount">Entries found intact (before the break, when there is one).</param>
/// <param name="FirstSequence">First sequence of the range; 0 when the range held nothing to check.</param>
/// <param name="LastSequence">Last sequence found intact; 0 when none was.</param>
/// <param name="LastHash">Hash of the entry at <paramref name="LastSequence"/>; "" when none was intact.</param>
/// <param name="BrokenAtSequence">When not intact: the first sequence whose link or hash is wrong, or that is missing; otherwise 0.</param>
/// <param name="Problem">When not intact: what is wrong, for people; otherwise "".</param>
public sealed record AuditVerification(
    bool Intact,
    long VerifiedCount,
    long FirstSequence,
    long LastSequence,
    string LastHash,
    long BrokenAtSequence,
    string Problem)
{
    /// <summary>
    /// The answer when the range cannot even start: the entry before it, whose hash the first
    /// entry must link to, is missing.
    /// </summary>
    public static AuditVerification PredecessorMissing(long firstSequence) =>
        new(false, 0, firstSequence, 0, "", firstSequence - 1,
            string.Create(CultureInfo.InvariantCulture, $"sequence {firstSequence - 1} is missing: the range's first entry has nothing to link to"));
}
