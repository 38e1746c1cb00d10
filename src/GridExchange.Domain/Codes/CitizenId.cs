using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// The 18-character citizen identity number (公民身份号码, GB 11643-1999): 6-digit address code,
/// 8-digit birth date <c>YYYYMMDD</c>, 3-digit sequence (odd = male, even = female) and a check
/// character <c>0</c>–<c>9</c> or <c>X</c>.
/// </summary>
/// <remarks>
/// <para>
/// The canonical form is exactly 18 characters with an upper-case <c>X</c>. Values are never
/// trimmed or upper-cased here: a lower-case <c>x</c> or surrounding whitespace is rejected with
/// <see cref="ErrorReasons.InvalidFormat"/>, so that the same person never appears under two
/// spellings (the ID is compared, hashed and indexed as a string). Importers that must accept
/// sloppy input normalise before validating.
/// </para>
/// <para>
/// The address code is not checked against GB/T 2260: it records where the number was first
/// issued and stays valid after the county is abolished, and residence permits for Hong Kong,
/// Macao and Taiwan residents use 810000/820000/830000, which are not division codes.
/// </para>
/// <para>Birth dates must be real dates from 1900-01-01 to <c>today</c> inclusive.</para>
/// </remarks>
public static class CitizenId
{
    /// <summary>The length of a citizen ID.</summary>
    public const int Length = 18;

    /// <summary>The length of a pre-1999 legacy number, accepted only on import.</summary>
    public const int LegacyLength = 15;

    /// <summary>The earliest birth date accepted.</summary>
    public static readonly DateOnly MinBirthDate = new(1900, 1, 1);

    private const string CheckCharacters = "10X98765432";

    private static ReadOnlySpan<byte> Weights => [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    /// <summary>
    /// Computes the GB 11643 check character: <c>"10X98765432"[Σ aᵢ·Wᵢ mod 11]</c>.
    /// </summary>
    /// <param name="first17">The first 17 characters, all ASCII digits.</param>
    /// <returns><c>'0'</c>–<c>'9'</c> or upper-case <c>'X'</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="first17"/> is not 17 ASCII digits.</exception>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1 || !Ascii.IsDigits(first17))
        {
            throw new ArgumentException("Expected exactly 17 ASCII digits.", nameof(first17));
        }

        var sum = 0;
        for (var i = 0; i < first17.Length; i++)
        {
            sum += (first17[i] - '0') * Weights[i];
        }

        return CheckCharacters[sum % 11];
    }

    /// <summary>Validates a citizen ID.</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="today">The current date in China, bounding the birth date.</param>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, or a failure with reason (in this order of checking)
    /// <see cref="ErrorReasons.RequiredField"/> (null, empty or only whitespace),
    /// <see cref="ErrorReasons.InvalidFormat"/> (whitespace anywhere),
    /// <see cref="ErrorReasons.InvalidLength"/> (not 18 characters),
    /// <see cref="ErrorReasons.InvalidFormat"/> (a non-digit other than a final upper-case X),
    /// <see cref="ErrorReasons.InvalidDate"/> (impossible date, before 1900 or after <paramref name="today"/>) or
    /// <see cref="ErrorReasons.InvalidCheckDigit"/>.
    /// </returns>
    public static CodeCheck Validate(string? value, DateOnly today) => Check(value, today, out _);

    /// <summary>Parses a citizen ID, returning its encoded fields when <see cref="Validate"/> would pass.</summary>
    /// <param name="value">The value to parse.</param>
    /// <param name="today">The current date in China, bounding the birth date.</param>
    /// <param name="info">The encoded fields; <see langword="default"/> when invalid.</param>
    public static bool TryParse(string? value, DateOnly today, out CitizenIdInfo info) =>
        Check(value, today, out info).IsValid;

    /// <summary>Builds a valid citizen ID, computing its check character (used by the seed generator).</summary>
    /// <param name="addressCode6">Six ASCII digits.</param>
    /// <param name="birthDate">From 1900-01-01; not checked against today.</param>
    /// <param name="sequence3">0–999; odd for a man, even for a woman.</param>
    /// <exception cref="ArgumentException"><paramref name="addressCode6"/> is not six ASCII digits.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="birthDate"/> or <paramref name="sequence3"/> is out of range.</exception>
    public static string Create(string addressCode6, DateOnly birthDate, int sequence3)
    {
        ArgumentNullException.ThrowIfNull(addressCode6);
        if (!Ascii.IsDigits(addressCode6, 6))
        {
            throw new ArgumentException("Expected exactly 6 ASCII digits.", nameof(addressCode6));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(birthDate, MinBirthDate);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence3, 999);

        Span<char> id = stackalloc char[Length];
        addressCode6.AsSpan().CopyTo(id);
        WriteDigits(id.Slice(6, 4), birthDate.Year);
        WriteDigits(id.Slice(10, 2), birthDate.Month);
        WriteDigits(id.Slice(12, 2), birthDate.Day);
        WriteDigits(id.Slice(14, 3), sequence3);
        id[17] = ComputeCheckCharacter(id[..17]);
        return new string(id);
    }

