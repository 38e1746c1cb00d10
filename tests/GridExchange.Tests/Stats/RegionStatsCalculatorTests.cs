using GridExchange.Domain.Stats;
using GridExchange.V1;

namespace GridExchange.Tests.Stats;

public class RegionStatsCalculatorTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 2, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(5, 0, 0)]
    [InlineData(0, 7, 0)]
    [InlineData(3, 4, 0.75)]
    [InlineData(4, 4, 1)]
    [InlineData(5, 4, 1)]
    public void Share_IsZeroWithoutADenominatorAndNeverAboveOne(long numerator, long denominator, double expected) =>
        Assert.Equal(expected, RegionStatsCalculator.Share(numerator, denominator));

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(3, 0, 0)]
    [InlineData(1, 10_000, 1)]
    [InlineData(74, 17_483, 74 * 10_000d / 17_483)]
    [InlineData(333_744, 101_500_000, 333_744 * 10_000d / 101_500_000)]
    public void WorkersPer10kResidents_IsUnroundedAndZeroWithoutResidents(long workers, long residents, double expected) =>
        Assert.Equal(expected, RegionStatsCalculator.WorkersPer10kResidents(workers, residents), 12);

    [Fact]
    public void OfCase_EncodesOpenOverdueAndColour_AndDecodesBack()
    {
        foreach (var state in Enum.GetValues<CaseState>())
        {
            foreach (var overdue in Enum.GetValues<OverdueLevel>())
            {
                foreach (var color in Enum.GetValues<WarningColor>())
                {
                    var facet = StatFacets.OfCase(state, overdue, color);
                    Assert.NotEqual(StatFacets.Unclassified, facet);
                    var decoded = StatFacets.DecodeCase(facet)!.Value;
                    Assert.Equal(state is not (CaseState.Voided or CaseState.Closed or CaseState.Evaluated), decoded.Open);
                    Assert.Equal(overdue is OverdueLevel.YellowCard or OverdueLevel.RedCard, decoded.Overdue);
                    Assert.Equal(color, decoded.Color);
                }
            }
        }

        Assert.Null(StatFacets.DecodeCase(StatFacets.Unclassified));
    }

    [Fact]
    public void Of_TakesTheFacetFromWorkersAndCasesOnly()
    {
        Assert.Equal(StatFacets.FullTimeWorker, StatFacets.Of(EntityType.GridWorker, new GridWorker { Employment = EmploymentType.FullTime }));
        Assert.NotEqual(StatFacets.FullTimeWorker, StatFacets.Of(EntityType.GridWorker, new GridWorker { Employment = EmploymentType.PartTime }));
        Assert.NotEqual(StatFacets.FullTimeWorker, StatFacets.Of(EntityType.GridWorker, new GridWorker()));
        Assert.Equal(
            StatFacets.OfCase(CaseState.Dispatched, OverdueLevel.RedCard, WarningColor.Orange),
            StatFacets.Of(EntityType.Case, new Case { State = CaseState.Dispatched, OverdueLevel = OverdueLevel.RedCard, WarningColor = WarningColor.Orange }));
        Assert.Equal(StatFacets.Unclassified, StatFacets.Of(EntityType.Person, new Person()));
    }

    [Fact]
    public void Compute_SumsCountersIntoTheContractsFigures()
    {
        RegionCounter[] counters =
        [
            new(EntityType.Person, 0, 20_000),
            new(EntityType.Household, 0, 7_000),
            new(EntityType.Grid, StatFacets.BasicGrid, 9),
            new(EntityType.Grid, StatFacets.DedicatedGrid, 1),
            new(EntityType.GridWorker, StatFacets.FullTimeWorker, 12),
            new(EntityType.GridWorker, StatFacets.OfWorker(EmploymentType.PartTime), 6),
            new(EntityType.GridWorker, StatFacets.Unclassified, 2),
            new(EntityType.Region, (short)RegionLevel.Township, 1),
            new(EntityType.Region, (short)RegionLevel.Village, 4),
            new(EntityType.Region, StatFacets.CoveredVillage, 3),
            new(EntityType.Case, StatFacets.OfCase(CaseState.Reported, OverdueLevel.None, WarningColor.Blue), 5),
            new(EntityType.Case, StatFacets.OfCase(CaseState.InProgress, OverdueLevel.RedCard, WarningColor.Red), 2),
            new(EntityType.Case, StatFacets.OfCase(CaseState.Escalated, OverdueLevel.YellowCard, WarningColor.Red), 1),
            new(EntityType.Case, StatFacets.OfCase(CaseState.Closed, OverdueLevel.RedCard, WarningColor.Red), 40),
            new(EntityType.Case, StatFacets.OfCase(CaseState.Accepted, OverdueLevel.Unspecified, WarningColor.Unspecified), 3),
            new(EntityType.Case, StatFacets.Unclassified, 9),
        ];
        var stats = RegionStatsCalculator.Compute(
            "370602001000", "向阳街道", RegionLevel.Township, counters, new ComplianceCounts(8, 6, 2, 3, 4), At);

        Assert.Equal("370602001000", stats.RegionCode);
        Assert.Equal("向阳街道", stats.RegionName);
        Assert.Equal(RegionLevel.Township, stats.Level);
        Assert.Equal(20_000, stats.ResidentCount);
        Assert.Equal(7_000, stats.HouseholdCount);
        Assert.Equal(10, stats.GridCount);
        Assert.Equal(20, stats.GridWorkerCount);
        Assert.Equal(12, stats.FullTimeWorkerCount);
        Assert.Equal(10.0, stats.WorkersPer10KResidents);
        Assert.Equal(0.75, stats.GridCoverage);
        Assert.Equal(11, stats.OpenCaseCount);
        Assert.Equal(3, stats.OverdueCaseCount);
        Assert.Equal([WarningColor.Blue, WarningColor.Yellow, WarningColor.Orange, WarningColor.Red], stats.CasesByColor.Select(c => c.Color));
        Assert.Equal([5L, 0, 0, 3], stats.CasesByColor.Select(c => c.OpenCount));
        Assert.Equal([0L, 0, 0, 3], stats.CasesByColor.Select(c => c.OverdueCount));
        Assert.Equal(8, stats.DirectiveCompliance.ReceiptCount);
        Assert.Equal(0.75, stats.DirectiveCompliance.SignForRate);
        Assert.Equal(0.5, stats.DirectiveCompliance.CompletionRate);
        Assert.Equal(3, stats.DirectiveCompliance.OverdueCount);
        Assert.Equal(At, stats.ComputedAt.ToDateTimeOffset());
    }

    [Fact]
    public void Compute_WithoutCounters_IsAllZeroWithFourColours()
    {
        var stats = RegionStatsCalculator.Compute("370602001001003", "第三网格", RegionLevel.Grid, [], default, At);
        Assert.Equal(0, stats.ResidentCount);
        Assert.Equal(0, stats.WorkersPer10KResidents);
        Assert.Equal(0, stats.GridCoverage);
        Assert.Equal(0, stats.DirectiveCompliance.SignForRate);
        Assert.Equal(0, stats.DirectiveCompliance.CompletionRate);
        Assert.Equal(4, stats.CasesByColor.Count);
        Assert.All(stats.CasesByColor, c => Assert.Equal(0, c.OpenCount + c.OverdueCount));
    }
}

