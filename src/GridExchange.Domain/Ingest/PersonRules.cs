using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>Rules for Person: the GB/T 31000 base block, management links and tags (person.proto).</summary>
internal static class PersonRules
{
    private const int Name = 50;
    private const int Address = 80;
    private const int Occupation = 30;
    private const int OccupationCategory = 5;
    private const int Workplace = 100;

    /// <returns>The person's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? Check(Change change, IngestContext context)
    {
        var person = change.Person;
        string? location = null;

        if (context.Grid("person.grid_code", person.GridCode, required: true, out _)
            && context.InJurisdiction("person.grid_code", person.GridCode))
        {
            location = person.GridCode;
        }

        // citizen_id: required unless the person has a FOREIGN tag, in which case it stays empty.
        var isForeign = person.Tags.Any(t => t.Kind == PersonTagKind.Foreign);
        CitizenIdInfo? id = null;
        if (isForeign && person.CitizenId.Length > 0)
        {
            context.Add("person.citizen_id", ErrorReasons.InconsistentFields, "A person with a FOREIGN tag has no citizen ID: leave person.citizen_id empty and put the travel document in the tag's foreign details.");
        }
        else if (!isForeign)
        {
            person.CitizenId = context.CitizenIdField("person.citizen_id", person.CitizenId, required: true, out id);
            if (id is not null && change.EntityKey.Contains(person.CitizenId, StringComparison.Ordinal))
            {
                context.Add("entity_key", ErrorReasons.InvalidFormat, "entity_key contains the person's citizen ID; keys travel unprotected in tombstones and logs, so use an opaque id such as a UUID.");
            }
        }

        context.Text("person.name", person.Name, Name, required: true, TextRules.NotMasked);
        context.Text("person.former_name", person.FormerName, Name, required: false, TextRules.NotMasked);

        if (context.Enum("person.gender", person.Gender, required: true)
            && id is { } parsed
            && person.Gender is Gender.Male or Gender.Female
            && (person.Gender == Gender.Male) != parsed.IsMale)
        {
            context.Add("person.gender", ErrorReasons.InconsistentFields, "person.gender does not match the citizen ID's sequence code (odd = male, even = female).");
        }

        var birthValid = context.Date("person.birth_date", person.BirthDate, required: true, notFuture: true, out var birth);
        if (birthValid && id is { } info && info.BirthDate != birth)
        {
            context.Add("person.birth_date", ErrorReasons.InconsistentFields, "person.birth_date does not match the birth date in the citizen ID.");
        }

        context.Digits("person.ethnicity", person.Ethnicity, 2, required: true);
        context.SixDigitDivision("person.native_place", person.NativePlace, required: true);
        context.Digits("person.marital_status", person.MaritalStatus, 2, required: true);
        context.Digits("person.political_status", person.PoliticalStatus, 2, required: false);
        context.Digits("person.education", person.Education, 2, required: true);
        context.Digits("person.religion", person.Religion, 2, required: false);
        context.Text("person.occupation_category", person.OccupationCategory, OccupationCategory, required: false);
        context.Text("person.occupation", person.Occupation, Occupation, required: false);
        context.Text("person.workplace", person.Workplace, Workplace, required: false);
        context.Phone("person.contact", person.Contact, required: true);
        context.SixDigitDivision("person.registered_region", person.RegisteredRegion, required: true);
        context.Text("person.registered_address", person.RegisteredAddress, Address, required: true, TextRules.NotMasked);
        context.SixDigitDivision("person.residence_region", person.ResidenceRegion, required: true);
        context.Text("person.residence_address", person.ResidenceAddress, Address, required: true, TextRules.NotMasked);
        context.EntityId("person.household_id", person.HouseholdId, required: false);
        HouseholdNumber(context, "person.household_number", person.HouseholdNumber);
        context.Digits("person.relation_to_head", person.RelationToHead, 2, required: false);
        context.EntityId("person.house_id", person.HouseId, required: false);

        PersonTagRules.Check(person, context);
        return location;
    }

    /// <summary>户号: exactly 9 digits.</summary>
    public static void HouseholdNumber(IngestContext context, string field, string value)
    {
        if (value.Length == 0 || !context.Text(field, value, 9, required: false))
        {
            return;
        }

        if (!Ascii.IsDigits(value.AsSpan()))
        {
            context.Add(field, ErrorReasons.InvalidFormat, $"{field} must consist of the digits 0-9.");
        }
        else if (value.Length != 9)
        {
            context.Add(field, ErrorReasons.InvalidLength, $"{field} must have exactly 9 digits.");
        }
    }
}
