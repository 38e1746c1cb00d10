using Grpc.Core;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Time;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;
using DataClass = GridExchange.V1.DataClass;

namespace GridExchange.Hub.Services;

/// <summary>
/// Persons, houses and households from the hub's current state. A thin adapter: validate the
/// request, walk the store's (grid code, id) keyset order, filter the parsed records, page.
/// </summary>
/// <remarks>
/// Records are redacted per the caller's data-class grants, filters on what it may not see are
/// refused, and every read is audited (see <see cref="Disclosure"/>, <see cref="AuditTrail"/>).
/// <c>citizen_id</c> is looked up through the store's keyed-hash index, never by a scan.
/// </remarks>
internal sealed class PopulationGrpcService(IHubStore store, AuditTrail audit, TimeProvider clock) : PopulationService.PopulationServiceBase
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
            return await ListByCitizenIdAsync(request, context);
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

    // Look-up by citizen ID through the store's keyed-hash index (the ID itself is stored only
    // encrypted): needs S3, returns every person under ancestor_code with that ID (at most one
    // per source system), in one page. The audit log records the ID masked.
    private async Task<ListPersonsResponse> ListByCitizenIdAsync(ListPersonsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var ct = context.CancellationToken;
        Disclosure.RequireFilter(caller, DataClass.S3, "citizen_id");
        if (request.CitizenId.Length != 18)
        {
            throw RpcErrors.InvalidArgument("citizen_id", ErrorReasons.InvalidLength,
                "citizen_id must be an 18-character citizen ID (legacy 15-digit numbers are stored upgraded to 18).");
        }

        RpcErrors.ThrowIfInvalid(CitizenId.Validate(request.CitizenId, ChinaTime.Today(clock)), "citizen_id");
        if (request.PageToken.Length > 0)
        {
            throw RpcErrors.InvalidArgument("page_token", ErrorReasons.InvalidPageToken, "A look-up by citizen_id has one page only.");
        }

        _ = EntityPages.Size(request.PageSize);
        var prefix = await ReadRequests.ResolveAncestorAsync(store, caller, EntityType.Person, request.AncestorCode, ct);
        var tags = ReadRequests.EnumFilter(request.TagKinds, "tag_kinds", unspecifiedMatchesData: false);
        Disclosure.RequireTagFilter(caller, request.TagKinds, "tag_kinds");

        var persons = new List<Person>();
        foreach (var key in await store.FindPersonKeysByCitizenIdAsync(request.CitizenId, ct))
        {
            if (await store.GetAsync(EntityType.Person, key, ct) is { } record
                && record.ScopeCode.StartsWith(prefix, StringComparison.Ordinal) && caller.Covers(record.ScopeCode))
            {
                var person = EntityRecords.Parse(record, Person.Parser);
                if (tags.IsEmpty || tags.MatchesAny(person.Tags.Select(t => t.Kind)))
                {
                    persons.Add(person);
                }
            }
        }

        await audit.ReadAsync(context, caller, $"{request.AncestorCode};citizen_id={Masking.MaskCitizenId(request.CitizenId)}",
            [EntityType.Person], persons.Count);
        return new ListPersonsResponse { Persons = { persons.Select(caller.Redacted) } };
    }
}
