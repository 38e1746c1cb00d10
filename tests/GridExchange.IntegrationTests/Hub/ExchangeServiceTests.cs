using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Infrastructure.FeedCalls;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// ExchangeService over a real socket, on each store, on the sample province (which was loaded
/// through the same ingest path, so it is in the feed). Tests share one hub per store and
/// change it, so each works on its own records and compares against positions it read itself.
/// </summary>
public abstract class ExchangeServiceTests(HubFixture fixture) : IAsyncLifetime
{
    private const string Zhifu = "370602000000";
    private const string ZhifuSource = "county-370602";
    private const string FushanSource = "county-370611";
    private SampleTruth _truth = null!;

    private ExchangeService.ExchangeServiceClient Client => new(fixture.Hub.Channel);

    /// <inheritdoc />
    public async Task InitializeAsync() => _truth = await SampleTruth.GetAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    private Person SamplePerson(string countyPrefix, int skip) =>
        _truth.Persons.Values.Where(p => p.GridCode.StartsWith(countyPrefix, StringComparison.Ordinal))
            .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).Skip(skip).First();

    private static Change Upsert(Person person, long version, string changeId, bool takeOver = false)
    {
        var copy = person.Clone();
        copy.Meta.Version = version;
        return new Change
        {
            EntityType = EntityType.Person,
            EntityKey = copy.Meta.Id,
            Operation = ChangeOperation.Upsert,
            EntityVersion = version,
            SourceChangeId = changeId,
            TakeOver = takeOver,
            Person = copy,
        };
    }

    private async Task<(List<Change> Changes, string Cursor)> PullAllAsync(string cursor, ChangeScope? scope, int pageSize = 1000)
    {
        var changes = new List<Change>();
        while (true)
        {
            var page = await Client.PullChangesAsync(
                new PullChangesRequest { Cursor = cursor, Scope = scope, PageSize = pageSize }, deadline: Calls.Deadline());
            changes.AddRange(page.Changes);
            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                return (changes, cursor);
            }
        }
    }

    private async Task<string> HeadCursorAsync() =>
        (await Client.PullChangesAsync(new PullChangesRequest { Cursor = "", Scope = new ChangeScope { RegionPrefixes = { "370699000000" } }, PageSize = 1 },
            deadline: Calls.Deadline())).NextCursor;

    [Fact]
    public async Task PullChanges_FromTheStart_ServesTheWholeSampleOfACountyOnceInOrder()
    {
        var scope = new ChangeScope { RegionPrefixes = { Zhifu } };
        var (changes, _) = await PullAllAsync("", scope, pageSize: 700);

        var sequences = changes.Select(c => c.Sequence).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(sequences.Distinct().Count(), sequences.Count);
        Assert.All(changes, c => Assert.StartsWith("370602", c.RegionCode, StringComparison.Ordinal));
        var persons = changes.Where(c => c.EntityType == EntityType.Person && c.SourceSystem == ZhifuSource && c.SourceChangeId.StartsWith("seed-", StringComparison.Ordinal));
        Assert.Equal(_truth.Persons.Values.Count(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal)), persons.Count());
    }

    [Fact]
    public async Task SubmitChanges_AppliesOnce_ResentIsDuplicate_RepeatedRequestGetsTheFirstAnswer()
    {
        var person = SamplePerson("370602", 1);
        var request = new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            SourceCheckpoint = "zhifu-offset-1",
            Changes = { Upsert(person, person.Meta.Version + 10, $"t1-{Guid.NewGuid():N}") },
        };
        var first = await Client.SubmitChangesAsync(request, deadline: Calls.Deadline());
        Assert.Equal(1, first.AppliedCount);
        Assert.Equal(ChangeResultStatus.Applied, first.Results[0].Status);
        Assert.True(first.Results[0].Sequence > 0);

        var repeated = await Client.SubmitChangesAsync(request, deadline: Calls.Deadline());
        Assert.Equal(first, repeated);

        var resend = request.Clone();
        resend.RequestId = Guid.NewGuid().ToString();
        var resent = await Client.SubmitChangesAsync(resend, deadline: Calls.Deadline());
        Assert.Equal(1, resent.DuplicateCount);
        Assert.Equal(ChangeResultStatus.Duplicate, resent.Results[0].Status);

        var stale = request.Clone();
        stale.RequestId = Guid.NewGuid().ToString();
        stale.Changes[0].SourceChangeId = $"t1-stale-{Guid.NewGuid():N}";
        var staleAnswer = await Client.SubmitChangesAsync(stale, deadline: Calls.Deadline());
        Assert.Equal(ChangeResultStatus.Stale, staleAnswer.Results[0].Status);
        Assert.Equal(ErrorReason.StaleVersion, staleAnswer.Results[0].Reason);
        Assert.Equal(person.Meta.Version + 10, staleAnswer.Results[0].StoredVersion);

        var reused = request.Clone();
        reused.Changes[0].SourceChangeId = "something-else";
        await ErrorAssert.InvalidArgumentAsync(() => Client.SubmitChangesAsync(reused, deadline: Calls.Deadline()).ResponseAsync,
            "request_id", "REQUEST_ID_REUSED");

        var checkpoint = await Client.GetSourceCheckpointAsync(new GetSourceCheckpointRequest { SourceSystem = ZhifuSource }, deadline: Calls.Deadline());
        Assert.Equal("zhifu-offset-1", checkpoint.SourceCheckpoint);
    }

    [Fact]
    public async Task SubmitChanges_MalformedRecordsAreRejectedOneByOne_WhileTheRestCommits()
    {
        var good = SamplePerson("370602", 2);
        var noGrid = Upsert(SamplePerson("370602", 3), 1000, $"bad-{Guid.NewGuid():N}");
        noGrid.Person.GridCode = "";
        var otherCounty = Upsert(SamplePerson("370602", 4), 1000, $"bad-{Guid.NewGuid():N}");
        otherCounty.Person.GridCode = "370611001001001";
        var response = await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { noGrid, Upsert(good, good.Meta.Version + 5, $"ok-{Guid.NewGuid():N}"), otherCounty },
        }, deadline: Calls.Deadline());

        Assert.Equal([ChangeResultStatus.Rejected, ChangeResultStatus.Applied, ChangeResultStatus.Rejected], response.Results.Select(r => r.Status));
        Assert.Equal((1, 2), (response.AppliedCount, response.RejectedCount));
        Assert.All(response.Results.Where(r => r.Status == ChangeResultStatus.Rejected), r =>
        {
            Assert.NotEqual(ErrorReason.Unspecified, r.Reason);
            Assert.NotEmpty(r.FieldViolations);
        });
        Assert.Equal(ErrorReason.OutOfJurisdiction, response.Results[2].Reason);
    }

    [Fact]
    public async Task BadRequests_GetClearErrors_AndChangeNothing()
    {
        var before = await HeadCursorAsync();
        var person = SamplePerson("370602", 5);

        await ErrorAssert.InvalidArgumentAsync(() => Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { Enumerable.Range(0, 1001).Select(i => Upsert(person, 2000 + i, $"many-{i}")) },
        }, deadline: Calls.Deadline()).ResponseAsync, "changes", "TOO_MANY_ITEMS");

        var huge = Upsert(person, 3000, "huge");
        huge.Person.FormerName = new string('x', 4_300_000);
        await ErrorAssert.InvalidArgumentAsync(() => Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { huge },
        }, deadline: Calls.Deadline()).ResponseAsync, "changes", "MESSAGE_TOO_LARGE");

        await ErrorAssert.InvalidArgumentAsync(() => Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, 3001, "no-request-id") },
        }, deadline: Calls.Deadline()).ResponseAsync, "request_id", "REQUIRED_FIELD");

        await ErrorAssert.ThrowsAsync(() => Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = "nobody",
            Changes = { Upsert(person, 3002, "unknown-source") },
        }, headers: TestPeers.As(ZhifuSource), deadline: Calls.Deadline()).ResponseAsync, StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");

        await ErrorAssert.InvalidArgumentAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Cursor = "not-a-cursor" }, deadline: Calls.Deadline()).ResponseAsync, "cursor", "INVALID_CURSOR");
        await ErrorAssert.InvalidArgumentAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Cursor = before[..^3] }, deadline: Calls.Deadline()).ResponseAsync, "cursor", "INVALID_CURSOR");
        var foreign = new Domain.Feed.FeedCursor(new string('a', 32), 1).Encode();
        await ErrorAssert.ThrowsAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Cursor = foreign }, deadline: Calls.Deadline()).ResponseAsync, StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
        Domain.Feed.FeedCursor.TryDecode(before, out var head);
        var ahead = (head with { Sequence = head.Sequence + 1_000_000 }).Encode();
        await ErrorAssert.ThrowsAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Cursor = ahead }, deadline: Calls.Deadline()).ResponseAsync, StatusCode.FailedPrecondition, "RESYNC_REQUIRED");
        await ErrorAssert.InvalidArgumentAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { PageSize = -1 }, deadline: Calls.Deadline()).ResponseAsync, "page_size", "INVALID_PAGE_SIZE");
        await ErrorAssert.InvalidArgumentAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Scope = new ChangeScope { RegionPrefixes = { "37060" } } }, deadline: Calls.Deadline()).ResponseAsync,
            "scope.region_prefixes[0]", "INVALID_CODE");
        await ErrorAssert.InvalidArgumentAsync(() => Client.PullChangesAsync(
            new PullChangesRequest { Scope = new ChangeScope { EntityTypes = { EntityType.Unspecified } } }, deadline: Calls.Deadline()).ResponseAsync,
            "scope.entity_types[0]", "UNSUPPORTED_ENTITY_TYPE");

        Assert.Equal(before, await HeadCursorAsync());
    }

    [Fact]
    public async Task MalformedTextAndDurations_AreInvalidArgument_OnBothStoresAlike()
    {
        var person = SamplePerson("370602", 10);
        await ErrorAssert.InvalidArgumentAsync(() => Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = "nul\0id",
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, person.Meta.Version + 1, $"nul-{Guid.NewGuid():N}") },
        }, deadline: Calls.Deadline()).ResponseAsync, "request_id", "INVALID_FORMAT");
        await ErrorAssert.InvalidArgumentAsync(() => Client.GetSourceCheckpointAsync(
            new GetSourceCheckpointRequest { SourceSystem = "x\0" }, headers: TestPeers.As(ZhifuSource), deadline: Calls.Deadline()).ResponseAsync,
            "source_system", "INVALID_FORMAT");

        foreach (var bad in new[] { new Duration { Seconds = 5, Nanos = -1 }, new Duration { Seconds = long.MaxValue }, new Duration { Seconds = 301 } })
        {
            await ErrorAssert.InvalidArgumentAsync(async () =>
            {
                using var call = Client.SubscribeChanges(new SubscribeChangesRequest { HeartbeatInterval = bad }, deadline: Calls.Deadline());
                await call.ResponseStream.MoveNext(CancellationToken.None);
            }, "heartbeat_interval", "INVALID_FORMAT");
        }
    }

    [Fact]
    public async Task APersonMovingToAnotherCounty_LeavesTheOldCountysFeed_AndEntersTheNewOne()
    {
        var person = SamplePerson("370602", 6);
        var start = await HeadCursorAsync();
        var moved = Upsert(person, person.Meta.Version + 1, $"move-{Guid.NewGuid():N}", takeOver: true);
        moved.Person.GridCode = _truth.Grids.Keys.Where(g => g.StartsWith("370611", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        moved.Person.HouseholdId = "";
        var answer = await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = FushanSource,
            Changes = { moved },
        }, deadline: Calls.Deadline());
        Assert.True(answer.AppliedCount == 1, answer.ToString());

        var old = (await PullAllAsync(start, new ChangeScope { RegionPrefixes = { Zhifu } })).Changes.Where(c => c.EntityKey == person.Meta.Id).ToList();
        var @new = (await PullAllAsync(start, new ChangeScope { RegionPrefixes = { "370611000000" } })).Changes.Where(c => c.EntityKey == person.Meta.Id).ToList();
        var leave = Assert.Single(old);
        var enter = Assert.Single(@new);
        Assert.Equal((ChangeOperation.Leave, ChangeOperation.Enter), (leave.Operation, enter.Operation));
        Assert.Equal(leave.Sequence, enter.Sequence);
        Assert.Equal(EntityType.Person, leave.EntityType);
        Assert.Null(leave.Person);
        Assert.Equal(person.GridCode, leave.RegionCode);
        Assert.Equal(moved.Person.GridCode, enter.Person.GridCode);
        Assert.True(enter.TakeOver);
        Assert.Equal(FushanSource, enter.SourceSystem);

        // The old county no longer owns the record.
        var late = await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, person.Meta.Version + 2, $"late-{Guid.NewGuid():N}") },
        }, deadline: Calls.Deadline());
        Assert.Equal(ErrorReason.NotOwner, late.Results[0].Reason);
    }

    [Fact]
    public async Task SubscribeChanges_ReplaysThenTailsLiveCommits_AndSendsHeartbeats()
    {
        var scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } };
        var start = await HeadCursorAsync();
        using var call = Client.SubscribeChanges(new SubscribeChangesRequest
        {
            Cursor = start,
            Scope = scope,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        }, deadline: Calls.Deadline());

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SubscribeChangesResponse.ItemOneofCase.Heartbeat, call.ResponseStream.Current.ItemCase);
        Assert.Equal(start, call.ResponseStream.Current.Heartbeat.Cursor);

        var person = SamplePerson("370602", 7);
        var submitted = await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, person.Meta.Version + 3, $"live-{Guid.NewGuid():N}") },
        }, deadline: Calls.Deadline());

        Change? live = null;
        while (live is null && await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            live = call.ResponseStream.Current.Change;
        }

        Assert.NotNull(live);
        Assert.Equal(person.Meta.Id, live.EntityKey);
        Assert.Equal(submitted.Results[0].Sequence, live.Sequence);
        Assert.Equal(ChangeOperation.Upsert, live.Operation);
    }

    [Fact]
    public async Task ExportSnapshot_ThenPullingOn_EqualsAFullPull_AndChunksStayUnder85KB()
    {
        var scope = new ChangeScope { RegionPrefixes = { Zhifu } };
        var state = new Dictionary<(EntityType, string), long>();
        string? end = null;
        long count = 0;
        using (var call = Client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope }, deadline: Calls.Deadline()))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var item = call.ResponseStream.Current;
                if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.Chunk)
                {
                    Assert.True(item.CalculateSize() < 85_000, $"chunk of {item.CalculateSize()} bytes");
                    Apply(state, item.Chunk.Records);
                    count += item.Chunk.Records.Count;
                }
                else
                {
                    end = item.End.Cursor;
                    Assert.Equal(count, item.End.RecordCount);
                }
            }
        }

        Assert.NotNull(end);
        var person = SamplePerson("370602", 8);
        await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, person.Meta.Version + 4, $"after-snapshot-{Guid.NewGuid():N}") },
        }, deadline: Calls.Deadline());

        Apply(state, (await PullAllAsync(end, scope)).Changes);
        var full = Apply([], (await PullAllAsync("", scope)).Changes);
        Assert.Equal(full.OrderBy(e => e.Key).ToList(), state.OrderBy(e => e.Key).ToList());
        Assert.Equal(person.Meta.Version + 4, state[(EntityType.Person, person.Meta.Id)]);
    }

    [Fact]
    public async Task ExportSnapshot_BrokenOff_ResumesFromTheLastChunk_UnlessTheScopeChangedSince()
    {
        var scope = new ChangeScope { RegionPrefixes = { "370612000000" }, EntityTypes = { EntityType.Household, EntityType.House } };
        var whole = new List<Change>();
        SnapshotEnd? wholeEnd = null;
        using (var call = Client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope }, deadline: Calls.Deadline()))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                whole.AddRange(call.ResponseStream.Current.Chunk?.Records ?? []);
                wholeEnd = call.ResponseStream.Current.End ?? wholeEnd;
            }
        }

        var first = new List<Change>();
        string token;
        using (var call = Client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope }, deadline: Calls.Deadline()))
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            first.AddRange(call.ResponseStream.Current.Chunk.Records);
            token = call.ResponseStream.Current.Chunk.ResumeToken;
        }

        var rest = new List<Change>();
        SnapshotEnd? end = null;
        using (var call = Client.ExportSnapshot(new ExportSnapshotRequest { Scope = scope, ResumeToken = token }, deadline: Calls.Deadline()))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                rest.AddRange(call.ResponseStream.Current.Chunk?.Records ?? []);
                end = call.ResponseStream.Current.End ?? end;
            }
        }

        Assert.Equal(whole.Select(c => c.EntityKey), first.Concat(rest).Select(c => c.EntityKey));
        Assert.Equal(wholeEnd!.Cursor, end!.Cursor);
        Assert.Equal(whole.Count, end.RecordCount);

        await ErrorAssert.InvalidArgumentAsync(async () =>
        {
            using var call = Client.ExportSnapshot(new ExportSnapshotRequest { Scope = new ChangeScope { RegionPrefixes = { Zhifu } }, ResumeToken = token },
                deadline: Calls.Deadline());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }, "resume_token", "INVALID_PAGE_TOKEN");
    }

    [Fact]
    public async Task GetDigest_AgreesWithItself_AndAChangeShowsOnlyOnItsGridsPath()
    {
        var person = SamplePerson("370602", 9);
        var before = await Client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person }, deadline: Calls.Deadline());
        var again = await Client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Cursor = before.Cursor },
            deadline: Calls.Deadline());
        Assert.Equal(before.Root, again.Root);
        Assert.Equal(_truth.Persons.Values.Count(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal)) > 0, before.Root.RecordCount > 0);

        await Client.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            SourceSystem = ZhifuSource,
            Changes = { Upsert(person, person.Meta.Version + 6, $"digest-{Guid.NewGuid():N}") },
        }, deadline: Calls.Deadline());

        var after = await Client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person }, deadline: Calls.Deadline());
        static IEnumerable<DigestNode> Flatten(DigestNode node) => new[] { node }.Concat(node.Children.SelectMany(Flatten));
        var oldHashes = Flatten(before.Root).ToDictionary(n => n.Code, n => n.Hash);
        var differing = Flatten(after.Root).Where(n => oldHashes[n.Code] != n.Hash).Select(n => n.Code).Order(StringComparer.Ordinal).ToList();
        var grid = person.GridCode;
        Assert.Equal(
            new[] { Zhifu, grid[..9] + "000", grid[..12], grid }.Order(StringComparer.Ordinal),
            differing);

        // As of the old cursor, the hub still computes the old tree.
        var asOfBefore = await Client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Cursor = before.Cursor },
            deadline: Calls.Deadline());
        Assert.Equal(before.Root, asOfBefore.Root);

        var shallow = await Client.GetDigestAsync(new GetDigestRequest { RegionCode = Zhifu, EntityType = EntityType.Person, Depth = RegionLevel.Township },
            deadline: Calls.Deadline());
        Assert.Equal(after.Root.Hash, shallow.Root.Hash);
        Assert.All(shallow.Root.Children, c => Assert.Empty(c.Children));
    }
}

/// <summary>ExchangeService on the embedded store.</summary>
public sealed class ExchangeServiceOnSqliteTests(SqliteHubFixture fixture)
    : ExchangeServiceTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>ExchangeService on PostgreSQL.</summary>
public sealed class ExchangeServiceOnPostgresTests(PostgresHubFixture fixture)
    : ExchangeServiceTests(fixture), IClassFixture<PostgresHubFixture>;
