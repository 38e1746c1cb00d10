using System.Globalization;
using System.Text;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>PullChanges pages: the 4 MiB response cap, and scopes wide enough to leave the bucket indexes.</summary>
public abstract partial class FeedEdgeCaseTests
{
    private const int FourMiB = 4 * 1024 * 1024;

    [Fact]
    public async Task PullChanges_APageOfLargeChanges_IsCutUnder4MiB_AndPagingOnServesEveryChangeOnce()
    {
        const int Total = 200;
        const int PerBatch = 50;
        var codes = SampleGrids(Muping);
        var grids = new Dictionary<string, Grid>();
        foreach (var code in codes)
        {
            grids[code] = await GridAsync(code);
        }

        var start = await HeadCursorAsync(Client);
        var submitted = new List<(string Key, long Version, long Sequence, string Boundary)>();
        var batch = new List<Change>();
        for (var i = 0; i < Total; i++)
        {
            var grid = grids[codes[i % codes.Count]].Clone();
            grid.Meta.Version++;
            grid.BoundaryGeojson = LargeBoundary(i);
            Assert.InRange(grid.BoundaryGeojson.Length, 45_000, 50_000);
            grids[grid.Code] = grid;
            batch.Add(Upsert(grid, grid.Meta.Version, ChangeId($"large-{i}")));
            if (batch.Count == PerBatch)
            {
                var response = await SubmitAppliedAsync(Client, MupingSource, [.. batch]);
                submitted.AddRange(batch.Select((c, k) => (c.EntityKey, c.EntityVersion, response.Results[k].Sequence, c.Grid.BoundaryGeojson)));
                batch.Clear();
            }
        }

        // 200 changes of ~50 KB: a page of 1,000 would be ~10 MB.
        var scope = new ChangeScope { RegionPrefixes = { Muping }, EntityTypes = { EntityType.Grid } };
        var (pages, _) = await PullPagesAsync(Client, start, scope, pageSize: 1000);

        var first = pages[0];
        Assert.False(first.CaughtUp);
        Assert.InRange(first.Changes.Count, 1, Total - 1);
        Assert.True(first.CalculateSize() < FourMiB, $"first page is {first.CalculateSize()} bytes");
        Assert.True(first.CalculateSize() > FourMiB / 2, $"first page is only {first.CalculateSize()} bytes: cut far below the limit");
        Assert.True(pages.Count >= 3, $"{pages.Count} pages");

        foreach (var page in pages)
        {
            Assert.True(page.CalculateSize() < FourMiB, $"a page of {page.CalculateSize()} bytes");
            if (!page.CaughtUp)
            {
                // The next page starts exactly after the last change served, not after the
                // changes the hub read but left out.
                Assert.NotEmpty(page.Changes);
                Assert.Equal(page.Changes[^1].Cursor, page.NextCursor);
                Assert.Equal(page.Changes[^1].Sequence, SequenceOf(page.NextCursor));
            }
        }

        Assert.True(pages[^1].CaughtUp);
        var served = pages.SelectMany(p => p.Changes).ToList();
        Assert.Equal(submitted.Select(s => s.Sequence), served.Select(c => c.Sequence));
        Assert.Equal(submitted.Select(s => (s.Key, s.Version)), served.Select(c => (c.EntityKey, c.EntityVersion)));
        Assert.Equal(submitted.Select(s => s.Boundary), served.Select(c => c.Grid.BoundaryGeojson));

        // Pulling on from the first page's cursor continues with the change right after it.
        var second = await Client.PullChangesAsync(new PullChangesRequest { Cursor = first.NextCursor, Scope = scope, PageSize = 1 }, deadline: Calls.Deadline());
        Assert.Equal(submitted[first.Changes.Count].Sequence, Assert.Single(second.Changes).Sequence);
    }

