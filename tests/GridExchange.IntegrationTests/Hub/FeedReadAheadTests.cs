using System.Globalization;
using System.Text;
using Grpc.Core;
using GridExchange.Domain.Feed;
using GridExchange.Hub.Services;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// PullChanges read-ahead as a consumer meets it, on each store: the page read ahead is served
/// only to the request it was read for (same cursor, epoch, scope, page size) and only within
/// its lifetime; changes committed after it was read follow on the next page; a cursor of
/// another epoch is still RESYNC_REQUIRED. The hub's read-ahead runs on a clock the tests move.
/// </summary>
/// <remarks>
/// Each test sets up the same situation on its own slice of the county's residents: 150 changes
/// after the head, a first page of 100 (not caught up, so the hub reads the remaining 50 ahead),
/// then — once that read has finished — one more change X. A page read on request includes X;
/// the page read ahead does not. That is how a test tells which one it got.
/// </remarks>
public abstract class FeedReadAheadTests(ReadAheadHubFixture fixture) : IAsyncLifetime
{
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";
    private const int PageSize = 100;

    private static readonly ChangeScope Persons = new() { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } };

    private SampleTruth _truth = null!;

    private ExchangeService.ExchangeServiceClient Client => new(fixture.Hub.Channel);

    private FeedReadAhead ReadAhead => fixture.Hub.Services.GetRequiredService<FeedReadAhead>();

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record Setup(List<long> Submitted, PullChangesResponse First, long X);

    /// <summary>The situation of the remarks above, on residents <c>[slice × 200, slice × 200 + 151)</c> of the county.</summary>
    private async Task<Setup> FirstPageThenXAsync(int slice)
    {
        var persons = _truth.Persons.Values.Where(p => p.GridCode.StartsWith(Zhifu[..6], StringComparison.Ordinal))
            .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).Skip(slice * 200).Take(151).ToList();
        Assert.Equal(151, persons.Count);
        var start = await HeadCursorAsync(Client);
        var batch = await SubmitAppliedAsync(Client, ZhifuSource,
            [.. persons.Take(150).Select(p => Upsert(p, p.Meta.Version + 1, $"read-ahead-{Guid.NewGuid():N}"))]);
        var submitted = batch.Results.Select(r => r.Sequence).ToList();

        var first = await PullAsync(start, Persons, PageSize);
        Assert.Equal(submitted.Take(PageSize), first.Changes.Select(c => c.Sequence));
        Assert.False(first.CaughtUp);

        // The read ahead of the second page is done before X commits, so it cannot hold X.
        await ReadAhead.IdleAsync();
        var x = await SubmitAppliedAsync(Client, ZhifuSource, Upsert(persons[150], persons[150].Meta.Version + 1, $"read-ahead-x-{Guid.NewGuid():N}"));
        return new Setup(submitted, first, x.Results[0].Sequence);
    }

    private async Task<PullChangesResponse> PullAsync(string cursor, ChangeScope? scope, int pageSize) =>
        await Client.PullChangesAsync(new PullChangesRequest { Cursor = cursor, Scope = scope, PageSize = pageSize }, deadline: Calls.Deadline());

    [Fact]
    public async Task TheMatchingCursor_GetsThePageReadAhead_AndChangesCommittedSinceFollowWithoutAGap()
    {
        var (submitted, first, x) = await FirstPageThenXAsync(0);
        var used = ReadAhead.Counts.Used;

        // The page read before X committed: the rest of the batch, caught up as of that read.
        var second = await PullAsync(first.NextCursor, Persons, PageSize);
        Assert.Equal(used + 1, ReadAhead.Counts.Used);
        Assert.Equal(submitted.Skip(PageSize), second.Changes.Select(c => c.Sequence));
        Assert.True(second.CaughtUp);
        Assert.Equal(submitted[^1], SequenceOf(second.NextCursor));

        // X was committed between the first page and the request for the second: it comes next.
        var (rest, _) = await PullAllAsync(Client, second.NextCursor, Persons, PageSize);
        Assert.Equal([x], rest.Select(c => c.Sequence));
        var all = first.Changes.Concat(second.Changes).Concat(rest).Select(c => c.Sequence);
        Assert.Equal(submitted.Append(x), all);
    }

    [Fact]
    public async Task AnotherScopeOrPageSize_ReadsTheStore_AndLeavesThePageForItsOwnRequest()
    {
        var (submitted, first, x) = await FirstPageThenXAsync(1);
        var expected = submitted.Skip(PageSize).Append(x).ToList();

        var otherSize = await PullAsync(first.NextCursor, Persons, PageSize - 1);
        Assert.Equal(expected, otherSize.Changes.Select(c => c.Sequence));
        var otherTypes = await PullAsync(first.NextCursor, new ChangeScope { RegionPrefixes = { Zhifu } }, PageSize);
        Assert.Equal(expected, otherTypes.Changes.Select(c => c.Sequence));
        var wholeFeed = await PullAsync(first.NextCursor, null, PageSize);
        Assert.Equal(expected, wholeFeed.Changes.Select(c => c.Sequence));
        var otherCounty = await PullAsync(first.NextCursor, new ChangeScope { RegionPrefixes = { "370611000000" }, EntityTypes = { EntityType.Person } }, PageSize);
        Assert.Empty(otherCounty.Changes);

        // The same scope written differently is the same scope: the page read ahead, without X.
        var grid = _truth.Grids.Keys.Where(g => g.StartsWith(Zhifu[..6], StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        var sameScope = new ChangeScope { RegionPrefixes = { grid, Zhifu }, EntityTypes = { EntityType.Person, EntityType.Person } };
        var matching = await PullAsync(first.NextCursor, sameScope, PageSize);
        Assert.Equal(submitted.Skip(PageSize), matching.Changes.Select(c => c.Sequence));
    }

    [Fact]
    public async Task AfterItsLifetime_ThePageReadAheadIsNotServed()
    {
        var (submitted, first, x) = await FirstPageThenXAsync(2);
        var expired = ReadAhead.Counts.Expired;
        fixture.Clock.Advance(FeedReadAhead.Lifetime);

        var second = await PullAsync(first.NextCursor, Persons, PageSize);
        Assert.Equal(submitted.Skip(PageSize).Append(x), second.Changes.Select(c => c.Sequence));
        Assert.True(ReadAhead.Counts.Expired > expired);
    }

    [Fact]
    public async Task ACursorOfAnotherEpoch_IsResyncRequired_WhileThePageIsHeldForTheRealOne()
    {
        var (submitted, first, _) = await FirstPageThenXAsync(3);
        Assert.True(FeedCursor.TryDecode(first.NextCursor, out var real));
        var otherEpoch = string.Concat(real.Epoch.Select(c => c == 'f' ? '0' : 'f'));
        var foreign = new FeedCursor(otherEpoch, real.Sequence).Encode();

        await ErrorAssert.ThrowsAsync(() => PullAsync(foreign, Persons, PageSize), StatusCode.FailedPrecondition, "RESYNC_REQUIRED");

        var second = await PullAsync(first.NextCursor, Persons, PageSize);
        Assert.Equal(submitted.Skip(PageSize), second.Changes.Select(c => c.Sequence));
    }
}

/// <summary>A hub on a fresh store whose feed read-ahead runs on <see cref="Clock"/>, sample loaded.</summary>
public abstract class ReadAheadHubFixture : HubFixture
{
    /// <summary>The read-ahead's clock: it moves only when a test moves it.</summary>
    public FakeTimeProvider Clock { get; } = new();

    /// <summary>Starts the hub on SQLite at <paramref name="sqlitePath"/> or on <paramref name="postgres"/>.</summary>
    protected Task<HubInstance> StartAsync(string? sqlitePath, string? postgres) =>
        HubInstance.StartAsync(sqlitePath, postgres, runHangfire: false, configure: builder =>
            builder.Services.AddSingleton(services => new FeedReadAhead(
                (query, cancellation) => services.GetRequiredService<IHubStore>().ReadFeedAsync(query, cancellation),
                Clock,
                64,
                FeedReadAhead.Lifetime,
                services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping,
                NullLogger.Instance)));
}

/// <summary><see cref="ReadAheadHubFixture"/> on the embedded store.</summary>
public sealed class SqliteReadAheadHubFixture : ReadAheadHubFixture
{
    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() => StartAsync(NewSqlitePath("gridx-readahead-"), null);
}

/// <summary><see cref="ReadAheadHubFixture"/> on PostgreSQL.</summary>
public sealed class PostgresReadAheadHubFixture : ReadAheadHubFixture
{
    /// <inheritdoc />
    protected override async Task<HubInstance> StartAsync() => await StartAsync(null, await PostgresServer.NewDatabaseAsync("readahead"));
}

/// <summary>Read-ahead on the embedded store.</summary>
public sealed class FeedReadAheadOnSqliteTests(SqliteReadAheadHubFixture fixture)
    : FeedReadAheadTests(fixture), IClassFixture<SqliteReadAheadHubFixture>;

/// <summary>Read-ahead on PostgreSQL.</summary>
public sealed class FeedReadAheadOnPostgresTests(PostgresReadAheadHubFixture fixture)
    : FeedReadAheadTests(fixture), IClassFixture<PostgresReadAheadHubFixture>;

/// <summary>
/// Read-ahead on and off serve the same feed: one store, changed by a hub with read-ahead on
/// (records moving between counties, grids large enough to cut pages at 4 MiB), pulled whole
/// and by scope there, then pulled again by a hub on the same store with read-ahead off.
/// </summary>
public sealed class FeedReadAheadOnOffTests
{
    private const string Zhifu = "370602000000";
    private const string Fushan = "370611000000";
    private const string Muping = "370612000000";

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task ReadAheadOnAndOff_ServeIdenticalPages(StoreKind kind)
    {
        string? directory = null;
        string? sqlite = null;
        string? postgres = null;
        if (kind == StoreKind.Postgres)
        {
            postgres = await PostgresServer.NewDatabaseAsync("readahead-onoff");
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("gridx-readahead-onoff-").FullName;
            sqlite = Path.Combine(directory, "hub.db");
        }

        try
        {
            List<List<PullChangesResponse>> on;
            var hub = await HubInstance.StartAsync(sqlite, postgres, runHangfire: false);
            try
            {
                var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
                await ChangeAsync(client);
                on = await PullEverythingAsync(client);
                Assert.True(hub.Services.GetRequiredService<FeedReadAhead>().Counts.Used > 0, "no page was served from the read-ahead");
            }
            finally
            {
                await hub.DisposeAsync();
            }

            Assert.True(hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, hub.ErrorLog.Errors));

            List<List<PullChangesResponse>> off;
            hub = await HubInstance.StartAsync(sqlite, postgres, runHangfire: false,
                settings: new Dictionary<string, string?> { ["GridExchange:FeedReadAheadPages"] = "0" });
            try
            {
                off = await PullEverythingAsync(new ExchangeService.ExchangeServiceClient(hub.Channel));
                Assert.False(hub.Services.GetRequiredService<FeedReadAhead>().Enabled);
                Assert.Equal(0, hub.Services.GetRequiredService<FeedReadAhead>().Counts.Started);
            }
            finally
            {
                await hub.DisposeAsync();
            }

            Assert.True(hub.ErrorLog.Errors.Count == 0, string.Join(Environment.NewLine, hub.ErrorLog.Errors));

            Assert.Equal(off.Count, on.Count);
            for (var i = 0; i < on.Count; i++)
            {
                Assert.Equal(Describe(off[i].SelectMany(p => p.Changes)), Describe(on[i].SelectMany(p => p.Changes)));
                Assert.Equal(off[i], on[i]);
            }

            // What the pulls covered: pages cut at 4 MiB (not caught up, fewer changes than asked
            // for), and records leaving and entering the county scopes.
            Assert.Contains(on[0], p => !p.CaughtUp && p.Changes.Count < 1000);
            Assert.Contains(on[4], p => !p.CaughtUp && p.Changes.Count < 1000);
            Assert.Contains(on[2].SelectMany(p => p.Changes), c => c.Operation == ChangeOperation.Enter);
            Assert.Contains(on[2].SelectMany(p => p.Changes), c => c.Operation == ChangeOperation.Leave);
            Assert.Contains(on[3].SelectMany(p => p.Changes), c => c.Operation == ChangeOperation.Enter);
            Assert.Contains(on[3].SelectMany(p => p.Changes), c => c.Operation == ChangeOperation.Leave);
        }
        finally
        {
            if (directory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The pulls compared: whole feed (two page sizes), two counties, one county's grids.</summary>
    private static async Task<List<List<PullChangesResponse>>> PullEverythingAsync(ExchangeService.ExchangeServiceClient client) =>
    [
        (await PullPagesAsync(client, "", null, 1000)).Pages,
        (await PullPagesAsync(client, "", null, 337)).Pages,
        (await PullPagesAsync(client, "", new ChangeScope { RegionPrefixes = { Zhifu } }, 1000)).Pages,
        (await PullPagesAsync(client, "", new ChangeScope { RegionPrefixes = { Fushan }, EntityTypes = { EntityType.Person } }, 250)).Pages,
        (await PullPagesAsync(client, "", new ChangeScope { RegionPrefixes = { Muping }, EntityTypes = { EntityType.Grid } }, 1000)).Pages,
    ];

    /// <summary>Residents moving between Zhifu and Fushan both ways; 120 Muping grids with ~50 KB boundaries.</summary>
    private static async Task ChangeAsync(ExchangeService.ExchangeServiceClient client)
    {
        var truth = await SampleTruth.GetAsync();
        List<Person> PersonsOf(string county) =>
            [.. truth.Persons.Values.Where(p => p.GridCode.StartsWith(county[..6], StringComparison.Ordinal)).OrderBy(p => p.Meta.Id, StringComparer.Ordinal)];
        List<string> GridsOf(string county) =>
            [.. truth.Grids.Keys.Where(g => g.StartsWith(county[..6], StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

        Change Move(Person person, string grid, int i)
        {
            var moved = person.Clone();
            moved.GridCode = grid;
            moved.HouseholdId = "";
            moved.HouseId = "";
            return Upsert(moved, person.Meta.Version + 1, $"read-ahead-move-{i}-{Guid.NewGuid():N}", takeOver: true);
        }

        var zhifuGrids = GridsOf(Zhifu);
        var fushanGrids = GridsOf(Fushan);
        await SubmitAppliedAsync(client, "county-370602", [.. PersonsOf(Fushan).Take(5).Select((p, i) => Move(p, zhifuGrids[i % zhifuGrids.Count], i))]);
        await SubmitAppliedAsync(client, "county-370611", [.. PersonsOf(Zhifu).Take(5).Select((p, i) => Move(p, fushanGrids[i % fushanGrids.Count], i))]);

        var grids = GridsOf(Muping).ToDictionary(code => code, code => truth.Grids[code].Clone());
        var codes = grids.Keys.Order(StringComparer.Ordinal).ToList();
        var batch = new List<Change>();
        for (var i = 0; i < 120; i++)
        {
            var grid = grids[codes[i % codes.Count]];
            grid.Meta.Version++;
            grid.BoundaryGeojson = LargeBoundary(i);
            batch.Add(Upsert(grid, grid.Meta.Version, $"read-ahead-grid-{i}-{Guid.NewGuid():N}"));
            if (batch.Count == 40)
            {
                await SubmitAppliedAsync(client, "county-370612", [.. batch]);
                batch.Clear();
            }
        }
    }
}
