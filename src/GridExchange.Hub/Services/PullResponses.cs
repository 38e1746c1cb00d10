using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Feed;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// One logged change as a scope sees it, ready to be written as a <see cref="Change"/> without
/// building one: the operation and region the scope sees, the change's cursor and its encoded
/// size (exact, so a page is cut at 4 MiB by measure, not by estimate).
/// </summary>
internal readonly struct ProjectedChange
{
    private ProjectedChange(LoggedChange logged, ChangeOperation seen, string region, string cursor, long seconds, int nanos)
    {
        Logged = logged;
        Seen = seen;
        Region = region;
        Cursor = cursor;
        Seconds = seconds;
        Nanos = nanos;
        Size = ComputeSize();
    }

    /// <summary>The logged change.</summary>
    public LoggedChange Logged { get; }

    /// <summary>The operation the scope sees (UPSERT, DELETE, LEAVE or ENTER).</summary>
    public ChangeOperation Seen { get; }

    /// <summary>The region the scope sees: the old one for LEAVE.</summary>
    public string Region { get; }

    /// <summary>The change's cursor.</summary>
    public string Cursor { get; }

    /// <summary>committed_at's seconds.</summary>
    public long Seconds { get; }

    /// <summary>committed_at's nanoseconds.</summary>
    public int Nanos { get; }

    /// <summary>The bytes of the encoded <see cref="Change"/> (without its framing in the response).</summary>
    public int Size { get; }

    /// <summary>The payload to send, when the scope sees the record (UPSERT or ENTER).</summary>
    public byte[]? Payload => Seen is ChangeOperation.Upsert or ChangeOperation.Enter ? Logged.Payload : null;

    /// <summary>What <paramref name="scope"/> sees of <paramref name="logged"/>; null when it is outside.</summary>
    public static ProjectedChange? Of(LoggedChange logged, FeedScope scope, string epoch)
    {
        if (scope.Project(logged.Type, logged.Operation, logged.RegionCode, logged.OldRegionCode) is not { } seen)
        {
            return null;
        }

        // Timestamp's seconds and nanoseconds, without a Timestamp per change (commit times are
        // after 1970, where the split is plain division).
        var ticks = logged.CommittedAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
        var (seconds, nanos) = ticks >= 0
            ? (ticks / TimeSpan.TicksPerSecond, (int)(ticks % TimeSpan.TicksPerSecond) * 100)
            : FromTimestamp(Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(logged.CommittedAt));
        return new ProjectedChange(
            logged,
            seen,
            seen == ChangeOperation.Leave ? logged.OldRegionCode! : logged.RegionCode,
            new FeedCursor(epoch, logged.Sequence, FeedCursor.MarkOf(logged.CommittedAt)).Encode(),
            seconds,
            nanos);

        static (long, int) FromTimestamp(Google.Protobuf.WellKnownTypes.Timestamp timestamp) => (timestamp.Seconds, timestamp.Nanos);
    }

    /// <summary>The size of committed_at's Timestamp message.</summary>
    public int TimestampSize =>
        (Seconds != 0 ? 1 + CodedOutputStream.ComputeInt64Size(Seconds) : 0) + (Nanos != 0 ? 1 + CodedOutputStream.ComputeInt32Size(Nanos) : 0);

    private int ComputeSize()
    {
        // Field by field as the generated Change.CalculateSize counts them: proto3 defaults
        // (0, "", false) are not sent; committed_at is always set; the payload (fields 20-29,
        // two-byte tags) last.
        var size = 0;
        size += Logged.Sequence != 0 ? 1 + CodedOutputStream.ComputeInt64Size(Logged.Sequence) : 0;
        size += StringSize(Cursor);
        size += Logged.Type != 0 ? 1 + CodedOutputStream.ComputeEnumSize((int)Logged.Type) : 0;
        size += StringSize(Logged.Key);
        size += StringSize(Region);
        size += Seen != 0 ? 1 + CodedOutputStream.ComputeEnumSize((int)Seen) : 0;
        size += Logged.Version != 0 ? 1 + CodedOutputStream.ComputeInt64Size(Logged.Version) : 0;
        size += StringSize(Logged.SourceSystem);
        size += StringSize(Logged.SourceChangeId);
        size += 1 + CodedOutputStream.ComputeLengthSize(TimestampSize) + TimestampSize;
        size += Logged.TakeOver ? 2 : 0;
        if (Payload is { } payload)
        {
            size += 2 + CodedOutputStream.ComputeLengthSize(payload.Length) + payload.Length;
        }

        return size;
    }

    private static int StringSize(string value) => value.Length == 0 ? 0 : 1 + CodedOutputStream.ComputeStringSize(value);
}

