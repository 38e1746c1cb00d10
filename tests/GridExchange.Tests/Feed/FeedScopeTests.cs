using GridExchange.Domain.Feed;
using GridExchange.V1;

namespace GridExchange.Tests.Feed;

public class FeedScopeTests
{
    private const string GridA = "370602001001001";
    private const string GridB = "370602002001001";
    private const string GridOtherCounty = "370611001001001";

    [Fact]
    public void Create_DropsNestedPrefixes_AndSortsThem()
    {
        var scope = FeedScope.Create(["370611000000", GridA, "370602000000", "370602001000"], []);
        Assert.Equal(["370602", "370611"], scope.Prefixes);
    }

    [Fact]
    public void Create_RejectsCodesThatAreNoRegionOrGrid() =>
        Assert.Throws<ArgumentException>(() => FeedScope.Create(["37060"], []));

    [Theory]
    [InlineData("370602000000", ChangeOperation.Upsert)]   // county: both locations inside
    [InlineData("370602001000", ChangeOperation.Leave)]    // township of the old grid only
    [InlineData("370602002000", ChangeOperation.Enter)]    // township of the new grid only
    [InlineData("370611000000", null)]                      // another county: neither
    [InlineData("370600000000", ChangeOperation.Upsert)]   // city
    public void Project_AMoveBetweenGrids_IsLeaveOrEnterOnlyWhereOneSideIsOutside(string scopeCode, ChangeOperation? expected)
    {
        var scope = FeedScope.Create([scopeCode], []);
        Assert.Equal(expected, scope.Project(EntityType.Person, ChangeOperation.Upsert, GridB, GridA));
    }

    [Fact]
    public void Project_DeleteIsNeverEnter_AndTypesFilter()
    {
        var county = FeedScope.Create(["370602000000"], [EntityType.Person]);
        Assert.Equal(ChangeOperation.Delete, county.Project(EntityType.Person, ChangeOperation.Delete, GridA, null));
        Assert.Null(county.Project(EntityType.House, ChangeOperation.Upsert, GridA, null));
        Assert.Null(FeedScope.Create([GridOtherCounty], []).Project(EntityType.Person, ChangeOperation.Delete, GridA, null));
        Assert.Equal(ChangeOperation.Upsert, FeedScope.All.Project(EntityType.Case, ChangeOperation.Upsert, GridA, GridOtherCounty));
    }

    [Fact]
    public void Buckets_ExpandCityAndProvinceScopes_ToTheKnownCounties()
    {
        var known = new[] { "370000", "370600", "370602", "370611", "371002" };
        Assert.Null(FeedScope.All.Buckets(known));
        Assert.Equal(["370602"], FeedScope.Create([GridA], []).Buckets(known));
        Assert.Equal(["370600", "370602", "370611"], FeedScope.Create(["370600000000"], []).Buckets(known));
        Assert.Equal(known, FeedScope.Create(["370000000000"], []).Buckets(known));
        Assert.Empty(FeedScope.Create(["110000000000"], []).Buckets(known)!);
    }
}
