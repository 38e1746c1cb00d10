using System.Globalization;
using GridExchange.Domain.Feed;
using GridExchange.Storage;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Services;

/// <summary>
/// Read-ahead for paged <c>PullChanges</c>: after a page that was not caught up, the store reads
/// the page the client will ask for next (same scope and page size, after the cursor just
/// served) in the background, so that database read overlaps the client's parse of this page
/// and its next request. The request that arrives with that cursor takes the page instead of
/// reading it again; any other request reads the store as usual.
/// </summary>
/// <remarks>
/// <para>
/// Serving a page read a moment before the request is correct: the log is append-only in
/// sequence order and ingest commits in sequence order, so the page is a consistent read of
/// the changes after the cursor as of the read — exactly what the client would have received
/// had it asked at that moment. Its <c>next_cursor</c> is the last change served (or, when
/// caught up, the head as of the read), so anything committed since is read by the following
/// request: nothing is skipped. Cursor validation, <c>RESYNC_REQUIRED</c> (against the head of
/// the read that produced the page, as for any read), the 4 MiB cut and scope projection are
/// applied to a prefetched page exactly as to a page read on request.
/// </para>
/// <para>
/// Bounds: at most <see cref="HubOptions.FeedReadAheadPages"/> entries (the oldest is dropped
/// to make room), each usable for <see cref="Lifetime"/> after its read started and taken
/// (removed) by the one request that uses it. A read-ahead never fails a request: a read that
/// throws is logged at debug level and the request reads the store itself. Background reads run
/// under the hub's stopping token.
/// </para>
/// </remarks>
internal sealed partial class FeedReadAhead
{
    /// <summary>How long a read-ahead page may be served after its read started.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    private readonly Func<FeedQuery, CancellationToken, Task<FeedPage>> _read;
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _lifetime;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, Entry> _entries = [];
    private long _started;
    private long _used;
    private long _expired;
    private long _evicted;
    private long _failed;

    /// <summary>The hub's read-ahead: reads <paramref name="store"/>, sized by <see cref="HubOptions.FeedReadAheadPages"/>.</summary>
    public FeedReadAhead(IHubStore store, TimeProvider time, IOptions<HubOptions> options, IHostApplicationLifetime lifetime, ILogger<FeedReadAhead> logger)
        : this(
            (query, cancellation) => store.ReadFeedAsync(query, cancellation),
            time,
            options.Value.FeedReadAheadPages,
            Lifetime,
            lifetime.ApplicationStopping,
            logger)
    {
    }

    /// <summary>A read-ahead over any page source (for tests).</summary>
    /// <param name="read">Reads a page of the log.</param>
    /// <param name="time">The clock entries expire by.</param>
    /// <param name="capacity">Most entries held; 0 or less disables read-ahead.</param>
    /// <param name="lifetime">How long an entry may be served after its read started.</param>
    /// <param name="stopping">Cancels background reads (the hub's stopping token).</param>
    /// <param name="logger">Where failed reads are noted.</param>
    internal FeedReadAhead(
        Func<FeedQuery, CancellationToken, Task<FeedPage>> read, TimeProvider time, int capacity, TimeSpan lifetime, CancellationToken stopping, ILogger logger)
    {
        _read = read;
        _time = time;
        _capacity = Math.Max(0, capacity);
        _lifetime = lifetime;
        _stopping = stopping;
        _logger = logger;
    }

    /// <summary>Whether read-ahead is on (<see cref="HubOptions.FeedReadAheadPages"/> above 0).</summary>
    public bool Enabled => _capacity > 0;

    /// <summary>Entries held now (read or being read), expired ones not yet dropped included.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>What the read-ahead has done so far (for tests and diagnostics).</summary>
    public ReadAheadCounts Counts
    {
        get
        {
            lock (_gate)
            {
                return new ReadAheadCounts(_started, _used, _expired, _evicted, Interlocked.Read(ref _failed));
            }
        }
    }

