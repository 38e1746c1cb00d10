using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class RegistryValidationTests
{
    // ---- Jurisdiction -------------------------------------------------------------------

    [Fact]
    public void Region_CountySourceUpsertingItsOwnCounty_IsValid()
    {
        var change = Region().WithKey(County);
        change.Region.Level = RegionLevel.County;
        change.Region.ParentCode = "370600000000";

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(County, check.RegionCode);
        Assert.Equal("370600000000", check.ParentKey);
    }

    [Fact]
    public void Region_CountySourceUpsertingItsCity_IsOutOfJurisdiction()
    {
        var change = Region().WithKey("370600000000");
        change.Region.Level = RegionLevel.City;
        change.Region.ParentCode = "370000000000";

        AssertSingleProblem(Validate(change), "region.code", ErrorReasons.OutOfJurisdiction);
    }

    [Fact]
    public void Region_ProvinceSourceUpsertingTheProvince_IsValidWithoutParent()
    {
        var change = Region().WithKey("370000000000");
        change.Region.Level = RegionLevel.Province;
        change.Region.ParentCode = "";

        var check = Validate(change, new SourceJurisdiction("province-37", "370000000000"));

        AssertValid(check);
        Assert.Equal("", check.ParentKey);
    }

    [Fact]
    public void Region_TownshipOfACityWithoutCounties_HasTheCityAsParent()
    {
        var change = Region().WithKey("441900003000");
        change.Region.ParentCode = "441900000000";

        AssertValid(Validate(change, new SourceJurisdiction("city-4419", "441900000000")));
    }

    [Theory]
    [InlineData("370000000000")] // province
    [InlineData("370600000000")] // city
    [InlineData(County)]
    [InlineData(Township)]
    [InlineData(Village)]
    [InlineData(TheGrid)] // a grid-level jurisdiction
    public void Person_InTheSubtreeOfTheJurisdiction_IsValid(string jurisdiction)
    {
        AssertValid(Validate(Person(), new SourceJurisdiction("source", jurisdiction)));
    }

    [Theory]
    [InlineData("370611000000")] // another county
    [InlineData("370602002000")] // another township
    [InlineData("370602001002")] // another village
    [InlineData("370602001001004")] // another grid
    [InlineData("440000000000")] // another province
    public void Person_OutsideTheJurisdiction_IsRejected(string jurisdiction)
    {
        AssertSingleProblem(Validate(Person(), new SourceJurisdiction("source", jurisdiction)), "person.grid_code", ErrorReasons.OutOfJurisdiction);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3706")]
    [InlineData("370602")]
    [InlineData("999999000000")]
    [InlineData(null)]
    public void Jurisdiction_Malformed_GrantsNothing(string? jurisdiction)
    {
        var check = Validate(Person(), new SourceJurisdiction("source", jurisdiction!));

        AssertSingleProblem(check, "person.grid_code", ErrorReasons.OutOfJurisdiction);
        Assert.Contains("no valid jurisdiction", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TakeOver_IntoTheJurisdiction_IsValid_AndOutOfIt_IsRejected()
    {
        var change = Person();
        change.TakeOver = true;
        AssertValid(Validate(change));

        change.Person.GridCode = OtherCountyGrid;
        AssertSingleProblem(Validate(change), "person.grid_code", ErrorReasons.OutOfJurisdiction);
    }

    // ---- Region -------------------------------------------------------------------------

    public static TheoryData<string, Action<Region>, string, string> RegionProblems() => new()
    {
        { "code missing", r => r.Code = "", "region.code", ErrorReasons.RequiredField },
        { "code malformed", r => r.Code = "37060200100X", "region.code", ErrorReasons.InvalidCode },
        { "code differs from key", r => r.Code = "370602002000", "region.code", ErrorReasons.InconsistentFields },
        { "level unspecified", r => r.Level = RegionLevel.Unspecified, "region.level", ErrorReasons.RequiredField },
        { "level central", r => r.Level = RegionLevel.Central, "region.level", ErrorReasons.InvalidCode },
        { "level grid", r => r.Level = RegionLevel.Grid, "region.level", ErrorReasons.InvalidCode },
        { "level unknown", r => r.Level = (RegionLevel)42, "region.level", ErrorReasons.InvalidCode },
        { "level disagrees with code", r => r.Level = RegionLevel.Village, "region.level", ErrorReasons.InconsistentFields },
        { "name missing", r => r.Name = "", "region.name", ErrorReasons.RequiredField },
        { "name blank", r => r.Name = " \u3000 ", "region.name", ErrorReasons.RequiredField },
        { "name too long", r => r.Name = new string('街', 101), "region.name", ErrorReasons.InvalidLength },
        { "name on two lines", r => r.Name = "向阳\n街道", "region.name", ErrorReasons.InvalidFormat },
        { "parent missing", r => r.ParentCode = "", "region.parent_code", ErrorReasons.RequiredField },
        { "parent malformed", r => r.ParentCode = "3706020", "region.parent_code", ErrorReasons.InvalidCode },
        { "parent not the parent", r => r.ParentCode = "370611000000", "region.parent_code", ErrorReasons.InconsistentFields },
        { "parent two levels up", r => r.ParentCode = "370600000000", "region.parent_code", ErrorReasons.InconsistentFields },
        { "valid_from not a date", r => r.ValidFrom = "20210230", "region.valid_from", ErrorReasons.InvalidDate },
        { "valid_to with dashes", r => r.ValidTo = "2021-01-01", "region.valid_to", ErrorReasons.InvalidDate },
        { "valid_to before valid_from", r => r.ValidTo = "20201231", "region.valid_to", ErrorReasons.InconsistentFields },
    };

    [Theory]
    [MemberData(nameof(RegionProblems))]
    public void Region_InvalidField_IsReported(string name, Action<Region> mutate, string field, string reason)
    {
        var change = Region();
        mutate(change.Region);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Region_NameOfOneHundredCharacters_IsAccepted()
    {
        var change = Region();
        change.Region.Name = new string('街', 100);
        change.Region.ValidTo = "20210101"; // same day as valid_from

        AssertValid(Validate(change));
    }

    [Fact]
    public void Region_ProvinceWithAParent_IsInconsistent()
    {
        var change = Region().WithKey("370000000000");
        change.Region.Level = RegionLevel.Province;
        change.Region.ParentCode = "370000000000";

        AssertSingleProblem(Validate(change, new SourceJurisdiction("province-37", "370000000000")), "region.parent_code", ErrorReasons.InconsistentFields);
    }

    // ---- Grid ------------------------------------------------------------------------------

    public static TheoryData<string, Action<Grid>, string, string> GridProblems() => new()
    {
        { "code differs from key", g => g.Code = "370602001001004", "grid.code", ErrorReasons.InconsistentFields },
        { "code missing", g => g.Code = "", "grid.code", ErrorReasons.RequiredField },
        { "name missing", g => g.Name = "", "grid.name", ErrorReasons.RequiredField },
        { "name too long", g => g.Name = new string('格', 101), "grid.name", ErrorReasons.InvalidLength },
        { "type unspecified", g => g.Type = GridType.Unspecified, "grid.type", ErrorReasons.RequiredField },
        { "type unknown", g => g.Type = (GridType)7, "grid.type", ErrorReasons.InvalidCode },
        { "type disagrees with serial", g => g.Type = GridType.Dedicated, "grid.type", ErrorReasons.InconsistentFields },
        { "village missing", g => g.VillageCode = "", "grid.village_code", ErrorReasons.RequiredField },
        { "village malformed", g => g.VillageCode = "37060200100", "grid.village_code", ErrorReasons.InvalidCode },
        { "village is a township", g => g.VillageCode = Township, "grid.village_code", ErrorReasons.InvalidCode },
        { "village of another grid", g => g.VillageCode = "370602001002", "grid.village_code", ErrorReasons.InconsistentFields },
        { "negative households", g => g.HouseholdCount = -1, "grid.household_count", ErrorReasons.InvalidFormat },
        { "negative residents", g => g.ResidentCount = -5, "grid.resident_count", ErrorReasons.InvalidFormat },
        { "negative area", g => g.AreaKm2 = -0.1, "grid.area_km2", ErrorReasons.InvalidFormat },
        { "NaN area", g => g.AreaKm2 = double.NaN, "grid.area_km2", ErrorReasons.InvalidFormat },
        { "infinite area", g => g.AreaKm2 = double.PositiveInfinity, "grid.area_km2", ErrorReasons.InvalidFormat },
        { "masked leader", g => g.LeaderName = "高*", "grid.leader_name", ErrorReasons.InvalidFormat },
        { "leader too long", g => g.LeaderName = new string('高', 51), "grid.leader_name", ErrorReasons.InvalidLength },
        { "boundary not JSON", g => g.BoundaryGeojson = "POLYGON((121 37, 122 37))", "grid.boundary_geojson", ErrorReasons.InvalidFormat },
        { "boundary a point", g => g.BoundaryGeojson = """{"type":"Point","coordinates":[121.4,37.5]}""", "grid.boundary_geojson", ErrorReasons.InvalidFormat },
        { "boundary too long", g => g.BoundaryGeojson = Polygon + new string(' ', 50_001 - Polygon.Length), "grid.boundary_geojson", ErrorReasons.InvalidLength },
        { "negative workers", g => g.WorkerCount = -1, "grid.worker_count", ErrorReasons.InvalidFormat },
    };

    [Theory]
    [MemberData(nameof(GridProblems))]
    public void Grid_InvalidField_IsReported(string name, Action<Grid> mutate, string field, string reason)
    {
        var change = GridChange();
        mutate(change.Grid);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Grid_OutsideTheJurisdiction_IsRejected()
    {
        var change = GridChange().WithKey(OtherCountyGrid);
        change.Grid.VillageCode = OtherCountyGrid[..12];

        AssertSingleProblem(Validate(change), "grid.code", ErrorReasons.OutOfJurisdiction);
    }

    [Fact]
    public void Grid_DedicatedSerial_MustBeDedicated()
    {
        var change = GridChange().WithKey("370602001001901");
        change.Grid.Type = GridType.Dedicated;
        AssertValid(Validate(change));

        change.Grid.Type = GridType.Basic;
        AssertSingleProblem(Validate(change), "grid.type", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Grid_BoundaryOfExactlyFiftyThousandCharacters_IsAccepted_AndZeroCountsAreReal()
    {
        var change = GridChange();
        change.Grid.BoundaryGeojson = Polygon + new string(' ', 50_000 - Polygon.Length);
        change.Grid.HouseholdCount = 0;
        change.Grid.WorkerCount = 0;
        change.Grid.AreaKm2 = 0;

        AssertValid(Validate(change));
    }

    [Fact]
    public void Grid_OptionalFieldsUnset_IsValid()
    {
        var change = GridChange();
        change.Grid.ClearHouseholdCount();
        change.Grid.ClearResidentCount();
        change.Grid.ClearAreaKm2();
        change.Grid.ClearWorkerCount();
        change.Grid.LeaderName = "";
        change.Grid.BoundaryGeojson = "";

        AssertValid(Validate(change));
    }

    // ---- GridWorker ---------------------------------------------------------------------

    public static TheoryData<string, Action<GridWorker>, string, string> GridWorkerProblems() => new()
    {
        { "grid missing", w => w.GridCode = "", "grid_worker.grid_code", ErrorReasons.RequiredField },
        { "grid malformed", w => w.GridCode = "370602001001000", "grid_worker.grid_code", ErrorReasons.InvalidCode },
        { "grid not the number's", w => w.GridCode = "370602001001004", "grid_worker.grid_code", ErrorReasons.InconsistentFields },
        { "number differs from key", w => w.Number = "37060200100100302", "grid_worker.number", ErrorReasons.InconsistentFields },
        { "number missing", w => w.Number = "", "grid_worker.number", ErrorReasons.RequiredField },
        { "name missing", w => w.Name = "", "grid_worker.name", ErrorReasons.RequiredField },
        { "name masked", w => w.Name = "高*", "grid_worker.name", ErrorReasons.InvalidFormat },
        { "name too long", w => w.Name = new string('高', 51), "grid_worker.name", ErrorReasons.InvalidLength },
        { "role unspecified", w => w.Role = GridWorkerRole.Unspecified, "grid_worker.role", ErrorReasons.RequiredField },
        { "role unknown", w => w.Role = (GridWorkerRole)9, "grid_worker.role", ErrorReasons.InvalidCode },
        { "mobile a landline", w => w.Mobile = "0535-6123456", "grid_worker.mobile", ErrorReasons.InvalidFormat },
        { "mobile masked", w => w.Mobile = "183****3753", "grid_worker.mobile", ErrorReasons.InvalidFormat },
        { "mobile full-width", w => w.Mobile = "１８３６３２６３７５３", "grid_worker.mobile", ErrorReasons.InvalidFormat },
        { "employment unknown", w => w.Employment = (EmploymentType)5, "grid_worker.employment", ErrorReasons.InvalidCode },
    };

    [Theory]
    [MemberData(nameof(GridWorkerProblems))]
    public void GridWorker_InvalidField_IsReported(string name, Action<GridWorker> mutate, string field, string reason)
    {
        var change = GridWorker();
        mutate(change.GridWorker);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void GridWorker_WithoutMobileOrEmployment_IsValidAndLocatedInItsGrid()
    {
        var change = GridWorker();
        change.GridWorker.Mobile = "";
        change.GridWorker.Employment = EmploymentType.Unspecified;

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(TheGrid, check.RegionCode);
    }

    [Fact]
    public void GridWorker_OutsideTheJurisdiction_IsRejectedOnItsGrid()
    {
        var change = GridWorker().WithKey(OtherCountyGrid + "01");
        change.GridWorker.GridCode = OtherCountyGrid;

        AssertSingleProblem(Validate(change), "grid_worker.grid_code", ErrorReasons.OutOfJurisdiction);
    }

    [Fact]
    public void Grid_SeveralProblems_AreAllReported()
    {
        var change = GridChange();
        change.Grid.Name = "";
        change.Grid.Type = GridType.Dedicated;
        change.Grid.VillageCode = "370602001002";
        change.Grid.HouseholdCount = -3;

        var check = Validate(change);

        Assert.Equal(["grid.name", "grid.type", "grid.village_code", "grid.household_count"], check.Problems.Select(p => p.Field));
        Assert.Equal(ErrorReasons.RequiredField, check.Reason);
    }
}
