using System.Collections.Frozen;
using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// A 12-digit statistical division code (统计用区划代码): province 2 + city 2 + county 2 +
/// township 3 + village 3 digits, the trailing segments zero above village level
/// (<c>370000000000</c> province, <c>370600000000</c> city, <c>370602000000</c> county,
/// <c>370602001000</c> township, <c>370602001001</c> village).
/// </summary>
/// <remarks>
/// <para>
/// The level is the last non-zero segment, and every segment before it must be non-zero —
/// with one exception: a zero county segment under a township is allowed, because
/// prefecture-level cities without counties (东莞 4419, 中山 4420, 嘉峪关 6202, 儋州 4604) number
/// their townships directly, e.g. <c>441900003000</c>. Such a township's <see cref="Parent"/>
/// is the city.
/// </para>
/// <para>
/// <c>default(RegionCode)</c> is not a code: its <see cref="Value"/> is empty, and
/// <see cref="Contains"/> and <see cref="IsAncestorOf"/> return <see langword="false"/> for it, so
/// an uninitialised jurisdiction grants nothing.
/// </para>
/// </remarks>
public readonly record struct RegionCode
{
    /// <summary>The number of digits in a region code.</summary>
    public const int Length = 12;

    // GB/T 2260 provincial codes; unchanged since Chongqing (50) was added in 1997.
    private static readonly FrozenSet<int> Provinces = FrozenSet.ToFrozenSet(
    [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
    ]);

    private readonly string? _value;

    private RegionCode(string value, DivisionLevel level)
    {
        _value = value;
        Level = level;
    }

    /// <summary>The 12 digits.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The level, read from the trailing zero segments.</summary>
    public DivisionLevel Level { get; }

    /// <summary>
    /// The significant leading digits (2, 4, 6, 9 or 12 of them); every region, grid and
    /// grid-worker code under this region starts with it.
    /// </summary>
    public string Prefix => _value is null ? string.Empty : _value[..Level.PrefixLength()];

    // Contains and IsAncestorOf run per record in jurisdiction checks; a span avoids allocating Prefix.
    private ReadOnlySpan<char> PrefixSpan => _value is null ? default : _value.AsSpan(0, Level.PrefixLength());

    /// <summary>
    /// The region directly above, or <see langword="null"/> for a province. A township of a
    /// city without counties has the city as its parent.
    /// </summary>
    public RegionCode? Parent
    {
        get
        {
            if (_value is null || Level == DivisionLevel.Province)
            {
                return null;
            }

            var parentLevel = Level - 1;
            var padded = string.Concat(_value.AsSpan(0, parentLevel.PrefixLength()), new string('0', Length - parentLevel.PrefixLength()));
            return Parse(padded);
        }
    }

    /// <summary>Parses a 12-digit region code.</summary>
    /// <param name="value">The value; not trimmed.</param>
    /// <param name="code">The code; <see langword="default"/> when invalid.</param>
    /// <returns>
    /// Whether <paramref name="value"/> is exactly 12 ASCII digits with a GB/T 2260 province
    /// (11–82, the 34 provincial units) and no zero segment before its last non-zero one (see remarks).
    /// </returns>
    public static bool TryParse(string? value, out RegionCode code)
    {
        code = default;
        if (!Ascii.IsDigits(value, Length) || !Provinces.Contains(Ascii.ParseDigits(value.AsSpan(0, 2))))
        {
            return false;
        }

        var city = !Ascii.IsAllZeros(value.AsSpan(2, 2));
        var county = !Ascii.IsAllZeros(value.AsSpan(4, 2));
        var township = !Ascii.IsAllZeros(value.AsSpan(6, 3));
        var village = !Ascii.IsAllZeros(value.AsSpan(9, 3));

        DivisionLevel level;
        if (village)
        {
            if (!township || !city)
            {
                return false;
            }

            level = DivisionLevel.Village;
        }
        else if (township)
        {
            if (!city)
            {
                return false;
            }

            level = DivisionLevel.Township;
        }
        else if (county)
        {
            if (!city)
            {
                return false;
            }

            level = DivisionLevel.County;
        }
        else
        {
            level = city ? DivisionLevel.City : DivisionLevel.Province;
        }

        code = new RegionCode(value, level);
        return true;
    }

    /// <summary>Parses a 12-digit region code.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is not a valid region code.</exception>
    public static RegionCode Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var code)
            ? code
            : throw new FormatException($"'{value}' is not a valid 12-digit region code.");
    }

    /// <summary>
    /// Parses a 6-digit GB/T 2260 code (as in the person fields 籍贯, 户籍地, 现住地) as the
    /// province, city or county region code it names.
    /// </summary>
    public static bool TryParseSixDigit(string? value, out RegionCode code)
    {
        code = default;
        return Ascii.IsDigits(value, 6) && TryParse(value + "000000", out code);
    }

    /// <summary>Validates a 12-digit region code.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, <see cref="ErrorReasons.RequiredField"/> when null or blank,
    /// otherwise <see cref="ErrorReasons.InvalidCode"/> when <see cref="TryParse"/> fails.
    /// </returns>
    public static CodeCheck Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The region code is required.");
        }

        return TryParse(value, out _)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidCode, $"'{value}' is not a valid 12-digit region code.");
    }

    /// <summary>Whether <paramref name="other"/> lies strictly below this region.</summary>
    public bool IsAncestorOf(RegionCode other) =>
        _value is not null
        && other._value is not null
        && other.Level > Level
        && other._value.AsSpan().StartsWith(PrefixSpan);

    /// <summary>
    /// Whether a 12-digit region, 15-digit grid or 17-digit grid-worker code lies under this
    /// region, or is this region itself — a prefix test, the same one storage runs as a range
    /// scan (see <see cref="PrefixUpperBound"/>).
    /// </summary>
    /// <param name="anyCode">The code; only its shape (12, 15 or 17 ASCII digits) is checked, not its validity.</param>
    public bool Contains(string? anyCode) =>
        _value is not null
        && anyCode is not null
        && anyCode.Length is Length or GridCode.Length or GridWorkerNumber.Length
        && Ascii.IsDigits(anyCode.AsSpan())
        && anyCode.AsSpan().StartsWith(PrefixSpan);

    /// <summary>
    /// The exclusive upper bound of the strings that start with <paramref name="prefix"/>, so that
    /// <c>code &gt;= prefix AND code &lt; upper</c> selects exactly the codes under it.
    /// </summary>
    /// <remarks>
    /// For a digit prefix the result is the smallest <em>digit</em> string greater than every
    /// digit string starting with it, found by decimal carry: <c>3706</c> → <c>3707</c>,
    /// <c>3709</c> → <c>371</c>, <c>370699</c> → <c>3707</c>. Staying within digits keeps the
    /// bound correct under any database collation (a linguistic collation may ignore the
    /// punctuation that a naive "increment the last character" produces: <c>9</c> → <c>:</c>).
    /// A prefix that is not all digits, or is all nines, gets the ordinal bound: the last
    /// character incremented, which is only correct under ordinal ("C") comparison.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is null, empty or has no upper bound (only U+FFFF characters).</exception>
    public static string PrefixUpperBound(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);

        if (Ascii.IsDigits(prefix.AsSpan()))
        {
            var end = prefix.AsSpan().TrimEnd('9').Length;
            if (end > 0)
            {
                return string.Concat(prefix.AsSpan(0, end - 1), new string((char)(prefix[end - 1] + 1), 1));
            }
        }

        var keep = prefix.AsSpan().TrimEnd(char.MaxValue).Length;
        if (keep == 0)
        {
            throw new ArgumentException("A prefix of only U+FFFF characters has no upper bound.", nameof(prefix));
        }

        return string.Concat(prefix.AsSpan(0, keep - 1), new string((char)(prefix[keep - 1] + 1), 1));
    }

    /// <summary>The 12 digits.</summary>
    public override string ToString() => Value;
}
