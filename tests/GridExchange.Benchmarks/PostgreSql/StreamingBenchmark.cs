using System.Diagnostics;
using Grpc.Core;
using GridExchange.Benchmarks.Infrastructure;
using GridExchange.Benchmarks.Reporting;
using GridExchange.Benchmarks.Workload;
using GridExchange.Domain.Feed;
using GridExchange.V1;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// Figure 3: commit-to-subscriber latency. One SubscribeChanges client tails a county over
/// gRPC while a writer submits small batches through SubmitChanges over gRPC at about 1,000
/// changes/s. Latency is the receive time minus the change's <c>committed_at</c>, both read
/// from this machine's clock. <c>committed_at</c> is stamped when the store's write transaction
/// starts, so the figure includes the rest of that transaction as well as the commit, the
/// wake-up, the read and the wire.
/// </summary>
internal static class StreamingBenchmark
{
    private const string Area = "PostgreSQL streaming";
    private const int ChangesPerBatch = 20;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static async Task RunAsync(BenchHub hub, BenchmarkOptions options, Report report, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var county = PersonWorkload.Counties[0];
        // The county submits as itself and follows its own county (roles SOURCE and CONSUMER).
        var calls = await hub.RegisterAsync(new Peer
        {
            Id = PersonWorkload.SourceOf(county),
            Name = "benchmark county system",
            Level = RegionLevel.County,
            RegionCode = PersonWorkload.RegionOf(county),
            Roles = { PeerRole.Source, PeerRole.Consumer },
            DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4 },
            Enabled = true,
        }, cancellationToken);

        var client = new ExchangeService.ExchangeServiceClient(calls);
        var workload = new PersonWorkload(seed: 3, changePrefix: "stream");
        var head = await hub.Store.GetFeedHeadAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var subscription = client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = new FeedCursor(head.Epoch, head.LastSequence).Encode(),
            Scope = new ChangeScope { RegionPrefixes = { PersonWorkload.RegionOf(county) } },
        }, cancellationToken: stop.Token);

        var received = new List<(long Sequence, double Milliseconds)>();
        var gate = new Lock();
        var receiver = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in subscription.ResponseStream.ReadAllAsync(stop.Token))
                {
                    if (item.Change is { } change)
                    {
                        var latency = clock.GetUtcNow() - change.CommittedAt.ToDateTimeOffset();
                        lock (gate)
                        {
                            received.Add((change.Sequence, latency.TotalMilliseconds));
                        }
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        var number = 0;
        async Task<long> SubmitAsync()
        {
            var batch = Batches.Prepare(workload, county, $"stream-{number++:D6}", ChangesPerBatch);
            var response = await client.SubmitChangesAsync(batch.Request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            if (response.AppliedCount != ChangesPerBatch)
            {
                throw new InvalidOperationException($"SubmitChanges applied {response.AppliedCount} of {ChangesPerBatch}: {response.Results.FirstOrDefault(r => r.Status != ChangeResultStatus.Applied)}");
            }

            return response.Results.Max(r => r.Sequence);
        }

        // Warm-up: one batch through the whole path; its changes are not counted.
        var warmUpLast = await SubmitAsync();
        await WaitForAsync(() => { lock (gate) { return received.Count >= ChangesPerBatch; } }, TimeSpan.FromSeconds(10), cancellationToken);

        var started = Stopwatch.GetTimestamp();
        var sent = 0;
        using (var timer = new PeriodicTimer(Interval))
        {
            while (Stopwatch.GetElapsedTime(started) < options.StreamingDuration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                await SubmitAsync();
                sent += ChangesPerBatch;
            }
        }

        var writing = Stopwatch.GetElapsedTime(started);
        var drained = await WaitForAsync(() => { lock (gate) { return received.Count(r => r.Sequence > warmUpLast) >= sent; } },
            TimeSpan.FromSeconds(15), cancellationToken);
        await stop.CancelAsync();
        await receiver;

        List<double> latencies;
        lock (gate)
        {
            latencies = [.. received.Where(r => r.Sequence > warmUpLast).Select(r => r.Milliseconds).Order()];
        }

        if (!drained || latencies.Count != sent)
        {
            report.Note($"Streaming: {sent:N0} changes submitted, {latencies.Count:N0} received.");
        }

        Console.WriteLine(Report.Format($"  {sent:N0} changes in {sent / ChangesPerBatch} SubmitChanges calls of {ChangesPerBatch} over {writing.TotalSeconds:0.0} s = {sent / writing.TotalSeconds:N0} changes/s"));
        if (latencies.Count == 0)
        {
            report.Note("Streaming: no change arrived; no latency figures.");
            return;
        }

        report.AddInfo(Area, "changes received / write rate", Report.Format($"{latencies.Count:N0} / {sent / writing.TotalSeconds:N0} changes/s"));
        report.AddInfo(Area, "commit→subscriber latency p50", Report.Format($"{Percentile(latencies, 0.50):0.0} ms"));
        report.AddLimit(Area, "commit→subscriber latency p99", Percentile(latencies, 0.99), "ms", 500);
        report.AddInfo(Area, "commit→subscriber latency max", Report.Format($"{latencies[^1]:0.0} ms"));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken);
        }

        return true;
    }
}
