using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Cases;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.Domain.Peers;
using GridExchange.Domain.Security;
using GridExchange.Domain.Time;
using GridExchange.Hub.Cases;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.Hub.Services;

/// <summary>
/// Cases (事件) and proxy service requests (代办): reads of every case and request the caller's
/// jurisdiction holds, and the hub-managed lifecycles — ReportCase, TransitionCase,
/// ReportServiceRequest, TransitionServiceRequest (<c>case_service.proto</c>).
/// </summary>
/// <remarks>
/// <para>
/// The rules live in the domain (<see cref="CaseWorkflow"/>, <see cref="ServiceRequestWorkflow"/>,
/// <see cref="CaseTransitions"/>, <see cref="CaseWarnings"/>, <see cref="ServiceCatalogue"/>); a
/// report is checked by the same <see cref="ChangeValidator"/> rules as a case or request a
/// county submits. Every write is committed with its answer and its feed change (owner
/// <c>hub</c>) in one transaction under the feed lock, idempotent on the caller's request_id,
/// then audited.
/// </para>
/// <para>
/// Single writer: a record created here is owned by the hub (SubmitChanges to it is NOT_OWNER); a
/// record a source submitted is owned by that source, and transitions here are
/// FAILED_PRECONDITION, NOT_OWNER. So hub and county versions of one record never interleave.
/// </para>
/// <para>
/// Overdue level and warning colour of a hub-managed case are computed from the injected clock
/// at every read (Get, List, the transition's answer) from the deadline columns, without
/// changing the state; a source-owned case carries the source's own values. Lists walk the
/// store's (grid code, id) keyset order, examine a bounded number of rows per call, and filter.
/// </para>
/// </remarks>
internal sealed class CaseGrpcService(
    IHubStore store, AuditTrail audit, CaseConfiguration configuration, [FromKeyedServices(HubHost.CaseClockKey)] TimeProvider clock)
    : CaseService.CaseServiceBase
{
    /// <inheritdoc />
    public override async Task<ReportCaseResponse> ReportCase(ReportCaseRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        if (request.CaseRecord is null)
        {
            throw RpcErrors.InvalidArgument("case_record", ErrorReasons.RequiredField, "case_record is required.");
        }

        ThrowFirst(CaseWorkflow.ValidateReportActor(request.ActorId, request.ActorName));
        var now = Now();
        var id = "sj-" + Guid.NewGuid().ToString("N");
        var (built, times) = CaseWorkflow.Report(request.CaseRecord, id, request.ActorId, request.ActorName, now, configuration.Deadlines);
        var record = Validated(caller, new Change { EntityType = EntityType.Case, CaseRecord = built }, id).CaseRecord;
        await RequireGridAsync(record.GridCode, "case_record.grid_code", context.CancellationToken);

        var prefix = record.CaseNumber.Length == 0 ? "GX" + ChinaDate(now) : "";
        var outcome = await store.WriteHubRecordAsync(new HubRecordWrite(Key(caller, request.RequestId, context, request), EntityType.Case, id, IsNew: true, prefix,
            (_, number) =>
            {
                var stored = record.Clone();
                if (number.Length > 0)
                {
                    stored.CaseNumber = number;
                }

                return new HubRecordPlan(stored, stored.GridCode, stored.CaseNumber, (int)stored.State, times,
                    new ReportCaseResponse { CaseRecord = stored }.ToByteArray());
            }), context.CancellationToken);
        ThrowIfRefused(outcome, "case_record.case_number");
        var response = ReportCaseResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller, Scope("case", response.CaseRecord.Meta.Id, outcome.Repeated, "report"), 1, request.RequestId);
        response.CaseRecord = caller.Redacted(response.CaseRecord);
        return response;
    }

    /// <inheritdoc />
    public override async Task<TransitionCaseResponse> TransitionCase(TransitionCaseRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        ReadRequests.ValidateEntityId(request.CaseId, "case_id");
        ThrowFirst(CaseWorkflow.ValidateTransition(request));
        var now = Now();
        var outcome = await store.WriteHubRecordAsync(new HubRecordWrite(Key(caller, request.RequestId, context, request), EntityType.Case, request.CaseId, IsNew: false, "",
            (current, _) =>
            {
                var record = Owned(caller, current, EntityType.Case, "Case", request.CaseId, Case.Parser);
                if (CaseWorkflow.ActorRefusal(caller.RegionCode, record, request.Action) is { } denied)
                {
                    throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction, denied,
                        new Dictionary<string, string>
                        {
                            ["case_id"] = request.CaseId,
                            ["owning_region_code"] = record.OwningRegionCode,
                            ["caller_region_code"] = caller.RegionCode,
                        });
                }

                CheckVersion(record.Meta.Version, request.ExpectedVersion);
                if (CaseWorkflow.StateRefusal(record, request.Action) is { } refusal)
                {
                    throw IllegalTransition(refusal, request.CaseId, CaseTransitions.Name(record.State));
                }

                var (next, times) = CaseWorkflow.Apply(record, current!.Times!, request, now, configuration.Deadlines);
                return new HubRecordPlan(next, next.GridCode, next.CaseNumber, (int)next.State, times,
                    new TransitionCaseResponse { CaseRecord = next }.ToByteArray());
            }), context.CancellationToken);
        ThrowIfRefused(outcome, "");
        var response = TransitionCaseResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope("case", request.CaseId, outcome.Repeated, "action=" + CaseTransitions.Name(request.Action)), 1, request.RequestId);
        response.CaseRecord = caller.Redacted(response.CaseRecord);
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetCaseResponse> GetCase(GetCaseRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        ReadRequests.ValidateEntityId(request.CaseId, "case_id");
        var row = await store.GetCaseAsync(request.CaseId, context.CancellationToken);
        if (row is null || !caller.MayRead(EntityType.Case) || !caller.Covers(row.Record.ScopeCode))
        {
            throw RpcErrors.NotFound("Case", request.CaseId);
        }

        var record = Live(row, Now());
        await audit.ReadAsync(context, caller, request.CaseId, [EntityType.Case], 1);
        return new GetCaseResponse { CaseRecord = caller.Redacted(record) };
    }

    /// <inheritdoc />
    public override async Task<ListCasesResponse> ListCases(ListCasesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var caller = context.Caller();
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, caller, EntityType.Case, request.AncestorCode, ct);
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

        // Hub-managed cases get their overdue level and colour as of now before the filter sees them.
        var now = Now();
        var (cases, next) = await EntityPages.ReadAsync(
            binding, request.PageToken, limit,
            async (after, n) => (await store.ListCasesAsync(prefix, after, n, ct))
                .Select(row => row.Times is null ? row.Record : row.Record with { Payload = Live(row, now).ToByteArray() })
                .ToList(),
            Case.Parser, filter);
        await audit.ReadAsync(context, caller, request.AncestorCode, [EntityType.Case], cases.Count);
        return new ListCasesResponse { Cases = { cases.Select(caller.Redacted) }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<ReportServiceRequestResponse> ReportServiceRequest(ReportServiceRequestRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        if (request.ServiceRequest is null)
        {
            throw RpcErrors.InvalidArgument("service_request", ErrorReasons.RequiredField, "service_request is required.");
        }

        ThrowFirst(CaseWorkflow.ValidateReportActor(request.ActorId, request.ActorName));
        var now = Now();
        var id = "db-" + Guid.NewGuid().ToString("N");
        var input = request.ServiceRequest;
        var item = configuration.Catalogue.Find(input.ItemCode);
        var built = ServiceRequestWorkflow.Report(input, item, id, request.ActorId, request.ActorName, now);
        var record = Validated(caller, new Change { EntityType = EntityType.ServiceRequest, ServiceRequest = built }, id).ServiceRequest;
        if (configuration.Catalogue.Check("service_request", record.CategoryCode, record.ItemCode) is { } problem)
        {
            throw RpcErrors.InvalidArgument(problem.Field, problem.Reason, problem.Description);
        }

        await RequireGridAsync(record.GridCode, "service_request.grid_code", context.CancellationToken);
        var prefix = record.RequestNumber.Length == 0 ? "GS" + ChinaDate(now) : "";
        var outcome = await store.WriteHubRecordAsync(new HubRecordWrite(
            Key(caller, request.RequestId, context, request), EntityType.ServiceRequest, id, IsNew: true, prefix,
            (_, number) =>
            {
                var stored = record.Clone();
                if (number.Length > 0)
                {
                    stored.RequestNumber = number;
                }

                return new HubRecordPlan(stored, stored.GridCode, stored.RequestNumber, (int)stored.State, null,
                    new ReportServiceRequestResponse { ServiceRequest = stored }.ToByteArray());
            }), context.CancellationToken);
        ThrowIfRefused(outcome, "service_request.request_number");
        var response = ReportServiceRequestResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller, Scope("service_request", response.ServiceRequest.Meta.Id, outcome.Repeated, "report"), 1, request.RequestId);
        response.ServiceRequest = caller.Redacted(ServiceRequestWorkflow.MarkOverdue(response.ServiceRequest, Now()));
        return response;
    }

    /// <inheritdoc />
    public override async Task<TransitionServiceRequestResponse> TransitionServiceRequest(TransitionServiceRequestRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        ReadRequests.ValidateEntityId(request.ServiceRequestId, "service_request_id");
        ThrowFirst(ServiceRequestWorkflow.ValidateTransition(request));
        var now = Now();
        var outcome = await store.WriteHubRecordAsync(new HubRecordWrite(
            Key(caller, request.RequestId, context, request), EntityType.ServiceRequest, request.ServiceRequestId, IsNew: false, "",
            (current, _) =>
            {
                var record = Owned(caller, current, EntityType.ServiceRequest, "ServiceRequest", request.ServiceRequestId, ServiceRequest.Parser);
                CheckVersion(record.Meta.Version, request.ExpectedVersion);
                if (ServiceRequestTransitions.Refusal(record.State, request.Action) is { } refusal)
                {
                    throw IllegalTransition(refusal, request.ServiceRequestId, ServiceRequestTransitions.Name(record.State));
                }

                var next = ServiceRequestWorkflow.Apply(record, request, configuration.Catalogue.Find(record.ItemCode), now, configuration.Deadlines);
                return new HubRecordPlan(next, next.GridCode, next.RequestNumber, (int)next.State, null,
                    new TransitionServiceRequestResponse { ServiceRequest = next }.ToByteArray());
            }), context.CancellationToken);
        ThrowIfRefused(outcome, "");
        var response = TransitionServiceRequestResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope("service_request", request.ServiceRequestId, outcome.Repeated, "action=" + ServiceRequestTransitions.Name(request.Action)), 1, request.RequestId);
        response.ServiceRequest = caller.Redacted(ServiceRequestWorkflow.MarkOverdue(response.ServiceRequest, Now()));
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetServiceRequestResponse> GetServiceRequest(GetServiceRequestRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.ServiceRequestId, "service_request_id");
        var record = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.ServiceRequest, "ServiceRequest", request.ServiceRequestId, ServiceRequest.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.ServiceRequestId, [EntityType.ServiceRequest], 1);
        return new GetServiceRequestResponse { ServiceRequest = ServiceRequestWorkflow.MarkOverdue(record, Now()) };
    }

    /// <inheritdoc />
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
        var now = Now();
        var overdueOnly = request.OverdueOnly;
        Func<ServiceRequest, bool>? filter = states.IsEmpty && worker.Length == 0 && !overdueOnly
            ? null
            : r => states.Matches(r.State) && (worker.Length == 0 || r.GridWorkerNumber == worker)
                && (!overdueOnly || ServiceRequestWorkflow.IsOverdue(r, now));

        // A token of a call without overdue_only keeps its binding from before the filter existed.
        var binding = $"ListServiceRequests|{request.AncestorCode}|states={states.Canonical}|grid_worker_number={worker}"
            + (overdueOnly ? "|overdue_only=1" : "");
        var (requests, next) = await EntityPages.ReadAsync(
            binding, request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.ServiceRequest, prefix, after, n, ct), ServiceRequest.Parser, filter);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.ServiceRequest], requests.Count);
        return new ListServiceRequestsResponse
        {
            ServiceRequests = { requests.Select(r => context.Caller().Redacted(ServiceRequestWorkflow.MarkOverdue(r, now))) },
            NextPageToken = next,
        };
    }

    private DateTimeOffset Now()
    {
        // Microseconds: what both stores keep, so an answer shows the instants a later read returns.
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }

    private static string ChinaDate(DateTimeOffset now) =>
        now.ToOffset(ChinaTime.Offset).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>A case as readers see it: a hub-managed one marked with its overdue level and colour as of <paramref name="now"/>.</summary>
    private static Case Live(CaseRow row, DateTimeOffset now)
    {
        var record = EntityRecords.Parse(row.Record, Case.Parser);
        return row.Times is { } times ? CaseWarnings.Mark(record, times, now) : record;
    }

    /// <summary>
    /// Runs a report through the rules a submitted case or request meets (field rules, codes,
    /// lengths, the caller's jurisdiction); returns the normalised payload, owned by the hub.
    /// A grid outside the jurisdiction is PERMISSION_DENIED; any other problem INVALID_ARGUMENT.
    /// </summary>
    private Change Validated(Caller caller, Change change, string id)
    {
        change.EntityKey = id;
        change.Operation = ChangeOperation.Upsert;
        change.EntityVersion = 1;
        change.SourceChangeId = id + "@1";
        var check = ChangeValidator.Validate(change, new SourceJurisdiction(caller.PeerId, caller.RegionCode), clock);
        if (!check.IsValid)
        {
            var first = check.Problems[0];
            if (first.Reason == ErrorReasons.OutOfJurisdiction)
            {
                throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction, $"{first.Field}: {first.Description}",
                    new Dictionary<string, string> { ["field"] = first.Field });
            }

            throw RpcErrors.InvalidArgument(first.Field, first.Reason, check.Message!);
        }

        var normalized = check.Normalized;
        var meta = normalized.CaseRecord?.Meta ?? normalized.ServiceRequest.Meta;
        meta.SourceSystem = IngestPlanner.HubOwner;
        return normalized;
    }

    private async Task RequireGridAsync(string gridCode, string field, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(EntityType.Grid, gridCode, cancellationToken) is null)
        {
            throw RpcErrors.Status(StatusCode.NotFound, ErrorReasons.NotFound, $"{field}: grid {gridCode} is not known to the hub.",
                new Dictionary<string, string> { ["entity"] = "Grid", ["key"] = gridCode, ["field"] = field });
        }
    }

    /// <summary>
    /// The stored record if the caller may act on it: NOT_FOUND when missing or outside the
    /// caller's jurisdiction (ids of other regions' records are not confirmed);
    /// FAILED_PRECONDITION, NOT_OWNER when a source system owns it.
    /// </summary>
    private static T Owned<T>(Caller caller, HubRecordState? current, EntityType type, string name, string id, MessageParser<T> parser)
        where T : IMessage<T>
    {
        if (current is null || !caller.MayRead(type) || !caller.Covers(current.Record.ScopeCode))
        {
            throw RpcErrors.NotFound(name, id);
        }

        if (!current.HubManaged || current.Record.SourceSystem != IngestPlanner.HubOwner)
        {
            throw RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.NotOwner,
                $"{name} '{id}' is owned by source system '{current.Record.SourceSystem}', which runs its workflow: it changes only through that source's SubmitChanges.",
                new Dictionary<string, string> { ["key"] = id, ["owner"] = current.Record.SourceSystem });
        }

        return EntityRecords.Parse(current.Record, parser);
    }

    private static void CheckVersion(long stored, long expected)
    {
        if (expected != 0 && expected != stored)
        {
            throw RpcErrors.Status(StatusCode.Aborted, ErrorReasons.VersionConflict,
                string.Create(CultureInfo.InvariantCulture, $"The record is at version {stored}, not {expected}: re-read it and decide again."),
                new Dictionary<string, string> { ["stored_version"] = stored.ToString(CultureInfo.InvariantCulture) });
        }
    }

    private static RpcException IllegalTransition(string message, string key, string state) =>
        RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.IllegalTransition, message,
            new Dictionary<string, string> { ["key"] = key, ["state"] = state });

    private static DirectiveRequest Key(Caller caller, string requestId, ServerCallContext context, IMessage request)
    {
        // The method is part of the hash: one request id may not stand for two different RPCs.
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(context.Method)) { 0 };
        bytes.AddRange(request.ToByteArray());
        return new DirectiveRequest(caller.PeerId, requestId, context.Method, SHA256.HashData([.. bytes]));
    }

    private static void ThrowIfRefused(HubRecordOutcome outcome, string numberField)
    {
        if (outcome.RequestIdReused)
        {
            throw RpcErrors.InvalidArgument("request_id", ErrorReasons.RequestIdReused,
                "This request_id was used before for a different request; choose a new one for every change.");
        }

        if (outcome.NumberTaken)
        {
            throw RpcErrors.Status(StatusCode.AlreadyExists, ErrorReasons.Duplicate,
                $"{numberField}: another record of the hub already has this number; leave it empty to have the hub assign one.",
                new Dictionary<string, string> { ["field"] = numberField });
        }
    }

    private static void ThrowFirst(IReadOnlyList<FieldProblem> problems)
    {
        if (problems.Count > 0)
        {
            var first = problems[0];
            throw RpcErrors.InvalidArgument(first.Field, first.Reason, $"{first.Field}: {first.Description}");
        }
    }

    private static string Scope(string kind, string id, bool repeated, string what) =>
        $"{kind}={id};{what}{(repeated ? ";repeat" : "")}";
}
