using GridExchange.Domain.Codes;
using GridExchange.Seeds.Generation;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Randomness;

namespace GridExchange.Tests.Seeds;

public class CitizenIdAllocatorTests
{
    private static readonly DateOnly AsOf = new(2026, 11, 1);

    [Fact]
    public void Native_ManyPeopleBornTheSameDay_GetDistinctValidIds()
    {
        var county = ShandongDivisions.FindCounty("370602")!;
        var allocator = new CitizenIdAllocator(county, AsOf);
        var random = new SeedRandom(1);
        var birth = new DateOnly(1980, 5, 17);
        var ids = new HashSet<string>();
        for (var i = 0; i < 1_000; i++)
        {
            var male = i % 2 == 0;
            var (id, date) = allocator.Native(birth, male, random);
            Assert.True(ids.Add(id), id);
            Assert.True(CitizenId.TryParse(id, AsOf, out var info), id);
            Assert.Equal("370602", info.AddressCode);
            Assert.Equal(date, info.BirthDate);
            Assert.Equal(male, info.IsMale);
            Assert.InRange(info.Sequence, 1, 899);
        }
    }

    [Fact]
    public void Floating_TwoHostCounties_NeverIssueTheSameId()
    {
        // Same origin, same wished-for birth dates, same random stream: the hosts' residues keep them apart.
        var origin = ShandongDivisions.FindCounty("371702")!;
        var hostA = new CitizenIdAllocator(ShandongDivisions.FindCounty("370602")!, AsOf);
        var hostB = new CitizenIdAllocator(ShandongDivisions.FindCounty("370611")!, AsOf);
        var randomA = new SeedRandom(5);
        var randomB = new SeedRandom(5);
        var ids = new HashSet<string>();
        for (var i = 0; i < 2_000; i++)
        {
            var birth = new DateOnly(1990, 1, 1).AddDays(i % 200);
            var (a, _) = hostA.Floating(origin.Code6, origin.Index, birth, i % 3 == 0, randomA);
            var (b, _) = hostB.Floating(origin.Code6, origin.Index, birth, i % 3 == 0, randomB);
            Assert.True(ids.Add(a), a);
            Assert.True(ids.Add(b), b);
            Assert.StartsWith("371702", a, StringComparison.Ordinal);
            Assert.True(CitizenId.TryParse(a, AsOf, out var info));
            Assert.InRange(info.Sequence, 900, 999);
        }
    }
}
