namespace GridExchange.Storage;

/// <summary>
/// Wakes readers waiting for the log to grow. A commit in this process pulses it with its
/// last sequence; a PostgreSQL LISTEN loop can pulse it for commits of other replicas. It
/// is a wake-up only: readers always read the log itself.
/// </summary>
public sealed class FeedSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSequence;
    private volatile bool _complete;

    /// <summary>
    /// True while every commit to the log, by any process, reaches this signal: on PostgreSQL
    /// while the LISTEN connection is up. Readers that wait for commits then need not re-read
    /// the log on a timer; while it is false (SQLite, or the listener reconnecting) they must.
    /// </summary>
    public bool Complete => _complete;

    /// <summary>
    /// Says whether every commit reaches this signal from now on. A change wakes every waiter
    /// once, to re-read and wait again on the new terms: commits made while it was not
    /// complete may not have been signalled, and a waiter that relied on it must now poll.
    /// </summary>
    public void SetComplete(bool complete)
    {
        if (_complete != complete)
        {
            _complete = complete;
            Pulse(0);
        }
    }

    /// <summary>The highest sequence signalled so far.</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>Announces that the log holds changes up to <paramref name="sequence"/>.</summary>
    public void Pulse(long sequence)
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            _lastSequence = Math.Max(_lastSequence, sequence);
            released = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.TrySetResult();
    }

    /// <summary>
    /// Waits until a sequence above <paramref name="after"/> is signalled, or
    /// <paramref name="timeout"/> passes, or <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <returns>True when signalled; false on timeout.</returns>
    public async Task<bool> WaitAsync(long after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task next;
        lock (_gate)
        {
            if (_lastSequence > after)
            {
                return true;
            }

            next = _next.Task;
        }

        try
        {
            await next.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
