using GridExchange.Domain.Ingest;
using GridExchange.PeerSimulator.Source;
using GridExchange.Tests.Seeds;
using GridExchange.V1;

namespace GridExchange.Tests.PeerSimulator;

/// <summary>The generator over a real county store (a temporary SQLite file filled from seeds/sample).</summary>
public sealed class ChangeGeneratorTests : IAsyncLifetime
{
    private const string County = "370602000000";
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-gen-").FullName;
    private CountySource _source = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(SeedTestSupport.Timeout);
        _source = await CountySource.OpenAsync(Path.Combine(_directory, "source.db"), County, null, SeedTestSupport.SampleDirectory(), TimeProvider.System, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task NextAsync_Rounds_ValidNextVersionsThatApply()
    {
        using var timeout = new CancellationTokenSource(SeedTestSupport.Timeout);
        var generator = new ChangeGenerator(_source, seed: 5, TimeProvider.System);
        await generator.InitializeAsync(timeout.Token);
        var jurisdiction = new SourceJurisdiction(_source.SourceSystem, County);
        var kinds = new HashSet<EntityType>();
        var movedGrid = 0;
        for (var round = 0; round < 5; round++)
        {
            var changes = await generator.NextAsync(100, timeout.Token);
            Assert.Equal(100, changes.Count);
            Assert.Equal(changes.Count, changes.Select(c => c.EntityKey).Distinct().Count());
            foreach (var change in changes)
            {
                var check = ChangeValidator.Validate(change, jurisdiction);
                Assert.True(check.IsValid, $"{change.EntityType} {change.EntityKey}: {check.Reason}: {check.Message}");
                var held = await _source.Store.GetAsync(change.EntityType, change.EntityKey, timeout.Token);
                Assert.NotNull(held);
                Assert.Equal(held.Version + 1, change.EntityVersion);
                if (change.EntityType == EntityType.Person && held.ScopeCode != change.Person.GridCode)
                {
                    movedGrid++;
                }

                kinds.Add(change.EntityType);
            }

            var commit = await _source.SubmitAsync(changes, timeout.Token);
            Assert.All(commit.Plan, p => Assert.Equal(PlanStatus.Applied, p.Status));
        }

        Assert.Equal([EntityType.Person, EntityType.Case], kinds.Order());
        Assert.True(movedGrid > 0, "some residents move to another grid");
    }

    [Fact]
    public async Task NextAsync_SameSeedSameStore_SameChanges()
    {
        using var timeout = new CancellationTokenSource(SeedTestSupport.Timeout);
        var a = new ChangeGenerator(_source, seed: 9, TimeProvider.System);
        var b = new ChangeGenerator(_source, seed: 9, TimeProvider.System);
        await a.InitializeAsync(timeout.Token);
        await b.InitializeAsync(timeout.Token);

        var first = await a.NextAsync(50, timeout.Token);
        var second = await b.NextAsync(50, timeout.Token);

        // Timestamps differ (stamped now); everything else is the seed's.
        static string Shape(Change c) => $"{c.SourceChangeId} {c.EntityType} {c.EntityKey} {c.EntityVersion} {c.Person?.GridCode}{c.Person?.HouseId} {c.CaseRecord?.State}";
        Assert.Equal(first.Select(Shape), second.Select(Shape));
    }
}
