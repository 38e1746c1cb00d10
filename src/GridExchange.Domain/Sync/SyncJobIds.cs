using GridExchange.V1;

namespace GridExchange.Domain.Sync;

/// <summary>
/// Stable names of a peer's sync jobs and locks: the recurring job of a link is
/// <c>sync:pull:{peerId}</c> or <c>sync:push:{peerId}</c>, and its run holds the lock of the same
/// name, so at most one run per peer and link executes across all replicas.
/// </summary>
public static class SyncJobIds
{
    /// <summary>Prefix of every recurring sync job id.</summary>
    public const string Prefix = "sync:";

    /// <summary>The recurring job id (and lock name) of a peer's link.</summary>
    public static string For(string peerId, SyncDirection direction) => direction switch
    {
        SyncDirection.Pull => $"{Prefix}pull:{peerId}",
        SyncDirection.Push => $"{Prefix}push:{peerId}",
        SyncDirection.Directives => $"{Prefix}directives:{peerId}",
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "A link has a direction."),
    };

    /// <summary>
    /// The links the hub runs for <paramref name="peer"/>: PULL for a SOURCE with an endpoint,
    /// PUSH and DIRECTIVES for a SINK (which needs one).
    /// </summary>
    public static IReadOnlyList<SyncDirection> LinksOf(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var links = new List<SyncDirection>(3);
        if (peer.Endpoint.Length == 0)
        {
            return links;
        }

        if (peer.Roles.Contains(PeerRole.Source))
        {
            links.Add(SyncDirection.Pull);
        }

        if (peer.Roles.Contains(PeerRole.Sink))
        {
            links.Add(SyncDirection.Push);
            links.Add(SyncDirection.Directives);
        }

        return links;
    }
}
