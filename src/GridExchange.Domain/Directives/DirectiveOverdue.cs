using GridExchange.V1;

namespace GridExchange.Domain.Directives;

/// <summary>
/// Overdue flags of a receipt (催签 and 督办), computed at read time from the deadlines and the
/// clock; they never change the receipt's state (DOMAIN §3.2) and are never stored.
/// </summary>
/// <remarks>
/// A deadline is missed when the moment that ended the wait — signing for (for the sign-for
/// deadline) or completion (for the completion deadline), else the directive's withdrawal, else
/// now — lies after it. So a recipient that signed for late stays marked 催签 (the record of a
/// missed deadline does not vanish), and a withdrawn directive's receipts stop accruing at the
/// withdrawal. The stores apply the same rule in SQL for counts and filters.
/// </remarks>
public static class DirectiveOverdue
{
    /// <summary>The end of the sign-for wait: signed for, else withdrawn, else now.</summary>
    public static DateTimeOffset SignForEnd(DateTimeOffset? signedForAt, DateTimeOffset? withdrawnAt, DateTimeOffset now) =>
        signedForAt ?? withdrawnAt ?? now;

    /// <summary>The end of the completion wait: completed, else withdrawn, else now.</summary>
    public static DateTimeOffset CompletionEnd(DateTimeOffset? completedAt, DateTimeOffset? withdrawnAt, DateTimeOffset now) =>
        completedAt ?? withdrawnAt ?? now;

    /// <summary>Sets <paramref name="receipt"/>'s two flags for its directive at <paramref name="now"/>.</summary>
    public static DirectiveReceipt Mark(DirectiveReceipt receipt, Directive directive, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(directive);
        var withdrawn = directive.WithdrawnAt?.ToDateTimeOffset();
        receipt.SignForOverdue = directive.SignForDeadline is { } sign
            && SignForEnd(receipt.SignedForAt?.ToDateTimeOffset(), withdrawn, now) > sign.ToDateTimeOffset();
        receipt.CompletionOverdue = directive.CompletionDeadline is { } complete
            && CompletionEnd(receipt.CompletedAt?.ToDateTimeOffset(), withdrawn, now) > complete.ToDateTimeOffset();
        return receipt;
    }
}
