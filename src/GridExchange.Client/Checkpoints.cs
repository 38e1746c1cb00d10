using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GridExchange.Client;

/// <summary>
/// A consumer's position in the change feed: either a <see cref="Cursor"/> to continue from, or,
/// while an initial snapshot is being loaded, the <see cref="SnapshotResumeToken"/> of the last
/// chunk handled. Exactly one of the two is set.
/// </summary>
public sealed record FeedCheckpoint
{
    /// <summary>The hub cursor to continue after (opaque; from a change, a heartbeat or a snapshot's end); "" while a snapshot is in progress.</summary>
    public string Cursor { get; init; } = "";

    /// <summary>The <c>resume_token</c> of the last snapshot chunk handled; "" once the snapshot ended (or when none was taken).</summary>
    public string SnapshotResumeToken { get; init; } = "";

    /// <summary>Records of the snapshot in progress handled so far (all chunks, across restarts); 0 when following.</summary>
    public long SnapshotRecordsHandled { get; init; }

    /// <summary>Whether a snapshot was broken off and is to be resumed.</summary>
    public bool SnapshotInProgress => SnapshotResumeToken.Length > 0;

    /// <summary>A position after <paramref name="cursor"/>.</summary>
    /// <param name="cursor">A cursor the hub gave out.</param>
    /// <returns>The checkpoint.</returns>
    public static FeedCheckpoint AtCursor(string cursor)
    {
        ArgumentException.ThrowIfNullOrEmpty(cursor);
        return new FeedCheckpoint { Cursor = cursor };
    }

    /// <summary>A position inside a snapshot, after the chunk whose token is <paramref name="resumeToken"/>.</summary>
    /// <param name="resumeToken">The chunk's <c>resume_token</c>.</param>
    /// <param name="recordsHandled">Records of the snapshot handled so far.</param>
    /// <returns>The checkpoint.</returns>
    public static FeedCheckpoint InSnapshot(string resumeToken, long recordsHandled)
    {
        ArgumentException.ThrowIfNullOrEmpty(resumeToken);
        return new FeedCheckpoint { SnapshotResumeToken = resumeToken, SnapshotRecordsHandled = recordsHandled };
    }
}

/// <summary>
/// Where a <see cref="ChangeFeedConsumer"/> keeps its position. Implement it over your own
/// database to store the position in the same transaction as the data (then nothing is ever
/// handled twice, even across a crash); <see cref="FileCheckpointStore"/> keeps it in a file.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>The last saved position, or null when none was saved yet (or it was cleared).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoint, or null.</returns>
    Task<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Durably replaces the position with <paramref name="checkpoint"/> (null clears it, e.g. to
    /// start over with a new snapshot after <see cref="ResyncRequiredException"/>). When this
    /// returns the position must survive a crash; a crash during the call must leave either the
    /// old or the new position.
    /// </summary>
    /// <param name="checkpoint">The new position, or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task completing when the position is durable.</returns>
    Task SaveAsync(FeedCheckpoint? checkpoint, CancellationToken cancellationToken);
}

/// <summary>
/// A checkpoint kept in memory only: a consumer that starts from the beginning (or from a
/// cursor it was given) each time it runs, and tests. Safe for one consumer at a time.
/// </summary>
public sealed class MemoryCheckpointStore : ICheckpointStore
{
    private FeedCheckpoint? _checkpoint;

    /// <inheritdoc />
    public Task<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(_checkpoint);

