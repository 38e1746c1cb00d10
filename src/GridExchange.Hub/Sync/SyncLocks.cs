using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace GridExchange.Hub.Sync;

/// <summary>
/// The scheduler's distributed locks, one per peer and link (named as the link's recurring job).
/// On PostgreSQL: a session-level advisory lock (<c>pg_try_advisory_lock</c>) on a connection held
/// for the run, shared by every replica on the database and released by the server the moment the
/// holding process's connection goes — so a replica killed mid-run (SIGKILL, a lost machine) does
/// not leave the link locked. Hangfire.PostgreSql's own distributed lock is a row that outlives its
/// process until its 10-minute expiry, which kept a killed replica's link from running again on
/// any replica for that long. On the embedded store: Hangfire's in-memory storage (one process).
/// Beside each lock a hash in Hangfire's storage names the job holding it, for TriggerSync's
/// <c>already_running</c> answer.
/// </summary>
internal sealed class SyncLocks(JobStorage storage, IOptions<HubOptions> options)
{
    private static readonly TimeSpan ProbeWait = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan AdvisoryPoll = TimeSpan.FromMilliseconds(50);

    private readonly string? _postgres = string.IsNullOrWhiteSpace(options.Value.PostgreSql) ? null : options.Value.PostgreSql;

    /// <summary>
    /// Takes the lock of <paramref name="name"/>, waiting at most <paramref name="wait"/>; null when
    /// another run holds it. Dispose the result to release it.
    /// </summary>
    public IDisposable? TryAcquire(string name, string runId, TimeSpan wait)
    {
        var handle = TryLock(name, wait);
        if (handle is null)
        {
            return null;
        }

        try
        {
            var connection = storage.GetConnection();
            try
            {
                connection.SetRangeInHash(RunHash(name), [new KeyValuePair<string, string>("job", runId)]);
                return new Held(connection, handle, name);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether a run holds the lock of <paramref name="name"/> now, and its job id ("" when unknown).</summary>
    public (bool Running, string RunId) Probe(string name)
    {
        using (var held = TryLock(name, ProbeWait))
        {
            if (held is not null)
            {
                return (false, "");
            }
        }

        using var connection = storage.GetConnection();
        var entries = connection.GetAllEntriesFromHash(RunHash(name));
        return (true, entries is not null && entries.TryGetValue("job", out var job) ? job : "");
    }

    // The bare lock, without the run hash; null when another run holds it.
    private IDisposable? TryLock(string name, TimeSpan wait) => _postgres is null ? TryLockInStorage(name, wait) : TryLockAdvisory(_postgres, name, wait);

    private IDisposable? TryLockInStorage(string name, TimeSpan wait)
    {
        var connection = storage.GetConnection();
        try
        {
            return new StorageLock(connection, connection.AcquireDistributedLock(LockName(name), wait));
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

    private static AdvisoryLock? TryLockAdvisory(string connectionString, string name, TimeSpan wait)
    {
        var key = AdvisoryKey(name);
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
            var until = DateTime.UtcNow + wait;
            while (true)
            {
                using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
                {
                    command.Parameters.AddWithValue("key", key);
                    if (command.ExecuteScalar() is true)
                    {
                        return new AdvisoryLock(connection, key);
                    }
                }

                if (DateTime.UtcNow + AdvisoryPoll > until)
                {
                    connection.Dispose();
                    return null;
                }

                Thread.Sleep(AdvisoryPoll);
            }
        }
        catch
        {
            connection.Dispose();
            throw;
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

    /// <summary>The advisory lock's 64-bit key: the first 8 bytes of the SHA-256 of the lock's name.</summary>
    private static long AdvisoryKey(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(LockName(name))));

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

    private sealed class StorageLock(IStorageConnection connection, IDisposable handle) : IDisposable
    {
        public void Dispose()
        {
            handle.Dispose();
            connection.Dispose();
        }
    }

    // Unlocked explicitly before the connection goes back to the pool; a connection that broke
    // lost the lock with its session anyway.
    private sealed class AdvisoryLock(NpgsqlConnection connection, long key) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                command.Parameters.AddWithValue("key", key);
                command.ExecuteScalar();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone, and its lock with it.
            }
            finally
            {
                connection.Dispose();
            }
        }
    }
}
