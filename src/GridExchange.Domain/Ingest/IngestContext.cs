using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>How free text is checked besides its length.</summary>
[Flags]
internal enum TextRules
{
    /// <summary>One line: no control characters at all.</summary>
    None = 0,

    /// <summary>Tab, line feed and carriage return are allowed (descriptions, comments, help given).</summary>
    Multiline = 1,

    /// <summary>An [S3] value that the hub masks for callers without the grant: a '*' means a masked copy was sent back.</summary>
    NotMasked = 2,
}

/// <summary>
/// The problems found in one change so far, the clock, the jurisdiction, and the field checks
/// every entity rule shares. Each check adds at most one problem per field and never echoes the
/// value in its description.
/// </summary>
internal sealed class IngestContext(SourceJurisdiction source, DateTimeOffset now)
{
    /// <summary>Opaque keys: at most 64 characters from <c>[A-Za-z0-9._:-]</c> (EntityMeta.id).</summary>
    public const int MaxIdLength = 64;

    // Timestamp.ToDateTimeOffset throws outside 0001-01-01..9999-12-31; we also require 1900 onwards.
    private const long MinTimestampSeconds = -2208988800; // 1900-01-01T00:00:00Z
    private const long MaxTimestampSeconds = 253402300799; // 9999-12-31T23:59:59Z

    private static readonly DateOnly MinDate = new(1900, 1, 1);

    private readonly List<FieldProblem> _problems = [];

    // Fields already reported by the unpaired-surrogate scan of the whole change; not checked again.
    private readonly HashSet<string> _badText = new(StringComparer.Ordinal);

    public SourceJurisdiction Source { get; } = source;

    /// <summary>The current instant in China Standard Time.</summary>
    public DateTimeOffset Now { get; } = now;

    /// <summary>Today's date in China, the bound for "not in the future" dates.</summary>
    public DateOnly Today { get; } = DateOnly.FromDateTime(now.DateTime);

    public IReadOnlyList<FieldProblem> Problems => _problems;

    public int Count => _problems.Count;

