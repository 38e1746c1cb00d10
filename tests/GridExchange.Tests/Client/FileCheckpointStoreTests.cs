using GridExchange.Client;

namespace GridExchange.Tests.Client;

/// <summary>
/// The file checkpoint store: a save replaces the checkpoint atomically (temporary file, fsync,
/// rename), so a crash mid-write leaves the old or the new value, never a torn one.
/// </summary>
public sealed class FileCheckpointStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-checkpoint-").FullName;

    private string FilePath => Path.Combine(_directory, "sub", "consumer.checkpoint");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task SaveThenLoad_RoundTrips_AndNullClears()
    {
        var store = new FileCheckpointStore(FilePath);
        Assert.Null(await store.LoadAsync(CancellationToken.None));

        await store.SaveAsync(FeedCheckpoint.AtCursor("gx1.cursor-1"), CancellationToken.None);
        Assert.Equal(FeedCheckpoint.AtCursor("gx1.cursor-1"), await new FileCheckpointStore(FilePath).LoadAsync(CancellationToken.None));

        await store.SaveAsync(FeedCheckpoint.InSnapshot("token-7", 4321), CancellationToken.None);
        var inSnapshot = await store.LoadAsync(CancellationToken.None);
        Assert.NotNull(inSnapshot);
        Assert.True(inSnapshot.SnapshotInProgress);
        Assert.Equal(("", "token-7", 4321L), (inSnapshot.Cursor, inSnapshot.SnapshotResumeToken, inSnapshot.SnapshotRecordsHandled));

        await store.SaveAsync(null, CancellationToken.None);
        Assert.Null(await store.LoadAsync(CancellationToken.None));
        Assert.False(File.Exists(store.TempPath));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(-1)]
    public async Task ACrashMidWrite_LeavesTheOldValue_AndTheNextSaveRecovers(int bytesBeforeCrash)
    {
        await new FileCheckpointStore(FilePath).SaveAsync(FeedCheckpoint.AtCursor("old-cursor"), CancellationToken.None);

        // The process "dies" after writing part of the new content (-1: all of it, before the flush and rename).
        var crashing = new FileCheckpointStore(FilePath, inner => new CrashingStream(inner, bytesBeforeCrash));
        await Assert.ThrowsAsync<IOException>(() => crashing.SaveAsync(FeedCheckpoint.AtCursor("new-cursor-" + new string('x', 100)), CancellationToken.None));
        Assert.True(File.Exists(crashing.TempPath), "a crash leaves its temporary file behind");

        var store = new FileCheckpointStore(FilePath);
        Assert.Equal(FeedCheckpoint.AtCursor("old-cursor"), await store.LoadAsync(CancellationToken.None));

        await store.SaveAsync(FeedCheckpoint.AtCursor("newer"), CancellationToken.None);
        Assert.Equal(FeedCheckpoint.AtCursor("newer"), await store.LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentReaders_SeeOnlyWholeValues_WhileAWriterSavesRepeatedly()
    {
        var store = new FileCheckpointStore(FilePath);
        await store.SaveAsync(FeedCheckpoint.AtCursor("c-0"), CancellationToken.None);
        var written = new HashSet<string> { "c-0" };
        for (var i = 1; i <= 300; i++)
        {
            written.Add($"c-{i}-{new string('p', i % 97)}");
        }

        using var done = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var checkpoint = await new FileCheckpointStore(FilePath).LoadAsync(CancellationToken.None);
                Assert.NotNull(checkpoint);
                Assert.Contains(checkpoint.Cursor, written);
                reads++;
            }
        });

        for (var i = 1; i <= 300; i++)
        {
            await store.SaveAsync(FeedCheckpoint.AtCursor($"c-{i}-{new string('p', i % 97)}"), CancellationToken.None);
        }

        await done.CancelAsync();
        await reader;
        Assert.True(reads > 0);
        Assert.Equal($"c-300-{new string('p', 300 % 97)}", (await store.LoadAsync(CancellationToken.None))!.Cursor);
    }

    [Fact]
    public async Task ADamagedFile_FailsLoudly_InsteadOfResumingFromGarbage()
    {
        var store = new FileCheckpointStore(FilePath);
        await store.SaveAsync(FeedCheckpoint.AtCursor("good-cursor"), CancellationToken.None);
        var text = await File.ReadAllTextAsync(FilePath);

        await File.WriteAllTextAsync(FilePath, text[..(text.Length / 2)]);
        await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(CancellationToken.None));

        await File.WriteAllTextAsync(FilePath, text.Replace("good-cursor", "evil-cursor", StringComparison.Ordinal));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(CancellationToken.None));
    }

    /// <summary>Writes through the first <c>limit</c> bytes, then fails as a dying process would (-1: fails at the flush).</summary>
    private sealed class CrashingStream(Stream inner, int limit) : Stream
    {
        private int _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => throw new IOException("crashed before the flush");

        public override Task FlushAsync(CancellationToken cancellationToken) => throw new IOException("crashed before the flush");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (limit < 0)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            var room = Math.Max(0, limit - _written);
            await inner.WriteAsync(buffer[..Math.Min(room, buffer.Length)], cancellationToken);
            await inner.FlushAsync(cancellationToken);
            _written += Math.Min(room, buffer.Length);
            throw new IOException("crashed mid-write");
        }
    }
}
