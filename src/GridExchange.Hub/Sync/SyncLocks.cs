using Hangfire;
using Hangfire.Storage;

namespace GridExchange.Hub.Sync;

/// <summary>
/// The scheduler's distributed locks, one per peer and link (named as the link's recurring job),
/// in Hangfire's storage: PostgreSQL rows shared by every replica, or the in-memory storage of the
/// single embedded hub. Beside each lock a hash names the job holding it, for TriggerSync's
/// <c>already_running</c> answer.
/// </summary>
internal sealed class SyncLocks(JobStorage storage)
{
    private static readonly TimeSpan ProbeWait = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Takes the lock of <paramref name="name"/>, waiting at most <paramref name="wait"/>; null when
    /// another run holds it. Dispose the result to release it.
    /// </summary>
    public IDisposable? TryAcquire(string name, string runId, TimeSpan wait)
    {
        var connection = storage.GetConnection();
        try
        {
            var handle = connection.AcquireDistributedLock(LockName(name), wait);
            connection.SetRangeInHash(RunHash(name), [new KeyValuePair<string, string>("job", runId)]);
            return new Held(connection, handle, name);
        }
        catch (DistributedLockTimeoutException)
        {
            connection.Dispose();
            return null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Whether a run holds the lock of <paramref name="name"/> now, and its job id ("" when unknown).</summary>
    public (bool Running, string RunId) Probe(string name)
    {
        using var held = TryAcquireQuietly(name);
        if (held is not null)
        {
            return (false, "");
        }

        using var connection = storage.GetConnection();
        var entries = connection.GetAllEntriesFromHash(RunHash(name));
        return (true, entries is not null && entries.TryGetValue("job", out var job) ? job : "");
    }

    private IDisposable? TryAcquireQuietly(string name)
    {
        var connection = storage.GetConnection();
        try
        {
            return new Probed(connection, connection.AcquireDistributedLock(LockName(name), ProbeWait));
        }
        catch (DistributedLockTimeoutException)
        {
            connection.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Notes that this replica keeps <paramref name="name"/> live (live mode) as of now; the note
    /// counts for <paramref name="validFor"/>, so a replica that died stops counting by itself.
    /// </summary>
    public void MarkLive(string name, string replica, TimeSpan validFor)
    {
        using var connection = storage.GetConnection();
        var until = DateTimeOffset.UtcNow.Add(validFor).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        connection.SetRangeInHash(LiveHash(name), [new KeyValuePair<string, string>("replica", replica), new KeyValuePair<string, string>("until", until)]);
    }

    /// <summary>Withdraws this replica's live note of <paramref name="name"/> (its live link closed).</summary>
    public void ClearLive(string name)
    {
        using var connection = storage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveHash(LiveHash(name));
        transaction.Commit();
    }

    /// <summary>Whether some replica keeps <paramref name="name"/> live now.</summary>
    public bool IsLive(string name)
    {
        using var connection = storage.GetConnection();
        var entries = connection.GetAllEntriesFromHash(LiveHash(name));
        return entries is not null && entries.TryGetValue("until", out var until)
            && long.TryParse(until, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    private static string LockName(string name) => "gridexchange:" + name;

    private static string LiveHash(string name) => "gridexchange:live:" + name;

    private static string RunHash(string name) => "gridexchange:run:" + name;

    private sealed class Held(IStorageConnection connection, IDisposable handle, string name) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var transaction = connection.CreateWriteTransaction();
                transaction.RemoveHash(RunHash(name));
                transaction.Commit();
            }
            finally
            {
                handle.Dispose();
                connection.Dispose();
            }
        }
    }

    private sealed class Probed(IStorageConnection connection, IDisposable handle) : IDisposable
    {
        public void Dispose()
        {
            handle.Dispose();
            connection.Dispose();
        }
    }
}
