namespace GridExchange.PeerSimulator.Services;

/// <summary>
/// Counts the calls of one kind being served at once, and the most ever seen together: tests read
/// it to prove that the hub never runs one link twice at the same time (across replicas too).
/// </summary>
public sealed class CallGauge
{
    private int _current;
    private int _max;
    private long _total;

    /// <summary>Calls being served now.</summary>
    public int Current => Volatile.Read(ref _current);

    /// <summary>The most calls served at the same time so far.</summary>
    public int Max => Volatile.Read(ref _max);

    /// <summary>Calls started so far.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts a call in; dispose the result when it ends.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _total);
        var now = Interlocked.Increment(ref _current);
        var seen = Volatile.Read(ref _max);
        while (now > seen)
        {
            var previous = Interlocked.CompareExchange(ref _max, now, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        return new Exit(this);
    }

    private sealed class Exit(CallGauge gauge) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref gauge._current);
            }
        }
    }
}
