using GridExchange.V1;

namespace GridExchange.Hub.Security;

/// <summary>
/// Which roles may call each RPC of the contract (the "Role:" lines of the service comments).
/// The caller needs any one of the roles listed; an empty list admits every authenticated
/// peer. A method of the contract's package missing here is refused (fail closed) — a test
/// checks that every RPC of every service has an entry.
/// </summary>
internal static class MethodPolicy
{
    /// <summary>The package every protected method belongs to.</summary>
    public const string ProtectedPrefix = "/gridexchange.v1.";

    private static readonly PeerRole[] AnyPeer = [];
    private static readonly PeerRole[] Source = [PeerRole.Source];
    private static readonly PeerRole[] Consumer = [PeerRole.Consumer];
    private static readonly PeerRole[] ConsumerOrSource = [PeerRole.Consumer, PeerRole.Source];
    private static readonly PeerRole[] Issuer = [PeerRole.Issuer];
    private static readonly PeerRole[] DirectiveReader = [PeerRole.Consumer, PeerRole.Source, PeerRole.Issuer];
    private static readonly PeerRole[] Admin = [PeerRole.Admin];

    private static readonly Dictionary<string, PeerRole[]> Roles = new(StringComparer.Ordinal)
    {
        ["/gridexchange.v1.ExchangeService/SubmitChanges"] = Source,
        ["/gridexchange.v1.ExchangeService/GetSourceCheckpoint"] = Source,
        ["/gridexchange.v1.ExchangeService/PullChanges"] = Consumer,
        ["/gridexchange.v1.ExchangeService/SubscribeChanges"] = Consumer,
        ["/gridexchange.v1.ExchangeService/ExportSnapshot"] = Consumer,
        ["/gridexchange.v1.ExchangeService/GetDigest"] = ConsumerOrSource,

        // Registry data (regions, grids, grid workers' S1 fields) is open to every peer.
        ["/gridexchange.v1.RegistryService/GetRegion"] = AnyPeer,
        ["/gridexchange.v1.RegistryService/ListRegions"] = AnyPeer,
        ["/gridexchange.v1.RegistryService/GetGrid"] = AnyPeer,
        ["/gridexchange.v1.RegistryService/ListGrids"] = AnyPeer,
        ["/gridexchange.v1.RegistryService/ListGridWorkers"] = AnyPeer,

        ["/gridexchange.v1.PopulationService/GetPerson"] = ConsumerOrSource,
        ["/gridexchange.v1.PopulationService/ListPersons"] = ConsumerOrSource,
        ["/gridexchange.v1.PopulationService/GetHouse"] = ConsumerOrSource,
        ["/gridexchange.v1.PopulationService/ListHouses"] = ConsumerOrSource,
        ["/gridexchange.v1.PopulationService/GetHousehold"] = ConsumerOrSource,
        ["/gridexchange.v1.PopulationService/ListHouseholds"] = ConsumerOrSource,

        ["/gridexchange.v1.CaseService/ReportCase"] = Source,
        ["/gridexchange.v1.CaseService/GetCase"] = ConsumerOrSource,
        ["/gridexchange.v1.CaseService/ListCases"] = ConsumerOrSource,
        ["/gridexchange.v1.CaseService/TransitionCase"] = Source,
        ["/gridexchange.v1.CaseService/ReportServiceRequest"] = Source,
        ["/gridexchange.v1.CaseService/GetServiceRequest"] = ConsumerOrSource,
        ["/gridexchange.v1.CaseService/ListServiceRequests"] = ConsumerOrSource,
        ["/gridexchange.v1.CaseService/TransitionServiceRequest"] = Source,

        ["/gridexchange.v1.DirectiveService/IssueDirective"] = Issuer,
        ["/gridexchange.v1.DirectiveService/GetDirective"] = DirectiveReader,
        ["/gridexchange.v1.DirectiveService/ListDirectives"] = DirectiveReader,
        ["/gridexchange.v1.DirectiveService/AcknowledgeDirective"] = ConsumerOrSource,
        ["/gridexchange.v1.DirectiveService/ReviewDirectiveFeedback"] = Issuer,
        ["/gridexchange.v1.DirectiveService/WithdrawDirective"] = Issuer,
        ["/gridexchange.v1.DirectiveService/GetDirectiveStatus"] = DirectiveReader,
        ["/gridexchange.v1.DirectiveService/ListDirectiveReceipts"] = DirectiveReader,

        ["/gridexchange.v1.StatsService/GetRegionStats"] = Consumer,

        ["/gridexchange.v1.AdminService/RegisterPeer"] = Admin,
        ["/gridexchange.v1.AdminService/GetPeer"] = Admin,
        ["/gridexchange.v1.AdminService/ListPeers"] = Admin,
        ["/gridexchange.v1.AdminService/UpdatePeer"] = Admin,
        ["/gridexchange.v1.AdminService/RotatePeerToken"] = Admin,
        ["/gridexchange.v1.AdminService/GetPeerStatus"] = Admin,
        ["/gridexchange.v1.AdminService/TriggerSync"] = Admin,
        ["/gridexchange.v1.AdminService/ListAuditEntries"] = Admin,
        ["/gridexchange.v1.AdminService/VerifyAuditLog"] = Admin,
    };

    /// <summary>Every method with an entry (for the coverage test).</summary>
    public static IReadOnlyCollection<string> Methods => Roles.Keys;

    /// <summary>Whether calls to <paramref name="method"/> need a credential (health and reflection do not).</summary>
    public static bool IsProtected(string method) => method.StartsWith(ProtectedPrefix, StringComparison.Ordinal);

    /// <summary>The roles that admit a caller to <paramref name="method"/>; false for a method not in the table.</summary>
    public static bool TryGetRoles(string method, out IReadOnlyList<PeerRole> roles)
    {
        var found = Roles.TryGetValue(method, out var entry);
        roles = entry ?? [];
        return found;
    }
}
