using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Cases and proxy service requests from the hub's current state: the reads. A thin adapter
/// like <see cref="PopulationGrpcService"/>; lists walk the store's (grid code, id) keyset order
/// and filter the parsed records.
/// </summary>
/// <remarks>
/// ReportCase, TransitionCase, ReportServiceRequest and TransitionServiceRequest are not
/// overridden: they answer UNIMPLEMENTED, which <see cref="NotYetAvailableInterceptor"/> turns
/// into reason NOT_YET_AVAILABLE, until the governance-workflows issue builds them.
/// </remarks>
internal sealed class CaseGrpcService(IHubStore store, AuditTrail audit) : CaseService.CaseServiceBase
{
    public override async Task<GetCaseResponse> GetCase(GetCaseRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.CaseId, "case_id");
        var record = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.Case, "Case", request.CaseId, Case.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.CaseId, [EntityType.Case], 1);
        return new GetCaseResponse { CaseRecord = record };
    }

    public override async Task<ListCasesResponse> ListCases(ListCasesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, context.Caller(), EntityType.Case, request.AncestorCode, ct);
        var states = ReadRequests.EnumFilter(request.States, "states", unspecifiedMatchesData: false);
        // A source that runs its own workflow may leave the warning colour unset.
        var colors = ReadRequests.EnumFilter(request.WarningColors, "warning_colors", unspecifiedMatchesData: true);
        var kinds = ReadRequests.EnumFilter(request.Kinds, "kinds", unspecifiedMatchesData: false);
        var overdueOnly = request.OverdueOnly;

        var binding = $"ListCases|{request.AncestorCode}|states={states.Canonical}|warning_colors={colors.Canonical}"
            + $"|overdue_only={(overdueOnly ? 1 : 0)}|kinds={kinds.Canonical}";
        Func<Case, bool>? filter = states.IsEmpty && colors.IsEmpty && kinds.IsEmpty && !overdueOnly
            ? null
            : c => states.Matches(c.State) && colors.Matches(c.WarningColor) && kinds.Matches(c.Kind)
                && (!overdueOnly || c.OverdueLevel is OverdueLevel.YellowCard or OverdueLevel.RedCard);

        var (cases, next) = await EntityPages.ReadAsync(
            binding, request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.Case, prefix, after, n, ct), Case.Parser, filter);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.Case], cases.Count);
        return new ListCasesResponse { Cases = { cases.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    public override async Task<GetServiceRequestResponse> GetServiceRequest(GetServiceRequestRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.ServiceRequestId, "service_request_id");
        var record = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.ServiceRequest, "ServiceRequest", request.ServiceRequestId, ServiceRequest.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.ServiceRequestId, [EntityType.ServiceRequest], 1);
        return new GetServiceRequestResponse { ServiceRequest = record };
    }

    public override async Task<ListServiceRequestsResponse> ListServiceRequests(ListServiceRequestsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, context.Caller(), EntityType.ServiceRequest, request.AncestorCode, ct);
        var states = ReadRequests.EnumFilter(request.States, "states", unspecifiedMatchesData: false);
        var worker = request.GridWorkerNumber;
        if (worker.Length > 0 && !GridWorkerNumber.TryParse(worker, out _))
        {
            throw RpcErrors.InvalidArgument("grid_worker_number", ErrorReasons.InvalidCode,
                "grid_worker_number must be empty or a 17-digit grid-worker number (grid code + sequence 01-99).");
        }

        // The worker filter does not narrow the scan: a worker may handle requests of residents
        // in other grids, so it is matched on the record like every other filter.
        Func<ServiceRequest, bool>? filter = states.IsEmpty && worker.Length == 0
            ? null
            : r => states.Matches(r.State) && (worker.Length == 0 || r.GridWorkerNumber == worker);

        var (requests, next) = await EntityPages.ReadAsync(
            $"ListServiceRequests|{request.AncestorCode}|states={states.Canonical}|grid_worker_number={worker}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.ServiceRequest, prefix, after, n, ct), ServiceRequest.Parser, filter);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.ServiceRequest], requests.Count);
        return new ListServiceRequestsResponse { ServiceRequests = { requests.Select(context.Caller().Redacted) }, NextPageToken = next };
    }
}