    public static string Item(string list, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{list}[{index}]");

    public void Add(string field, string reason, string description) =>
        _problems.Add(new FieldProblem(field, reason, description));

    /// <summary>Reports a string field holding an unpaired UTF-16 surrogate; later checks of that field stay silent.</summary>
    public void AddUnpairedSurrogate(string field)
    {
        if (_badText.Add(field))
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} contains an unpaired UTF-16 surrogate; send valid Unicode text.");
        }
    }

    /// <summary>Whether any problem was reported for <paramref name="field"/> or a field below it.</summary>
    public bool HasProblemAt(string field) =>
        _problems.Exists(p => p.Field == field || (p.Field.StartsWith(field, StringComparison.Ordinal) && p.Field.Length > field.Length && p.Field[field.Length] is '.' or '['));

    /// <summary>Free text: required/blank, control characters, length in code points, masked values.</summary>
    /// <returns>Whether the value is present and valid.</returns>
    public bool Text(string field, string value, int maxLength, bool required, TextRules rules = TextRules.None)
    {
        if (_badText.Contains(field))
        {
            return false;
        }

        if (value.Length == 0 || (required && IsBlank(value)))
        {
            if (required)
            {
                Add(field, ErrorReasons.RequiredField, $"{field} is required and must not be blank.");
            }

            return false;
        }

        var multiline = (rules & TextRules.Multiline) != 0;
        var codePoints = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            codePoints++;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                AddUnpairedSurrogate(field);
                return false;
            }
            else if (char.IsControl(c) && !(multiline && c is '\t' or '\n' or '\r'))
            {
                Add(field, ErrorReasons.InvalidFormat, multiline
                    ? $"{field} must not contain control characters other than tab, line feed and carriage return."
                    : $"{field} must be a single line without control characters (no line breaks, tabs or NUL).");
                return false;
            }
        }

        if (codePoints > maxLength)
        {
            Add(field, ErrorReasons.InvalidLength, string.Create(CultureInfo.InvariantCulture, $"{field} must have at most {maxLength} characters."));
            return false;
        }

        if ((rules & TextRules.NotMasked) != 0 && value.AsSpan().IndexOfAny('*', '＊') >= 0)
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} contains '*' and looks like a masked copy; submit the full value, never one the hub masked.");
            return false;
        }

        return true;
    }

    /// <summary>A code of exactly <paramref name="length"/> ASCII digits (code-table codes such as ethnicity <c>01</c>).</summary>
    public bool Digits(string field, string value, int length, bool required)
    {
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!Ascii.IsDigits(value, length))
        {
            Add(field, ErrorReasons.InvalidCode, string.Create(CultureInfo.InvariantCulture, $"{field} must be a code of exactly {length} digits 0-9."));
            return false;
        }

        return true;
    }

    /// <summary>A 6-digit GB/T 2260 division code (province, city or county).</summary>
    public bool SixDigitDivision(string field, string value, bool required)
    {
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!RegionCode.TryParseSixDigit(value, out _))
        {
            Add(field, ErrorReasons.InvalidCode, $"{field} must be a 6-digit GB/T 2260 division code (province, city or county).");
            return false;
        }

        return true;
    }

    /// <summary>A 12-digit region code.</summary>
    public bool Region(string field, string value, bool required, out RegionCode code)
    {
        code = default;
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!RegionCode.TryParse(value, out code))
        {
            Add(field, ErrorReasons.InvalidCode, $"{field} must be a valid 12-digit region code (e.g. 370602001001).");
            return false;
        }

        return true;
    }

    /// <summary>A 15-digit grid code.</summary>
    public bool Grid(string field, string value, bool required, out GridCode code)
    {
        code = default;
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!GridCode.TryParse(value, out code))
        {
            Add(field, ErrorReasons.InvalidCode, $"{field} must be a valid 15-digit grid code: a 12-digit village code and a serial 001-999.");
            return false;
        }

        return true;
    }

    /// <summary>A 17-digit grid-worker number.</summary>
    public bool Worker(string field, string value, bool required, out GridWorkerNumber number)
    {
        number = default;
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!GridWorkerNumber.TryParse(value, out number))
        {
            Add(field, ErrorReasons.InvalidCode, $"{field} must be a valid 17-digit grid-worker number: a 15-digit grid code and a sequence 01-99.");
            return false;
        }

        return true;
    }

    /// <summary>
    /// The location check: <paramref name="code"/> (already known to be a valid code) must lie
    /// in the source's jurisdiction.
    /// </summary>
    public bool InJurisdiction(string field, string code)
    {
        if (ScopeCode.Contains(Source.RegionCode, code))
        {
            return true;
        }

        Add(field, ErrorReasons.OutOfJurisdiction, ScopeCode.TryParseAny(Source.RegionCode, out _, out _)
            ? $"{field} lies outside the submitting source's jurisdiction {Source.RegionCode}."
            : $"{field} cannot be accepted: the submitting source has no valid jurisdiction configured.");
        return false;
    }

    /// <summary>An opaque entity id (EntityMeta.id of a Person, House, ...): at most 64 characters from <c>[A-Za-z0-9._:-]</c>, never a citizen ID.</summary>
    public bool EntityId(string field, string value, bool required)
    {
        if (!Present(field, value, required))
        {
            return false;
        }

        if (value.Length > MaxIdLength)
        {
            Add(field, ErrorReasons.InvalidLength, $"{field} must have at most 64 characters.");
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or ':' or '-'))
            {
                Add(field, ErrorReasons.InvalidFormat, $"{field} may only contain the characters A-Z, a-z, 0-9, '.', '_', ':' and '-'.");
                return false;
            }
        }

        if (value.Length == CitizenId.Length && CitizenId.Validate(value, Today).IsValid)
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} is a citizen ID; keys travel unprotected in tombstones and logs, so use an opaque id such as a UUID.");
            return false;
        }

        return true;
    }

    /// <summary>
    /// A citizen ID (GB 11643). A legacy 15-digit number is upgraded to 18 characters (this is the
    /// import path); the returned value is what to store.
    /// </summary>
    /// <param name="info">The encoded fields when the (upgraded) ID is valid.</param>
    public string CitizenIdField(string field, string value, bool required, out CitizenIdInfo? info)
    {
        info = null;
        if (!Present(field, value, required))
        {
            return value;
        }

        var id = value;
        if (id.Length == CitizenId.LegacyLength && !id.AsSpan().ContainsAny(Whitespace.Chars))
        {
            if (!Ascii.IsDigits(id, CitizenId.LegacyLength))
            {
                Add(field, ErrorReasons.InvalidFormat, $"{field}: a legacy 15-character citizen ID must consist of the digits 0-9 only.");
                return value;
            }

            if (!CitizenId.TryUpgradeLegacy(id, Today, out id))
            {
                Add(field, ErrorReasons.InvalidDate, $"{field}: the birth date in the legacy 15-digit citizen ID is not a real date from 1900 up to today.");
                return value;
            }
        }

        var check = CitizenId.Validate(id, Today);
        if (!check.IsValid)
        {
            Add(field, check.Reason!, $"{field}: {check.Message}");
            return value;
        }

        CitizenId.TryParse(id, Today, out var parsed);
        info = parsed;
        return id;
    }

    /// <summary>A unified social credit code (GB 32100).</summary>
    public bool CreditCode(string field, string value, bool required)
    {
        if (!Present(field, value, required))
        {
            return false;
        }

        var check = UnifiedSocialCreditCode.Validate(value);
        if (!check.IsValid)
        {
            Add(field, check.Reason!, $"{field}: {check.Message}");
            return false;
        }

        return true;
    }

    /// <summary>A 联系方式 phone number: mobile <c>^1\d{10}$</c> or landline <c>^0\d{2,3}-?\d{7,8}$</c>.</summary>
    public bool Phone(string field, string value, bool required)
    {
        if (!Present(field, value, required))
        {
            return false;
        }

        var check = Contact.Validate(value);
        if (!check.IsValid)
        {
            Add(field, check.Reason!, $"{field}: {check.Message}");
            return false;
        }

        return true;
    }

    /// <summary>An optional mobile number, 11 digits matching <c>^1\d{10}$</c>.</summary>
    public bool Mobile(string field, string value)
    {
        if (!Present(field, value, required: false))
        {
            return false;
        }

        if (!Contact.IsMobile(value))
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} must be an 11-digit mobile number starting with 1.");
            return false;
        }

        return true;
    }

    /// <summary>A standard date <c>YYYYMMDD</c> from 1900-01-01; with <paramref name="notFuture"/> at most today (China time).</summary>
    public bool Date(string field, string value, bool required, bool notFuture, out DateOnly date)
    {
        date = default;
        if (!Present(field, value, required))
        {
            return false;
        }

        if (!Ascii.IsDigits(value, 8)
            || !DateOnly.TryParseExact(value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
            || date < MinDate)
        {
            Add(field, ErrorReasons.InvalidDate, $"{field} must be a real calendar date YYYYMMDD from 19000101 on.");
            return false;
        }

        if (notFuture && date > Today)
        {
            Add(field, ErrorReasons.InvalidDate, $"{field} must not be in the future.");
            return false;
        }

        return true;
    }

    /// <summary>
    /// An instant: a well-formed Timestamp from 1900 to 9999; with <paramref name="notFuture"/> at
    /// most <see cref="ChangeValidator.ClockSkewTolerance"/> after now.
    /// </summary>
    public bool Instant(string field, Timestamp? value, bool required, bool notFuture, out DateTimeOffset at)
    {
        at = default;
        if (value is null)
        {
            if (required)
            {
                Add(field, ErrorReasons.RequiredField, $"{field} is required.");
            }

            return false;
        }

        if (value.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || value.Nanos is < 0 or > 999_999_999)
        {
            Add(field, ErrorReasons.InvalidDate, $"{field} must be a valid timestamp between 1900 and 9999 (nanos 0 to 999,999,999).");
            return false;
        }

        at = value.ToDateTimeOffset();
        if (notFuture && at > Now + ChangeValidator.ClockSkewTolerance)
        {
            Add(field, ErrorReasons.InvalidDate, $"{field} must not be in the future.");
            return false;
        }

        return true;
    }

    /// <summary>An enum field: a defined value; with <paramref name="required"/> not the UNSPECIFIED (0) value.</summary>
    /// <returns>Whether the value is set (not 0) and defined.</returns>
    public bool Enum<T>(string field, T value, bool required)
        where T : struct, System.Enum
    {
        if (EqualityComparer<T>.Default.Equals(value, default))
        {
            if (required)
            {
                Add(field, ErrorReasons.RequiredField, $"{field} is required; the UNSPECIFIED value is not allowed.");
            }

            return false;
        }

        if (!System.Enum.IsDefined(value))
        {
            Add(field, ErrorReasons.InvalidCode, $"{field} has a value this hub does not know.");
            return false;
        }

        return true;
    }

    /// <summary>A count or amount that must be 0 or more.</summary>
    public void NonNegative(string field, bool isSet, long value)
    {
        if (isSet && value < 0)
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} must be 0 or more.");
        }
    }

    /// <summary>A measured quantity that must be a finite number, 0 or more.</summary>
    public void NonNegative(string field, bool isSet, double value)
    {
        if (isSet && !(double.IsFinite(value) && value >= 0))
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} must be a finite number, 0 or more.");
        }
    }

    /// <summary>A repeated field with an upper bound on its items.</summary>
    public bool MaxItems(string field, int count, int max)
    {
        if (count <= max)
        {
            return true;
        }

        Add(field, ErrorReasons.TooManyItems, string.Create(CultureInfo.InvariantCulture, $"{field} may have at most {max} items."));
        return false;
    }

    /// <summary>A point in decimal degrees: finite, longitude -180..180, latitude -90..90.</summary>
    public void Point(string field, GeoPoint? point)
    {
        if (point is null)
        {
            return;
        }

        if (!double.IsFinite(point.Longitude) || point.Longitude is < -180 or > 180)
        {
            Add(field + ".longitude", ErrorReasons.InvalidFormat, $"{field}.longitude must be a number from -180 to 180.");
        }

        if (!double.IsFinite(point.Latitude) || point.Latitude is < -90 or > 90)
        {
            Add(field + ".latitude", ErrorReasons.InvalidFormat, $"{field}.latitude must be a number from -90 to 90.");
        }
    }

    /// <summary>Empty or only whitespace (including the full-width and zero-width spaces of <see cref="Whitespace"/>).</summary>
    public static bool IsBlank(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsWhiteSpace(c) && !Whitespace.Chars.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    // For codes, ids and dates. Present: non-empty and not blank. Required and empty or blank:
    // REQUIRED_FIELD. Optional and empty: absent, fine. Optional and blank: INVALID_FORMAT (a
    // code is never whitespace; values are not trimmed).
    private bool Present(string field, string value, bool required)
    {
        if (_badText.Contains(field))
        {
            return false;
        }

        if (value.Length > 0 && !IsBlank(value))
        {
            return true;
        }

        if (required)
        {
            Add(field, ErrorReasons.RequiredField, $"{field} is required and must not be blank.");
        }
        else if (value.Length > 0)
        {
            Add(field, ErrorReasons.InvalidFormat, $"{field} is blank; leave it empty or send a value without whitespace.");
        }

        return false;
    }
}
