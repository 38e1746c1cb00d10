using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// A 15-digit grid code: the 12-digit village code followed by a 3-digit serial, 001–899 for
/// basic grids and 900–999 for dedicated grids (enterprise, school, market). Serials are
/// numbered west→east, north→south and never reused.
/// </summary>
/// <remarks><c>default(GridCode)</c> is not a code; its <see cref="Value"/> is empty.</remarks>
public readonly record struct GridCode
{
    /// <summary>The number of digits in a grid code.</summary>
    public const int Length = 15;

    /// <summary>The first serial of the dedicated-grid range.</summary>
    public const int FirstDedicatedSerial = 900;

    private readonly string? _value;

    private GridCode(string value, RegionCode village, int serial)
    {
        _value = value;
        Village = village;
        Serial = serial;
    }

    /// <summary>The 15 digits.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The village or community the grid belongs to (its first 12 digits).</summary>
    public RegionCode Village { get; }

    /// <summary>The serial within the village, 1–999.</summary>
    public int Serial { get; }

    /// <summary>Whether this is a dedicated grid (serial 900–999) rather than a basic grid.</summary>
    public bool IsDedicated => Serial >= FirstDedicatedSerial;

    /// <summary>Builds the code of grid <paramref name="serial"/> in <paramref name="village"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="village"/> is not a village-level code.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="serial"/> is not 1–999.</exception>
    public static GridCode Create(RegionCode village, int serial)
    {
        if (village.Level != DivisionLevel.Village)
        {
            throw new ArgumentException("A grid belongs to a village-level region.", nameof(village));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(serial, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serial, 999);
        return new GridCode(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{village.Value}{serial:D3}"), village, serial);
    }

    /// <summary>Parses a 15-digit grid code.</summary>
    /// <returns>
    /// Whether <paramref name="value"/> is 15 ASCII digits whose first 12 are a valid
    /// village-level <see cref="RegionCode"/> and whose serial is not 000.
    /// </returns>
    public static bool TryParse(string? value, out GridCode code)
    {
        code = default;
        if (!Ascii.IsDigits(value, Length)
            || !RegionCode.TryParse(value[..RegionCode.Length], out var village)
            || village.Level != DivisionLevel.Village)
        {
            return false;
        }

        var serial = Ascii.ParseDigits(value.AsSpan(RegionCode.Length));
        if (serial == 0)
        {
            return false;
        }

        code = new GridCode(value, village, serial);
        return true;
    }

    /// <summary>Parses a 15-digit grid code.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is not a valid grid code.</exception>
    public static GridCode Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var code)
            ? code
            : throw new FormatException($"'{value}' is not a valid 15-digit grid code.");
    }

    /// <summary>Validates a 15-digit grid code.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, <see cref="ErrorReasons.RequiredField"/> when null or blank,
    /// otherwise <see cref="ErrorReasons.InvalidCode"/> when <see cref="TryParse"/> fails.
    /// </returns>
    public static CodeCheck Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The grid code is required.");
        }

        return TryParse(value, out _)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidCode, $"'{value}' is not a valid 15-digit grid code (village code + serial 001-999).");
    }

    /// <summary>The 15 digits.</summary>
    public override string ToString() => Value;
}
