using GridExchange.Seeds;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// The committed sample, read straight from the seed files: the brute-force truth the hub's
/// answers are compared with.
/// </summary>
public sealed class SampleTruth
{
    private static readonly Lazy<Task<SampleTruth>> Shared = new(LoadAsync);

    /// <summary>Every region by code.</summary>
    public Dictionary<string, Region> Regions { get; } = [];

    /// <summary>Every grid by code.</summary>
    public Dictionary<string, Grid> Grids { get; } = [];

    /// <summary>Every grid worker by number.</summary>
    public Dictionary<string, GridWorker> Workers { get; } = [];

    /// <summary>Every person by id.</summary>
    public Dictionary<string, Person> Persons { get; } = [];

    /// <summary>Every house by id.</summary>
    public Dictionary<string, House> Houses { get; } = [];

    /// <summary>Every household by id.</summary>
    public Dictionary<string, Household> Households { get; } = [];

    /// <summary>Every case by id.</summary>
    public Dictionary<string, Case> Cases { get; } = [];

    /// <summary>Every service request by id.</summary>
    public Dictionary<string, ServiceRequest> ServiceRequests { get; } = [];

    /// <summary>The sample, read once per test run.</summary>
    public static Task<SampleTruth> GetAsync() => Shared.Value;

    private static async Task<SampleTruth> LoadAsync()
    {
        var truth = new SampleTruth();
        var manifest = SeedReader.LoadManifest(RepoPaths.SampleDirectory);
        foreach (var file in manifest.Files)
        {
            await foreach (var change in SeedReader.ReadAsync(Path.Combine(RepoPaths.SampleDirectory, file.Name), CancellationToken.None))
            {
                switch (change.PayloadCase)
                {
                    case Change.PayloadOneofCase.Region:
                        truth.Regions[change.Region.Code] = change.Region;
                        break;
                    case Change.PayloadOneofCase.Grid:
                        truth.Grids[change.Grid.Code] = change.Grid;
                        break;
                    case Change.PayloadOneofCase.GridWorker:
                        truth.Workers[change.GridWorker.Number] = change.GridWorker;
                        break;
                    case Change.PayloadOneofCase.Person:
                        truth.Persons[change.Person.Meta.Id] = change.Person;
                        break;
                    case Change.PayloadOneofCase.House:
                        truth.Houses[change.House.Meta.Id] = change.House;
                        break;
                    case Change.PayloadOneofCase.Household:
                        truth.Households[change.Household.Meta.Id] = change.Household;
                        break;
                    case Change.PayloadOneofCase.CaseRecord:
                        truth.Cases[change.CaseRecord.Meta.Id] = change.CaseRecord;
                        break;
                    case Change.PayloadOneofCase.ServiceRequest:
                        truth.ServiceRequests[change.ServiceRequest.Meta.Id] = change.ServiceRequest;
                        break;
                }
            }
        }

        return truth;
    }
}
