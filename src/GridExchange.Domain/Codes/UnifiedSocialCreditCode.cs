using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// The 18-character unified social credit code of an organisation (统一社会信用代码, GB 32100-2015).
/// </summary>
/// <remarks>
/// <para>
/// Every character comes from the 31-character alphabet <c>0123456789ABCDEFGHJKLMNPQRTUWXY</c>
/// (I, O, S, V and Z are left out as easily confused); the 18th is a check character over the
/// first 17. Lower-case letters are rejected rather than upper-cased, for the same reason as
/// <see cref="CitizenId"/>: one canonical spelling per organisation.
/// </para>
/// <para>
/// Only the alphabet and the check character are enforced. The embedded 9-character
/// organisation code (positions 9–17) is deliberately not checked against GB 11714: the
/// standard's own example <c>91350100M000100Y43</c> does not satisfy that check.
/// </para>
/// </remarks>
public static class UnifiedSocialCreditCode
{
    /// <summary>The length of a unified social credit code.</summary>
    public const int Length = 18;

    /// <summary>The code's alphabet; a character's value is its index.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    // Wᵢ = 3^(i−1) mod 31.
    private static ReadOnlySpan<byte> Weights => [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    /// <summary>Computes the check character: <c>Alphabet[(31 − Σ vᵢ·Wᵢ mod 31) mod 31]</c>.</summary>
    /// <param name="first17">The first 17 characters, all from <see cref="Alphabet"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="first17"/> is not 17 characters of the alphabet.</exception>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1)
        {
            throw new ArgumentException("Expected exactly 17 characters.", nameof(first17));
        }

        var sum = 0;
        for (var i = 0; i < first17.Length; i++)
        {
            var value = Alphabet.IndexOf(first17[i], StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ArgumentException($"Character {i + 1} is not in the alphabet {Alphabet}.", nameof(first17));
            }

            sum += value * Weights[i];
        }

        return Alphabet[(31 - (sum % 31)) % 31];
    }

    /// <summary>Validates a unified social credit code.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, or a failure with reason
    /// <see cref="ErrorReasons.RequiredField"/> (null, empty or only whitespace),
    /// <see cref="ErrorReasons.InvalidFormat"/> (whitespace anywhere),
    /// <see cref="ErrorReasons.InvalidLength"/> (not 18 characters),
    /// <see cref="ErrorReasons.InvalidFormat"/> (a character outside the alphabet, including lower case) or
    /// <see cref="ErrorReasons.InvalidCheckDigit"/>.
    /// </returns>
    public static CodeCheck Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The unified social credit code is required.");
        }

        if (value.AsSpan().ContainsAny(Whitespace.Chars))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "The unified social credit code must not contain whitespace; values are not trimmed.");
        }

        if (value.Length != Length)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, "The unified social credit code must have 18 characters.");
        }

        foreach (var c in value)
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return CodeCheck.Fail(ErrorReasons.InvalidFormat, $"The unified social credit code may only contain digits and the upper-case letters of {Alphabet}.");
            }
        }

        return ComputeCheckCharacter(value.AsSpan(0, 17)) == value[17]
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidCheckDigit, "The unified social credit code's check character is wrong.");
    }

    /// <summary>Appends the check character to the first 17 characters.</summary>
    /// <exception cref="ArgumentException"><paramref name="first17"/> is not 17 characters of the alphabet.</exception>
    public static string Create(string first17)
    {
        ArgumentNullException.ThrowIfNull(first17);
        return string.Concat(first17, new string(ComputeCheckCharacter(first17), 1));
    }
}
