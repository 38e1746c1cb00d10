using GridExchange.Domain.Security;
using GridExchange.V1;

namespace GridExchange.Tests.Security;

public sealed class CallerTests
{
    private static Caller County(params EntityType[] types) => Caller.FromPeer(new Peer
    {
        Id = "county-370602",
        RegionCode = "370602000000",
        Roles = { PeerRole.Source, PeerRole.Consumer, PeerRole.Unspecified },
        DataClasses = { DataClass.S3 },
        EntityTypes = { types },
    });

    [Theory]
    [InlineData("370602000000", true)]
    [InlineData("370602001000", true)]
    [InlineData("370602001001", true)]
    [InlineData("370602001001001", true)]
    [InlineData("37060200100100101", true)]
    [InlineData("370611000000", false)]
    [InlineData("370600000000", false)]
    [InlineData("370000000000", false)]
    [InlineData("3706020", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Covers_ItsSubtreeOnly(string? code, bool covered) => Assert.Equal(covered, County().Covers(code));

    [Fact]
    public void Grants_AreTheRegistrations_WithS1Always()
    {
        var caller = County();
        Assert.True(caller.Has(PeerRole.Source));
        Assert.False(caller.Has(PeerRole.Admin));
        Assert.False(caller.Has(PeerRole.Unspecified));
        Assert.True(caller.Holds(DataClass.S1));
        Assert.True(caller.Holds(DataClass.S3));
        Assert.False(caller.Holds(DataClass.S2));
        Assert.False(caller.Holds(DataClass.S4));
    }

    [Fact]
    public void EntityTypes_EmptyMeansAll()
    {
        Assert.True(County().MayRead(EntityType.Person));
        var limited = County(EntityType.Case);
        Assert.True(limited.MayRead(EntityType.Case));
        Assert.False(limited.MayRead(EntityType.Person));
    }

    [Fact]
    public void AMalformedJurisdiction_CoversNothing() =>
        Assert.False(Caller.FromPeer(new Peer { Id = "x", RegionCode = "37" }).Covers("370602000000"));
}
