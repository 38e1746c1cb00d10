using GridExchange.V1;

namespace GridExchange.PeerSimulator;

/// <summary>
/// What a simulated peer holds, for tests and the admin endpoint to compare with the hub: live
/// records and the digest-tree root hash per entity type (the hub's <c>DigestTree</c> over
/// (key, version, region), so it equals <c>ExchangeService.GetDigest</c> for the same scope and
/// data), and the peer's position.
/// </summary>
/// <param name="Role">Source or sink.</param>
/// <param name="RegionCode">The peer's jurisdiction.</param>
/// <param name="Position">Source: the change log's last sequence, as text. Sink: the hub cursor it holds ("" for none).</param>
/// <param name="Records">Live records per entity type (types with none are left out).</param>
/// <param name="Digests">Digest-tree root hash per entity type (types with none are left out).</param>
/// <param name="Directives">Sink: directives held.</param>
public sealed record PeerState(
    PeerRoleKind Role,
    string RegionCode,
    string Position,
    IReadOnlyDictionary<EntityType, long> Records,
    IReadOnlyDictionary<EntityType, string> Digests,
    long Directives)
{
    /// <summary>Live records over all types.</summary>
    public long TotalRecords => Records.Values.Sum();
}
