using GridExchange.Domain.Feed;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridExchange.Tests.Hub;

public class FeedReadAheadTests
{
    private const string Epoch = "0123456789abcdef0123456789abcdef";
    private const string OtherEpoch = "fedcba9876543210fedcba9876543210";
    private static readonly FeedScope County = FeedScope.Create(["370602000000"], [EntityType.Person]);

    private readonly FakeTimeProvider _time = new();
    private readonly List<FeedQuery> _reads = [];

    private FeedReadAhead Create(int capacity = 8, Func<FeedQuery, CancellationToken, Task<FeedPage>>? read = null, CancellationToken stopping = default) =>
        new(read ?? Read, _time, capacity, FeedReadAhead.Lifetime, stopping, NullLogger.Instance);

    // A page that names the query it answers, so a test can tell which read it got.
    private Task<FeedPage> Read(FeedQuery query, CancellationToken cancellationToken)
    {
        lock (_reads)
        {
            _reads.Add(query);
        }

        return Task.FromResult(new FeedPage(new FeedHead(Epoch, 10_000, 1), [], query.After + query.Limit, false));
    }

    [Fact]
    public async Task AStartedPage_IsServedOnce_ToTheMatchingCursor()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, County, 100, 50);

        var page = await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None);
        Assert.NotNull(page);
        Assert.Equal(150, page.Next);
        // With the mark of the change at the cursor, so a restored log is still detected.
        Assert.Equal(new FeedQuery(100, County, 50, CheckAfter: true), Assert.Single(_reads));

        // Taken: the next request with the same cursor reads the store itself.
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Equal(0, readAhead.Count);
        Assert.Equal(new ReadAheadCounts(1, 1, 0, 0, 0), readAhead.Counts);
    }

    [Fact]
    public async Task ARequestForAnotherPosition_Scope_PageSize_OrEpoch_GetsNothing_AndLeavesTheEntry()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, County, 100, 50);

        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 99), County, 50, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 49, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), FeedScope.All, 50, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), FeedScope.Create(["370602000000"], []), 50, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), FeedScope.Create(["370611000000"], [EntityType.Person]), 50, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(OtherEpoch, 100), County, 50, CancellationToken.None));

        Assert.Equal(1, readAhead.Count);
        Assert.NotNull(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
    }

    [Fact]
    public async Task TheSameScopeWrittenDifferently_FindsTheEntry()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, FeedScope.Create(["370611000000", "370602000000", "370602001000"], [EntityType.House, EntityType.Person]), 7, 10);

        var same = FeedScope.Create(["370602000000", "370611000000"], [EntityType.Person, EntityType.House, EntityType.Person]);
        Assert.NotNull(await readAhead.TakeAsync(new FeedCursor(Epoch, 7), same, 10, CancellationToken.None));
    }

    [Fact]
    public async Task AnEntry_ExpiresAfterItsLifetime()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, County, 100, 50);
        readAhead.Start(Epoch, County, 200, 50);

        _time.Advance(FeedReadAhead.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 200), County, 50, CancellationToken.None));
        Assert.Equal(0, readAhead.Count);
        Assert.Equal(new ReadAheadCounts(2, 1, 1, 0, 0), readAhead.Counts);
    }

    [Fact]
    public void ExpiredEntries_AreDroppedWhenAnotherReadStarts()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, County, 100, 50);
        readAhead.Start(Epoch, County, 200, 50);
        _time.Advance(FeedReadAhead.Lifetime);

        readAhead.Start(Epoch, County, 300, 50);
        Assert.Equal(1, readAhead.Count);
        Assert.Equal(2, readAhead.Counts.Expired);
    }

    [Fact]
    public async Task AtCapacity_TheOldestEntryMakesRoom()
    {
        var readAhead = Create(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            readAhead.Start(Epoch, County, i * 100, 50);
            _time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.True(readAhead.Count <= 3);
        }

        Assert.Equal(3, readAhead.Count);
        Assert.Equal(2, readAhead.Counts.Evicted);
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 200), County, 50, CancellationToken.None));
        for (var i = 3; i <= 5; i++)
        {
            Assert.NotNull(await readAhead.TakeAsync(new FeedCursor(Epoch, i * 100), County, 50, CancellationToken.None));
        }
    }

    [Fact]
    public async Task StartingThePageAgain_DoesNotReadItTwice()
    {
        var readAhead = Create();
        readAhead.Start(Epoch, County, 100, 50);
        readAhead.Start(Epoch, County, 100, 50);
        Assert.NotNull(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Single(_reads);
    }

    [Fact]
    public async Task Disabled_ReadsNothing_AndServesNothing()
    {
        var readAhead = Create(capacity: 0);
        Assert.False(readAhead.Enabled);
        readAhead.Start(Epoch, County, 100, 50);
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Empty(_reads);
        Assert.Equal(0, readAhead.Count);
    }

    [Fact]
    public async Task AFailedRead_ServesNothing_AndThrowsNowhere()
    {
        var readAhead = Create(read: (_, _) => Task.FromException<FeedPage>(new InvalidOperationException("the database is gone")));
        readAhead.Start(Epoch, County, 100, 50);
        Assert.Null(await readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Equal(1, readAhead.Counts.Failed);

        // A read that throws synchronously, before its first await, is caught as well.
        var throwing = Create(read: (_, _) => throw new InvalidOperationException("no connection"));
        throwing.Start(Epoch, County, 100, 50);
        Assert.Null(await throwing.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None));
        Assert.Equal(1, throwing.Counts.Failed);
    }

    [Fact]
    public async Task AReadStillRunning_IsAwaited_AndTheHubStoppingCancelsIt()
    {
        using var stopping = new CancellationTokenSource();
        var release = new TaskCompletionSource<FeedPage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<FeedPage>();
        var readAhead = Create(
            read: (query, cancellation) => (query.After == 100 ? release.Task : never.Task).WaitAsync(cancellation),
            stopping: stopping.Token);

        readAhead.Start(Epoch, County, 100, 50);
        var waiting = readAhead.TakeAsync(new FeedCursor(Epoch, 100), County, 50, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        release.SetResult(new FeedPage(new FeedHead(Epoch, 500, 1), [], 150, false));
        Assert.Equal(150, (await waiting)!.Next);

        readAhead.Start(Epoch, County, 150, 50);
        var stopped = readAhead.TakeAsync(new FeedCursor(Epoch, 150), County, 50, CancellationToken.None);
        await stopping.CancelAsync();
        Assert.Null(await stopped);
        Assert.Equal(0, readAhead.Counts.Failed);

        // Once the hub is stopping, nothing new starts.
        readAhead.Start(Epoch, County, 200, 50);
        Assert.Equal(0, readAhead.Count);
    }
}
