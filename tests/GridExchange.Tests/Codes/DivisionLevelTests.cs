using GridExchange.Domain.Codes;

namespace GridExchange.Tests.Codes;

public class DivisionLevelTests
{
    [Theory]
    [InlineData(DivisionLevel.Province, 2, 2)]
    [InlineData(DivisionLevel.City, 3, 4)]
    [InlineData(DivisionLevel.County, 4, 6)]
    [InlineData(DivisionLevel.Township, 5, 9)]
    [InlineData(DivisionLevel.Village, 6, 12)]
    [InlineData(DivisionLevel.Grid, 7, 15)]
    public void PrefixLength_EachLevel_MatchesTable52AndCodeLayout(DivisionLevel level, int number, int prefixLength)
    {
        Assert.Equal(number, (int)level);
        Assert.Equal(prefixLength, level.PrefixLength());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    public void PrefixLength_UndefinedLevel_Throws(int level)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DivisionLevel)level).PrefixLength());
    }
}
