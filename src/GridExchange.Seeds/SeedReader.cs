using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using GridExchange.V1;

namespace GridExchange.Seeds;

/// <summary>Reads seed files: gzip-compressed NDJSON, one <see cref="Change"/> in proto3 JSON per line.</summary>
public static class SeedReader
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    /// <summary>
    /// Streams the changes of one <c>.ndjson.gz</c> file in file order, a line at a time: a
    /// county file can hold millions of lines and is never loaded whole.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a valid <see cref="Change"/> (the message names the line).</exception>
    public static IAsyncEnumerable<Change> ReadAsync(string filePath, CancellationToken ct) => ReadAsync(filePath, null, ct);

    /// <summary>
    /// Streams the changes of one <c>.ndjson.gz</c> file whose raw line passes
    /// <paramref name="keepLine"/>, so a reader that loads part of a file skips the JSON
    /// parse (most of the cost) of the lines it does not want.
    /// </summary>
    /// <exception cref="InvalidDataException">A kept line is not a valid <see cref="Change"/> (the message names the line).</exception>
    public static async IAsyncEnumerable<Change> ReadAsync(string filePath, Func<string, bool>? keepLine, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        await using var file = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        long lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || (keepLine is not null && !keepLine(line)))
            {
                continue;
            }

            Change change;
            try
            {
                change = Parser.Parse<Change>(line);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new InvalidDataException($"{Path.GetFileName(filePath)} line {lineNumber}: {e.Message}", e);
            }
            catch (InvalidJsonException e)
            {
                throw new InvalidDataException($"{Path.GetFileName(filePath)} line {lineNumber}: {e.Message}", e);
            }

            yield return change;
        }
    }

    /// <summary>Reads the <c>manifest.json</c> of a seed directory.</summary>
    public static SeedManifest LoadManifest(string directory) => SeedManifest.Load(directory);

    /// <summary>The paths of a seed directory's files in manifest order: regions first, then counties.</summary>
    public static IEnumerable<string> Files(string directory, SeedManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Files.Select(f => Path.Combine(directory, f.Name));
    }
}
