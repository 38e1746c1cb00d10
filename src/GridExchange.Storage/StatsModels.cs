using GridExchange.Domain.Stats;

namespace GridExchange.Storage;

/// <summary>What the store keeps for the figures of one region or grid.</summary>
/// <param name="Counters">Its non-zero counters (region_stats rows under its code).</param>
/// <param name="Compliance">Directive receipts addressed to regions under it.</param>
public sealed record RegionFigures(IReadOnlyList<RegionCounter> Counters, ComplianceCounts Compliance);
