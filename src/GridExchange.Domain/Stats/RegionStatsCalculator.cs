using Google.Protobuf.WellKnownTypes;
using GridExchange.V1;

namespace GridExchange.Domain.Stats;

/// <summary>One counter of a region: live records of a type and facet under the region's code.</summary>
/// <param name="Type">The entity type.</param>
/// <param name="Facet">The facet (<see cref="StatFacets"/>).</param>
/// <param name="Count">How many records.</param>
public readonly record struct RegionCounter(EntityType Type, short Facet, long Count);

/// <summary>Directive receipts addressed to regions under one region, as the store counts them.</summary>
/// <param name="Receipts">Not withdrawn.</param>
/// <param name="SignedForOnTime">Signed for no later than the sign-for deadline.</param>
/// <param name="CompletedOnTime">Completed no later than the completion deadline.</param>
/// <param name="Overdue">Overdue now: not signed for past the sign-for deadline, or not completed past the completion deadline.</param>
/// <param name="CompletionDue">Completed, or past the completion deadline: the completion rate's denominator.</param>
public readonly record struct ComplianceCounts(long Receipts, long SignedForOnTime, long CompletedOnTime, long Overdue, long CompletionDue);

/// <summary>
/// Turns a region's counters into the contract's figures. Pure: the store supplies counts
/// from its maintained aggregates, this does the ratios and the per-colour breakdown.
/// </summary>
public static class RegionStatsCalculator
{
    /// <summary>The colours of <c>cases_by_color</c>, blue to red.</summary>
    public static readonly IReadOnlyList<WarningColor> Colors =
        [WarningColor.Blue, WarningColor.Yellow, WarningColor.Orange, WarningColor.Red];

    /// <summary>
    /// <paramref name="numerator"/> / <paramref name="denominator"/>, 0 when the denominator is
    /// 0 (the contract's rule for every ratio), clamped to 0–1 so that a counter caught between
    /// two ingests never shows a share above 1. Not rounded: dashboards round for display.
    /// </summary>
    public static double Share(long numerator, long denominator) =>
        denominator <= 0 ? 0 : Math.Clamp((double)numerator / denominator, 0, 1);

    /// <summary>Grid workers per 10,000 residents; 0 when there are no residents. Not rounded.</summary>
    public static double WorkersPer10kResidents(long workers, long residents) =>
        residents <= 0 ? 0 : workers * 10_000d / residents;

    /// <summary>The figures of one region (or grid) from its counters and directive receipts.</summary>
    public static RegionStats Compute(
        string code, string name, RegionLevel level, IEnumerable<RegionCounter> counters, ComplianceCounts compliance, DateTimeOffset computedAt)
    {
        ArgumentNullException.ThrowIfNull(counters);
        long residents = 0, households = 0, grids = 0, workers = 0, fullTime = 0, villages = 0, covered = 0, open = 0, overdue = 0;
        var byColor = new Dictionary<WarningColor, (long Open, long Overdue)>();
        foreach (var counter in counters)
        {
            switch (counter.Type)
            {
                case EntityType.Person:
                    residents += counter.Count;
                    break;
                case EntityType.Household:
                    households += counter.Count;
                    break;
                case EntityType.Grid:
                    grids += counter.Count;
                    break;
                case EntityType.GridWorker:
                    workers += counter.Count;
                    fullTime += counter.Facet == StatFacets.FullTimeWorker ? counter.Count : 0;
                    break;
                case EntityType.Region when counter.Facet == (short)RegionLevel.Village:
                    villages += counter.Count;
                    break;
                case EntityType.Region when counter.Facet == StatFacets.CoveredVillage:
                    covered += counter.Count;
                    break;
                case EntityType.Case when StatFacets.DecodeCase(counter.Facet) is { Open: true } c:
                    open += counter.Count;
                    overdue += c.Overdue ? counter.Count : 0;
                    var sum = byColor.GetValueOrDefault(c.Color);
                    byColor[c.Color] = (sum.Open + counter.Count, sum.Overdue + (c.Overdue ? counter.Count : 0));
                    break;
            }
        }

        var stats = new RegionStats
        {
            RegionCode = code,
            RegionName = name,
            Level = level,
            ResidentCount = residents,
            HouseholdCount = households,
            GridCount = grids,
            GridWorkerCount = workers,
            FullTimeWorkerCount = fullTime,
            WorkersPer10KResidents = WorkersPer10kResidents(workers, residents),
            GridCoverage = Share(covered, villages),
            OpenCaseCount = open,
            OverdueCaseCount = overdue,
            DirectiveCompliance = new DirectiveCompliance
            {
                ReceiptCount = compliance.Receipts,
                SignedForOnTimeCount = compliance.SignedForOnTime,
                CompletedOnTimeCount = compliance.CompletedOnTime,
                OverdueCount = compliance.Overdue,
                SignForRate = Share(compliance.SignedForOnTime, compliance.Receipts),
                CompletionRate = Share(compliance.CompletedOnTime, compliance.CompletionDue),
            },
            ComputedAt = Timestamp.FromDateTimeOffset(computedAt),
        };
        foreach (var color in Colors)
        {
            var (o, d) = byColor.GetValueOrDefault(color);
            stats.CasesByColor.Add(new WarningColorCount { Color = color, OpenCount = o, OverdueCount = d });
        }

        return stats;
    }
}

