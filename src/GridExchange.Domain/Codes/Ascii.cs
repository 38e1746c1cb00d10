using System.Diagnostics.CodeAnalysis;

namespace GridExchange.Domain.Codes;

/// <summary>
/// Digit helpers that accept only ASCII '0'–'9': <see cref="char.IsDigit(char)"/> and regex
/// <c>\d</c> also accept full-width and other Unicode digits, which must never reach a code.
/// </summary>
internal static class Ascii
{
    public static bool IsDigits(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsDigits([NotNullWhen(true)] string? value, int length) =>
        value is not null && value.Length == length && IsDigits(value.AsSpan());

    public static int ParseDigits(ReadOnlySpan<char> digits)
    {
        var result = 0;
        foreach (var c in digits)
        {
            result = (result * 10) + (c - '0');
        }

        return result;
    }

    public static bool IsAllZeros(ReadOnlySpan<char> digits)
    {
        foreach (var c in digits)
        {
            if (c != '0')
            {
                return false;
            }
        }

        return true;
    }
}