    /// <summary>
    /// Checks that a person's recorded birth date and gender agree with their citizen ID
    /// (DOMAIN §4 cross-field rule).
    /// </summary>
    /// <param name="citizenId">The citizen ID.</param>
    /// <param name="birthDate">The recorded birth date.</param>
    /// <param name="isMale">The recorded gender. Callers skip this check for GB/T 2261.1 codes 0 (unknown) and 9 (not stated).</param>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>; <see cref="ErrorReasons.InconsistentFields"/> when the date or
    /// gender disagree; or the ID's own failure (as from <see cref="Validate"/>, except that a
    /// future birth date is not reported here) when the ID is malformed.
    /// </returns>
    public static CodeCheck CheckConsistency(string citizenId, DateOnly birthDate, bool isMale)
    {
        // DateOnly.MaxValue: whether the ID's date is in the future is Validate's concern, not consistency's.
        var check = Check(citizenId, DateOnly.MaxValue, out var info);
        if (!check.IsValid)
        {
            return check;
        }

        if (info.BirthDate != birthDate)
        {
            return CodeCheck.Fail(ErrorReasons.InconsistentFields, "The birth date does not match the citizen ID.");
        }

        if (info.IsMale != isMale)
        {
            return CodeCheck.Fail(ErrorReasons.InconsistentFields, "The gender does not match the citizen ID's sequence code (odd = male, even = female).");
        }

        return CodeCheck.Ok;
    }

    /// <summary>
    /// Converts a legacy 15-digit number (address 6 + birth date <c>YYMMDD</c> + sequence 3, no
    /// check character) to its 18-character form by inserting the century <c>19</c> and computing
    /// the check character. For import only: the hub stores and exchanges 18-character IDs.
    /// </summary>
    /// <param name="legacy15">The legacy number.</param>
    /// <param name="today">The current date in China, bounding the birth date.</param>
    /// <param name="citizenId">The 18-character ID; empty when the conversion fails.</param>
    /// <returns>
    /// <see langword="false"/> when the value is not 15 ASCII digits, its date is not a real date
    /// up to <paramref name="today"/>, or its sequence is 996–999 — those codes marked people
    /// already over 100 in 1999 (born before 1900, outside the accepted range), for whom the
    /// century cannot be taken as 19.
    /// </returns>
    public static bool TryUpgradeLegacy(string? legacy15, DateOnly today, out string citizenId)
    {
        citizenId = string.Empty;
        if (!Ascii.IsDigits(legacy15, LegacyLength) || Ascii.ParseDigits(legacy15.AsSpan(12, 3)) >= 996)
        {
            return false;
        }

        Span<char> first17 = stackalloc char[Length - 1];
        legacy15.AsSpan(0, 6).CopyTo(first17);
        "19".AsSpan().CopyTo(first17[6..]);
        legacy15.AsSpan(6).CopyTo(first17[8..]);
        if (!TryReadBirthDate(first17.Slice(6, 8), out var birth) || birth > today)
        {
            return false;
        }

        Span<char> id = stackalloc char[Length];
        first17.CopyTo(id);
        id[17] = ComputeCheckCharacter(first17);
        citizenId = new string(id);
        return true;
    }

    private static CodeCheck Check(string? value, DateOnly today, out CitizenIdInfo info)
    {
        info = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The citizen ID is required.");
        }

        if (value.AsSpan().ContainsAny(Whitespace.Chars))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "The citizen ID must not contain whitespace; values are not trimmed.");
        }

        if (value.Length != Length)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, value.Length == LegacyLength
                ? "The citizen ID must have 18 characters; legacy 15-digit numbers are accepted only on import."
                : "The citizen ID must have 18 characters.");
        }

        if (!Ascii.IsDigits(value.AsSpan(0, 17)))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "The first 17 characters of a citizen ID must be digits 0-9.");
        }

        var last = value[17];
        if (last == 'x')
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "The check character must be an upper-case 'X'.");
        }

        if (!char.IsAsciiDigit(last) && last != 'X')
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "The check character of a citizen ID must be a digit 0-9 or 'X'.");
        }

        if (!TryReadBirthDate(value.AsSpan(6, 8), out var birth))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidDate, "The birth date in the citizen ID is not a real date from 1900 on.");
        }

        if (birth > today)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidDate, "The birth date in the citizen ID is in the future.");
        }

        if (ComputeCheckCharacter(value.AsSpan(0, 17)) != last)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidCheckDigit, "The citizen ID's check character is wrong.");
        }

        var sequence = Ascii.ParseDigits(value.AsSpan(14, 3));
        info = new CitizenIdInfo(value[..6], birth, sequence, sequence % 2 == 1);
        return CodeCheck.Ok;
    }

    private static bool TryReadBirthDate(ReadOnlySpan<char> yyyymmdd, out DateOnly date)
    {
        date = default;
        var year = Ascii.ParseDigits(yyyymmdd[..4]);
        var month = Ascii.ParseDigits(yyyymmdd.Slice(4, 2));
        var day = Ascii.ParseDigits(yyyymmdd.Slice(6, 2));
        if (year < MinBirthDate.Year || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }

    private static void WriteDigits(Span<char> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
