using System.Diagnostics;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.Reporting;
using GridExchange.V1;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Figure 5: GetRegionStats over gRPC at province, city and county level, one call at a time,
/// after a few warm-up calls: median and p99 (nearest rank) of the timed calls. The hub keeps
/// the counts up to date as records change (statement triggers), so the cost should not depend
/// on how many records lie under the region.
/// </summary>
internal static class RegionStatsLatency
{
    private const string Area = "Scale: GetRegionStats";
    private const int WarmUp = 5;

    public static async Task RunAsync(BenchHub hub, IReadOnlyList<(string Level, string Code)> regions, int calls, Report report, CancellationToken cancellationToken)
    {
        var client = new StatsService.StatsServiceClient(hub.Consumer);
        foreach (var (level, code) in regions)
        {
            var milliseconds = new List<double>(calls);
            for (var i = 0; i < WarmUp + calls; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await client.GetRegionStatsAsync(new GetRegionStatsRequest { RegionCode = code },
                    deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
                if (i >= WarmUp)
                {
                    milliseconds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            milliseconds.Sort();
            var median = milliseconds[milliseconds.Count / 2];
            var p99 = milliseconds[(int)Math.Ceiling(0.99 * milliseconds.Count) - 1];
            Console.WriteLine(Report.Format($"  {level} {code}: {calls} calls, median {median:0.0} ms, p99 {p99:0.0} ms, max {milliseconds[^1]:0.0} ms"));
            report.AddLimit(Area, $"{level} {code}: p99", p99, "ms", 50);
            report.AddLimit(Area, $"{level} {code}: median", median, "ms", 50);
        }
    }
}
