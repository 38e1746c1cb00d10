using System.Numerics;

namespace GridExchange.Seeds.Randomness;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. The generator's own PRNG, so
/// that the same seed gives the same province on every runtime: <see cref="System.Random"/>'s
/// algorithm is an implementation detail that .NET has changed before.
/// </summary>
/// <remarks>
/// Only integer arithmetic and exactly rounded IEEE operations are used here and by callers
/// (no <c>Math.Log</c>/<c>Math.Sin</c>, whose last bit may differ between C runtimes), so every
/// draw is reproducible bit for bit.
/// </remarks>
internal sealed class SeedRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public SeedRandom(ulong seed)
    {
        var state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>
    /// An independent stream for a scope (e.g. seed, county code, stream id): the keys are folded
    /// in order through the SplitMix64 finaliser, so (42, 370602, 1) and (42, 370602, 2) share nothing.
    /// </summary>
    public static SeedRandom Derive(ulong seed, params ReadOnlySpan<ulong> keys)
    {
        var h = Mix(seed ^ Golden);
        foreach (var key in keys)
        {
            h = Mix(h ^ Mix(key + Golden));
        }

        return new SeedRandom(h);
    }

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>), without modulo bias (Lemire's method).</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        var range = (ulong)maxExclusive;
        var high = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0UL - range) % range;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), range, out low);
            }
        }

        return (int)high;
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>], both inclusive.</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    /// <summary>
    /// A bell-shaped integer in [<paramref name="min"/>, <paramref name="max"/>]: the mean of three
    /// uniform draws (Irwin–Hall), a cheap stand-in for a clipped normal.
    /// </summary>
    public int Bell(int min, int max)
    {
        var span = max - min;
        var sum = Next(span + 1) + Next(span + 1) + Next(span + 1);
        return min + ((sum + 1) / 3);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public T Pick<T>(ReadOnlySpan<T> items) => items[Next(items.Length)];

    /// <summary>A child stream, for work whose draws must not shift the parent's sequence.</summary>
    public SeedRandom Fork(ulong key) => Derive(NextUInt64(), key);

    private static ulong SplitMix64(ref ulong state)
    {
        state += Golden;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
