using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Stats;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Region statistics (分析评价). A thin adapter: validate the code, check the jurisdiction, read
/// the region's (and its children's) maintained counters from the store in one consistent read,
/// and let <see cref="RegionStatsCalculator"/> turn them into the contract's figures. No call
/// counts records, so a province answers as fast as a village.
/// </summary>
/// <remarks>
/// Not audited: the answer holds counts only (S1 by the contract), no record and no personal
/// data (DESIGN §6 audits reads of personal data); an audit entry per dashboard refresh would
/// also serialise every refresh on the audit chain's head.
/// </remarks>
internal sealed class StatsGrpcService(IHubStore store, [FromKeyedServices(HubHost.DirectiveClockKey)] TimeProvider clock)
    : StatsService.StatsServiceBase
{
    // Children are listed from the registry in pages of this size (a township has tens of
    // villages, a city tens of counties; a page is an index range scan).
    private const int ChildPage = 500;

    /// <inheritdoc />
    public override async Task<GetRegionStatsResponse> GetRegionStats(GetRegionStatsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        RpcErrors.ThrowIfInvalid(RegionCode.Validate(request.RegionCode), "region_code");
        var caller = context.Caller();
        if (!caller.Covers(request.RegionCode))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction,
                $"Region {request.RegionCode} lies outside the caller's jurisdiction {caller.RegionCode}.",
                new Dictionary<string, string> { ["field"] = "region_code" });
        }

        var record = await store.GetAsync(EntityType.Region, request.RegionCode, ct) ?? throw RpcErrors.NotFound("Region", request.RegionCode);
        var region = EntityRecords.Parse(record, Region.Parser);
        var code = RegionCode.Parse(request.RegionCode);
        var units = new List<(string Code, string Name, RegionLevel Level)> { (region.Code, region.Name, (RegionLevel)(int)code.Level) };
        if (request.IncludeChildren)
        {
            units.AddRange(await ChildrenAsync(code, ct));
        }

        var now = clock.GetUtcNow();
        var figures = await store.ReadRegionFiguresAsync([.. units.Select(u => u.Code)], now, ct);
        var stats = units.Select(u => RegionStatsCalculator.Compute(
            u.Code, u.Name, u.Level, figures[u.Code].Counters, figures[u.Code].Compliance, now)).ToList();
        return new GetRegionStatsResponse { Stats = stats[0], Children = { stats.Skip(1) } };
    }

    // The direct children in code order: child regions from the registry; a village's children
    // are its grids (level GRID, the contract's seventh level).
    private async Task<List<(string Code, string Name, RegionLevel Level)>> ChildrenAsync(RegionCode code, CancellationToken ct)
    {
        var children = new List<(string, string, RegionLevel)>();
        EntityPosition? after = null;
        while (true)
        {
            var page = code.Level == DivisionLevel.Village
                ? await store.ListInScopeAsync(EntityType.Grid, code.Value, after, ChildPage, ct)
                : await store.ListChildrenAsync(EntityType.Region, code.Value, after, ChildPage, ct);
            foreach (var child in page)
            {
                if (code.Level == DivisionLevel.Village)
                {
                    var grid = EntityRecords.Parse(child, Grid.Parser);
                    children.Add((grid.Code, grid.Name, RegionLevel.Grid));
                }
                else
                {
                    var region = EntityRecords.Parse(child, Region.Parser);
                    var level = RegionCode.TryParse(region.Code, out var parsed) ? (RegionLevel)(int)parsed.Level : region.Level;
                    children.Add((region.Code, region.Name, level));
                }
            }

            if (page.Count < ChildPage)
            {
                return children;
            }

            after = new EntityPosition(page[^1].ScopeCode, page[^1].Key);
        }
    }
}
