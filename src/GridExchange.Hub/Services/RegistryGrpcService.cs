using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Regions, grids and grid workers: open (S1) registry data everyone may read. A thin adapter:
/// validate the codes, page through the store's index range scans, map rows to messages.
/// </summary>
internal sealed class RegistryGrpcService(IHubStore store, AuditTrail audit) : RegistryService.RegistryServiceBase
{
    public override async Task<GetRegionResponse> GetRegion(GetRegionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.RegionCode), "region_code");
        var region = await GetRequiredAsync(EntityType.Region, "Region", request.RegionCode, Region.Parser, context.CancellationToken);
        return new GetRegionResponse { Region = context.Caller().Redacted(region) };
    }

    public override async Task<ListRegionsResponse> ListRegions(ListRegionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        if (request.ParentCode.Length > 0)
        {
            RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.ParentCode), "parent_code");
            await EnsureExistsAsync(EntityType.Region, "Region", request.ParentCode, ct);
        }

        var (regions, next) = await EntityPages.ReadAsync(
            $"ListRegions|{request.ParentCode}", request.PageToken, limit,
            (after, n) => store.ListChildrenAsync(EntityType.Region, request.ParentCode, after, n, ct), Region.Parser);
        return new ListRegionsResponse { Regions = { regions.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    public override async Task<GetGridResponse> GetGrid(GetGridRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(GridCode.Validate(request.GridCode), "grid_code");
        var grid = await GetRequiredAsync(EntityType.Grid, "Grid", request.GridCode, Grid.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.GridCode, [EntityType.Grid], 1);
        return new GetGridResponse { Grid = context.Caller().Redacted(grid) };
    }

    public override async Task<ListGridsResponse> ListGrids(ListGridsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.AncestorCode), "ancestor_code");
        await EnsureExistsAsync(EntityType.Region, "Region", request.AncestorCode, ct);

        var prefix = RegionCode.Parse(request.AncestorCode).Prefix;
        var (grids, next) = await EntityPages.ReadAsync(
            $"ListGrids|{request.AncestorCode}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.Grid, prefix, after, n, ct), Grid.Parser);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.Grid], grids.Count);
        return new ListGridsResponse { Grids = { grids.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    public override async Task<ListGridWorkersResponse> ListGridWorkers(ListGridWorkersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        if (!ScopeCode.TryParseAny(request.AncestorCode, out var level, out var prefix))
        {
            throw RpcErrors.InvalidArgument("ancestor_code",
                string.IsNullOrEmpty(request.AncestorCode) ? ErrorReasons.RequiredField : ErrorReasons.InvalidCode,
                "ancestor_code must be a 12-digit region code or a 15-digit grid code.");
        }

        if (level == DivisionLevel.Grid)
        {
            await EnsureExistsAsync(EntityType.Grid, "Grid", request.AncestorCode, ct);
        }
        else
        {
            await EnsureExistsAsync(EntityType.Region, "Region", request.AncestorCode, ct);
        }

        var (workers, next) = await EntityPages.ReadAsync(
            $"ListGridWorkers|{request.AncestorCode}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.GridWorker, prefix, after, n, ct), GridWorker.Parser);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.GridWorker], workers.Count);
        return new ListGridWorkersResponse { GridWorkers = { workers.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    private async Task<T> GetRequiredAsync<T>(EntityType type, string name, string key, MessageParser<T> parser, CancellationToken ct)
        where T : IMessage<T>
    {
        var record = await store.GetAsync(type, key, ct) ?? throw RpcErrors.NotFound(name, key);
        return EntityRecords.Parse(record, parser);
    }

    private async Task EnsureExistsAsync(EntityType type, string name, string key, CancellationToken ct)
    {
        _ = await store.GetAsync(type, key, ct) ?? throw RpcErrors.NotFound(name, key);
    }
}