/// <summary>
/// Directive receipts of one directive addressed to regions under a code, of one facet: what the
/// store keeps per (code, directive) so that compliance never counts receipts one by one.
/// </summary>
/// <param name="Facet">Bits: 1 signed for, 2 completed, 4 signed for on time, 8 completed on time.</param>
/// <param name="SignDeadlineUs">The directive's sign-for deadline, Unix microseconds.</param>
/// <param name="CompletionDeadlineUs">The directive's completion deadline, Unix microseconds.</param>
/// <param name="Count">How many receipts (not withdrawn).</param>
public readonly record struct ReceiptCounter(short Facet, long SignDeadlineUs, long CompletionDeadlineUs, long Count)
{
    /// <summary>Facet bit: signed for.</summary>
    public const short Signed = 1;

    /// <summary>Facet bit: completed.</summary>
    public const short Completed = 2;

    /// <summary>Facet bit: signed for no later than the sign-for deadline.</summary>
    public const short SignedOnTime = 4;

    /// <summary>Facet bit: completed no later than the completion deadline.</summary>
    public const short CompletedOnTime = 8;
}

/// <summary>Directive compliance from receipt counters, judged at a given instant.</summary>
public static class DirectiveComplianceCalculator
{
    /// <summary>
    /// Sums <paramref name="counters"/> into the contract's counts at <paramref name="nowUs"/>:
    /// overdue now = not signed for past the sign-for deadline, or not completed past the
    /// completion deadline; the completion rate's denominator = completed, or past the
    /// completion deadline.
    /// </summary>
    public static ComplianceCounts Compute(IEnumerable<ReceiptCounter> counters, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(counters);
        long receipts = 0, signedOnTime = 0, completedOnTime = 0, overdue = 0, due = 0;
        foreach (var c in counters)
        {
            var signed = (c.Facet & ReceiptCounter.Signed) != 0;
            var completed = (c.Facet & ReceiptCounter.Completed) != 0;
            receipts += c.Count;
            signedOnTime += (c.Facet & ReceiptCounter.SignedOnTime) != 0 ? c.Count : 0;
            completedOnTime += (c.Facet & ReceiptCounter.CompletedOnTime) != 0 ? c.Count : 0;
            var late = (!signed && c.SignDeadlineUs < nowUs) || (!completed && c.CompletionDeadlineUs < nowUs);
            overdue += late ? c.Count : 0;
            due += completed || c.CompletionDeadlineUs < nowUs ? c.Count : 0;
        }

        return new ComplianceCounts(receipts, signedOnTime, completedOnTime, overdue, due);
    }
}