    /// <summary>Completes when every read held now has finished (for tests: a read-ahead that is done, not racing a commit).</summary>
    internal Task IdleAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_entries.Values.Select(e => e.Page));
        }
    }

    /// <summary>
    /// Starts reading, in the background, the page after <paramref name="after"/> of
    /// <paramref name="scope"/> with <paramref name="limit"/> changes, for a request of the
    /// log of <paramref name="epoch"/> that will arrive with that cursor. Does nothing when
    /// read-ahead is off or that page is already being read.
    /// </summary>
    public void Start(string epoch, FeedScope scope, long after, int limit)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!Enabled || _stopping.IsCancellationRequested)
        {
            return;
        }

        var key = new Key(epoch, ScopeKey(scope), after, limit);
        var query = new FeedQuery(after, scope, limit, CheckAfter: true);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            DropExpired(now);
            if (_entries.ContainsKey(key))
            {
                return;
            }

            if (_entries.Count >= _capacity)
            {
                // Full of live entries: the oldest is the least likely to be asked for still.
                var oldest = _entries.MinBy(e => e.Value.Started).Key;
                _entries.Remove(oldest);
                _evicted++;
            }

            // Task.Run: the request that triggered the read-ahead answers at once instead of
            // running the read's synchronous start (opening a connection) itself.
            _entries.Add(key, new Entry(now, Task.Run(() => ReadQuietlyAsync(query), CancellationToken.None)));
            _started++;
        }
    }

    /// <summary>
    /// Takes the read-ahead page for a request after <paramref name="cursor"/> of
    /// <paramref name="scope"/> with <paramref name="limit"/> changes, waiting for its read if
    /// it is still running; null when there is none, it has expired or its read failed (the
    /// caller then reads the store). An entry is served once: taking it removes it.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async Task<FeedPage?> TakeAsync(FeedCursor cursor, FeedScope scope, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!Enabled)
        {
            return null;
        }

        var key = new Key(cursor.Epoch, ScopeKey(scope), cursor.Sequence, limit);
        Task<FeedPage?> page;
        lock (_gate)
        {
            if (!_entries.Remove(key, out var entry))
            {
                return null;
            }

            if (IsExpired(entry, _time.GetTimestamp()))
            {
                _expired++;
                return null;
            }

            _used++;
            page = entry.Page;
        }

        return await page.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The scope in a canonical text: <see cref="FeedScope.Prefixes"/> are already minimal and
    /// sorted; the types are sorted here. Two requests whose scopes read the same changes get
    /// the same key however they listed them.
    /// </summary>
    internal static string ScopeKey(FeedScope scope) =>
        string.Join(',', scope.Prefixes) + "|"
        + string.Join(',', scope.Types.Select(t => (int)t).Order().Select(t => t.ToString(CultureInfo.InvariantCulture)));

    private async Task<FeedPage?> ReadQuietlyAsync(FeedQuery query)
    {
        try
        {
            return await _read(query, _stopping);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            // Never unobserved, never fatal: the request for this page reads the store itself
            // and meets (and reports) whatever is wrong with it.
            Interlocked.Increment(ref _failed);
            LogReadFailed(query.After, query.Limit, e);
            return null;
        }
    }

    private void DropExpired(long now)
    {
        List<Key>? expired = null;
        foreach (var (key, entry) in _entries)
        {
            if (IsExpired(entry, now))
            {
                (expired ??= []).Add(key);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var key in expired)
        {
            _entries.Remove(key);
        }

        _expired += expired.Count;
    }

    private bool IsExpired(Entry entry, long now) => _time.GetElapsedTime(entry.Started, now) >= _lifetime;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Feed read-ahead after {After} ({Limit} changes) failed; the request will read the store")]
    private partial void LogReadFailed(long after, int limit, Exception exception);

    private readonly record struct Key(string Epoch, string Scope, long After, int Limit);

    private sealed record Entry(long Started, Task<FeedPage?> Page);
}

/// <summary>What a <see cref="FeedReadAhead"/> has done since the hub started.</summary>
/// <param name="Started">Background reads started.</param>
/// <param name="Used">Entries taken by a request within their lifetime.</param>
/// <param name="Expired">Entries dropped, or found on taking, past their lifetime.</param>
/// <param name="Evicted">Entries dropped to make room for a newer one.</param>
/// <param name="Failed">Background reads that threw (not counting those cancelled by the hub stopping).</param>
internal readonly record struct ReadAheadCounts(long Started, long Used, long Expired, long Evicted, long Failed);
