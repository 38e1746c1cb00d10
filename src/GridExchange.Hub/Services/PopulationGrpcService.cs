using Grpc.Core;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Persons, houses and households from the hub's current state. A thin adapter: validate the
/// request, walk the store's (grid code, id) keyset order, filter the parsed records, page.
/// </summary>
/// <remarks>
/// Records are served as stored. Masking per data-class grant, the S4 grant check on
/// special-group filters, the audit log of personal-data reads and the keyed-hash citizen-ID
/// lookup arrive with the security issue; until then <c>citizen_id</c> answers
/// NOT_YET_AVAILABLE rather than being ignored or served by a scan.
/// </remarks>
internal sealed class PopulationGrpcService(IHubStore store, AuditTrail audit) : PopulationService.PopulationServiceBase
{
    public override async Task<GetPersonResponse> GetPerson(GetPersonRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.PersonId, "person_id");
        var person = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.Person, "Person", request.PersonId, Person.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.PersonId, [EntityType.Person], 1);
        return new GetPersonResponse { Person = person };
    }

    public override async Task<ListPersonsResponse> ListPersons(ListPersonsRequest request, ServerCallContext context)
    {
        if (request.CitizenId.Length > 0)
        {
            throw RpcErrors.NotYetAvailable(context.Method,
                "Looking persons up by citizen_id (through the hub's keyed hash index) is not served by this hub release yet; "
                + "list by ancestor_code and tag_kinds without citizen_id.",
                "citizen_id");
        }

        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, context.Caller(), EntityType.Person, request.AncestorCode, ct);
        var tags = ReadRequests.EnumFilter(request.TagKinds, "tag_kinds", unspecifiedMatchesData: false);
        Disclosure.RequireTagFilter(context.Caller(), request.TagKinds, "tag_kinds");

        var (persons, next) = await EntityPages.ReadAsync(
            $"ListPersons|{request.AncestorCode}|tag_kinds={tags.Canonical}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.Person, prefix, after, n, ct), Person.Parser,
            tags.IsEmpty ? null : p => tags.MatchesAny(p.Tags.Select(t => t.Kind)));
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.Person], persons.Count);
        return new ListPersonsResponse { Persons = { persons.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    public override async Task<GetHouseResponse> GetHouse(GetHouseRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.HouseId, "house_id");
        var house = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.House, "House", request.HouseId, House.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.HouseId, [EntityType.House], 1);
        return new GetHouseResponse { House = house };
    }

    public override async Task<ListHousesResponse> ListHouses(ListHousesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, context.Caller(), EntityType.House, request.AncestorCode, ct);
        // HAZARD_TYPE_UNSPECIFIED is real data: a house not assessed yet.
        var hazards = ReadRequests.EnumFilter(request.Hazards, "hazards", unspecifiedMatchesData: true);
        var rentalOnly = request.RentalOnly;
        if (rentalOnly)
        {
            Disclosure.RequireFilter(context.Caller(), DataClass.S2, "rental_only");
        }

        var (houses, next) = await EntityPages.ReadAsync(
            $"ListHouses|{request.AncestorCode}|rental_only={(rentalOnly ? 1 : 0)}|hazards={hazards.Canonical}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.House, prefix, after, n, ct), House.Parser,
            !rentalOnly && hazards.IsEmpty ? null : h => (!rentalOnly || (h.HasIsRental && h.IsRental)) && hazards.Matches(h.Hazard));
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.House], houses.Count);
        return new ListHousesResponse { Houses = { houses.Select(context.Caller().Redacted) }, NextPageToken = next };
    }

    public override async Task<GetHouseholdResponse> GetHousehold(GetHouseholdRequest request, ServerCallContext context)
    {
        ReadRequests.ValidateEntityId(request.HouseholdId, "household_id");
        var household = await ReadRequests.GetRequiredAsync(
            store, context.Caller(), EntityType.Household, "Household", request.HouseholdId, Household.Parser, context.CancellationToken);
        await audit.ReadAsync(context, context.Caller(), request.HouseholdId, [EntityType.Household], 1);
        return new GetHouseholdResponse { Household = household };
    }

    public override async Task<ListHouseholdsResponse> ListHouseholds(ListHouseholdsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var limit = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, context.Caller(), EntityType.Household, request.AncestorCode, ct);

        var (households, next) = await EntityPages.ReadAsync(
            $"ListHouseholds|{request.AncestorCode}", request.PageToken, limit,
            (after, n) => store.ListInScopeAsync(EntityType.Household, prefix, after, n, ct), Household.Parser);
        await audit.ReadAsync(context, context.Caller(), request.AncestorCode, [EntityType.Household], households.Count);
        return new ListHouseholdsResponse { Households = { households.Select(context.Caller().Redacted) }, NextPageToken = next };
    }
}
