using System.Text.RegularExpressions;
using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Codes;

/// <summary>
/// Phone numbers in the 联系方式 field: a mainland mobile number <c>^1\d{10}$</c> or a landline
/// <c>^0\d{2,3}-?\d{7,8}$</c> (DOMAIN §4).
/// </summary>
/// <remarks>
/// The patterns use <c>[0-9]</c> and <c>\z</c> rather than <c>\d</c> and <c>$</c>: in .NET
/// <c>\d</c> matches full-width and other Unicode digits, and <c>$</c> matches before a
/// trailing newline.
/// </remarks>
public static partial class Contact
{
    /// <summary>The maximum length of the 联系方式 field in GB/T 31000.</summary>
    public const int MaxLength = 50;

    /// <summary>Whether <paramref name="value"/> is an 11-digit mainland mobile number starting with 1.</summary>
    public static bool IsMobile(string? value) => value is not null && MobilePattern().IsMatch(value);

    /// <summary>Whether <paramref name="value"/> is a landline: 0, 2–3 more area-code digits, an optional hyphen, 7–8 digits.</summary>
    public static bool IsLandline(string? value) => value is not null && LandlinePattern().IsMatch(value);

    /// <summary>Validates a contact number.</summary>
    /// <returns>
    /// <see cref="CodeCheck.Ok"/>, or <see cref="ErrorReasons.RequiredField"/> (null or blank),
    /// <see cref="ErrorReasons.InvalidLength"/> (over 50 characters) or
    /// <see cref="ErrorReasons.InvalidFormat"/> (neither a mobile nor a landline number).
    /// </returns>
    public static CodeCheck Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The contact number is required.");
        }

        if (value.Length > MaxLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, "The contact number must have at most 50 characters.");
        }

        return IsMobile(value) || IsLandline(value)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidFormat, "The contact number must be an 11-digit mobile number or a landline such as 0535-6123456.");
    }

    [GeneratedRegex(@"^1[0-9]{10}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MobilePattern();

    [GeneratedRegex(@"^0[0-9]{2,3}-?[0-9]{7,8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex LandlinePattern();
}
