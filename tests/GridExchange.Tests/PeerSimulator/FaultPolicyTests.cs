using GridExchange.PeerSimulator.Faults;

namespace GridExchange.Tests.PeerSimulator;

public sealed class FaultPolicyTests
{
    [Fact]
    public void Next_SameSeed_SameDecisions()
    {
        var settings = new FaultSettings { Seed = 7, DropProbability = 0.3, ErrorProbability = 0.3, BlackHoleProbability = 0.1, ResetAfterMessages = 2, ResetProbability = 0.5 };
        var first = new FaultPolicy(settings);
        var second = new FaultPolicy(settings);
        var a = Enumerable.Range(0, 200).Select(_ => first.Next()).ToList();
        var b = Enumerable.Range(0, 200).Select(_ => second.Next()).ToList();

        Assert.Equal(a, b);
        Assert.Contains(a, d => d.Drop);
        Assert.Contains(a, d => d.Error is not null);
        Assert.Contains(a, d => d.BlackHole);
        Assert.Contains(a, d => d.Passes);
        Assert.Contains(a, d => d.ResetAfterMessages == 2);
        Assert.Contains(a, d => d.ResetAfterMessages is null);
    }

    [Fact]
    public void Next_DifferentSeed_DifferentDecisions()
    {
        var a = new FaultPolicy(new FaultSettings { Seed = 1, DropProbability = 0.5 });
        var b = new FaultPolicy(new FaultSettings { Seed = 2, DropProbability = 0.5 });

        Assert.NotEqual(
            Enumerable.Range(0, 64).Select(_ => a.Next().Drop).ToList(),
            Enumerable.Range(0, 64).Select(_ => b.Next().Drop).ToList());
    }

    [Fact]
    public void Next_DropProbability_RoughlyThatShare()
    {
        var policy = new FaultPolicy(new FaultSettings { Seed = 3, DropProbability = 0.2 });
        var dropped = Enumerable.Range(0, 5000).Count(_ => policy.Next().Drop);

        Assert.InRange(dropped, 850, 1150);
    }

    [Fact]
    public void Next_NoFaults_EveryCallPasses()
    {
        var policy = new FaultPolicy();
        var decisions = Enumerable.Range(0, 100).Select(_ => policy.Next()).ToList();

        Assert.All(decisions, d =>
        {
            Assert.True(d.Passes);
            Assert.Equal(TimeSpan.Zero, d.Latency);
            Assert.Null(d.ResetAfterMessages);
        });
        Assert.Equal(100, decisions[^1].CallNumber);
    }

    [Fact]
    public void Next_CertainFaults_AlwaysApplyInPrecedenceOrder()
    {
        var policy = new FaultPolicy(new FaultSettings { DropProbability = 1, ErrorProbability = 1, LatencyMs = 40, SlowReadMs = 5, RetryAfterMs = 1500 });
        var dropped = policy.Next();
        Assert.True(dropped.Drop);
        Assert.Null(dropped.Error); // a dropped call carries no error details
        Assert.Equal(TimeSpan.FromMilliseconds(40), dropped.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(5), dropped.SlowRead);

        policy.Update(new FaultSettings { ErrorProbability = 1, Error = InjectedError.ResourceExhausted, RetryAfterMs = 1500 });
        var throttled = policy.Next();
        Assert.False(throttled.Drop);
        Assert.Equal(InjectedError.ResourceExhausted, throttled.Error);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), throttled.RetryAfter);
    }

    [Fact]
    public void Next_BlackHoleAfterCalls_OnlyLaterCallsAreSwallowed()
    {
        var policy = new FaultPolicy(new FaultSettings { BlackHoleAfterCalls = 3 });
        var holes = Enumerable.Range(0, 6).Select(_ => policy.Next().BlackHole).ToList();

        Assert.Equal([false, false, false, true, true, true], holes);
    }

    [Fact]
    public void Update_RestartsTheSequenceFromTheNewSeed()
    {
        var settings = new FaultSettings { Seed = 11, DropProbability = 0.5 };
        var policy = new FaultPolicy(settings);
        var before = Enumerable.Range(0, 32).Select(_ => policy.Next().Drop).ToList();

        policy.Update(settings);
        var after = Enumerable.Range(0, 32).Select(_ => policy.Next().Drop).ToList();

        Assert.Equal(before, after);
        Assert.Equal(32, policy.Calls);
    }

    [Theory]
    [InlineData(-0.1, 0, 0)]
    [InlineData(1.5, 0, 0)]
    [InlineData(double.NaN, 0, 0)]
    [InlineData(0, -1, 0)]
    [InlineData(0, 0, -5)]
    public void Update_OutOfRange_ThrowsAndKeepsTheSettings(double drop, int latency, int slowRead)
    {
        var policy = new FaultPolicy(new FaultSettings { LatencyMs = 10 });

        Assert.Throws<ArgumentException>(() => policy.Update(new FaultSettings { DropProbability = drop, LatencyMs = latency, SlowReadMs = slowRead }));
        Assert.Equal(10, policy.Settings.LatencyMs);
    }
}