    [Fact]
    public async Task PullChanges_ScopeOfMoreThan48Prefixes_ServesExactlyTheUnionOfThePerPrefixFeeds()
    {
        // Two real prefixes (a county, and a township of another county) among made-up
        // counties of the same city: 60 prefixes are 60 log buckets, past the 48 up to which the
        // store merges per-bucket index scans; 48 prefixes stay on the merge.
        var fushanGrids = SampleGrids(Fushan);
        var township = fushanGrids[0][..9] + "000";
        var inTownship = fushanGrids.Where(g => g.StartsWith(township[..9], StringComparison.Ordinal)).ToList();
        var outsideTownship = fushanGrids.Where(g => !g.StartsWith(township[..9], StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(inTownship);
        Assert.NotEmpty(outsideTownship);
        string[] real = [Zhifu, township];
        var madeUp = Enumerable.Range(13, 58).Select(n => string.Create(CultureInfo.InvariantCulture, $"3706{n:D2}000000")).ToList();

        // Moves, so that records leave and enter the scope through old_region_code as well.
        var fushanPersons = SamplePersons(Fushan);
        var leaving = await PersonAsync(fushanPersons.Skip(300).First(p => p.GridCode.StartsWith(township[..9], StringComparison.Ordinal)).Meta.Id);
        var entering = await PersonAsync(fushanPersons.Skip(300).First(p => !p.GridCode.StartsWith(township[..9], StringComparison.Ordinal)).Meta.Id);
        var fromMuping = await PersonAsync(SamplePersons(Muping)[300].Meta.Id);
        var fromZhifu = await PersonAsync(SamplePersons(Zhifu)[300].Meta.Id);
        var staying = await PersonAsync(SamplePersons(Zhifu)[301].Meta.Id);
        var leavingOld = leaving.GridCode;
        var fromZhifuOld = fromZhifu.GridCode;
        leaving.GridCode = outsideTownship[0];
        entering.GridCode = inTownship[0];
        fromMuping.GridCode = inTownship[^1];
        fromZhifu.GridCode = SampleGrids(Muping)[0];
        staying.Occupation = "网格员";
        foreach (var moved in new[] { leaving, entering, fromMuping, fromZhifu })
        {
            moved.HouseholdId = "";
            moved.HouseId = "";
        }

        var moves = await SubmitAppliedAsync(Client, FushanSource,
            Upsert(leaving, leaving.Meta.Version + 1, ChangeId("wide-leave")),
            Upsert(entering, entering.Meta.Version + 1, ChangeId("wide-enter")),
            Upsert(fromMuping, fromMuping.Meta.Version + 1, ChangeId("wide-take-over"), takeOver: true));
        var away = await SubmitAppliedAsync(Client, MupingSource,
            Upsert(fromZhifu, fromZhifu.Meta.Version + 1, ChangeId("wide-away"), takeOver: true));
        var update = await SubmitAppliedAsync(Client, ZhifuSource, Upsert(staying, staying.Meta.Version + 1, ChangeId("wide-update")));

        var union = new List<Change>();
        foreach (var prefix in madeUp.Concat(real))
        {
            union.AddRange((await PullAllAsync(Client, "", new ChangeScope { RegionPrefixes = { prefix } })).Changes);
        }

        union = [.. union.OrderBy(c => c.Sequence)];
        Assert.Equal(union.Count, union.Select(c => c.Sequence).Distinct().Count());
        Assert.True(union.Count > 5000, $"{union.Count} changes");

        var sixty = new ChangeScope { RegionPrefixes = { madeUp.Concat(real) } };
        var fortyEight = new ChangeScope { RegionPrefixes = { madeUp.Take(46).Concat(real) } };
        Assert.Equal(60, sixty.RegionPrefixes.Count);
        Assert.Equal(48, fortyEight.RegionPrefixes.Count);

        // Compared line by line first (a readable failure), then field by field.
        var (scanned, _) = await PullAllAsync(Client, "", sixty);
        Assert.Equal(Describe(union), Describe(scanned));
        Assert.Equal(union, scanned);
        var smallPages = (await PullAllAsync(Client, "", sixty, pageSize: 337)).Changes;
        Assert.Equal(Describe(union), Describe(smallPages));
        Assert.Equal(union, smallPages);
        var merged = (await PullAllAsync(Client, "", fortyEight)).Changes;
        Assert.Equal(Describe(union), Describe(merged));
        Assert.Equal(union, merged);

        // What the scope sees of the moves, checked on the wide scope itself.
        Change Seen(SubmitChangesResponse response, int index) =>
            Assert.Single(scanned, c => c.Sequence == response.Results[index].Sequence);
        Assert.Equal((ChangeOperation.Leave, leavingOld), (Seen(moves, 0).Operation, Seen(moves, 0).RegionCode));
        Assert.Null(Seen(moves, 0).Person);
        Assert.Equal((ChangeOperation.Enter, inTownship[0]), (Seen(moves, 1).Operation, Seen(moves, 1).Person.GridCode));
        Assert.Equal((ChangeOperation.Enter, inTownship[^1]), (Seen(moves, 2).Operation, Seen(moves, 2).RegionCode));
        Assert.Equal((ChangeOperation.Leave, fromZhifuOld), (Seen(away, 0).Operation, Seen(away, 0).RegionCode));
        Assert.Equal(ChangeOperation.Upsert, Seen(update, 0).Operation);

        // With an entity-type filter too, and from a cursor in the middle of the log.
        var typed = sixty.Clone();
        typed.EntityTypes.Add([EntityType.Person, EntityType.House]);
        var typedUnion = union.Where(c => c.EntityType is EntityType.Person or EntityType.House).ToList();
        Assert.Equal(Describe(typedUnion), Describe((await PullAllAsync(Client, "", typed)).Changes));
        var middle = union[union.Count / 2];
        Assert.Equal(Describe(union.Where(c => c.Sequence > middle.Sequence)), Describe((await PullAllAsync(Client, middle.Cursor, sixty, pageSize: 500)).Changes));
    }
}
