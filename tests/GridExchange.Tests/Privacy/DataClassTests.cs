using GridExchange.Domain.Privacy;

namespace GridExchange.Tests.Privacy;

public class DataClassTests
{
    [Fact]
    public void Values_OrderedBySensitivity_AreOneToFour()
    {
        Assert.Equal([DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4], Enum.GetValues<DataClass>());
        Assert.Equal([1, 2, 3, 4], Enum.GetValues<DataClass>().Select(c => (int)c));
    }
}
