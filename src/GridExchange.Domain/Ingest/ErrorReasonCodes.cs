using System.Collections.Frozen;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>Maps the <see cref="Errors.ErrorReasons"/> strings to the <c>ErrorReason</c> enum of <c>errors.proto</c>.</summary>
public static class ErrorReasonCodes
{
    private const string Prefix = "ERROR_REASON_";

    private static readonly FrozenDictionary<string, ErrorReason> ByName =
        ErrorsReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(ErrorReason)).Values
            .Where(v => v.Number != 0)
            .ToFrozenDictionary(v => v.Name[Prefix.Length..], v => (ErrorReason)v.Number, StringComparer.Ordinal);

    private static readonly FrozenDictionary<ErrorReason, string> ByValue = ByName.ToFrozenDictionary(p => p.Value, p => p.Key);

    /// <summary>
    /// The reason string ErrorInfo carries for <paramref name="reason"/> (its enum name without the
    /// prefix, e.g. <c>INVALID_CHECK_DIGIT</c>); <c>UNSPECIFIED</c> for an unset or unknown value.
    /// </summary>
    public static string ToReason(ErrorReason reason) => ByValue.TryGetValue(reason, out var name) ? name : "UNSPECIFIED";

    /// <summary>
    /// The enum value whose name, without the <c>ERROR_REASON_</c> prefix, is <paramref name="reason"/>;
    /// <see cref="ErrorReason.Unspecified"/> for null or an unknown reason.
    /// </summary>
    public static ErrorReason ToProto(string? reason) =>
        reason is not null && ByName.TryGetValue(reason, out var value) ? value : ErrorReason.Unspecified;
}
