using GridExchange.PeerSimulator;
using GridExchange.PeerSimulator.Faults;

namespace GridExchange.Tests.PeerSimulator;

public sealed class SimulatorCommandLineTests
{
    [Fact]
    public void TryParse_FullSourceCommand_SetsEveryOption()
    {
        var ok = SimulatorCommandLine.TryParse(
            ["--region", "370602000000", "--role", "source", "--port", "0", "--seeds", "../../seeds/sample", "--rate", "20",
             "--drop", "0.2", "--latency", "50ms", "--blackhole-after", "10", "--reset-after", "3", "--slow-read", "1s",
             "--error", "resource-exhausted", "--error-rate", "0.1", "--retry-after", "2s", "--token", "abc", "--fault-seed", "9",
             "--heartbeat", "5s", "--admin-port", "0"],
            out var options, out var error);

        Assert.True(ok, error);
        Assert.NotNull(options);
        Assert.Equal(PeerRoleKind.Source, options.Role);
        Assert.Equal("370602000000", options.RegionCode);
        Assert.Equal("../../seeds/sample", options.SeedDirectory);
        Assert.Equal(20, options.Rate);
        Assert.Equal("abc", options.Token);
        Assert.Equal(0, options.AdminPort);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HeartbeatInterval);
        Assert.Equal(
            new FaultSettings
            {
                Seed = 9, DropProbability = 0.2, LatencyMs = 50, BlackHoleAfterCalls = 10, ResetAfterMessages = 3, SlowReadMs = 1000,
                Error = InjectedError.ResourceExhausted, ErrorProbability = 0.1, RetryAfterMs = 2000,
            },
            options.Faults);
    }

    [Fact]
    public void TryParse_NoToken_GeneratesOne()
    {
        Assert.True(SimulatorCommandLine.TryParse(["--region", "370600000000", "--role", "sink"], out var options, out _));
        Assert.StartsWith("sim_", options!.Token, StringComparison.Ordinal);
        Assert.Equal(-1, options.AdminPort);
    }

    [Theory]
    [InlineData("--region", "370602000000")] // no role
    [InlineData("--role", "source")] // no region
    public void TryParse_MissingRequired_Fails(string name, string value)
    {
        Assert.False(SimulatorCommandLine.TryParse([name, value], out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("--drop", "2")]
    [InlineData("--latency", "fast")]
    [InlineData("--role", "both")]
    [InlineData("--heartbeat", "31s")]
    [InlineData("--bogus", "1")]
    public void TryParse_BadValue_Fails(string name, string value)
    {
        Assert.False(SimulatorCommandLine.TryParse(["--region", "370602000000", "--role", "source", name, value], out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryParse_SourceOutsideACounty_Fails()
    {
        Assert.False(SimulatorCommandLine.TryParse(["--region", "370600000000", "--role", "source"], out _, out var error));
        Assert.Contains("county", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2000)]
    [InlineData("1m", 60000)]
    [InlineData("75", 75)]
    [InlineData("0.5s", 500)]
    public void TryParseDuration_Units(string text, double milliseconds)
    {
        Assert.True(SimulatorCommandLine.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void TryParse_Help_FailsWithEmptyError()
    {
        Assert.False(SimulatorCommandLine.TryParse(["--help"], out _, out var error));
        Assert.Equal(string.Empty, error);
    }
}
