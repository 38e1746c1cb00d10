using GridExchange.Hub;

namespace GridExchange.Tests.Hub;

public sealed class HubOptionsTests
{
    [Fact]
    public void Deadlines_AreRequiredOutsideDevelopmentMode_UnlessSet()
    {
        Assert.False(new HubOptions().ShouldRequireDeadlines);
        Assert.True(new HubOptions { PostgreSql = "Host=db" }.ShouldRequireDeadlines);
        Assert.False(new HubOptions { PostgreSql = "Host=db", DevMode = true }.ShouldRequireDeadlines);
        Assert.True(new HubOptions { RequireDeadlines = true }.ShouldRequireDeadlines);
        Assert.False(new HubOptions { PostgreSql = "Host=db", RequireDeadlines = false }.ShouldRequireDeadlines);
    }

    [Fact]
    public void Limits_AreOnByDefault_AndGenerous()
    {
        var options = new HubOptions();
        Assert.True(options.RateLimitPerSecond >= 100);
        Assert.True(options.RateLimitBurst >= options.RateLimitPerSecond);
        Assert.True(options.MaxStreamsPerPeer >= 8);
        Assert.Equal(5171, options.DashboardPort);
    }
}