public class DirectiveComplianceCalculatorTests
{
    [Fact]
    public void Compute_JudgesOverdueAndDueAtTheGivenInstant()
    {
        const long Sign = 1_000, Complete = 5_000;
        ReceiptCounter[] counters =
        [
            new(0, Sign, Complete, 4),                                                                       // untouched
            new(ReceiptCounter.Signed | ReceiptCounter.SignedOnTime, Sign, Complete, 3),                     // signed on time
            new(ReceiptCounter.Signed, Sign, Complete, 2),                                                   // signed late
            new(ReceiptCounter.Signed | ReceiptCounter.SignedOnTime | ReceiptCounter.Completed | ReceiptCounter.CompletedOnTime, Sign, Complete, 1),
        ];

        Assert.Equal(new ComplianceCounts(10, 4, 1, 0, 1), DirectiveComplianceCalculator.Compute(counters, 500));
        Assert.Equal(new ComplianceCounts(10, 4, 1, 4, 1), DirectiveComplianceCalculator.Compute(counters, 2_000));
        Assert.Equal(new ComplianceCounts(10, 4, 1, 9, 10), DirectiveComplianceCalculator.Compute(counters, 6_000));
        Assert.Equal(default, DirectiveComplianceCalculator.Compute([], 6_000));
    }
}
