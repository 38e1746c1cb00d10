using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>Turns logged changes into the <see cref="Change"/> envelopes a consumer's scope sees.</summary>
internal static class FeedChanges
{
    /// <summary>
    /// The envelope <paramref name="scope"/> sees for <paramref name="logged"/>, or null when
    /// the change is outside the scope.
    /// </summary>
    public static Change? Project(LoggedChange logged, FeedScope scope, string epoch)
    {
        var operation = scope.Project(logged.Type, logged.Operation, logged.RegionCode, logged.OldRegionCode);
        if (operation is not { } seen)
        {
            return null;
        }

        var change = new Change
        {
            Sequence = logged.Sequence,
            Cursor = new FeedCursor(epoch, logged.Sequence, FeedCursor.MarkOf(logged.CommittedAt)).Encode(),
            EntityType = logged.Type,
            EntityKey = logged.Key,
            RegionCode = seen == ChangeOperation.Leave ? logged.OldRegionCode! : logged.RegionCode,
            Operation = seen,
            EntityVersion = logged.Version,
            SourceSystem = logged.SourceSystem,
            SourceChangeId = logged.SourceChangeId,
            CommittedAt = Timestamp.FromDateTimeOffset(logged.CommittedAt),
            TakeOver = logged.TakeOver,
        };
        if (seen is ChangeOperation.Upsert or ChangeOperation.Enter && logged.Payload is { } payload)
        {
            // The stored bytes go on the wire as they are: the store keeps each record serialised
            // as its message after validation, so parsing and re-serialising it would only cost
            // time (it was half the CPU of a PullChanges page). Anything that must look inside a
            // record before sending it (masking per grant) parses it instead.
            change.SetStoredPayload(logged.Type, payload);
        }

        return change;
    }

    /// <summary>
    /// A snapshot record as the UPSERT change that sets it (ExportSnapshot chunks, sink reloads),
    /// its stored payload attached, redacted for <paramref name="redactFor"/> when given.
    /// </summary>
    public static Change OfSnapshot(SnapshotRecord record, Caller? redactFor)
    {
        var change = new Change
        {
            Sequence = record.Sequence,
            EntityType = record.Type,
            EntityKey = record.Key,
            RegionCode = record.ScopeCode,
            Operation = ChangeOperation.Upsert,
            EntityVersion = record.Version,
            SourceSystem = record.SourceSystem,
            CommittedAt = Timestamp.FromDateTimeOffset(record.CommittedAt),
        };
        change.SetStoredPayload(record.Type, record.Payload);
        return redactFor is null ? change : Redactor.RedactChange(change, redactFor.Grants);
    }

    /// <summary>
    /// An upper bound on the bytes <paramref name="logged"/> adds to a response as a
    /// <see cref="Change"/> (its framing included): the stored payload, three bytes per UTF-16
    /// unit of every string, and a fixed allowance for the cursor (at most 128), numbers,
    /// timestamp and tags. When a page's bounds fit, nobody needs to measure each change.
    /// </summary>
    public static long SizeBound(LoggedChange logged) =>
        256L + (logged.Payload?.Length ?? 0)
        + (3L * (logged.Key.Length + logged.RegionCode.Length + (logged.OldRegionCode?.Length ?? 0)
            + logged.SourceSystem.Length + logged.SourceChangeId.Length));
}
