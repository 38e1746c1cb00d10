using GridExchange.Domain.Feed;
using GridExchange.Storage;

namespace GridExchange.Hub.Sync;

/// <summary>What a link that delivers from the hub's log still has to deliver, for GetPeerStatus.</summary>
internal static class FeedLag
{
    // Counted over this many changes of the log at most; a larger lag shows as this many.
    private const int Window = 1000;

    /// <summary>
    /// The changes in <paramref name="scope"/> after <paramref name="position"/> (a cursor; empty
    /// or foreign: from the start) among the next 1,000 of the log, and the age in seconds of the
    /// oldest of them (0 when none).
    /// </summary>
    public static async Task<(IReadOnlyList<LoggedChange> Pending, long Seconds)> ReadAsync(
        IHubStore store, FeedScope scope, string position, TimeProvider clock, CancellationToken cancellationToken)
    {
        var after = FeedCursor.TryDecode(position, out var cursor) ? cursor.Sequence : 0;
        var page = await store.ReadFeedAsync(new FeedQuery(after, scope, Window), cancellationToken);
        var pending = page.Changes.Where(c => scope.Project(c.Type, c.Operation, c.RegionCode, c.OldRegionCode) is not null).ToList();
        return (pending, pending.Count == 0 ? 0 : Math.Max(0, (long)(clock.GetUtcNow() - pending[0].CommittedAt).TotalSeconds));
    }
}
