using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>The stores a hub can run on, for tests that start their own hub per store.</summary>
public enum StoreKind
{
    /// <summary>The embedded SQLite file.</summary>
    Sqlite,

    /// <summary>A fresh database on the run's PostgreSQL server.</summary>
    Postgres,
}

/// <summary>
/// A hub of its own on a fresh store, for tests that change the hub in ways others must not
/// see (retention). Disposing stops it, expects no error log lines and removes its files.
/// </summary>
public sealed class ScratchHub : IAsyncDisposable
{
    private readonly string? _directory;

    private ScratchHub(HubInstance hub, string? directory)
    {
        Hub = hub;
        _directory = directory;
    }

    /// <summary>The running hub.</summary>
    public HubInstance Hub { get; }

    /// <summary>Starts a hub with the sample loaded on a fresh store of <paramref name="kind"/>.</summary>
    public static async Task<ScratchHub> StartAsync(StoreKind kind, bool runHangfire = false)
    {
        if (kind == StoreKind.Postgres)
        {
            return new ScratchHub(await HubInstance.StartAsync(null, await PostgresServer.NewDatabaseAsync("edge"), runHangfire: runHangfire), null);
        }

        var directory = Directory.CreateTempSubdirectory("gridx-edge-").FullName;
        try
        {
            return new ScratchHub(await HubInstance.StartAsync(Path.Combine(directory, "hub.db"), null, runHangfire: runHangfire), directory);
        }
        catch
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Hub.DisposeAsync();
            Assert.True(Hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, Hub.ErrorLog.Errors));
        }
        finally
        {
            if (_directory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}

/// <summary>A clock that reads a fixed instant, to run time-driven jobs "later" without waiting.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A whole snapshot stream (or the part of it read before breaking off).</summary>
/// <param name="Records">The records of every chunk read, in the order served.</param>
/// <param name="Chunks">The number of chunks read.</param>
/// <param name="LastToken">The resume token of the last chunk read ("" if none).</param>
/// <param name="End">The end message, or null when the stream was broken off before it.</param>
public sealed record SnapshotRead(List<Change> Records, int Chunks, string LastToken, SnapshotEnd? End);

/// <summary>Feed calls many edge-case tests share: head cursor, pull to the end, snapshots.</summary>
public static class FeedCalls
{
    /// <summary>
    /// A valid GeoJSON polygon of just under the 50,000-character cap (about 50 KB on the wire):
    /// the largest single field a change may carry. <paramref name="variant"/> makes each distinct.
    /// </summary>
    public static string LargeBoundary(int variant)
    {
        const int Points = 2150;
        var radius = 0.01 + (variant * 0.000001);
        string Position(int k)
        {
            var angle = 2 * Math.PI * k / Points;
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{121.4 + (radius * Math.Cos(angle)):F6},{37.5 + (radius * Math.Sin(angle)):F6}]");
        }

        var text = new System.Text.StringBuilder("{\"type\":\"Polygon\",\"coordinates\":[[");
        for (var k = 0; k < Points; k++)
        {
            text.Append(Position(k)).Append(',');
        }

        return text.Append(Position(0)).Append("]]}").ToString();
    }

    /// <summary>A scope that matches nothing in the sample (Beijing), so a pull returns the head at once.</summary>
    public static ChangeScope Nowhere => new() { RegionPrefixes = { "370699000000" } };

    /// <summary>The hub's current head as a cursor.</summary>
    public static async Task<string> HeadCursorAsync(ExchangeService.ExchangeServiceClient client)
    {
        var page = await client.PullChangesAsync(new PullChangesRequest { Scope = Nowhere, PageSize = 1 }, deadline: Calls.Deadline());
        Assert.True(page.CaughtUp);
        Assert.Empty(page.Changes);
        return page.NextCursor;
    }

    /// <summary>The sequence a cursor stands after (tests may look inside; clients must not).</summary>
    public static long SequenceOf(string cursor)
    {
        Assert.True(FeedCursor.TryDecode(cursor, out var decoded), $"not a cursor: {cursor}");
        return decoded.Sequence;
    }

    /// <summary>Pulls from <paramref name="cursor"/> until caught up; returns every page.</summary>
    public static async Task<(List<PullChangesResponse> Pages, string Cursor)> PullPagesAsync(
        ExchangeService.ExchangeServiceClient client, string cursor, ChangeScope? scope, int pageSize = 1000, int maxPages = 10_000)
    {
        var pages = new List<PullChangesResponse>();
        while (true)
        {
            var page = await client.PullChangesAsync(
                new PullChangesRequest { Cursor = cursor, Scope = scope, PageSize = pageSize }, deadline: Calls.Deadline());
            pages.Add(page);
            Assert.False(string.IsNullOrEmpty(page.NextCursor));
            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                return (pages, cursor);
            }

            Assert.True(pages.Count < maxPages, $"not caught up after {maxPages} pages");
        }
    }

    /// <summary>Pulls from <paramref name="cursor"/> until caught up; returns the changes in order.</summary>
    public static async Task<(List<Change> Changes, string Cursor)> PullAllAsync(
        ExchangeService.ExchangeServiceClient client, string cursor, ChangeScope? scope, int pageSize = 1000)
    {
        var (pages, next) = await PullPagesAsync(client, cursor, scope, pageSize);
        return ([.. pages.SelectMany(p => p.Changes)], next);
    }

    /// <summary>
    /// Reads a snapshot stream to its end, or breaks it off (cancels the call) after
    /// <paramref name="stopAfterChunks"/> chunks.
    /// </summary>
    public static async Task<SnapshotRead> ReadSnapshotAsync(
        ExchangeService.ExchangeServiceClient client, ChangeScope scope, string resumeToken = "", int? stopAfterChunks = null,
        Func<int, SnapshotChunk, Task>? afterChunk = null)
    {
        var records = new List<Change>();
        var chunks = 0;
        var token = "";
        SnapshotEnd? end = null;
        using var call = client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope, ResumeToken = resumeToken }, deadline: Calls.Deadline());
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var item = call.ResponseStream.Current;
            Assert.Null(end);
            if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.End)
            {
                end = item.End;
                continue;
            }

            Assert.Equal(ExportSnapshotResponse.ItemOneofCase.Chunk, item.ItemCase);
            Assert.True(item.CalculateSize() < 85_000, $"chunk of {item.CalculateSize()} bytes");
            Assert.NotEmpty(item.Chunk.ResumeToken);
            records.AddRange(item.Chunk.Records);
            token = item.Chunk.ResumeToken;
            chunks++;
            if (afterChunk is not null)
            {
                await afterChunk(chunks, item.Chunk);
            }

            if (chunks == stopAfterChunks)
            {
                return new SnapshotRead(records, chunks, token, null);
            }
        }

        return new SnapshotRead(records, chunks, token, end);
    }

    /// <summary>Applies changes to a key → version map the way a consumer applies them to its copy.</summary>
    public static Dictionary<(EntityType, string), long> Apply(Dictionary<(EntityType, string), long> state, IEnumerable<Change> changes)
    {
        foreach (var change in changes)
        {
            if (change.Operation is ChangeOperation.Upsert or ChangeOperation.Enter)
            {
                state[(change.EntityType, change.EntityKey)] = change.EntityVersion;
            }
            else
            {
                Assert.True(state.Remove((change.EntityType, change.EntityKey)), $"{change.Operation} of a record not held: {change.EntityKey}");
            }
        }

        return state;
    }

    /// <summary>One line per change, so that a failed comparison of feeds prints readably.</summary>
    public static List<string> Describe(IEnumerable<Change> changes) =>
        [.. changes.Select(c => $"{c.Sequence} {c.Operation} {c.EntityType} {c.EntityKey} v{c.EntityVersion} {c.RegionCode}")];

    /// <summary>A submittable UPSERT carrying <paramref name="record"/> at <paramref name="version"/>.</summary>
    public static Change Upsert(IMessage record, long version, string changeId, bool takeOver = false)
    {
        var change = new Change
        {
            Operation = ChangeOperation.Upsert,
            EntityVersion = version,
            SourceChangeId = changeId,
            TakeOver = takeOver,
        };
        switch (record)
        {
            case Person person:
                change.Person = person.Clone();
                change.Person.Meta.Version = version;
                (change.EntityType, change.EntityKey) = (EntityType.Person, person.Meta.Id);
                break;
            case House house:
                change.House = house.Clone();
                change.House.Meta.Version = version;
                (change.EntityType, change.EntityKey) = (EntityType.House, house.Meta.Id);
                break;
            case Household household:
                change.Household = household.Clone();
                change.Household.Meta.Version = version;
                (change.EntityType, change.EntityKey) = (EntityType.Household, household.Meta.Id);
                break;
            case Grid grid:
                change.Grid = grid.Clone();
                change.Grid.Meta.Version = version;
                (change.EntityType, change.EntityKey) = (EntityType.Grid, grid.Meta.Id);
                break;
            case Region region:
                change.Region = region.Clone();
                change.Region.Meta.Version = version;
                (change.EntityType, change.EntityKey) = (EntityType.Region, region.Meta.Id);
                break;
            default:
                throw new ArgumentException($"No UPSERT builder for {record.Descriptor.Name}.", nameof(record));
        }

        return change;
    }

    /// <summary>Submits one batch under a fresh request id and expects every change APPLIED.</summary>
    public static async Task<SubmitChangesResponse> SubmitAppliedAsync(
        ExchangeService.ExchangeServiceClient client, string source, params Change[] changes)
    {
        var response = await client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = source,
            Changes = { changes },
        }, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.True(response.AppliedCount == changes.Length, response.ToString());
        return response;
    }
}
