using GridExchange.Storage.Protection;

namespace GridExchange.Tests.Storage;

/// <summary>The cipher contexts' pool: bounded, and safe to use from many threads at once.</summary>
public sealed class BoundedPoolTests
{
    [Fact]
    public void Return_BeyondTheLimit_DisposesTheExtra_AndRentGivesBackWhatWasKept()
    {
        var pool = new BoundedPool<Item>(2);
        var items = Enumerable.Range(0, 3).Select(_ => new Item()).ToList();
        items.ForEach(pool.Return);

        Assert.Equal([false, false, true], items.Select(i => i.Disposed));
        var rented = new[] { pool.TryRent(), pool.TryRent() };
        Assert.Equal(items.Take(2), rented);
        Assert.Null(pool.TryRent());
    }

    [Fact]
    public async Task ConcurrentRentAndReturn_NeverHandOutOneItemTwice_NorKeepMoreThanTheLimit()
    {
        const int Limit = 4;
        var pool = new BoundedPool<Item>(Limit);
        var created = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var item = pool.TryRent() ?? new Item(ref created);
                Assert.Equal(1, Interlocked.Increment(ref item.Holders));
                Interlocked.Decrement(ref item.Holders);
                pool.Return(item);
            }
        })));

        var kept = new List<Item>();
        while (pool.TryRent() is { } item)
        {
            kept.Add(item);
        }

        Assert.InRange(kept.Count, 1, Limit);
        Assert.All(kept, k => Assert.False(k.Disposed));
        Assert.Equal(kept.Count, kept.Distinct().Count());
        Assert.True(created >= kept.Count);
    }

    private sealed class Item : IDisposable
    {
        public int Holders;

        public Item()
        {
        }

        public Item(ref int created) => Interlocked.Increment(ref created);

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
