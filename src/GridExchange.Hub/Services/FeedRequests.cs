using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>Validation of the feed requests' common fields: scope, cursor, page size.</summary>
internal static class FeedRequests
{
    /// <summary>Most region prefixes in one scope.</summary>
    public const int MaxPrefixes = 100;

    /// <summary>
    /// Parses a request scope and limits it to what <paramref name="caller"/> may read: no region
    /// prefixes means the caller's whole jurisdiction, no entity types the types it is granted.
    /// Checked on every request, so a cursor or resume token never widens a grant.
    /// </summary>
    /// <exception cref="RpcException">
    /// INVALID_ARGUMENT naming the bad field; PERMISSION_DENIED, OUT_OF_JURISDICTION for a
    /// prefix outside the caller's jurisdiction or an entity type it is not granted.
    /// </exception>
    public static FeedScope Scope(ChangeScope? scope, string field, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        scope ??= new ChangeScope();
        if (scope.RegionPrefixes.Count > MaxPrefixes)
        {
            throw RpcErrors.InvalidArgument($"{field}.region_prefixes", ErrorReasons.TooManyItems,
                $"At most {MaxPrefixes} region prefixes per scope.");
        }

        for (var i = 0; i < scope.RegionPrefixes.Count; i++)
        {
            RpcErrors.ThrowIfInvalid(ScopeCode.Validate(scope.RegionPrefixes[i]), $"{field}.region_prefixes[{i}]");
            if (!caller.Covers(scope.RegionPrefixes[i]))
            {
                throw OutOfJurisdiction($"{field}.region_prefixes[{i}]",
                    $"region_prefixes[{i}] '{scope.RegionPrefixes[i]}' lies outside the jurisdiction of peer '{caller.PeerId}' ({caller.RegionCode}).");
            }
        }

        for (var i = 0; i < scope.EntityTypes.Count; i++)
        {
            var type = scope.EntityTypes[i];
            if (type == EntityType.Unspecified || !System.Enum.IsDefined(type))
            {
                throw RpcErrors.InvalidArgument($"{field}.entity_types[{i}]", ErrorReasons.UnsupportedEntityType,
                    $"entity_types[{i}] is not an entity type.");
            }

            if (!caller.MayRead(type))
            {
                throw OutOfJurisdiction($"{field}.entity_types[{i}]",
                    $"Peer '{caller.PeerId}' is not granted entity type {type}.");
            }
        }

        return FeedScope.Create(
            scope.RegionPrefixes.Count > 0 ? scope.RegionPrefixes : [caller.RegionCode],
            scope.EntityTypes.Count > 0 ? scope.EntityTypes : caller.EntityTypes);
    }

    /// <summary>PERMISSION_DENIED, OUT_OF_JURISDICTION, naming the field that asked too much.</summary>
    public static RpcException OutOfJurisdiction(string field, string message) =>
        RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction, message,
            new Dictionary<string, string> { ["field"] = field });

    /// <summary>The sequence a cursor points after; an empty cursor means the start of the log.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT, INVALID_CURSOR for text that is no cursor.</exception>
    public static FeedCursor? Cursor(string cursor, string field)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        return FeedCursor.TryDecode(cursor, out var decoded)
            ? decoded
            : throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidCursor,
                $"{field} is not a cursor this hub issued (damaged or truncated?). Resume from a cursor you received, or snapshot.");
    }

    /// <summary>
    /// Checks that reading on after <paramref name="cursor"/> loses nothing, against the head of
    /// the read that served it.
    /// </summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION, RESYNC_REQUIRED.</exception>
    /// <param name="cursor">The consumer's cursor; null reads from the start.</param>
    /// <param name="head">The log's head, read with the page.</param>
    /// <param name="afterMark">The mark of the change the log holds at the cursor's sequence, when read (<see cref="FeedPage.AfterMark"/>).</param>
    public static void EnsureResumable(FeedCursor? cursor, FeedHead head, long? afterMark = null)
    {
        if (cursor is { } given && given.Epoch != head.Epoch)
        {
            throw RpcErrors.ResyncRequired(
                "The cursor was issued by another hub database (restored or reset). Discard your copy and start again with ExportSnapshot.");
        }

        var after = cursor?.Sequence ?? 0;
        if (after > head.LastSequence)
        {
            throw RpcErrors.ResyncRequired(
                "The cursor is ahead of this hub's log (the database was restored from an older backup). Re-snapshot.");
        }

        if (after < head.FirstRetainedSequence - 1)
        {
            throw RpcErrors.ResyncRequired(
                "The cursor is older than the log's retention: changes after it are no longer held. Re-snapshot with ExportSnapshot.");
        }

        EnsureSameChange(cursor, after == head.LastSequence ? head.LastMark : afterMark);
    }

    /// <summary>
    /// Refuses a cursor whose mark differs from that of the change the log now holds at its
    /// sequence (<paramref name="held"/>): the database was restored from a backup and has since
    /// taken other changes at those sequences, which the consumer would otherwise skip. Cursors
    /// without a mark (issued before marks) and changes the log no longer holds are not checked.
    /// </summary>
    public static void EnsureSameChange(FeedCursor? cursor, long? held)
    {
        if (cursor is { Mark: > 0, Sequence: > 0 } given && held is > 0 and var mark && mark != given.Mark)
        {
            throw RpcErrors.ResyncRequired(
                "The change this cursor points at is not the one this hub's log holds at that position: the database was restored " +
                "from a backup and has taken other changes since. Discard your copy and start again with ExportSnapshot.");
        }
    }

    /// <summary>Page size for feed reads: 0 → <paramref name="fallback"/>, capped at 1,000, negative rejected.</summary>
    public static int PageSize(int requested, int fallback)
    {
        if (requested < 0)
        {
            throw RpcErrors.InvalidArgument("page_size", ErrorReasons.InvalidPageSize, "page_size must not be negative.");
        }

        return requested == 0 ? fallback : Math.Min(requested, 1000);
    }
}
