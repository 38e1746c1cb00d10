using GridExchange.V1;

namespace GridExchange.Domain.Audit;

/// <summary>
/// One audited call, as the hub records it: a read or export of personal data, or an
/// administrative action. The audit log gives it a sequence and chains it (<see cref="AuditLogEntry"/>).
/// </summary>
/// <param name="At">When the access happened; kept in UTC to the microsecond (<see cref="Normalize"/>).</param>
/// <param name="PeerId">Id of the peer that made the call.</param>
/// <param name="Method">Full gRPC method name, e.g. <c>/gridexchange.v1.ExchangeService/PullChanges</c>.</param>
/// <param name="RequestId">The call's request_id, or "" when it had none.</param>
/// <param name="Scope">The scope read: region or grid codes joined by <c>,</c>, or the entity key of a Get; at most <see cref="MaxScopeLength"/> characters.</param>
/// <param name="EntityTypes">Entity types read.</param>
/// <param name="RecordCount">Number of records returned (or changed, for an administrative action).</param>
/// <param name="DataClasses">Data classes returned unmasked.</param>
public sealed record AuditEvent(
    DateTimeOffset At,
    string PeerId,
    string Method,
    string RequestId,
    string Scope,
    IReadOnlyList<EntityType> EntityTypes,
    long RecordCount,
    IReadOnlyList<DataClass> DataClasses)
{
    /// <summary>The longest scope recorded, as the contract promises (<c>AuditEntry.scope</c>).</summary>
    public const int MaxScopeLength = 2000;

    /// <summary>
    /// The event as the log records and hashes it: <see cref="At"/> in UTC cut to whole
    /// microseconds (what both databases keep), entity types and data classes in ascending
    /// order without repeats. Fails on what cannot be stored faithfully: null or over-long text,
    /// text that is not valid UTF-16 or holds NUL (PostgreSQL text cannot), a negative count.
    /// </summary>
    /// <exception cref="ArgumentException">The event cannot be recorded as it is.</exception>
    public AuditEvent Normalize()
    {
        CheckText(PeerId, nameof(PeerId));
        CheckText(Method, nameof(Method));
        CheckText(RequestId, nameof(RequestId));
        CheckText(Scope, nameof(Scope));
        if (Scope.Length > MaxScopeLength)
        {
            throw new ArgumentException($"An audited scope is at most {MaxScopeLength} characters; this one has {Scope.Length}.", nameof(Scope));
        }

        ArgumentNullException.ThrowIfNull(EntityTypes);
        ArgumentNullException.ThrowIfNull(DataClasses);
        ArgumentOutOfRangeException.ThrowIfNegative(RecordCount);
        var utc = At.ToUniversalTime();
        return this with
        {
            At = new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero),
            EntityTypes = [.. EntityTypes.Distinct().Order()],
            DataClasses = [.. DataClasses.Distinct().Order()],
        };
    }

    private static void CheckText(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("Audited text must not contain NUL.", name);
        }

        if (!IsValidUtf16(value))
        {
            throw new ArgumentException("Audited text must be valid UTF-16 (no lone surrogates).", name);
        }
    }

    private static bool IsValidUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
