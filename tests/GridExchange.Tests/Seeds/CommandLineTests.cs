using GridExchange.Seeds.Cli;

namespace GridExchange.Tests.Seeds;

public class CommandLineTests
{
    [Fact]
    public void TryParse_AllOptions_AreRead()
    {
        var ok = CommandLine.TryParse(
            ["--seed", "7", "--scale", "province", "--out", "/tmp/x", "--as-of", "2025-01-31", "--counties", "3706, 370102", "--max-counties", "2", "--parallel", "1"],
            out var options,
            out var error);

        Assert.True(ok, error);
        Assert.Equal(7UL, options.Seed);
        Assert.Equal("province", options.Scale);
        Assert.Equal("/tmp/x", options.OutputDirectory);
        Assert.Equal(new DateOnly(2025, 1, 31), options.AsOf);
        Assert.Equal(["3706", "370102"], options.Counties);
        Assert.Equal(2, options.MaxCounties);
        Assert.Equal(1, options.Parallelism);
    }

    [Fact]
    public void TryParse_Defaults_AreFixedNotTheClock()
    {
        Assert.True(CommandLine.TryParse(["--out", "o"], out var options, out _));

        Assert.Equal(42UL, options.Seed);
        Assert.Equal("sample", options.Scale);
        Assert.Equal(new DateOnly(2026, 11, 1), options.AsOf);
    }

    [Theory]
    [InlineData("--scale", "city")]
    [InlineData("--seed", "-1")]
    [InlineData("--as-of", "2026-13-01")]
    [InlineData("--bogus", "1")]
    public void TryParse_BadOption_Fails(string name, string value)
    {
        Assert.False(CommandLine.TryParse([name, value, "--out", "o"], out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryParse_NoOut_Fails()
    {
        Assert.False(CommandLine.TryParse(["--seed", "1"], out _, out var error));
        Assert.Contains("--out", error, StringComparison.Ordinal);
    }
}
