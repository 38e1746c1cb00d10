using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>A 17-digit grid-worker number: the 15-digit grid code followed by a 2-digit sequence 01–99.</summary>
/// <remarks><c>default(GridWorkerNumber)</c> is not a number; its <see cref="Value"/> is empty.</remarks>
public readonly record struct GridWorkerNumber
{
    /// <summary>The number of digits in a grid-worker number.</summary>
    public const int Length = 17;

    private readonly string? _value;

    private GridWorkerNumber(string value, GridCode grid, int sequence)
    {
        _value = value;
        Grid = grid;
        Sequence = sequence;
    }

    /// <summary>The 17 digits.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The grid the worker is assigned to (the first 15 digits).</summary>
    public GridCode Grid { get; }

    /// <summary>The sequence within the grid, 1–99.</summary>
    public int Sequence { get; }

    /// <summary>Builds the number of worker <paramref name="sequence"/> in <paramref name="grid"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="grid"/> is <see langword="default"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is not 1–99.</exception>
    public static GridWorkerNumber Create(GridCode grid, int sequence)
    {
        if (grid.Value.Length != GridCode.Length)
        {
            throw new ArgumentException("The grid code is not initialised.", nameof(grid));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 99);
        return new GridWorkerNumber(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{grid.Value}{sequence:D2}"), grid, sequence);
    }

    /// <summary>Parses a 17-digit grid-worker number.</summary>
    /// <returns>Whether <paramref name="value"/> is a valid <see cref="GridCode"/> followed by two digits other than 00.</returns>
    public static bool TryParse(string? value, out GridWorkerNumber number)
    {
        number = default;
        if (!Ascii.IsDigits(value, Length) || !GridCode.TryParse(value[..GridCode.Length], out var grid))
        {
            return false;
        }

        var sequence = Ascii.ParseDigits(value.AsSpan(GridCode.Length));
        if (sequence == 0)
        {
            return false;
        }

        number = new GridWorkerNumber(value, grid, sequence);
        return true;
    }

    /// <summary>Parses a 17-digit grid-worker number.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is not a valid grid-worker number.</exception>
    public static GridWorkerNumber Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var number)
            ? number
            : throw new FormatException($"'{value}' is not a valid 17-digit grid-worker number.");
    }

    /// <summary>Validates a 17-digit grid-worker number.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, <see cref="ErrorReasons.RequiredField"/> when null or blank,
    /// otherwise <see cref="ErrorReasons.InvalidCode"/> when <see cref="TryParse"/> fails.
    /// </returns>
    public static CodeCheck Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The grid-worker number is required.");
        }

        return TryParse(value, out _)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidCode, $"'{value}' is not a valid 17-digit grid-worker number (grid code + sequence 01-99).");
    }

    /// <summary>The 17 digits.</summary>
    public override string ToString() => Value;
}
