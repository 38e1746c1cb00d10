using GridExchange.Domain.Errors;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>Rules for House and Household (house.proto).</summary>
internal static class HousingRules
{
    private const int HouseNumber = 50;
    private const int Address = 80;
    private const int Name = 50;
    private const int MaxTenants = 500;
    private const int MaxMembers = 200;

    /// <returns>The house's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? CheckHouse(Change change, IngestContext context)
    {
        var house = change.House;
        var location = Location("house.grid_code", house.GridCode, context);

        context.Text("house.house_number", house.HouseNumber, HouseNumber, required: false);
        context.Text("house.address", house.Address, Address, required: true, TextRules.NotMasked);
        context.Enum("house.use", house.Use, required: false);
        context.NonNegative("house.area_m2", house.HasAreaM2, house.AreaM2);
        context.Text("house.owner_name", house.OwnerName, Name, required: false, TextRules.NotMasked);
        house.OwnerCitizenId = context.CitizenIdField("house.owner_citizen_id", house.OwnerCitizenId, required: false, out _);
        if (house.HasIsRental && !house.IsRental && house.TenantPersonIds.Count > 0)
        {
            context.Add("house.is_rental", ErrorReasons.InconsistentFields, "house.is_rental is false but the house lists tenants.");
        }

        if (context.MaxItems("house.tenant_person_ids", house.TenantPersonIds.Count, MaxTenants))
        {
            Ids("house.tenant_person_ids", house.TenantPersonIds, context);
        }

        context.Enum("house.hazard", house.Hazard, required: false);
        context.Point("house.location", house.Location);
        if (context.CreditCode("house.owner_credit_code", house.OwnerCreditCode, required: false) && house.OwnerCitizenId.Length > 0)
        {
            context.Add("house.owner_credit_code", ErrorReasons.InconsistentFields, "The owner is either a person (owner_citizen_id) or an organisation (owner_credit_code), not both.");
        }

        return location;
    }

    /// <returns>The household's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? CheckHousehold(Change change, IngestContext context)
    {
        var household = change.Household;
        var location = Location("household.grid_code", household.GridCode, context);

        PersonRules.HouseholdNumber(context, "household.household_number", household.HouseholdNumber);
        context.EntityId("household.house_id", household.HouseId, required: false);
        var headValid = context.EntityId("household.head_person_id", household.HeadPersonId, required: false);
        context.Text("household.head_name", household.HeadName, Name, required: false, TextRules.NotMasked);
        context.Enum("household.type", household.Type, required: true);
        context.NonNegative("household.member_count", household.HasMemberCount, household.MemberCount);
        if (household.HasMemberCount && household.MemberCount >= 0 && household.MemberCount < household.MemberPersonIds.Count)
        {
            context.Add("household.member_count", ErrorReasons.InconsistentFields, "household.member_count is smaller than the number of member_person_ids.");
        }

        if (context.MaxItems("household.member_person_ids", household.MemberPersonIds.Count, MaxMembers)
            && Ids("household.member_person_ids", household.MemberPersonIds, context)
            && headValid && household.MemberPersonIds.Count > 0 && !household.MemberPersonIds.Contains(household.HeadPersonId))
        {
            context.Add("household.head_person_id", ErrorReasons.InconsistentFields, "household.member_person_ids lists the members, head included, but does not contain head_person_id.");
        }

        context.Text("household.address", household.Address, Address, required: false, TextRules.NotMasked);
        return location;
    }

    internal static string? Location(string field, string gridCode, IngestContext context) =>
        context.Grid(field, gridCode, required: true, out _) && context.InJurisdiction(field, gridCode) ? gridCode : null;

    /// <summary>A list of opaque ids: each well formed, none repeated.</summary>
    /// <returns>Whether every id is valid and unique.</returns>
    internal static bool Ids(string field, IList<string> ids, IngestContext context)
    {
        var ok = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var path = IngestContext.Item(field, i);
            if (!context.EntityId(path, ids[i], required: true))
            {
                ok = false;
            }
            else if (!seen.Add(ids[i]))
            {
                context.Add(path, ErrorReasons.InconsistentFields, $"{path} repeats an id listed earlier.");
                ok = false;
            }
        }

        return ok;
    }
}
