using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Paging;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Regions, grids and grid workers: open (S1) registry data everyone may read. A thin adapter:
/// validate the codes, page through the store's index range scans, map rows to messages.
/// </summary>
internal sealed class RegistryGrpcService(IHubStore store) : RegistryService.RegistryServiceBase
{
    public override async Task<GetRegionResponse> GetRegion(GetRegionRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.RegionCode), "region_code");
        var region = await GetRequiredAsync(EntityType.Region, "Region", request.RegionCode, Region.Parser, context.CancellationToken);
        return new GetRegionResponse { Region = region };
    }

    public override async Task<ListRegionsResponse> ListRegions(ListRegionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = ValidatePageSize(request.PageSize);
        if (request.ParentCode.Length > 0)
        {
            RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.ParentCode), "parent_code");
            await EnsureExistsAsync(EntityType.Region, "Region", request.ParentCode, ct);
        }

        var binding = $"ListRegions|{request.ParentCode}";
        var after = PageTokens.Decode(binding, request.PageToken);
        var rows = await store.ListChildrenAsync(EntityType.Region, request.ParentCode, after, limit + 1, ct);
        var response = new ListRegionsResponse { NextPageToken = NextToken(binding, rows, limit) };
        response.Regions.AddRange(rows.Take(limit).Select(r => EntityRecords.Parse(r, Region.Parser)));
        return response;
    }

    public override async Task<GetGridResponse> GetGrid(GetGridRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(GridCode.Validate(request.GridCode), "grid_code");
        var grid = await GetRequiredAsync(EntityType.Grid, "Grid", request.GridCode, Grid.Parser, context.CancellationToken);
        return new GetGridResponse { Grid = grid };
    }

    public override async Task<ListGridsResponse> ListGrids(ListGridsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = ValidatePageSize(request.PageSize);
        RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.AncestorCode), "ancestor_code");
        await EnsureExistsAsync(EntityType.Region, "Region", request.AncestorCode, ct);

        var prefix = RegionCode.Parse(request.AncestorCode).Prefix;
        var binding = $"ListGrids|{request.AncestorCode}";
        var after = PageTokens.Decode(binding, request.PageToken);
        var rows = await store.ListInScopeAsync(EntityType.Grid, prefix, after, limit + 1, ct);
        var response = new ListGridsResponse { NextPageToken = NextToken(binding, rows, limit) };
        response.Grids.AddRange(rows.Take(limit).Select(r => EntityRecords.Parse(r, Grid.Parser)));
        return response;
    }

    public override async Task<ListGridWorkersResponse> ListGridWorkers(ListGridWorkersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = ValidatePageSize(request.PageSize);
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

        var binding = $"ListGridWorkers|{request.AncestorCode}";
        var after = PageTokens.Decode(binding, request.PageToken);
        var rows = await store.ListInScopeAsync(EntityType.GridWorker, prefix, after, limit + 1, ct);
        var response = new ListGridWorkersResponse { NextPageToken = NextToken(binding, rows, limit) };
        response.GridWorkers.AddRange(rows.Take(limit).Select(r => EntityRecords.Parse(r, GridWorker.Parser)));
        return response;
    }

    private static int ValidatePageSize(int pageSize)
    {
        RpcErrors.ThrowIfInvalid(PageSize.Validate(pageSize), "page_size");
        return PageSize.Normalize(pageSize);
    }

    private static string NextToken(string binding, IReadOnlyList<EntityRecord> rows, int limit) =>
        rows.Count > limit
            ? PageTokens.Encode(binding, new EntityPosition(rows[limit - 1].ScopeCode, rows[limit - 1].Key))
            : "";

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