    /// <inheritdoc />
    public Task SaveAsync(FeedCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        _checkpoint = checkpoint;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Keeps a <see cref="FeedCheckpoint"/> in a small JSON file, replaced atomically: the new
/// content is written to a temporary file beside it and flushed to disk (fsync), then renamed
/// over the old file, and the directory is flushed too (on Linux and macOS). A crash at any point
/// leaves the old or the new checkpoint, never a torn one; a leftover temporary file is ignored
/// and overwritten. The file carries a SHA-256 of its content, so a file damaged some other way
/// (a copy cut short, a disk error) fails <see cref="LoadAsync"/> loudly instead of resuming from
/// garbage.
/// </summary>
/// <remarks>
/// One writer per file: two consumers must not share a checkpoint file. Saving costs one or two
/// fsyncs (a few milliseconds on an SSD); the consumer saves after every change it hands over.
/// </remarks>
public sealed class FileCheckpointStore : ICheckpointStore
{
    private const int FormatVersion = 1;
    private readonly Func<Stream, Stream>? _wrapTempStream;

    /// <summary>Keeps the checkpoint in <paramref name="path"/> (its folder is created if missing).</summary>
    /// <param name="path">The checkpoint file.</param>
    public FileCheckpointStore(string path)
        : this(path, null)
    {
    }

    /// <summary>For tests: <paramref name="wrapTempStream"/> wraps the temporary file's stream (e.g. to fail mid-write).</summary>
    internal FileCheckpointStore(string path, Func<Stream, Stream>? wrapTempStream)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _wrapTempStream = wrapTempStream;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>The temporary file a save writes before renaming it over <see cref="Path"/>.</summary>
    public string TempPath => Path + ".tmp";

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The file exists but is not a complete, intact checkpoint.</exception>
    public async Task<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        FileContent? content;
        try
        {
            content = JsonSerializer.Deserialize<FileContent>(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The checkpoint file '{Path}' is damaged (not a complete checkpoint).", e);
        }

        if (content is null || content.Version != FormatVersion || content.Checksum != Checksum(content))
        {
            throw new InvalidDataException($"The checkpoint file '{Path}' is damaged (checksum or version mismatch).");
        }

        return content.Cleared ? null : new FeedCheckpoint
        {
            Cursor = content.Cursor ?? "",
            SnapshotResumeToken = content.SnapshotResumeToken ?? "",
            SnapshotRecordsHandled = content.SnapshotRecordsHandled,
        };
    }

    /// <inheritdoc />
    public async Task SaveAsync(FeedCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        var content = new FileContent
        {
            Version = FormatVersion,
            Cleared = checkpoint is null,
            Cursor = checkpoint?.Cursor ?? "",
            SnapshotResumeToken = checkpoint?.SnapshotResumeToken ?? "",
            SnapshotRecordsHandled = checkpoint?.SnapshotRecordsHandled ?? 0,
        };
        content.Checksum = Checksum(content);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(content);

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var file = new FileStream(TempPath, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
        });
        await using (file.ConfigureAwait(false))
        {
            var target = _wrapTempStream?.Invoke(file) ?? file;
            await target.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            // fsync: the bytes are on disk before the rename makes them the checkpoint.
            file.Flush(flushToDisk: true);
        }

        File.Move(TempPath, Path, overwrite: true);
        // fsync the directory: the rename itself survives a power loss.
        Posix.SyncDirectory(directory);
    }

    private static string Checksum(FileContent content) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{content.Version}\n{content.Cleared}\n{content.Cursor}\n{content.SnapshotResumeToken}\n{content.SnapshotRecordsHandled}")));

    private sealed class FileContent
    {
        public int Version { get; set; }

        public bool Cleared { get; set; }

        public string? Cursor { get; set; }

        public string? SnapshotResumeToken { get; set; }

        public long SnapshotRecordsHandled { get; set; }

        public string? Checksum { get; set; }
    }

    private static class Posix
    {
        private const int ReadOnly = 0;

        public static void SyncDirectory(string directory)
        {
            if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
            {
                // Windows: MoveFileEx replaces atomically; directories cannot be flushed there.
                return;
            }

            var fd = Open(directory, ReadOnly);
            if (fd < 0)
            {
                return;
            }

            try
            {
                _ = Fsync(fd);
            }
            finally
            {
                _ = Close(fd);
            }
        }

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        private static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        private static extern int Close(int fd);
    }
}
