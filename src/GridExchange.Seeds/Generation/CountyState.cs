using System.Globalization;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Output;

namespace GridExchange.Seeds.Generation;

/// <summary>
/// What a county's grids share while they are generated in order: id counters, household
/// numbers, the citizen-ID allocator and the writer. Ids are opaque (<c>p-370602-0000123</c>),
/// numbered in file order, and never derived from a citizen ID.
/// </summary>
internal sealed class CountyState(GenerationContext context, CountyPlan plan, string sourceSystem, ChangeFileWriter writer)
{
    private readonly Dictionary<string, int> _householdSerials = [];
    private int _persons;
    private int _houses;
    private int _households;
    private int _cases;
    private int _serviceRequests;

    public GenerationContext Context { get; } = context;

    public CountyPlan Plan { get; } = plan;

    public CountyInfo County => Plan.County;

    public string SourceSystem { get; } = sourceSystem;

    public ChangeFileWriter Writer { get; } = writer;

    public CitizenIdAllocator Ids { get; } = new(plan.County, context.AsOf);

    /// <summary>山东省烟台市芝罘区, the start of every address in the county.</summary>
    public string FullName { get; } = ShandongDivisions.FullName(plan.County);

    public string NextPersonId() => Id("p", ++_persons);

    public string NextHouseId() => Id("ho", ++_houses);

    public string NextHouseholdId() => Id("hh", ++_households);

    /// <summary>The number of cases generated so far in the county (the next case's index).</summary>
    public int CaseCount => _cases;

    public string NextCaseId() => Id("c", ++_cases);

    public int ServiceRequestCount => _serviceRequests;

    public string NextServiceRequestId() => Id("sr", ++_serviceRequests);

    /// <summary>A 9-digit household number: the township's 3 digits and a serial within the township.</summary>
    public string NextHouseholdNumber(TownshipPlan township)
    {
        var serial = _householdSerials.GetValueOrDefault(township.Code12) + 1;
        _householdSerials[township.Code12] = serial;
        return township.Code12.Substring(6, 3) + serial.ToString("D6", CultureInfo.InvariantCulture);
    }

    private string Id(string prefix, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{County.Code6}-{number:D7}");
}
