using GridExchange.Domain.Errors;

namespace GridExchange.Domain.Paging;

/// <summary>
/// The page-size rule shared by every List RPC: 0 means <see cref="Default"/>, values above
/// <see cref="Max"/> are clamped to it (documented behaviour, not an error), negative values are
/// rejected with <see cref="ErrorReasons.InvalidPageSize"/>.
/// </summary>
public static class PageSize
{
    /// <summary>The page size used when the request leaves it at 0.</summary>
    public const int Default = 100;

    /// <summary>The largest page size served.</summary>
    public const int Max = 1000;

    /// <summary>Rejects a negative page size; every other value is acceptable.</summary>
    public static CodeCheck Validate(int requested) =>
        requested < 0
            ? CodeCheck.Fail(ErrorReasons.InvalidPageSize, "page_size must not be negative.")
            : CodeCheck.Ok;

    /// <summary>The page size to serve: <see cref="Default"/> for 0, at most <see cref="Max"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requested"/> is negative; call <see cref="Validate"/> first.</exception>
    public static int Normalize(int requested)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requested);
        return requested == 0 ? Default : Math.Min(requested, Max);
    }
}
