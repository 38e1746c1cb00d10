using System.Globalization;
using GridExchange.Seeds;

namespace GridExchange.Tests.Seeds;

public class SeedGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_SameSeed_SameContent()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var a = await SeedTestSupport.GenerateAsync(new SeedOptions { Counties = ["370612"], OutputDirectory = first.Path });
        var b = await SeedTestSupport.GenerateAsync(new SeedOptions { Counties = ["370612"], OutputDirectory = second.Path, Parallelism = 1 });

        Assert.Equal(a.Files.Select(f => f.Sha256), b.Files.Select(f => f.Sha256));
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(first.Path, SeedManifest.FileName)).WaitAsync(SeedTestSupport.Timeout),
            await File.ReadAllTextAsync(Path.Combine(second.Path, SeedManifest.FileName)).WaitAsync(SeedTestSupport.Timeout));
    }

    [Fact]
    public async Task GenerateAsync_DifferentSeedOrDate_DifferentContent()
    {
        using var baseline = new TempDirectory();
        using var otherSeed = new TempDirectory();
        using var otherDate = new TempDirectory();

        var a = await SeedTestSupport.GenerateAsync(new SeedOptions { Counties = ["370612"], OutputDirectory = baseline.Path });
        var b = await SeedTestSupport.GenerateAsync(new SeedOptions { Seed = 43, Counties = ["370612"], OutputDirectory = otherSeed.Path });
        var c = await SeedTestSupport.GenerateAsync(new SeedOptions { AsOf = new DateOnly(2027, 1, 1), Counties = ["370612"], OutputDirectory = otherDate.Path });

        Assert.NotEqual(a.Files[1].Sha256, b.Files[1].Sha256);
        Assert.NotEqual(a.Files[1].Sha256, c.Files[1].Sha256);
    }

    [Fact]
    public async Task GenerateAsync_CommittedManifestParameters_ReproduceTheCommittedSample()
    {
        var committed = SeedReader.LoadManifest(SeedTestSupport.SampleDirectory());
        using var output = new TempDirectory();

        var regenerated = await SeedTestSupport.GenerateAsync(new SeedOptions
        {
            Seed = committed.Seed,
            Scale = committed.Scale,
            AsOf = DateOnly.ParseExact(committed.AsOf, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            Counties = [.. committed.Counties],
            OutputDirectory = output.Path,
        });

        Assert.Equal(committed.GeneratorVersion, regenerated.GeneratorVersion);
        Assert.Equal(committed.Files.Select(f => (f.Name, f.Sha256, f.Lines)), regenerated.Files.Select(f => (f.Name, f.Sha256, f.Lines)));
        Assert.Equal(committed.Totals, regenerated.Totals);
    }

    [Fact]
    public async Task GenerateAsync_OneCountyAlone_EqualsThatCountyInTheSample()
    {
        var committed = SeedReader.LoadManifest(SeedTestSupport.SampleDirectory());
        using var output = new TempDirectory();

        var alone = await SeedTestSupport.GenerateAsync(new SeedOptions { Counties = ["370611"], OutputDirectory = output.Path });

        Assert.Equal(committed.Files.Single(f => f.Name == "370611.ndjson.gz").Sha256, alone.Files.Single(f => f.Name == "370611.ndjson.gz").Sha256);
    }

    [Fact]
    public async Task GenerateAsync_UnknownCounty_Throws()
    {
        using var output = new TempDirectory();

        await Assert.ThrowsAsync<ArgumentException>(() => SeedTestSupport.GenerateAsync(new SeedOptions { Counties = ["999999"], OutputDirectory = output.Path }));
    }
}
