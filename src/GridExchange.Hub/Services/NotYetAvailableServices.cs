using GridExchange.V1;

namespace GridExchange.Hub.Services;

// The v1 contract is complete; these services are mapped so that reflection lists them and
// integrators can generate and wire clients now. Every RPC they do not override answers
// UNIMPLEMENTED (reason NOT_YET_AVAILABLE, added by NotYetAvailableInterceptor) until the
// issue that builds it lands — the README lists which.

/// <summary>Change feed: SubmitChanges, PullChanges, SubscribeChanges, ExportSnapshot, GetDigest.</summary>
internal sealed class ExchangeGrpcService : ExchangeService.ExchangeServiceBase;

/// <summary>Persons, houses, households.</summary>
internal sealed class PopulationGrpcService : PopulationService.PopulationServiceBase;

/// <summary>Cases and proxy service requests.</summary>
internal sealed class CaseGrpcService : CaseService.CaseServiceBase;

/// <summary>Directives and their receipts.</summary>
internal sealed class DirectiveGrpcService : DirectiveService.DirectiveServiceBase;

/// <summary>Region statistics.</summary>
internal sealed class StatsGrpcService : StatsService.StatsServiceBase;

/// <summary>Peers, sync and audit administration.</summary>
internal sealed class AdminGrpcService : AdminService.AdminServiceBase;
