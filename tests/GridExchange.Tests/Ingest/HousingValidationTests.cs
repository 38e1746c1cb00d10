using GridExchange.Domain.Errors;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class HousingValidationTests
{
    public static TheoryData<string, Action<House>, string, string> HouseProblems() => new()
    {
        { "grid missing", h => h.GridCode = "", "house.grid_code", ErrorReasons.RequiredField },
        { "grid elsewhere", h => h.GridCode = OtherCountyGrid, "house.grid_code", ErrorReasons.OutOfJurisdiction },
        { "house number too long", h => h.HouseNumber = new string('1', 51), "house.house_number", ErrorReasons.InvalidLength },
        { "address missing", h => h.Address = "", "house.address", ErrorReasons.RequiredField },
        { "address masked", h => h.Address = "山东省烟台市****", "house.address", ErrorReasons.InvalidFormat },
        { "address too long", h => h.Address = new string('路', 81), "house.address", ErrorReasons.InvalidLength },
        { "use unknown", h => h.Use = (HouseUse)50, "house.use", ErrorReasons.InvalidCode },
        { "area negative", h => h.AreaM2 = -1, "house.area_m2", ErrorReasons.InvalidFormat },
        { "area NaN", h => h.AreaM2 = double.NaN, "house.area_m2", ErrorReasons.InvalidFormat },
        { "owner name masked", h => h.OwnerName = "王*", "house.owner_name", ErrorReasons.InvalidFormat },
        { "owner ID check digit", h => h.OwnerCitizenId = FemaleId[..17] + (FemaleId[17] == '0' ? '1' : '0'), "house.owner_citizen_id", ErrorReasons.InvalidCheckDigit },
        { "not rental but tenants", h => h.IsRental = false, "house.is_rental", ErrorReasons.InconsistentFields },
        { "tenant id malformed", h => h.TenantPersonIds[1] = "p 2", "house.tenant_person_ids[1]", ErrorReasons.InvalidFormat },
        { "tenant id repeated", h => h.TenantPersonIds.Add("p-0001"), "house.tenant_person_ids[2]", ErrorReasons.InconsistentFields },
        { "tenant id empty", h => h.TenantPersonIds.Add(""), "house.tenant_person_ids[2]", ErrorReasons.RequiredField },
        { "too many tenants", h => h.TenantPersonIds.AddRange(Enumerable.Range(3, 499).Select(i => "p-" + i)), "house.tenant_person_ids", ErrorReasons.TooManyItems },
        { "hazard unknown", h => h.Hazard = (HazardType)8, "house.hazard", ErrorReasons.InvalidCode },
        { "longitude out of range", h => h.Location.Longitude = 181, "house.location.longitude", ErrorReasons.InvalidFormat },
        { "latitude NaN", h => h.Location.Latitude = double.NaN, "house.location.latitude", ErrorReasons.InvalidFormat },
        { "credit code check digit", h => { h.OwnerCitizenId = ""; h.OwnerCreditCode = "91350100M000100Y44"; }, "house.owner_credit_code", ErrorReasons.InvalidCheckDigit },
        { "credit code outside the alphabet", h => { h.OwnerCitizenId = ""; h.OwnerCreditCode = "91350100M000100Y4Z"; }, "house.owner_credit_code", ErrorReasons.InvalidFormat },
        { "credit code lower case", h => { h.OwnerCitizenId = ""; h.OwnerCreditCode = "91350100m000100Y43"; }, "house.owner_credit_code", ErrorReasons.InvalidFormat },
        { "person and organisation owner", h => h.OwnerCreditCode = "91350100M000100Y43", "house.owner_credit_code", ErrorReasons.InconsistentFields },
    };

    [Theory]
    [MemberData(nameof(HouseProblems))]
    public void House_InvalidField_IsReported(string name, Action<House> mutate, string field, string reason)
    {
        var change = House();
        mutate(change.House);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void House_OwnedByAnOrganisation_WithTheMaximumOfTenants_IsValid()
    {
        var change = House();
        change.House.OwnerCitizenId = "";
        change.House.OwnerName = "烟台高川商贸有限公司";
        change.House.OwnerCreditCode = "91512081MA62K0260E";
        change.House.TenantPersonIds.AddRange(Enumerable.Range(3, 498).Select(i => "p-" + i));
        change.House.ClearIsRental();
        change.House.Location = new GeoPoint(); // 0, 0: no location

        AssertValid(Validate(change));
    }

    [Fact]
    public void House_LegacyOwnerId_IsUpgraded()
    {
        var change = House();
        change.House.OwnerCitizenId = MaleLegacyId;

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(MaleId, check.Normalized.House.OwnerCitizenId);
    }

    public static TheoryData<string, Action<Household>, string, string> HouseholdProblems() => new()
    {
        { "grid malformed", h => h.GridCode = "3706020010010031", "household.grid_code", ErrorReasons.InvalidCode },
        { "number not digits", h => h.HouseholdNumber = "12345678X", "household.household_number", ErrorReasons.InvalidFormat },
        { "number too long", h => h.HouseholdNumber = "1234567890", "household.household_number", ErrorReasons.InvalidLength },
        { "house id malformed", h => h.HouseId = "ho#1", "household.house_id", ErrorReasons.InvalidFormat },
        { "head not a member", h => h.HeadPersonId = "p-0003", "household.head_person_id", ErrorReasons.InconsistentFields },
        { "head name masked", h => h.HeadName = "李**", "household.head_name", ErrorReasons.InvalidFormat },
        { "type unspecified", h => h.Type = HouseholdType.Unspecified, "household.type", ErrorReasons.RequiredField },
        { "member count negative", h => h.MemberCount = -1, "household.member_count", ErrorReasons.InvalidFormat },
        { "member count below the members", h => h.MemberCount = 1, "household.member_count", ErrorReasons.InconsistentFields },
        { "member repeated", h => { h.MemberPersonIds.Add("p-0002"); h.MemberCount = 3; }, "household.member_person_ids[2]", ErrorReasons.InconsistentFields },
        { "too many members", h => { h.MemberPersonIds.AddRange(Enumerable.Range(3, 199).Select(i => "p-" + i)); h.ClearMemberCount(); }, "household.member_person_ids", ErrorReasons.TooManyItems },
        { "address too long", h => h.Address = new string('路', 81), "household.address", ErrorReasons.InvalidLength },
    };

    [Theory]
    [MemberData(nameof(HouseholdProblems))]
    public void Household_InvalidField_IsReported(string name, Action<Household> mutate, string field, string reason)
    {
        var change = Household();
        mutate(change.Household);

        var check = Validate(change);

        Assert.True(check.Problems.Count == 1, name + ": " + Describe(check));
        AssertSingleProblem(check, field, reason);
    }

    [Fact]
    public void Household_CountAboveTheKnownMembers_AndNoMemberList_AreValid()
    {
        var change = Household();
        change.Household.MemberCount = 5;
        AssertValid(Validate(change));

        change.Household.MemberPersonIds.Clear();
        change.Household.MemberCount = 0;
        change.Household.HouseholdNumber = "";
        change.Household.Type = HouseholdType.Floating;
        AssertValid(Validate(change));
    }

    [Fact]
    public void House_SeveralProblems_AreAllReported()
    {
        var change = House();
        change.House.GridCode = OtherCountyGrid;
        change.House.Address = "";
        change.House.AreaM2 = -5;
        change.House.Location.Longitude = 500;

        var check = Validate(change);

        Assert.Equal(["house.grid_code", "house.address", "house.area_m2", "house.location.longitude"], check.Problems.Select(p => p.Field));
        Assert.Equal(ErrorReasons.OutOfJurisdiction, check.Reason);
    }
}
