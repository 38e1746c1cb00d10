using Google.Rpc;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// PopulationService reads over a real socket, on each store. Expected records, sets and orders
/// are computed from the seed files (<see cref="SampleTruth"/>), never hard-coded.
/// </summary>
public abstract class PopulationServiceTests(HubFixture fixture) : IAsyncLifetime
{
    private SampleTruth _truth = null!;

    private PopulationService.PopulationServiceClient Client => new(fixture.Hub.Channel);

    private string CityCode => _truth.Regions.Values.Single(r => r.Level == RegionLevel.City).Code;

    private IEnumerable<Region> Counties => _truth.Regions.Values.Where(r => r.Level == RegionLevel.County).OrderBy(r => r.Code, StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GetPerson_SampledAndSpecialGroupPersons_EqualTheSeedRecords()
    {
        var persons = _truth.Persons.Values.Where((p, i) => i % 97 == 0 || p.Tags.Any(t => t.Kind >= PersonTagKind.ReleasedPrisoner)).ToList();
        Assert.Contains(persons, p => p.Tags.Any(t => t.Kind == PersonTagKind.AidsRisk));
        foreach (var person in persons)
        {
            var response = await Client.GetPersonAsync(new GetPersonRequest { PersonId = person.Meta.Id }, deadline: Calls.Deadline());
            Assert.Equal(person, response.Person);
        }
    }

    [Fact]
    public async Task GetHouse_SampledHouses_EqualTheSeedRecords()
    {
        foreach (var house in _truth.Houses.Values.Where((h, i) => i % 41 == 0 || h.Hazard != HazardType.None))
        {
            var response = await Client.GetHouseAsync(new GetHouseRequest { HouseId = house.Meta.Id }, deadline: Calls.Deadline());
            Assert.Equal(house, response.House);
        }
    }

    [Fact]
    public async Task GetHousehold_SampledHouseholds_EqualTheSeedRecords()
    {
        foreach (var household in _truth.Households.Values.Where((h, i) => i % 41 == 0 || h.Type == HouseholdType.Collective))
        {
            var response = await Client.GetHouseholdAsync(new GetHouseholdRequest { HouseholdId = household.Meta.Id }, deadline: Calls.Deadline());
            Assert.Equal(household, response.Household);
        }
    }

    [Fact]
    public async Task Get_UnknownIdsOrIdsOfAnotherType_AreNotFound()
    {
        var household = _truth.Households.Keys.First();
        var person = _truth.Persons.Keys.First();
        await ErrorAssert.ThrowsAsync(
            () => Client.GetPersonAsync(new GetPersonRequest { PersonId = "p-370602-9999999" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(
            () => Client.GetPersonAsync(new GetPersonRequest { PersonId = household }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(
            () => Client.GetHouseAsync(new GetHouseRequest { HouseId = person }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
        await ErrorAssert.ThrowsAsync(
            () => Client.GetHouseholdAsync(new GetHouseholdRequest { HouseholdId = "hh-370602-9999999" }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.NotFound, "NOT_FOUND");
    }

    [Theory]
    [InlineData("", "REQUIRED_FIELD")]
    [InlineData("   ", "REQUIRED_FIELD")]
    [InlineData("p/370602/1", "INVALID_FORMAT")]
    [InlineData("p 370602", "INVALID_FORMAT")]
    [InlineData("张三", "INVALID_FORMAT")]
    [InlineData("p-370602-0000001\n", "INVALID_FORMAT")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "INVALID_LENGTH")]
    public async Task GetPerson_MalformedId_IsInvalidArgumentOnPersonId(string id, string reason) =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetPersonAsync(new GetPersonRequest { PersonId = id }, deadline: Calls.Deadline()).ResponseAsync,
            "person_id", reason);

    [Fact]
    public async Task GetHouseAndHousehold_MalformedIds_NameTheirOwnField()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetHouseAsync(new GetHouseRequest { HouseId = "ho#1" }, deadline: Calls.Deadline()).ResponseAsync,
            "house_id", "INVALID_FORMAT");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.GetHouseholdAsync(new GetHouseholdRequest(), deadline: Calls.Deadline()).ResponseAsync,
            "household_id", "REQUIRED_FIELD");
    }

    [Fact]
    public async Task ListPersons_EachGrid_ReturnsItsPersonsInIdOrder()
    {
        foreach (var grid in _truth.Grids.Keys)
        {
            var expected = Pages.InListOrder(_truth.Persons.Values.Where(p => p.GridCode == grid), p => p.GridCode, p => p.Meta.Id);
            var seen = await Pages.AllAsync(token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = grid, PageToken = token }), 100);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListPersons_EachCountyPagedBy333_WalksEveryPersonExactlyOnce()
    {
        foreach (var county in Counties)
        {
            var expected = Pages.InListOrder(
                _truth.Persons.Values.Where(p => p.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal)), p => p.GridCode, p => p.Meta.Id);
            Assert.NotEmpty(expected);
            var pages = await Pages.WalkAsync(
                token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = county.Code, PageSize = 333, PageToken = token }), 333);
            var seen = pages.SelectMany(p => p).ToList();

            Assert.Equal(expected.Count, seen.Distinct().Count());
            Assert.Equal(expected, seen);
            // Without a filter every page but the last is full.
            Assert.All(pages[..^1], p => Assert.Equal(333, p.Count));
        }
    }

    [Fact]
    public async Task ListPersons_WholeCityAtAnOversizedPageSize_ServesPagesOfAThousand()
    {
        var expected = Pages.InListOrder(_truth.Persons.Values, p => p.GridCode, p => p.Meta.Id);
        var pages = await Pages.WalkAsync(
            token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = CityCode, PageSize = 5000, PageToken = token }), 1000);
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.Equal((expected.Count + 999) / 1000, pages.Count);
    }

    [Fact]
    public async Task ListPersons_EachTagKind_ReturnsExactlyThePersonsWithThatTag()
    {
        foreach (var kind in Enum.GetValues<PersonTagKind>().Where(k => k != PersonTagKind.Unspecified))
        {
            var expected = Pages.InListOrder(_truth.Persons.Values.Where(p => p.Tags.Any(t => t.Kind == kind)), p => p.GridCode, p => p.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = CityCode, TagKinds = { kind }, PageSize = 500, PageToken = token }), 500);
            Assert.True(expected.SequenceEqual(seen), $"{kind}: expected {expected.Count} persons, got {seen.Count}");
        }
    }

    [Fact]
    public async Task ListPersons_SeveralTagKinds_ReturnsPersonsWithAnyOfThem()
    {
        PersonTagKind[] kinds = [PersonTagKind.DrugUser, PersonTagKind.KeyYouth, PersonTagKind.LeftBehind];
        foreach (var county in Counties)
        {
            var expected = Pages.InListOrder(
                _truth.Persons.Values.Where(p => p.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal) && p.Tags.Any(t => kinds.Contains(t.Kind))),
                p => p.GridCode, p => p.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = county.Code, TagKinds = { kinds }, PageSize = 50, PageToken = token }), 50);
            Assert.Equal(expected, seen);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(150)]
    public async Task ListPersons_RareTag_ExaminesABoundedNumberOfRowsPerCall(int pageSize)
    {
        // The rarest tag in the sample: most calls examine their whole budget and find nothing.
        var kind = Enum.GetValues<PersonTagKind>()
            .Select(k => (Kind: k, Count: _truth.Persons.Values.Count(p => p.Tags.Any(t => t.Kind == k))))
            .Where(k => k.Count > 0).MinBy(k => k.Count).Kind;
        var ordered = Pages.InListOrder(_truth.Persons.Values, p => p.GridCode, p => p.Meta.Id);
        var expected = Pages.Expected(ordered, id => _truth.Persons[id].Tags.Any(t => t.Kind == kind), pageSize);

        var pages = await Pages.WalkAsync(
            token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = CityCode, TagKinds = { kind }, PageSize = pageSize, PageToken = token }),
            pageSize);

        Assert.Equal(expected, pages);
        Assert.Contains(pages[..^1], p => p.Count == 0);
    }

    [Fact]
    public async Task ListPersons_NoMatchAnywhere_EndsWithEmptyPagesNotAnError()
    {
        var ordered = Pages.InListOrder(_truth.Persons.Values, p => p.GridCode, p => p.Meta.Id);
        Assert.DoesNotContain(_truth.Persons.Values, p => p.Tags.Any(t => t.Kind == PersonTagKind.Foreign));
        var pages = await Pages.WalkAsync(
            token => ListPersonsAsync(new ListPersonsRequest { AncestorCode = CityCode, TagKinds = { PersonTagKind.Foreign }, PageToken = token }), 100);
        Assert.All(pages, p => Assert.Empty(p));
        Assert.Equal(Pages.Expected(ordered, _ => false, 100).Count, pages.Count);
    }

    [Fact]
    public async Task ListPersons_ByCitizenId_FindsThePersonThroughTheIndex_InsideTheAncestorOnly()
    {
        var person = _truth.Persons.Values.First(p => p.CitizenId.Length == 18);
        var found = await Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = CityCode, CitizenId = person.CitizenId }, deadline: Calls.Deadline());
        Assert.Equal([person.Meta.Id], found.Persons.Select(p => p.Meta.Id));
        Assert.Equal(person, found.Persons[0]);
        Assert.Equal("", found.NextPageToken);

        // Another county's ancestor does not hold it; an unknown but valid ID finds nobody.
        var elsewhere = _truth.Regions.Values.First(r => r.Level == RegionLevel.County && !person.GridCode.StartsWith(r.Code[..6], StringComparison.Ordinal));
        Assert.Empty((await Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = elsewhere.Code, CitizenId = person.CitizenId }, deadline: Calls.Deadline())).Persons);
        var unknown = Domain.Codes.CitizenId.Create("370602", new DateOnly(1950, 1, 1), 999);
        Assert.DoesNotContain(_truth.Persons.Values, p => p.CitizenId == unknown);
        Assert.Empty((await Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = CityCode, CitizenId = unknown }, deadline: Calls.Deadline())).Persons);
    }

    [Fact]
    public async Task ListPersons_ByMalformedCitizenId_IsInvalid_AndNeverEchoesIt()
    {
        var person = _truth.Persons.Values.First(p => p.CitizenId.Length == 18);
        await ErrorAssert.InvalidArgumentAsync(() => Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = CityCode, CitizenId = person.CitizenId[..15] }, deadline: Calls.Deadline()).ResponseAsync,
            "citizen_id", "INVALID_LENGTH");
        var wrongCheck = person.CitizenId[..17] + (person.CitizenId[17] == '1' ? '2' : '1');
        var status = await ErrorAssert.ThrowsAsync(() => Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = CityCode, CitizenId = wrongCheck }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.InvalidArgument, "INVALID_CHECK_DIGIT");
        Assert.DoesNotContain(wrongCheck, status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListPersons_TokenWithChangedFilterOrScope_IsInvalidPageToken()
    {
        var county = Counties.First();
        var first = await Client.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = county.Code, TagKinds = { PersonTagKind.Floating, PersonTagKind.Registered }, PageSize = 10 },
            deadline: Calls.Deadline());
        Assert.NotEmpty(first.NextPageToken);

        ListPersonsRequest[] changed =
        [
            new() { AncestorCode = county.Code, TagKinds = { PersonTagKind.Floating } },
            new() { AncestorCode = county.Code },
            new() { AncestorCode = county.Code, TagKinds = { PersonTagKind.Floating, PersonTagKind.Registered, PersonTagKind.DrugUser } },
            new() { AncestorCode = CityCode, TagKinds = { PersonTagKind.Floating, PersonTagKind.Registered } },
        ];
        foreach (var request in changed)
        {
            request.PageToken = first.NextPageToken;
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListPersonsAsync(request, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        }

        // The same set in another order, with a repeat and another page size, continues the listing.
        var next = await Client.ListPersonsAsync(
            new ListPersonsRequest
            {
                AncestorCode = county.Code,
                TagKinds = { PersonTagKind.Registered, PersonTagKind.Floating, PersonTagKind.Registered },
                PageSize = 20,
                PageToken = first.NextPageToken,
            },
            deadline: Calls.Deadline());
        var expected = Pages.InListOrder(
            _truth.Persons.Values.Where(p => p.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal)
                && p.Tags.Any(t => t.Kind is PersonTagKind.Registered or PersonTagKind.Floating)),
            p => p.GridCode, p => p.Meta.Id);
        Assert.Equal(expected.Skip(10).Take(20), next.Persons.Select(p => p.Meta.Id));

        // A token of another List RPC with the same scope is not a ListPersons token.
        var households = await Client.ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = county.Code, PageSize = 1 }, deadline: Calls.Deadline());
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = county.Code, PageToken = households.NextPageToken }, deadline: Calls.Deadline()).ResponseAsync,
            "page_token", "INVALID_PAGE_TOKEN");
    }

    [Fact]
    public async Task ListPersonsHousesHouseholds_NegativePageSize_IsInvalidPageSize()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListPersonsAsync(new ListPersonsRequest { AncestorCode = CityCode, PageSize = -1 }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListHousesAsync(new ListHousesRequest { AncestorCode = CityCode, PageSize = -5 }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = CityCode, PageSize = int.MinValue }, deadline: Calls.Deadline()).ResponseAsync,
            "page_size", "INVALID_PAGE_SIZE");
    }

    [Theory]
    [InlineData("", "REQUIRED_FIELD")]
    [InlineData("3706", "INVALID_CODE")]
    [InlineData("37060200100", "INVALID_CODE")]
    [InlineData("370602001001000", "INVALID_CODE")]
    [InlineData("37060200100100x", "INVALID_CODE")]
    [InlineData("999999999999", "INVALID_CODE")]
    public async Task ListPersonsHousesHouseholds_MalformedAncestor_IsInvalidArgument(string code, string reason)
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListPersonsAsync(new ListPersonsRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", reason);
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListHousesAsync(new ListHousesRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", reason);
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
            "ancestor_code", reason);
    }

    [Fact]
    public async Task ListPersonsHousesHouseholds_WellFormedButUnknownRegionOrGrid_IsNotFound()
    {
        var village = _truth.Regions.Values.First(r => r.Level == RegionLevel.Village);
        foreach (var code in new[] { "370699000000", "370613000000", village.Code + "899" })
        {
            await ErrorAssert.ThrowsAsync(
                () => Client.ListPersonsAsync(new ListPersonsRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.NotFound, "NOT_FOUND");
            await ErrorAssert.ThrowsAsync(
                () => Client.ListHousesAsync(new ListHousesRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.NotFound, "NOT_FOUND");
            await ErrorAssert.ThrowsAsync(
                () => Client.ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = code }, deadline: Calls.Deadline()).ResponseAsync,
                StatusCode.NotFound, "NOT_FOUND");
        }
    }

    [Fact]
    public async Task ListPersons_UnspecifiedOrUnknownTagKind_IsInvalidCodeOnThatItem()
    {
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = CityCode, TagKinds = { PersonTagKind.Floating, PersonTagKind.Unspecified } },
                deadline: Calls.Deadline()).ResponseAsync,
            "tag_kinds[1]", "INVALID_CODE");
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = CityCode, TagKinds = { (PersonTagKind)77 } }, deadline: Calls.Deadline()).ResponseAsync,
            "tag_kinds[0]", "INVALID_CODE");
    }

    [Fact]
    public async Task ListHouses_RentalOnly_ReturnsExactlyTheLetHouses()
    {
        var expected = Pages.InListOrder(_truth.Houses.Values.Where(h => h.HasIsRental && h.IsRental), h => h.GridCode, h => h.Meta.Id);
        Assert.NotEmpty(expected);
        var seen = await Pages.AllAsync(
            token => ListHousesAsync(new ListHousesRequest { AncestorCode = CityCode, RentalOnly = true, PageSize = 200, PageToken = token }), 200);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ListHouses_EachHazard_ReturnsExactlyThoseHouses()
    {
        foreach (var hazard in Enum.GetValues<HazardType>())
        {
            var expected = Pages.InListOrder(_truth.Houses.Values.Where(h => h.Hazard == hazard), h => h.GridCode, h => h.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListHousesAsync(new ListHousesRequest { AncestorCode = CityCode, Hazards = { hazard }, PageSize = 300, PageToken = token }), 300);
            Assert.True(expected.SequenceEqual(seen), $"{hazard}: expected {expected.Count} houses, got {seen.Count}");
        }
    }

    [Fact]
    public async Task ListHouses_RentalAndSeveralHazards_AppliesBoth()
    {
        HazardType[] hazards = [HazardType.Fire, HazardType.PublicSecurity, HazardType.HazardousChemicals];
        foreach (var county in Counties)
        {
            var expected = Pages.InListOrder(
                _truth.Houses.Values.Where(h => h.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal) && h.IsRental && hazards.Contains(h.Hazard)),
                h => h.GridCode, h => h.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListHousesAsync(new ListHousesRequest { AncestorCode = county.Code, RentalOnly = true, Hazards = { hazards }, PageSize = 7, PageToken = token }), 7);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListHouses_EachGridUnfiltered_ReturnsItsHouses()
    {
        foreach (var grid in _truth.Grids.Keys)
        {
            var expected = Pages.InListOrder(_truth.Houses.Values.Where(h => h.GridCode == grid), h => h.GridCode, h => h.Meta.Id);
            var seen = await Pages.AllAsync(token => ListHousesAsync(new ListHousesRequest { AncestorCode = grid, PageToken = token }), 100);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListHouses_TokenWithChangedRentalOrHazards_IsInvalidPageToken()
    {
        var county = Counties.First();
        var first = await Client.ListHousesAsync(
            new ListHousesRequest { AncestorCode = county.Code, RentalOnly = true, Hazards = { HazardType.None }, PageSize = 5 }, deadline: Calls.Deadline());
        Assert.NotEmpty(first.NextPageToken);

        ListHousesRequest[] changed =
        [
            new() { AncestorCode = county.Code, Hazards = { HazardType.None } },
            new() { AncestorCode = county.Code, RentalOnly = true },
            new() { AncestorCode = county.Code, RentalOnly = true, Hazards = { HazardType.Fire } },
        ];
        foreach (var request in changed)
        {
            request.PageToken = first.NextPageToken;
            await ErrorAssert.InvalidArgumentAsync(
                () => Client.ListHousesAsync(request, deadline: Calls.Deadline()).ResponseAsync, "page_token", "INVALID_PAGE_TOKEN");
        }
    }

    [Fact]
    public async Task ListHouses_UnknownHazard_IsInvalidCode() =>
        await ErrorAssert.InvalidArgumentAsync(
            () => Client.ListHousesAsync(
                new ListHousesRequest { AncestorCode = CityCode, Hazards = { HazardType.Fire, (HazardType)42 } }, deadline: Calls.Deadline()).ResponseAsync,
            "hazards[1]", "INVALID_CODE");

    [Fact]
    public async Task ListHouseholds_EachCountyPagedBy250_WalksEveryHouseholdExactlyOnce()
    {
        foreach (var county in Counties)
        {
            var expected = Pages.InListOrder(
                _truth.Households.Values.Where(h => h.GridCode.StartsWith(county.Code[..6], StringComparison.Ordinal)), h => h.GridCode, h => h.Meta.Id);
            var seen = await Pages.AllAsync(
                token => ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = county.Code, PageSize = 250, PageToken = token }), 250);
            Assert.Equal(expected.Count, seen.Distinct().Count());
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task ListHouseholds_ByVillageAndByGrid_ReturnTheHouseholdsUnderIt()
    {
        var grid = _truth.Grids.Values.First(g => g.Type == GridType.Basic);
        foreach (var code in new[] { grid.VillageCode, grid.Code })
        {
            var expected = Pages.InListOrder(
                _truth.Households.Values.Where(h => h.GridCode.StartsWith(code, StringComparison.Ordinal)), h => h.GridCode, h => h.Meta.Id);
            Assert.NotEmpty(expected);
            var seen = await Pages.AllAsync(token => ListHouseholdsAsync(new ListHouseholdsRequest { AncestorCode = code, PageSize = 64, PageToken = token }), 64);
            Assert.Equal(expected, seen);
        }
    }

    private async Task<(IReadOnlyList<string> Items, string NextPageToken)> ListPersonsAsync(ListPersonsRequest request)
    {
        var response = await Client.ListPersonsAsync(request, deadline: Calls.Deadline());
        return ([.. response.Persons.Select(p => p.Meta.Id)], response.NextPageToken);
    }

    private async Task<(IReadOnlyList<string> Items, string NextPageToken)> ListHousesAsync(ListHousesRequest request)
    {
        var response = await Client.ListHousesAsync(request, deadline: Calls.Deadline());
        return ([.. response.Houses.Select(h => h.Meta.Id)], response.NextPageToken);
    }

    private async Task<(IReadOnlyList<string> Items, string NextPageToken)> ListHouseholdsAsync(ListHouseholdsRequest request)
    {
        var response = await Client.ListHouseholdsAsync(request, deadline: Calls.Deadline());
        return ([.. response.Households.Select(h => h.Meta.Id)], response.NextPageToken);
    }
}

/// <summary>PopulationService on the embedded default: a SQLite file.</summary>
public sealed class PopulationServiceOnSqliteTests(SqliteHubFixture fixture)
    : PopulationServiceTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>PopulationService on PostgreSQL.</summary>
public sealed class PopulationServiceOnPostgresTests(PostgresHubFixture fixture)
    : PopulationServiceTests(fixture), IClassFixture<PostgresHubFixture>;
