using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// A scope: either a 12-digit region code or a 15-digit grid code, as used for jurisdictions,
/// subscriptions and "everything under X" queries.
/// </summary>
public static class ScopeCode
{
    /// <summary>Parses a region or grid code into its level and prefix.</summary>
    /// <param name="code">A 12-digit region code or a 15-digit grid code.</param>
    /// <param name="level">The level; <see cref="DivisionLevel.Grid"/> for a grid code.</param>
    /// <param name="prefix">
    /// The significant digits shared by everything in the scope: the region's
    /// <see cref="RegionCode.Prefix"/>, or all 15 digits of a grid code. Empty when invalid.
    /// </param>
    public static bool TryParseAny(string? code, out DivisionLevel level, out string prefix)
    {
        if (code?.Length == RegionCode.Length && RegionCode.TryParse(code, out var region))
        {
            level = region.Level;
            prefix = region.Prefix;
            return true;
        }

        if (code?.Length == GridCode.Length && GridCode.TryParse(code, out var grid))
        {
            level = DivisionLevel.Grid;
            prefix = grid.Value;
            return true;
        }

        level = default;
        prefix = string.Empty;
        return false;
    }

    /// <summary>Validates a region or grid code.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, <see cref="ErrorReasons.RequiredField"/> when null or blank,
    /// otherwise <see cref="ErrorReasons.InvalidCode"/>.
    /// </returns>
    public static CodeCheck Validate(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The region or grid code is required.");
        }

        return TryParseAny(code, out _, out _)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidCode, $"'{code}' is neither a 12-digit region code nor a 15-digit grid code.");
    }

    /// <summary>
    /// Whether <paramref name="anyCode"/> (a region, grid or grid-worker code) lies within the
    /// scope <paramref name="scopeCode"/>, the scope itself included. An invalid scope contains nothing.
    /// </summary>
    public static bool Contains(string? scopeCode, string? anyCode) =>
        TryParseAny(scopeCode, out _, out var prefix)
        && anyCode is not null
        && anyCode.Length is RegionCode.Length or GridCode.Length or GridWorkerNumber.Length
        && Ascii.IsDigits(anyCode.AsSpan())
        && anyCode.StartsWith(prefix, StringComparison.Ordinal);
}
