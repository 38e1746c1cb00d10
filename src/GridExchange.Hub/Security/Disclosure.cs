using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Security;
using GridExchange.Hub.Services;
using GridExchange.V1;
using DataClass = GridExchange.V1.DataClass;

namespace GridExchange.Hub.Security;

/// <summary>
/// What a caller may see of the records it may read: personal-data fields of classes it is not
/// granted are masked or left out (<see cref="Redactor"/>, driven by the contract's privacy
/// options), and it may not filter by what it may not see.
/// </summary>
internal static class Disclosure
{
    private static readonly EntityType[] AllTypes =
        [.. System.Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified)];

    private static readonly EnumDescriptor TagKinds = PersonReflection.Descriptor.EnumTypes.Single(e => e.ClrType == typeof(PersonTagKind));

    /// <summary>Whether any record the scope can serve needs redacting for <paramref name="caller"/>.</summary>
    public static bool NeedsRedaction(Caller caller, FeedScope scope) =>
        (scope.Types.Count == 0 ? AllTypes : scope.Types).Any(t => Redactor.NeedsRedaction(t, caller.Grants));

    /// <summary><paramref name="message"/> as <paramref name="caller"/> may see it.</summary>
    public static T Redacted<T>(this Caller caller, T message)
        where T : class, IMessage<T> => Redactor.Redact(message, caller.Grants);

    /// <summary>
    /// Refuses a filter on person tags the caller may not see (filtering by an [S4] kind would
    /// tell who belongs to a special group even with the tags left out).
    /// </summary>
    /// <exception cref="RpcException">PERMISSION_DENIED, DATA_CLASS_NOT_GRANTED.</exception>
    public static void RequireTagFilter(Caller caller, IReadOnlyList<PersonTagKind> kinds, string field)
    {
        for (var i = 0; i < kinds.Count; i++)
        {
            var needed = ClassOf(kinds[i]);
            if (!caller.Holds(needed))
            {
                throw NotGranted($"{field}[{i}]", needed, $"Filtering by {kinds[i]} needs the {needed} grant, which peer '{caller.PeerId}' does not hold.");
            }
        }
    }

    /// <summary>Refuses a filter on a field of <paramref name="needed"/> the caller is not granted.</summary>
    /// <exception cref="RpcException">PERMISSION_DENIED, DATA_CLASS_NOT_GRANTED.</exception>
    public static void RequireFilter(Caller caller, DataClass needed, string field)
    {
        if (!caller.Holds(needed))
        {
            throw NotGranted(field, needed, $"Filtering by {field} needs the {needed} grant, which peer '{caller.PeerId}' does not hold.");
        }
    }

    // A tag kind's class from the contract (value_class); a kind without one is S1, and one this
    // build does not know counts as S4.
    private static DataClass ClassOf(PersonTagKind kind)
    {
        var value = TagKinds.FindValueByNumber((int)kind);
        var options = value?.GetOptions();
        return value is null ? DataClass.S4
            : options is not null && options.HasExtension(PrivacyExtensions.ValueClass) ? options.GetExtension(PrivacyExtensions.ValueClass)
            : DataClass.S1;
    }

    private static RpcException NotGranted(string field, DataClass needed, string message) =>
        RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.DataClassNotGranted, message,
            new Dictionary<string, string> { ["field"] = field, ["data_class"] = needed.ToString().ToUpperInvariant() });
}