/// <summary>
/// Writes PullChanges responses straight from the logged changes: the hub's handler returns a
/// <see cref="PullChangesResponse"/> carrying only <c>next_cursor</c> and <c>caught_up</c>, and
/// attaches the page's <see cref="ProjectedChange"/>s; the response marshaller bound for
/// PullChanges (<see cref="ExchangeServiceBinding"/>) writes them as the <c>changes</c> field,
/// byte for byte what the generated serialiser writes for the same changes, with no
/// <see cref="Change"/> built per change. A response without attached changes (any other
/// source) is serialised as generated.
/// </summary>
/// <remarks>
/// The wire form only: anything that reads the typed response in-process (an interceptor, JSON
/// transcoding, masking per grant) sees no changes on it, and must use the typed path
/// (<see cref="FeedChanges.Project"/>) instead.
/// </remarks>
internal static class PullResponses
{
    private static readonly ConditionalWeakTable<PullChangesResponse, List<ProjectedChange>> Attached = [];

    /// <summary>The marshaller bound for PullChanges responses.</summary>
    public static readonly Marshaller<PullChangesResponse> Marshaller = new(Serialize, context => PullChangesResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>Makes <paramref name="changes"/> the changes <paramref name="response"/> is sent with.</summary>
    public static void Attach(PullChangesResponse response, List<ProjectedChange> changes)
    {
        if (response.Changes.Count > 0)
        {
            throw new InvalidOperationException("The response already holds typed changes.");
        }

        Attached.AddOrUpdate(response, changes);
    }

    /// <summary>The encoded response: attached changes written directly, anything else as generated.</summary>
    public static byte[] Encode(PullChangesResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!Attached.TryGetValue(response, out var changes))
        {
            return response.ToByteArray();
        }

        var bytes = new byte[Size(response, changes)];
        Write(response, changes, bytes);
        return bytes;
    }

    private static void Serialize(PullChangesResponse response, SerializationContext context)
    {
        if (!Attached.TryGetValue(response, out var changes))
        {
            context.SetPayloadLength(response.CalculateSize());
            response.WriteTo(context.GetBufferWriter());
            context.Complete();
            return;
        }

        // Written in place: a buffer writer hands out a span of at least the size asked for.
        var size = Size(response, changes);
        context.SetPayloadLength(size);
        var writer = context.GetBufferWriter();
        Write(response, changes, writer.GetSpan(size)[..size]);
        writer.Advance(size);
        context.Complete();
    }

    private static int Size(PullChangesResponse response, List<ProjectedChange> changes)
    {
        var size = 0;
        foreach (var change in changes)
        {
            size += 1 + CodedOutputStream.ComputeLengthSize(change.Size) + change.Size;
        }

        size += response.NextCursor.Length == 0 ? 0 : 1 + CodedOutputStream.ComputeStringSize(response.NextCursor);
        size += response.CaughtUp ? 2 : 0;
        return size;
    }

    private static void Write(PullChangesResponse response, List<ProjectedChange> changes, Span<byte> output)
    {
        var writer = new SpanWriter(output);
        foreach (var change in changes)
        {
            writer.Tag(1, WireFormat.WireType.LengthDelimited);
            writer.Varint((uint)change.Size);
            var start = writer.Position;
            WriteChange(ref writer, change);
            if (writer.Position - start != change.Size)
            {
                throw new InvalidOperationException($"Change {change.Logged.Sequence} wrote {writer.Position - start} bytes, not {change.Size}.");
            }
        }

        writer.String(2, response.NextCursor);
        if (response.CaughtUp)
        {
            writer.Tag(3, WireFormat.WireType.Varint);
            writer.Varint(1);
        }

        if (writer.Position != output.Length)
        {
            throw new InvalidOperationException($"The response wrote {writer.Position} bytes, not {output.Length}.");
        }
    }

