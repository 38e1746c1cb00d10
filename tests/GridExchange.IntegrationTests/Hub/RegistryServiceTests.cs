using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// RegistryService over a real socket, on each store. The answers are compared with the seed
/// files read directly (<see cref="SampleTruth"/>), not with hard-coded numbers.
/// </summary>
public abstract class RegistryServiceTests(HubFixture fixture) : IAsyncLifetime
{
    private SampleTruth _truth = null!;

    private RegistryService.RegistryServiceClient Client => new(fixture.Hub.Channel);

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GetRegion_EveryRegionOfTheSample_EqualsTheSeedRecord()
    {
        foreach (var region in _truth.Regions.Values)
        {
            var response = await Client.GetRegionAsync(new GetRegionRequest { RegionCode = region.Code }, deadline: Calls.Deadline());
            Assert.Equal(region, response.Region);
        }
    }

    [Fact]
    public async Task ListRegions_EmptyParent_ReturnsTheProvince()
    {
        var response = await Client.ListRegionsAsync(new ListRegionsRequest(), deadline: Calls.Deadline());
        var province = Assert.Single(response.Regions);
        Assert.Equal(RegionLevel.Province, province.Level);
        Assert.Equal("", response.NextPageToken);
    }

    [Fact]
    public async Task ListRegions_PagedOneByOne_EqualsTheChildrenInTheSeed()
    {
        foreach (var parent in _truth.Regions.Values.Where(r => r.Level is RegionLevel.City or RegionLevel.County or RegionLevel.Township))
        {
            var expected = _truth.Regions.Values.Where(r => r.ParentCode == parent.Code).Select(r => r.Code).Order(StringComparer.Ordinal).ToList();
            var seen = new List<string>();
            var token = "";
            do
            {
                var page = await Client.ListRegionsAsync(
                    new ListRegionsRequest { ParentCode = parent.Code, PageSize = 1, PageToken = token }, deadline: Calls.Deadline());
                Assert.True(page.Regions.Count <= 1);
                seen.AddRange(page.Regions.Select(r => r.Code));
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListGrids_EachCounty_ReturnsExactlyItsGridsInCodeOrder()
    {
        foreach (var county in _truth.Regions.Values.Where(r => r.Level == RegionLevel.County))
        {
            var prefix = county.Code[..6];
            var expected = _truth.Grids.Keys.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.NotEmpty(expected);
            var seen = new List<string>();
            var token = "";
            do
            {
                var page = await Client.ListGridsAsync(
                    new ListGridsRequest { AncestorCode = county.Code, PageSize = 7, PageToken = token }, deadline: Calls.Deadline());
                seen.AddRange(page.Grids.Select(g => g.Code));
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task GetGrid_KnownGrid_LiesUnderItsVillage()
    {
        var grid = _truth.Grids.Values.First();
        var response = await Client.GetGridAsync(new GetGridRequest { GridCode = grid.Code }, deadline: Calls.Deadline());
        Assert.Equal(grid, response.Grid);
        Assert.StartsWith(response.Grid.VillageCode, response.Grid.Code, StringComparison.Ordinal);
        Assert.True(_truth.Regions.ContainsKey(response.Grid.VillageCode));
    }

    [Fact]
    public async Task ListGridWorkers_ByGridAndByVillage_ReturnsTheWorkersUnderIt()
    {
        var grid = _truth.Grids.Values.First(g => _truth.Workers.Keys.Any(w => w.StartsWith(g.Code, StringComparison.Ordinal)));
        var byGrid = await Client.ListGridWorkersAsync(new ListGridWorkersRequest { AncestorCode = grid.Code }, deadline: Calls.Deadline());
        Assert.Equal(
            _truth.Workers.Keys.Where(w => w.StartsWith(grid.Code, StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            byGrid.GridWorkers.Select(w => w.Number));

        var byVillage = await Client.ListGridWorkersAsync(
            new ListGridWorkersRequest { AncestorCode = grid.VillageCode, PageSize = 1000 }, deadline: Calls.Deadline());
        Assert.Equal(
            _truth.Workers.Keys.Where(w => w.StartsWith(grid.VillageCode, StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            byVillage.GridWorkers.Select(w => w.Number));
    }

    [Fact]
    public async Task ListGridWorkers_PageSizeOverTheCap_IsClampedNotRejected()
    {
        var city = _truth.Regions.Values.Single(r => r.Level == RegionLevel.City);
        var response = await Client.ListGridWorkersAsync(
            new ListGridWorkersRequest { AncestorCode = city.Code, PageSize = 1_000_000 }, deadline: Calls.Deadline());
        Assert.Equal(Math.Min(1000, _truth.Workers.Count), response.GridWorkers.Count);
        Assert.Equal(_truth.Workers.Count > 1000, response.NextPageToken.Length > 0);
    }

    [Theory]
    [InlineData("3706")]
    [InlineData("37060200000X")]
    [InlineData("370602000000000")]
    [InlineData("999999999999")]
    [InlineData(" 370602000000")]
    public async Task GetRegion_MalformedCode_IsInvalidArgumentWithFieldViolation(string code) =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetRegionAsync(new GetRegionRequest { RegionCode = code }, deadline: Calls.Deadline()).ResponseAsync,
            "region_code", "INVALID_CODE");

    [Fact]
    public async Task GetRegion_Empty_IsRequiredField() =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetRegionAsync(new GetRegionRequest(), deadline: Calls.Deadline()).ResponseAsync,
            "region_code", "REQUIRED_FIELD");

    [Fact]
    public async Task GetRegion_WellFormedButUnknown_IsNotFound() =>
        await ErrorAssert.ThrowsAsync(
            () => Client.GetRegionAsync(new GetRegionRequest { RegionCode = "110101000000" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");

    [Fact]
    public async Task GetGrid_UnknownAndMalformed_AreNotFoundAndInvalid()
    {
        var village = _truth.Regions.Values.First(r => r.Level == RegionLevel.Village);
        await ErrorAssert.ThrowsAsync(
            () => Client.GetGridAsync(new GetGridRequest { GridCode = village.Code + "899" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetGridAsync(new GetGridRequest { GridCode = village.Code + "000" }, deadline: Calls.Deadline()).ResponseAsync,
            "grid_code", "INVALID_CODE");
    }

    [Fact]
    public async Task ListGrids_UnknownRegion_IsNotFound() =>
        await ErrorAssert.ThrowsAsync(
            () => Client.ListGridsAsync(new ListGridsRequest { AncestorCode = "110101000000" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");

    [Fact]
    public async Task ListGrids_NegativePageSize_IsInvalidPageSize()
    {
        var county = _truth.Regions.Values.First(r => r.Level == RegionLevel.County);
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListGridsAsync(new ListGridsRequest { AncestorCode = county.Code, PageSize = -1 }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
    }

    [Fact]
    public async Task ListGrids_TokenFromAnotherRegionOrGarbage_IsInvalidPageToken()
    {
        var counties = _truth.Regions.Values.Where(r => r.Level == RegionLevel.County).ToList();
        var first = await Client.ListGridsAsync(new ListGridsRequest { AncestorCode = counties[0].Code, PageSize = 1 }, deadline: Calls.Deadline());
        Assert.NotEmpty(first.NextPageToken);

        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListGridsAsync(
                new ListGridsRequest { AncestorCode = counties[1].Code, PageToken = first.NextPageToken }, deadline: Calls.Deadline()).ResponseAsync,
            "page_token", "INVALID_PAGE_TOKEN");
        foreach (var garbage in new[] { "not-a-token", "%%%", first.NextPageToken[..^2], first.NextPageToken[..^4], first.NextPageToken[..^8], "cDEfTGlzdEdyaWRzfDM3MDYwMjAwMDAwMHwfHw" })
        {
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListGridsAsync(
                    new ListGridsRequest { AncestorCode = counties[0].Code, PageToken = garbage }, deadline: Calls.Deadline()).ResponseAsync,
                "page_token", "INVALID_PAGE_TOKEN");
        }
    }

    [Fact]
    public async Task ListGrids_GridCodeOrMalformedAncestor_IsInvalidArgument()
    {
        var grid = _truth.Grids.Keys.First();
        foreach (var code in new[] { grid, "37060200100", "370602001001x" })
        {
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListGridsAsync(new ListGridsRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
                "ancestor_code", "INVALID_CODE");
        }
    }

    [Fact]
    public async Task ListGridWorkers_MalformedAncestor_IsInvalidArgument() =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListGridWorkersAsync(new ListGridWorkersRequest { AncestorCode = "37060" }, deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", "INVALID_CODE");
}

/// <summary>The registry on the embedded default: a SQLite file.</summary>
public sealed class RegistryServiceOnSqliteTests(SqliteHubFixture fixture)
    : RegistryServiceTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>The registry on PostgreSQL.</summary>
public sealed class RegistryServiceOnPostgresTests(PostgresHubFixture fixture)
    : RegistryServiceTests(fixture), IClassFixture<PostgresHubFixture>;
