namespace GridExchange.Domain.Errors;

/// <summary>
/// The outcome of a validation: either <see cref="Ok"/>, or a failure carrying one of the
/// <see cref="ErrorReasons"/> and a human-readable message.
/// </summary>
/// <param name="IsValid">Whether the value passed.</param>
/// <param name="Reason">One of <see cref="ErrorReasons"/> when invalid; otherwise <see langword="null"/>.</param>
/// <param name="Message">An English explanation when invalid; otherwise <see langword="null"/>.</param>
/// <remarks>
/// Messages never echo personal data (citizen IDs, names, phones), because they travel in
/// error details and end up in logs; public codes (region, grid) may be quoted.
/// </remarks>
public readonly record struct CodeCheck(bool IsValid, string? Reason, string? Message)
{
    /// <summary>The successful outcome.</summary>
    public static CodeCheck Ok { get; } = new(true, null, null);

    /// <summary>Creates a failed outcome.</summary>
    /// <param name="reason">One of <see cref="ErrorReasons"/>.</param>
    /// <param name="message">An explanation for the caller; must not contain personal data.</param>
    /// <exception cref="ArgumentException">A parameter is null or empty.</exception>
    public static CodeCheck Fail(string reason, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(message);
        return new(false, reason, message);
    }
}
