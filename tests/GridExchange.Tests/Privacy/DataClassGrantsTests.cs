using GridExchange.V1;
using DataClassGrants = GridExchange.Domain.Privacy.DataClassGrants;

namespace GridExchange.Tests.Privacy;

public class DataClassGrantsTests
{
    [Fact]
    public void Default_GrantsOnlyS1()
    {
        Assert.Equal([DataClass.S1], default(DataClassGrants).ToList());
        Assert.Equal(DataClassGrants.OpenOnly, DataClassGrants.Of(DataClass.S1));
        Assert.Equal(DataClassGrants.OpenOnly, DataClassGrants.Of(Array.Empty<DataClass>()));
    }

    [Fact]
    public void Of_ImpliesS1AndIgnoresUnspecifiedAndUnknownValues()
    {
        var grants = DataClassGrants.Of(new[] { DataClass.S3, DataClass.Unspecified, (DataClass)9, DataClass.S3 });

        Assert.Equal([DataClass.S1, DataClass.S3], grants.ToList());
        Assert.True(grants.Contains(DataClass.S1));
        Assert.False(grants.Contains(DataClass.S2));
        Assert.False(grants.Contains(DataClass.S4));
        Assert.False(grants.Contains(DataClass.Unspecified));
    }

    [Fact]
    public void Of_SameClassesInAnyOrder_AreEqual()
    {
        Assert.Equal(DataClassGrants.Of(DataClass.S4, DataClass.S2), DataClassGrants.Of(new List<DataClass> { DataClass.S2, DataClass.S4, DataClass.S1 }));
        Assert.Equal(DataClassGrants.All, DataClassGrants.Of(DataClass.S2, DataClass.S3, DataClass.S4));
        Assert.NotEqual(DataClassGrants.All, DataClassGrants.Of(DataClass.S2, DataClass.S3));
    }
}
