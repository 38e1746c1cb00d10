using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using GridExchange.Domain.Codes;

namespace GridExchange.Domain.Privacy;

/// <summary>
/// Display masks for S3 fields (<see cref="DataClass.S3"/>) sent to callers without the grant.
/// </summary>
/// <remarks>
/// <para>
/// Every method returns <see langword="null"/> or an empty string unchanged, and never throws.
/// Masks are one-way and lossy by design: they are for display, never keys or join columns.
/// </para>
/// <para>
/// Names and addresses are counted in text elements, not UTF-16 units, so a rare character
/// outside the Basic Multilingual Plane (common in personal names, e.g. 𠈌) is never cut in half.
/// </para>
/// </remarks>
public static class Masking
{
    private const char Star = '*';

    /// <summary>The number of leading characters <see cref="MaskAddress"/> keeps at most.</summary>
    public const int AddressKeptCharacters = 6;

    /// <summary>
    /// Masks a citizen ID or other certificate number: an 18-character ID keeps its first 6
    /// (address code) and last 4 characters, <c>370602********1234</c>, hiding the birth date;
    /// any other length keeps its first third and last sixth (rounded down), so at most half is revealed
    /// (a 15-digit legacy number <c>370602800101123</c> → <c>37060********23</c>).
    /// The length is preserved.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? MaskCitizenId(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        return value.Length == CitizenId.Length
            ? MaskMiddle(value, 6, 4)
            : MaskProportionally(value);
    }

    /// <summary>
    /// Masks a personal name, keeping only its first character: <c>张三</c> → <c>张*</c>,
    /// <c>欧阳娜娜</c> → <c>欧***</c>. A one-character name becomes <c>*</c>.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? MaskName(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        var info = new StringInfo(value);
        var count = info.LengthInTextElements;
        return count == 1
            ? Star.ToString()
            : string.Concat(info.SubstringByTextElements(0, 1), new string(Star, count - 1));
    }

    /// <summary>
    /// Masks a phone number: a mobile number keeps its first 3 and last 4 digits
    /// (<c>13812345678</c> → <c>138****5678</c>); a landline keeps its area code (3 digits for
    /// 010 and 02x, otherwise 4), the hyphen if any, and the last 4 digits
    /// (<c>0535-6123456</c> → <c>0535-***3456</c>); anything else is masked like a certificate
    /// number of unusual length. The length is preserved.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? MaskPhone(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        if (Contact.IsMobile(value))
        {
            return MaskMiddle(value, 3, 4);
        }

        if (Contact.IsLandline(value))
        {
            // Only Beijing (010) and the 02x cities have 3-digit area codes; all others have 4.
            var areaCode = value[1] is '1' or '2' ? 3 : 4;
            var head = value[areaCode] == '-' ? areaCode + 1 : areaCode;
            return MaskMiddle(value, head, 4);
        }

        return MaskProportionally(value);
    }

    /// <summary>
    /// Masks a street address, keeping its first 6 characters (typically province and city) and
    /// appending <c>****</c>: <c>山东省烟台市芝罘区幸福街道12号</c> → <c>山东省烟台市****</c>.
    /// An address of 12 characters or fewer keeps only its first half, so a short address is
    /// never shown in full. The mask hides the length.
    /// </summary>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? MaskAddress(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        var info = new StringInfo(value);
        var keep = Math.Min(AddressKeptCharacters, info.LengthInTextElements / 2);
        return string.Concat(info.SubstringByTextElements(0, keep), "****");
    }

    // Keeps ⌊n/3⌋ + ⌊n/6⌋ ≤ ⌊n/2⌋ characters.
    private static string MaskProportionally(string value) =>
        MaskMiddle(value, value.Length / 3, value.Length / 6);

    private static string MaskMiddle(string value, int head, int tail) =>
        string.Create(value.Length, (value, head, tail), static (span, state) =>
        {
            state.value.AsSpan().CopyTo(span);
            span[state.head..^state.tail].Fill(Star);
        });
}
