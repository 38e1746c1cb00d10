using GridExchange.Domain.Codes;
using GridExchange.Domain.Privacy;
using DataClass = GridExchange.V1.DataClass;
using GridExchange.V1;

namespace GridExchange.Domain.Security;

/// <summary>
/// An authenticated caller: the registered peer behind the bearer token, with what its
/// registration grants — roles, jurisdiction (the region subtree of <see cref="RegionCode"/>),
/// entity types and personal-data classes. Built fresh for every call from the stored
/// registration, so a cursor or a page token never grants anything by itself.
/// </summary>
public sealed class Caller
{
    private readonly HashSet<PeerRole> _roles;
    private readonly HashSet<DataClass> _dataClasses;
    private readonly HashSet<EntityType> _entityTypes;

    private Caller(Peer peer)
    {
        PeerId = peer.Id;
        RegionCode = peer.RegionCode;
        _roles = [.. peer.Roles.Where(r => r != PeerRole.Unspecified)];
        _dataClasses = [DataClass.S1, .. peer.DataClasses.Where(c => c != DataClass.Unspecified)];
        _entityTypes = [.. peer.EntityTypes.Where(t => t != EntityType.Unspecified)];
        Grants = DataClassGrants.Of(_dataClasses);
    }

    /// <summary>The peer's id.</summary>
    public string PeerId { get; }

    /// <summary>The 12-digit code of the peer's jurisdiction.</summary>
    public string RegionCode { get; }

    /// <summary>The roles granted.</summary>
    public IReadOnlySet<PeerRole> Roles => _roles;

    /// <summary>The personal-data classes granted; S1 always.</summary>
    public IReadOnlySet<DataClass> DataClasses => _dataClasses;

    /// <summary>The data classes granted, as the <see cref="Redactor"/> takes them.</summary>
    public DataClassGrants Grants { get; }

    /// <summary>The entity types the peer may read; empty means every type.</summary>
    public IReadOnlySet<EntityType> EntityTypes => _entityTypes;

    /// <summary>The caller a peer's registration describes.</summary>
    public static Caller FromPeer(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return new Caller(peer);
    }

    /// <summary>Whether the peer holds <paramref name="role"/>.</summary>
    public bool Has(PeerRole role) => _roles.Contains(role);

    /// <summary>Whether the peer may see fields of <paramref name="dataClass"/> unredacted.</summary>
    public bool Holds(DataClass dataClass) => _dataClasses.Contains(dataClass);

    /// <summary>
    /// Whether <paramref name="code"/> (a region, grid or grid-worker code) lies in the peer's
    /// jurisdiction, the jurisdiction's own code included. A malformed jurisdiction covers nothing.
    /// </summary>
    public bool Covers(string? code) => ScopeCode.Contains(RegionCode, code);

    /// <summary>Whether the peer may read records of <paramref name="type"/>.</summary>
    public bool MayRead(EntityType type) => _entityTypes.Count == 0 || _entityTypes.Contains(type);
}
