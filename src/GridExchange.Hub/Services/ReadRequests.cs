using System.Globalization;
using Google.Protobuf;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Security;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Request checks shared by the read services of entities that live in grids (persons, houses,
/// households, cases, service requests): opaque ids, the <c>ancestor_code</c> scope, and
/// enum-set filters with the canonical form their page tokens are bound to.
/// </summary>
internal static class ReadRequests
{
    /// <summary>The longest opaque entity id (<c>EntityMeta.id</c>).</summary>
    public const int MaxEntityIdLength = 64;

    /// <summary>
    /// Validates an opaque entity id: required, at most 64 characters of <c>[A-Za-z0-9._:-]</c>.
    /// The value is not echoed: a client that wrongly sends personal data as an id must not find
    /// it in error details and logs.
    /// </summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT with REQUIRED_FIELD, INVALID_LENGTH or INVALID_FORMAT.</exception>
    public static void ValidateEntityId(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw RpcErrors.InvalidArgument(field, ErrorReasons.RequiredField, $"{field} is required.");
        }

        if (value.Length > MaxEntityIdLength)
        {
            throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidLength,
                $"{field} is {value.Length.ToString(CultureInfo.InvariantCulture)} characters long; ids have at most {MaxEntityIdLength}.");
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidFormat,
                    $"{field} may only contain the characters A-Z, a-z, 0-9, '.', '_', ':' and '-'.");
            }
        }
    }

    /// <summary>Reads and parses one entity by id, if <paramref name="caller"/> may see it, redacted for its grants.</summary>
    /// <exception cref="Grpc.Core.RpcException">
    /// NOT_FOUND when no such entity is stored, or it lies outside the caller's jurisdiction or
    /// granted entity types (the caller cannot tell the two apart).
    /// </exception>
    public static async Task<T> GetRequiredAsync<T>(
        IHubStore store, Caller caller, EntityType type, string name, string key, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        var record = await store.GetAsync(type, key, cancellationToken);
        if (record is null || !caller.MayRead(type) || !caller.Covers(record.ScopeCode))
        {
            throw RpcErrors.NotFound(name, key);
        }

        return caller.Redacted(EntityRecords.Parse(record, parser));
    }

    /// <summary>
    /// Checks <c>ancestor_code</c> (a 12-digit region code or a 15-digit grid code), that it lies
    /// in the caller's jurisdiction, that the caller may read <paramref name="listed"/>, and that
    /// the region or grid exists; returns the prefix every scope code under it starts with.
    /// </summary>
    /// <exception cref="Grpc.Core.RpcException">
    /// INVALID_ARGUMENT (REQUIRED_FIELD, INVALID_CODE), PERMISSION_DENIED (OUT_OF_JURISDICTION) or NOT_FOUND.
    /// </exception>
    public static async Task<string> ResolveAncestorAsync(
        IHubStore store, Caller caller, EntityType listed, string ancestorCode, CancellationToken cancellationToken)
    {
        RpcErrors.ThrowIfInvalid(ScopeCode.Validate(ancestorCode), "ancestor_code");
        if (!caller.Covers(ancestorCode))
        {
            throw FeedRequests.OutOfJurisdiction("ancestor_code",
                $"ancestor_code '{ancestorCode}' lies outside the jurisdiction of peer '{caller.PeerId}' ({caller.RegionCode}).");
        }

        if (!caller.MayRead(listed))
        {
            throw FeedRequests.OutOfJurisdiction("ancestor_code", $"Peer '{caller.PeerId}' is not granted entity type {listed}.");
        }

        ScopeCode.TryParseAny(ancestorCode, out var level, out var prefix);
        var (type, name) = level == DivisionLevel.Grid ? (EntityType.Grid, "Grid") : (EntityType.Region, "Region");
        _ = await store.GetAsync(type, ancestorCode, cancellationToken) ?? throw RpcErrors.NotFound(name, ancestorCode);
        return prefix;
    }

    /// <summary>
    /// Validates a repeated enum filter: every value must be defined in this release's contract,
    /// and <c>*_UNSPECIFIED</c> only where it names real stored data (e.g. a house not assessed
    /// for hazards), not where the contract says no stored record carries it.
    /// </summary>
    /// <param name="values">The request's values, in any order, duplicates allowed.</param>
    /// <param name="field">The request field, for the violation path (<c>states[2]</c>).</param>
    /// <param name="unspecifiedMatchesData">Whether value 0 is a meaningful filter value.</param>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT, reason INVALID_CODE.</exception>
    public static EnumFilter<TEnum> EnumFilter<TEnum>(IReadOnlyList<TEnum> values, string field, bool unspecifiedMatchesData)
        where TEnum : struct, Enum
    {
        for (var i = 0; i < values.Count; i++)
        {
            var number = Convert.ToInt32(values[i], CultureInfo.InvariantCulture);
            if (!Enum.IsDefined(values[i]) || (number == 0 && !unspecifiedMatchesData))
            {
                var path = $"{field}[{i.ToString(CultureInfo.InvariantCulture)}]";
                throw RpcErrors.InvalidArgument(path, ErrorReasons.InvalidCode,
                    $"{path}: {number.ToString(CultureInfo.InvariantCulture)} is not a {typeof(TEnum).Name} value this filter accepts"
                    + (number == 0 ? " (no stored record carries the UNSPECIFIED value)." : "."));
            }
        }

        return new EnumFilter<TEnum>(values);
    }
}

/// <summary>
/// An "any of these values" filter over one enum; empty means no filtering. Its
/// <see cref="Canonical"/> form (sorted, distinct numbers) goes into page-token bindings, so the
/// same set in another order or with repeats continues the same listing.
/// </summary>
/// <typeparam name="TEnum">The protobuf enum.</typeparam>
internal sealed class EnumFilter<TEnum>
    where TEnum : struct, Enum
{
    private readonly HashSet<TEnum> _values;

    /// <summary>Creates the filter from already validated values.</summary>
    public EnumFilter(IEnumerable<TEnum> values)
    {
        _values = [.. values];
        Canonical = string.Join(',', _values.Select(v => Convert.ToInt32(v, CultureInfo.InvariantCulture)).Order()
            .Select(n => n.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Whether the request set no value, so every record passes.</summary>
    public bool IsEmpty => _values.Count == 0;

    /// <summary>The sorted distinct numbers, comma-separated; empty when <see cref="IsEmpty"/>.</summary>
    public string Canonical { get; }

    /// <summary>Whether <paramref name="value"/> passes: the filter is empty or holds it.</summary>
    public bool Matches(TEnum value) => _values.Count == 0 || _values.Contains(value);

    /// <summary>Whether one of <paramref name="values"/> is in the set (an empty filter passes everything).</summary>
    public bool MatchesAny(IEnumerable<TEnum> values) => _values.Count == 0 || values.Any(_values.Contains);
}
