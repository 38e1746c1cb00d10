using System.Globalization;
using System.Text;
using GridExchange.Domain.Codes;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Names;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

/// <summary>
/// Generates one grid: the grid, its workers, houses, households, persons, cases and service
/// requests. Only this grid's records are in memory; they go to the county writer's sections.
/// </summary>
/// <remarks>
/// Each kind of record draws from its own stream derived from (seed, grid code, stream), so a
/// change to, say, case generation leaves the people of every grid as they were.
/// </remarks>
internal sealed partial class GridGenerator
{
    private const ulong WorkerStream = 2;
    private const ulong PopulationStream = 3;
    private const ulong CaseStream = 4;
    private const ulong ServiceStream = 5;

    private readonly CountyState _county;
    private readonly GridPlan _grid;
    private readonly VillagePlan _village;
    private readonly GenerationContext _context;
    private readonly ulong _gridNumber;
    private readonly List<GridWorker> _workers = [];
    private readonly List<Household> _households = [];
    private readonly List<House> _houses = [];
    private readonly List<Person> _persons = [];

    public GridGenerator(CountyState county, GridPlan grid)
    {
        _county = county;
        _grid = grid;
        _village = grid.Village;
        _context = county.Context;
        _gridNumber = ulong.Parse(grid.Code15, CultureInfo.InvariantCulture);
    }

    private bool Rural => !_village.IsCommunity;

    public void Generate()
    {
        GenerateWorkers(Stream(WorkerStream));
        GeneratePopulation(Stream(PopulationStream));

        var writer = _county.Writer;
        writer.Add(Sections.Grids, Change(EntityType.Grid, _grid.Code15, c => c.Grid = BuildGrid()));
        foreach (var worker in _workers)
        {
            writer.Add(Sections.GridWorkers, Change(EntityType.GridWorker, worker.Number, c => c.GridWorker = worker));
        }

        foreach (var house in _houses)
        {
            writer.Add(Sections.Houses, Change(EntityType.House, house.Meta.Id, c => c.House = house));
        }

        foreach (var household in _households)
        {
            writer.Add(Sections.Households, Change(EntityType.Household, household.Meta.Id, c => c.Household = household));
        }

        foreach (var person in _persons)
        {
            writer.Add(Sections.Persons, Change(EntityType.Person, person.Meta.Id, c => c.Person = person));
        }

        foreach (var record in GenerateCases(Stream(CaseStream)))
        {
            writer.Add(Sections.Cases, Change(EntityType.Case, record.Meta.Id, c => c.CaseRecord = record));
        }

        foreach (var request in GenerateServiceRequests(Stream(ServiceStream)))
        {
            writer.Add(Sections.ServiceRequests, Change(EntityType.ServiceRequest, request.Meta.Id, c => c.ServiceRequest = request));
        }
    }

    private SeedRandom Stream(ulong stream) => SeedRandom.Derive(_context.Seed, _gridNumber, stream);

    private Change Change(EntityType type, string key, Action<Change> setPayload)
    {
        var change = new Change { EntityType = type, EntityKey = key, RegionCode = _grid.Code15 };
        setPayload(change);
        return change;
    }

    private EntityMeta Meta(string id) => _context.Meta(id, _county.SourceSystem);

    private Grid BuildGrid() => new()
    {
        Meta = Meta(_grid.Code15),
        Code = _grid.Code15,
        Name = _grid.Name,
        Type = _grid.Dedicated is null ? GridType.Basic : GridType.Dedicated,
        VillageCode = _village.Code12,
        HouseholdCount = _households.Count,
        ResidentCount = _persons.Count,
        AreaKm2 = _grid.AreaHundredthsKm2 / 100.0,
        LeaderName = _workers[0].Name,
        BoundaryGeojson = Boundary(),
        WorkerCount = _workers.Count,
    };

    private string Boundary()
    {
        int west = _grid.LonMicro - _grid.HalfWidthMicro, east = _grid.LonMicro + _grid.HalfWidthMicro;
        int south = _grid.LatMicro - _grid.HalfHeightMicro, north = _grid.LatMicro + _grid.HalfHeightMicro;
        var sb = new StringBuilder("{\"type\":\"Polygon\",\"coordinates\":[[");
        (int Lon, int Lat)[] ring = [(west, north), (east, north), (east, south), (west, south), (west, north)];
        for (var i = 0; i < ring.Length; i++)
        {
            sb.Append(i == 0 ? "[" : ",[").Append(Degrees(ring[i].Lon)).Append(',').Append(Degrees(ring[i].Lat)).Append(']');
        }

        return sb.Append("]]}").ToString();
    }

    private static string Degrees(int micro) =>
        string.Create(CultureInfo.InvariantCulture, $"{micro / 1_000_000}.{micro % 1_000_000:D6}");

    private void GenerateWorkers(SeedRandom random)
    {
        var roles = new List<GridWorkerRole> { GridWorkerRole.Manager };
        if (random.Chance(_grid.Dedicated is null ? 0.6 : 0.3))
        {
            roles.Add(GridWorkerRole.Assistant);
        }

        if (random.Chance(0.5))
        {
            roles.Add(GridWorkerRole.Informant);
        }

        var grid = GridCode.Parse(_grid.Code15);
        for (var i = 0; i < roles.Count; i++)
        {
            var male = random.Chance(0.45);
            var number = GridWorkerNumber.Create(grid, i + 1).Value;
            _workers.Add(new GridWorker
            {
                Meta = Meta(number),
                Number = number,
                GridCode = _grid.Code15,
                Name = PersonNames.FullName(random, random.Between(1966, 2000), male),
                Role = roles[i],
                Mobile = Catalogs.Mobile(random),
                Employment = roles[i] switch
                {
                    GridWorkerRole.Manager => random.Chance(0.85) ? EmploymentType.FullTime : EmploymentType.PartTime,
                    GridWorkerRole.Assistant => random.Chance(0.5) ? EmploymentType.FullTime : EmploymentType.PartTime,
                    _ => EmploymentType.PartTime,
                },
            });
        }
    }

    /// <summary>The street address of house <paramref name="index"/> (0-based) in this grid, below the county.</summary>
    private string LocalAddress(int index)
    {
        if (_grid.Dedicated is not null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_village.Roads[0]}{(_grid.Serial - 900) * 2 + 100}号{_grid.Name[..^4]}宿舍楼");
        }

        if (Rural)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_village.Name}{_village.Roads[0]}{((_grid.Serial - 1) * 300) + index + 1}号");
        }

        var road = _village.Roads[(_grid.Serial - 1) % _village.Roads.Count];
        var compound = (2 * _grid.Serial) - 1;
        var building = (index / 24) + 1;
        var unit = (index % 24 / 8) + 1;
        var floor = (index % 8 / 2) + 1;
        var room = (floor * 100) + (index % 2) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{road}{compound}号院{building}号楼{unit}单元{room}室");
    }

    private string FullAddress(int index) => _county.FullName + _village.AddressStem + LocalAddress(index);
}