    private static void WriteChange(ref SpanWriter writer, in ProjectedChange change)
    {
        var logged = change.Logged;
        writer.Int64(1, logged.Sequence);
        writer.String(2, change.Cursor);
        writer.Int64(3, (int)logged.Type);
        writer.String(4, logged.Key);
        writer.String(5, change.Region);
        writer.Int64(6, (int)change.Seen);
        writer.Int64(7, logged.Version);
        writer.String(8, logged.SourceSystem);
        writer.String(9, logged.SourceChangeId);
        writer.Tag(10, WireFormat.WireType.LengthDelimited);
        writer.Varint((uint)change.TimestampSize);
        writer.Int64(1, change.Seconds);
        writer.Int64(2, change.Nanos);
        if (logged.TakeOver)
        {
            writer.Tag(11, WireFormat.WireType.Varint);
            writer.Varint(1);
        }

        if (change.Payload is { } payload)
        {
            writer.Tag(Change.PayloadFieldNumber(logged.Type), WireFormat.WireType.LengthDelimited);
            writer.Varint((uint)payload.Length);
            writer.Raw(payload);
        }
    }

    /// <summary>The protobuf wire primitives over a span, defaults skipped as proto3 does.</summary>
    private ref struct SpanWriter(Span<byte> output)
    {
        private readonly Span<byte> _output = output;

        public int Position { get; private set; }

        public void Tag(int field, WireFormat.WireType type) => Varint(WireFormat.MakeTag(field, type));

        public void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _output[Position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _output[Position++] = (byte)value;
        }

        /// <summary>An int64, int32 or enum field (negative values as ten-byte varints, as protobuf does).</summary>
        public void Int64(int field, long value)
        {
            if (value != 0)
            {
                Tag(field, WireFormat.WireType.Varint);
                Varint((ulong)value);
            }
        }

        public void String(int field, string value)
        {
            if (value.Length == 0)
            {
                return;
            }

            Tag(field, WireFormat.WireType.LengthDelimited);
            var length = Encoding.UTF8.GetByteCount(value);
            Varint((uint)length);
            Position += Encoding.UTF8.GetBytes(value, _output[Position..]);
        }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_output[Position..]);
            Position += bytes.Length;
        }
    }
}

/// <summary>
/// Binds ExchangeService as generated, except that PullChanges' responses go through
/// <see cref="PullResponses.Marshaller"/>. grpc-dotnet finds this through the
/// <see cref="BindServiceMethodAttribute"/> on <see cref="ExchangeGrpcService"/>, and resolves
/// each handler on the service class by the method's name, as for the generated binding.
/// </summary>
internal static class ExchangeServiceBinding
{
    /// <summary>
    /// The service's descriptor, as on the generated class: JSON transcoding reads the
    /// <c>google.api.http</c> routes from the <c>Descriptor</c> of the bind method's type.
    /// </summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => ExchangeService.Descriptor;

    /// <summary>The bind method grpc-dotnet calls (the generated one's signature).</summary>
    public static void BindService(ServiceBinderBase serviceBinder, ExchangeService.ExchangeServiceBase serviceImpl) =>
        ExchangeService.BindService(new Binder(serviceBinder), serviceImpl);

    private sealed class Binder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            if (method is Method<PullChangesRequest, PullChangesResponse> pull)
            {
                var bound = new Method<PullChangesRequest, PullChangesResponse>(
                    pull.Type, pull.ServiceName, pull.Name, pull.RequestMarshaller, PullResponses.Marshaller);
                inner.AddMethod(bound, (UnaryServerMethod<PullChangesRequest, PullChangesResponse>?)(object?)handler);
                return;
            }

            inner.AddMethod(method, handler);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);
    }
}
