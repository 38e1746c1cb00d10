using GridExchange.Domain.Codes;
using GridExchange.V1;

namespace GridExchange.Domain.Feed;

/// <summary>
/// What a consumer reads: region subtrees (significant prefixes of region or grid codes) and
/// entity types. Decides, per logged change, whether and how the consumer sees it, including
/// the LEAVE/ENTER pair of a record that moved between scopes (DESIGN §3.8).
/// </summary>
public sealed class FeedScope
{
    private readonly HashSet<EntityType> _types;

    private FeedScope(IReadOnlyList<string> prefixes, IReadOnlyCollection<EntityType> types)
    {
        Prefixes = prefixes;
        _types = [.. types];
    }

    /// <summary>Everything: every region, every type.</summary>
    public static FeedScope All { get; } = new([], []);

    /// <summary>
    /// The significant prefixes of the subtrees read, minimal (none inside another) and sorted;
    /// empty means every region.
    /// </summary>
    public IReadOnlyList<string> Prefixes { get; }

    /// <summary>The entity types read; empty means every type.</summary>
    public IReadOnlyCollection<EntityType> Types => _types;

    /// <summary>
    /// Builds a scope from region or grid codes (already validated with
    /// <see cref="ScopeCode.TryParseAny"/>) and entity types. Prefixes nested in another are
    /// dropped, so a change is never served twice.
    /// </summary>
    /// <exception cref="ArgumentException">A code is not a region or grid code.</exception>
    public static FeedScope Create(IEnumerable<string> codes, IEnumerable<EntityType> types)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(types);
        var prefixes = new List<string>();
        foreach (var code in codes)
        {
            if (!ScopeCode.TryParseAny(code, out _, out var prefix))
            {
                throw new ArgumentException($"'{code}' is not a region or grid code.", nameof(codes));
            }

            prefixes.Add(prefix);
        }

        prefixes.Sort(StringComparer.Ordinal);
        var minimal = new List<string>();
        foreach (var prefix in prefixes)
        {
            if (minimal.Count == 0 || !prefix.StartsWith(minimal[^1], StringComparison.Ordinal))
            {
                minimal.Add(prefix);
            }
        }

        // A province-wide prefix of length 0 cannot occur: the shortest significant prefix is 2.
        return new FeedScope(minimal, [.. types.Distinct()]);
    }

    /// <summary>Whether the scope reads entities of <paramref name="type"/>.</summary>
    public bool IncludesType(EntityType type) => _types.Count == 0 || _types.Contains(type);

    /// <summary>Whether <paramref name="code"/> (a region or grid code) lies in the scope.</summary>
    public bool Contains(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return false;
        }

        if (Prefixes.Count == 0)
        {
            return true;
        }

        foreach (var prefix in Prefixes)
        {
            if (code.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// How this scope sees a logged change, or null when it does not see it at all.
    /// </summary>
    /// <param name="type">The entity type.</param>
    /// <param name="operation">The logged operation: UPSERT or DELETE.</param>
    /// <param name="regionCode">Where the record is after the change (for DELETE: where it was).</param>
    /// <param name="oldRegionCode">Where it was before, when the change moved it; otherwise null.</param>
    /// <returns>
    /// The logged operation when the scope holds the record before and after; ENTER when only
    /// after; LEAVE when only before; null when neither.
    /// </returns>
    public ChangeOperation? Project(EntityType type, ChangeOperation operation, string regionCode, string? oldRegionCode)
    {
        if (!IncludesType(type))
        {
            return null;
        }

        var now = Contains(regionCode);
        if (oldRegionCode is null || oldRegionCode == regionCode)
        {
            return now ? operation : null;
        }

        var before = Contains(oldRegionCode);
        return (before, now) switch
        {
            (true, true) => operation,
            (false, true) => operation == ChangeOperation.Delete ? null : ChangeOperation.Enter,
            (true, false) => ChangeOperation.Leave,
            _ => null,
        };
    }

    /// <summary>
    /// The log buckets (first six digits of a code: a county, or a city or province's own
    /// records) that can hold changes in the scope, given every bucket the log has seen.
    /// Null means "all buckets" (an unrestricted scope).
    /// </summary>
    public IReadOnlyList<string>? Buckets(IEnumerable<string> knownBuckets)
    {
        ArgumentNullException.ThrowIfNull(knownBuckets);
        if (Prefixes.Count == 0)
        {
            return null;
        }

        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var prefix in Prefixes)
        {
            if (prefix.Length >= BucketLength)
            {
                result.Add(prefix[..BucketLength]);
            }
            else
            {
                foreach (var bucket in knownBuckets)
                {
                    if (bucket.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        result.Add(bucket);
                    }
                }
            }
        }

        return [.. result];
    }

    /// <summary>Length of a log bucket: a county's six digits.</summary>
    public const int BucketLength = 6;

    /// <summary>The log bucket of a code.</summary>
    public static string BucketOf(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return code.Length >= BucketLength ? code[..BucketLength] : code;
    }
}
