namespace GridExchange.Domain.Privacy;

/// <summary>
/// The personal-data classes a caller is granted (<c>Peer.data_classes</c>), as a value that is
/// cheap to test. S1 (open data) is always included, also in <see langword="default"/>.
/// </summary>
/// <remarks>A grant for one class implies no other (S4 without S3 still masks S3 fields).</remarks>
public readonly record struct DataClassGrants
{
    private const int OpenBit = 1 << (int)V1.DataClass.S1;

    // Bit n stands for DATA_CLASS_Sn. S1's bit is never stored but added on read, so that
    // default(DataClassGrants) is "S1 only" and equal grants are equal values.
    private readonly int _bits;

    private DataClassGrants(int bits) => _bits = bits & AllBits & ~OpenBit;

    /// <summary>Bits of every class S1–S4.</summary>
    internal const int AllBits = OpenBit | (1 << (int)V1.DataClass.S2) | (1 << (int)V1.DataClass.S3) | (1 << (int)V1.DataClass.S4);

    /// <summary>Only open data (S1): what a caller without any personal-data grant sees.</summary>
    public static DataClassGrants OpenOnly => default;

    /// <summary>Every class S1–S4: nothing is redacted.</summary>
    public static DataClassGrants All { get; } = new(AllBits);

    /// <summary>The granted classes as bits (bit n for Sn), S1 always set.</summary>
    internal int Bits => _bits | OpenBit;

    /// <summary>
    /// The grant of <paramref name="classes"/> plus S1. <c>DATA_CLASS_UNSPECIFIED</c> and values
    /// this build does not know grant nothing.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="classes"/> is null.</exception>
    public static DataClassGrants Of(IEnumerable<V1.DataClass> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var bits = 0;
        foreach (var dataClass in classes)
        {
            bits |= BitOf(dataClass);
        }

        return new DataClassGrants(bits);
    }

    /// <inheritdoc cref="Of(IEnumerable{V1.DataClass})"/>
    public static DataClassGrants Of(params ReadOnlySpan<V1.DataClass> classes)
    {
        var bits = 0;
        foreach (var dataClass in classes)
        {
            bits |= BitOf(dataClass);
        }

        return new DataClassGrants(bits);
    }

    /// <summary>Whether <paramref name="dataClass"/> is granted (S1 always is).</summary>
    public bool Contains(V1.DataClass dataClass) => (Bits & BitOf(dataClass)) != 0;

    /// <summary>The granted classes in ascending order, S1 first.</summary>
    public IReadOnlyList<V1.DataClass> ToList()
    {
        var classes = new List<V1.DataClass>(4);
        for (var n = (int)V1.DataClass.S1; n <= (int)V1.DataClass.S4; n++)
        {
            if ((Bits & (1 << n)) != 0)
            {
                classes.Add((V1.DataClass)n);
            }
        }

        return classes;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(",", ToList());

    /// <summary>The bit of S1–S4, or 0 for anything else.</summary>
    internal static int BitOf(V1.DataClass dataClass) =>
        dataClass is >= V1.DataClass.S1 and <= V1.DataClass.S4 ? 1 << (int)dataClass : 0;
}
