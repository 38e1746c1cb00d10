using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridExchange.V1;

namespace GridExchange.Domain.Privacy;

/// <summary>
/// Redacts contract messages for a caller's data-class grant (DOMAIN §5), as the
/// <c>privacy</c> and <c>value_class</c> options in privacy.proto declare it: a field of a class
/// not granted is left empty (S2, S4) or masked with <see cref="Masking"/> (S3, per its
/// <c>MaskKind</c>; <c>CLEAR</c> empties it), and a list element that is of a class not granted as
/// a whole (a PersonTag of an S4 kind, or a left-behind child's) is removed, so not even the
/// membership shows.
/// </summary>
/// <remarks>
/// <para>
/// Works on any message from its descriptors; the plan of each type is built once and cached, so a
/// call costs a clone and a walk over the classified fields. Never changes its input: it returns
/// the input itself when nothing needs redacting, else a redacted copy whose
/// <c>meta.redacted_classes</c> (for entity messages) lists, sorted and without duplicates, the
/// classes redacted, together with any the input already listed.
/// </para>
/// <para>
/// S2 and S3 are listed when a value of that class was actually cleared or masked. S4 is listed
/// whenever the type can hold S4 data and S4 is not granted, whether or not this record held any:
/// listing it only for records that had some would tell who belongs to a special group.
/// </para>
/// <para>
/// Unknown fields are not classified and pass through; ingest drops them
/// (<c>ChangeValidator</c> parses with <c>DiscardUnknownFields</c>), so stored records have none.
/// </para>
/// </remarks>
public static class Redactor
{
    private static readonly OneofDescriptor PayloadOneof = Change.Descriptor.Oneofs.Single(o => o.Name == "payload");

    /// <summary>
    /// Whether a message of type <paramref name="descriptor"/> can hold anything that
    /// <paramref name="granted"/> does not cover. When false, <see cref="Redact{T}"/> returns its
    /// input unchanged, and a caller can skip it for every record of the type.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="descriptor"/> is null.</exception>
    public static bool NeedsRedaction(MessageDescriptor descriptor, DataClassGrants granted)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return RedactionPlan.For(descriptor).Withheld(granted.Bits) != 0;
    }

    /// <summary>
    /// Whether a record of <paramref name="type"/> can hold anything that
    /// <paramref name="granted"/> does not cover; true for a type this build does not know.
    /// </summary>
    public static bool NeedsRedaction(EntityType type, DataClassGrants granted) =>
        DescriptorOf(type) is not { } descriptor || NeedsRedaction(descriptor, granted);

    /// <summary>
    /// <paramref name="message"/> as a caller granted <paramref name="granted"/> may see it: the
    /// message itself when nothing in it is withheld, else a redacted copy (see the class remarks).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static T Redact<T>(T message, DataClassGrants granted)
        where T : class, IMessage<T> => (T)Redact((IMessage)message, granted);

    /// <inheritdoc cref="Redact{T}(T, DataClassGrants)"/>
    public static IMessage Redact(IMessage message, DataClassGrants granted)
    {
        ArgumentNullException.ThrowIfNull(message);
        var plan = RedactionPlan.For(message.Descriptor);
        var bits = granted.Bits;
        if (plan.Withheld(bits) == 0)
        {
            return message;
        }

        var copy = plan.Clone(message);
        return RedactCopy(plan, copy, bits) ? copy : message;
    }

    /// <summary>
    /// <paramref name="change"/> with its payload redacted for <paramref name="granted"/>: the
    /// change itself when nothing is withheld (tombstones, types without personal data, a fully
    /// granted caller), else a copy with the redacted payload. The envelope carries no personal
    /// data (keys are never personal data, EntityMeta.id).
    /// </summary>
    /// <remarks>
    /// A payload the typed properties do not show — the bytes the hub's stored-payload send path
    /// attaches without parsing — is parsed here when the type needs redaction, so it is never
    /// passed on unredacted; the copy then carries the typed, redacted payload.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="change"/> is null.</exception>
    public static Change RedactChange(Change change, DataClassGrants granted)
    {
        ArgumentNullException.ThrowIfNull(change);
        var bits = granted.Bits;
        var field = PayloadOneof.Accessor.GetCaseFieldDescriptor(change);
        if (field is null)
        {
            if (DescriptorOf(change.EntityType) is { } type && RedactionPlan.For(type).Withheld(bits) == 0)
            {
                return change;
            }

            var parsed = Change.Parser.ParseFrom(change.ToByteString());
            field = PayloadOneof.Accessor.GetCaseFieldDescriptor(parsed);
            return field is not null && RedactPayload(parsed, field, bits) ? parsed : change;
        }

        if (RedactionPlan.For(field.MessageType).Withheld(bits) == 0)
        {
            return change;
        }

        var copy = change.Clone();
        return RedactPayload(copy, field, bits) ? copy : change;
    }

    /// <summary>The message type of records of <paramref name="type"/>, or null for a type this build does not know.</summary>
    private static MessageDescriptor? DescriptorOf(EntityType type) => type switch
    {
        EntityType.Region => Region.Descriptor,
        EntityType.Grid => Grid.Descriptor,
        EntityType.GridWorker => GridWorker.Descriptor,
        EntityType.Person => Person.Descriptor,
        EntityType.Household => Household.Descriptor,
        EntityType.House => House.Descriptor,
        EntityType.Case => Case.Descriptor,
        EntityType.ServiceRequest => ServiceRequest.Descriptor,
        EntityType.Directive => Directive.Descriptor,
        EntityType.DirectiveReceipt => DirectiveReceipt.Descriptor,
        _ => null,
    };

    // Redacts the payload of a change this class owns (a clone or a fresh parse) in place.
    private static bool RedactPayload(Change owned, FieldDescriptor field, int bits)
    {
        var payload = (IMessage)field.Accessor.GetValue(owned);
        return RedactCopy(RedactionPlan.For(field.MessageType), payload, bits);
    }

    // Redacts a message this class owns in place; whether anything was redacted or marked.
    private static bool RedactCopy(RedactionPlan plan, IMessage copy, int bits)
    {
        const int s4Bit = 1 << (int)V1.DataClass.S4;
        var redacted = plan.RedactInPlace(copy, bits) | (plan.Withheld(bits) & s4Bit);
        if (redacted == 0)
        {
            return false;
        }

        plan.MarkRedacted(copy, redacted);
        return true;
    }
}
