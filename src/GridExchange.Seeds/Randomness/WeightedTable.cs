namespace GridExchange.Seeds.Randomness;

/// <summary>A weighted choice with integer weights, so a pick never depends on floating-point rounding.</summary>
internal sealed class WeightedTable<T>
{
    private readonly T[] _items;
    private readonly int[] _cumulative;

    public WeightedTable(IEnumerable<(T Item, int Weight)> entries)
    {
        var items = new List<T>();
        var cumulative = new List<int>();
        var total = 0;
        foreach (var (item, weight) in entries)
        {
            if (weight <= 0)
            {
                continue;
            }

            total = checked(total + weight);
            items.Add(item);
            cumulative.Add(total);
        }

        if (items.Count == 0)
        {
            throw new ArgumentException("A weighted table needs at least one positive weight.", nameof(entries));
        }

        _items = [.. items];
        _cumulative = [.. cumulative];
    }

    public int Count => _items.Length;

    public T Pick(SeedRandom random)
    {
        var x = random.Next(_cumulative[^1]);
        var lo = 0;
        var hi = _cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_cumulative[mid] > x)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return _items[lo];
    }
}
