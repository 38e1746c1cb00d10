using System.Diagnostics;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Samples this process's working set and GC heap every 100 ms while it runs and keeps the
/// peaks. The hub runs in this process (<see cref="Infrastructure.BenchHub"/>), so the figures
/// are the hub's plus the benchmark client's.
/// </summary>
#pragma warning disable CA1001 // the token source has no unmanaged state; DisposeAsync cancels it
internal sealed class MemorySampler : IAsyncDisposable
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public MemorySampler()
    {
        _sampling = Task.Run(SampleAsync);
    }

    /// <summary>Peak working set (resident memory) in bytes.</summary>
    public long PeakWorkingSet { get; private set; }

    /// <summary>Peak GC heap size in bytes.</summary>
    public long PeakGcHeap { get; private set; }

    private async Task SampleAsync()
    {
        using var process = Process.GetCurrentProcess();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            process.Refresh();
            PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
            PeakGcHeap = Math.Max(PeakGcHeap, GC.GetTotalMemory(false));
        }
        while (await SafeWaitAsync(timer));
    }

    private async Task<bool> SafeWaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops sampling; the peaks stay readable. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _sampling;
    }
}
