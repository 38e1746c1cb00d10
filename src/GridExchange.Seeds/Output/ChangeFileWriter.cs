using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using GridExchange.V1;

namespace GridExchange.Seeds.Output;

/// <summary>
/// Writes one seed file: changes arrive grid by grid but must appear section by section
/// (regions, grids, workers, houses, households, persons, cases, service requests), so each
/// section is spooled to its own temporary file and the sections are concatenated into the
/// gzip file at the end. Memory stays at a few buffers however large the county.
/// </summary>
/// <remarks>
/// <c>source_change_id</c> must count up in file order, which is known only when the sections
/// are joined; lines are spooled with a fixed-width placeholder that is patched on the way out.
/// </remarks>
internal sealed class ChangeFileWriter : IDisposable
{
    private const string IdPrefix = "seed-";
    private const int IdDigits = 8;
    private static readonly string Placeholder = IdPrefix + new string('#', IdDigits);
    private static readonly byte[] PlaceholderBytes = Encoding.ASCII.GetBytes(Placeholder);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Dictionary<EntityType, string> EntityTypeNames =
        ChangeReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(EntityType)).Values
            .ToDictionary(v => (EntityType)v.Number, v => v.Name);

    private readonly string _sourceSystem;
    private readonly Spool[] _sections;
    private readonly Dictionary<EntityType, long> _counts = [];

    public ChangeFileWriter(string tempDirectory, string sourceSystem, int sectionCount)
    {
        _sourceSystem = sourceSystem;
        _sections = new Spool[sectionCount];
        for (var i = 0; i < sectionCount; i++)
        {
            _sections[i] = new Spool(Path.Combine(tempDirectory, $"{sourceSystem}.{i}.{Guid.NewGuid():N}.spool"));
        }
    }

    /// <summary>Adds a change whose entity type, key, region code and payload are set; fills the rest of the envelope.</summary>
    public void Add(int section, Change change)
    {
        change.Operation = ChangeOperation.Upsert;
        change.EntityVersion = 1;
        change.SourceSystem = _sourceSystem;
        change.SourceChangeId = Placeholder;
        var writer = _sections[section].Writer;
        JsonFormatter.Default.Format(change, writer);
        writer.Write('\n');
        _counts[change.EntityType] = _counts.GetValueOrDefault(change.EntityType) + 1;
    }

    /// <summary>Joins the sections into <paramref name="path"/> (gzip) and describes the result.</summary>
    public SeedFile Complete(string path, string regionCode)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long lines = 0;
        long bytes = 0;
        // Written beside the target and renamed over it, so a reader never sees half a file.
        var partial = path + ".partial";
        using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            var line = new LineBuffer();
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
            try
            {
                foreach (var section in _sections)
                {
                    var stream = section.Rewind();
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        var chunk = buffer.AsSpan(0, read);
                        while (!chunk.IsEmpty)
                        {
                            var newline = chunk.IndexOf((byte)'\n');
                            if (newline < 0)
                            {
                                line.Append(chunk);
                                break;
                            }

                            line.Append(chunk[..(newline + 1)]);
                            chunk = chunk[(newline + 1)..];
                            lines++;
                            var span = PatchId(line, lines);
                            hash.AppendData(span);
                            gzip.Write(span);
                            bytes += span.Length;
                            line.Clear();
                        }
                    }

                    if (line.Length > 0)
                    {
                        throw new InvalidOperationException("A spooled section did not end with a newline.");
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        File.Move(partial, path, overwrite: true);
        var records = new Dictionary<string, long>();
        foreach (var type in Enum.GetValues<EntityType>())
        {
            if (_counts.TryGetValue(type, out var count))
            {
                records[EntityTypeName(type)] = count;
            }
        }

        return new SeedFile
        {
            Name = Path.GetFileName(path),
            SourceSystem = _sourceSystem,
            RegionCode = regionCode,
            Lines = lines,
            UncompressedBytes = bytes,
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
            Records = records,
        };
    }

    /// <summary>The proto enum value name, e.g. <c>ENTITY_TYPE_PERSON</c>, as in the JSON lines.</summary>
    public static string EntityTypeName(EntityType type) => EntityTypeNames[type];

    public void Dispose()
    {
        foreach (var section in _sections)
        {
            section.Dispose();
        }
    }

    private static ReadOnlySpan<byte> PatchId(LineBuffer line, long number)
    {
        var span = line.Span;
        var at = span.IndexOf(PlaceholderBytes);
        if (at < 0)
        {
            throw new InvalidOperationException("A spooled line lost its source_change_id placeholder.");
        }

        if (!number.TryFormat(span.Slice(at + IdPrefix.Length, IdDigits), out var written, "D8", CultureInfo.InvariantCulture) || written != IdDigits)
        {
            throw new InvalidOperationException("More changes in one file than source_change_id can number.");
        }

        return span;
    }

    private sealed class LineBuffer
    {
        private byte[] _bytes = new byte[4096];

        public int Length { get; private set; }

        public Span<byte> Span => _bytes.AsSpan(0, Length);

        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (Length + bytes.Length > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + bytes.Length));
            }

            bytes.CopyTo(_bytes.AsSpan(Length));
            Length += bytes.Length;
        }

        public void Clear() => Length = 0;
    }

    private sealed class Spool(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        private StreamWriter? _writer;

        public StreamWriter Writer => _writer ??= new StreamWriter(_stream, Utf8, 1 << 16, leaveOpen: true);

        public Stream Rewind()
        {
            _writer?.Flush();
            _stream.Position = 0;
            return _stream;
        }

        public void Dispose()
        {
            _writer?.Dispose();
            _stream.Dispose();
        }
    }
}
