using Google.Protobuf;

namespace GridExchange.V1;

/// <summary>
/// The hub's fast path for sending stored records: the payload goes on the wire as the bytes the
/// store holds, without parsing them into a message and serialising them again.
/// </summary>
public sealed partial class Change
{
    /// <summary>
    /// Sets the payload field of <paramref name="type"/> to <paramref name="encoded"/>, a
    /// record already serialised as that field's message (as the store keeps it), without
    /// parsing it. The bytes are kept as a field this class does not interpret, so the message
    /// serialises to exactly what setting the typed field would give — the payload field's tag,
    /// its length and the bytes — and every receiver parses it into the typed field.
    /// </summary>
    /// <remarks>
    /// For the binary wire only, on the sending side: on this instance the typed payload
    /// properties stay empty, and <see cref="JsonFormatter"/> drops the bytes (JSON needs the
    /// typed message: parse first). Once per instance.
    /// </remarks>
    internal void SetStoredPayload(EntityType type, ReadOnlySpan<byte> encoded)
    {
        if (HasStoredPayload || PayloadCase != PayloadOneofCase.None)
        {
            throw new InvalidOperationException("The change already has a payload.");
        }

        // Google.Protobuf offers no public way to add an unknown field but parsing one, so the
        // field is framed (tag, length, bytes) in a pooled buffer and read back: one copy of the
        // bytes is kept (the field's ByteString), no parse.
        var tag = WireFormat.MakeTag(PayloadFieldNumber(type), WireFormat.WireType.LengthDelimited);
        var length = CodedOutputStream.ComputeRawVarint32Size(tag) + CodedOutputStream.ComputeLengthSize(encoded.Length) + encoded.Length;
        var framed = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var output = new CodedOutputStream(framed);
            output.WriteTag(tag);
            output.WriteLength(encoded.Length);
            output.Flush();
            encoded.CopyTo(framed.AsSpan(length - encoded.Length));
            var input = new CodedInputStream(framed, 0, length);
            input.ReadTag();
            _unknownFields = UnknownFieldSet.MergeFieldFrom(_unknownFields, input);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(framed);
        }

        HasStoredPayload = true;
    }

    /// <summary>Whether <see cref="SetStoredPayload"/> gave this instance its payload.</summary>
    internal bool HasStoredPayload { get; private set; }

    /// <summary>The number of the payload field that carries <paramref name="type"/>.</summary>
    internal static int PayloadFieldNumber(EntityType type) => type switch
    {
        EntityType.Region => RegionFieldNumber,
        EntityType.Grid => GridFieldNumber,
        EntityType.GridWorker => GridWorkerFieldNumber,
        EntityType.Person => PersonFieldNumber,
        EntityType.Household => HouseholdFieldNumber,
        EntityType.House => HouseFieldNumber,
        EntityType.Case => CaseRecordFieldNumber,
        EntityType.ServiceRequest => ServiceRequestFieldNumber,
        EntityType.Directive => DirectiveFieldNumber,
        EntityType.DirectiveReceipt => DirectiveReceiptFieldNumber,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not an entity type."),
    };
}
