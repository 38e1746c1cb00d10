using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Audit;

/// <summary>
/// The canonical encoding of an audit entry and its hash. This is a published format: an auditor
/// holding an export of the log recomputes every hash from it alone, so it never changes
/// silently (a known-answer test pins it); a new format gets a new tag.
/// </summary>
/// <remarks>
/// <code>
/// hash     = lower-case hex of SHA-256(encoding)           (64 characters)
/// encoding = text("gridexchange.audit.v1")                 format tag
///          ‖ text(previous_hash)                           64 lower-case hex characters; 64 × "0" for sequence 1
///          ‖ int64(sequence)
///          ‖ int64(at)                                     microseconds since 1970-01-01T00:00:00Z (UTC)
///          ‖ text(peer_id) ‖ text(method) ‖ text(request_id) ‖ text(scope)
///          ‖ list(entity_types)                            proto EntityType numbers
///          ‖ int64(record_count)
///          ‖ list(data_classes)                            proto DataClass numbers
///
/// text(s)  = uint32(n) ‖ the n bytes of s in UTF-8 (no byte order mark, no terminator)
/// list(xs) = uint32(count) ‖ int32(x) for each x, in the order recorded (ascending, no repeats)
/// int64, int32, uint32: big-endian, two's complement, 8 / 4 / 4 bytes
/// </code>
/// Every variable-length field is preceded by its length and every other field has a fixed
/// width, so no two different entries have the same encoding: moving bytes from one field into
/// the next (peer "ab" + method "c" versus "a" + "bc") changes a length prefix.
/// </remarks>
public static class AuditHash
{
    /// <summary>The format tag that opens every encoding.</summary>
    public const string FormatTag = "gridexchange.audit.v1";

    /// <summary>The <c>previous_hash</c> of the first entry: 64 zeros.</summary>
    public static readonly string Genesis = new('0', 64);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The hash of the entry at <paramref name="sequence"/> holding <paramref name="auditEvent"/>, after <paramref name="previousHash"/>.</summary>
    public static string Compute(string previousHash, long sequence, AuditEvent auditEvent) =>
        Convert.ToHexStringLower(SHA256.HashData(Encode(previousHash, sequence, auditEvent)));

    /// <summary>The hash <paramref name="entry"/> should carry, recomputed from its content.</summary>
    public static string Compute(AuditLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Compute(entry.PreviousHash, entry.Sequence, entry.Event);
    }

    /// <summary>The bytes that are hashed (see the remarks on <see cref="AuditHash"/>).</summary>
    public static byte[] Encode(string previousHash, long sequence, AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(auditEvent);
        using var buffer = new MemoryStream(256);
        WriteText(buffer, FormatTag);
        WriteText(buffer, previousHash);
        WriteInt64(buffer, sequence);
        WriteInt64(buffer, (auditEvent.At.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        WriteText(buffer, auditEvent.PeerId);
        WriteText(buffer, auditEvent.Method);
        WriteText(buffer, auditEvent.RequestId);
        WriteText(buffer, auditEvent.Scope);
        WriteList(buffer, auditEvent.EntityTypes.Select(t => (int)t).ToList());
        WriteInt64(buffer, auditEvent.RecordCount);
        WriteList(buffer, auditEvent.DataClasses.Select(c => (int)c).ToList());
        return buffer.ToArray();
    }

    private static void WriteText(MemoryStream buffer, string value)
    {
        var bytes = Utf8.GetBytes(value);
        WriteUInt32(buffer, (uint)bytes.Length);
        buffer.Write(bytes);
    }

    private static void WriteList(MemoryStream buffer, IReadOnlyList<int> values)
    {
        WriteUInt32(buffer, (uint)values.Count);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes, value);
            buffer.Write(bytes);
        }
    }

    private static void WriteUInt32(MemoryStream buffer, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        buffer.Write(bytes);
    }

    private static void WriteInt64(MemoryStream buffer, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        buffer.Write(bytes);
    }
}
