using System.Data.Common;
using GridExchange.Domain.Audit;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// The audit log's contract, on SQLite and a real PostgreSQL: gapless sequences under
/// concurrent appenders, a chain that verifies, tampering done with raw SQL found, and the
/// database refusing changes to the log.
/// </summary>
public abstract class AuditLogContractTests : IAsyncLifetime
{
    private const string PullChanges = "/gridexchange.v1.ExchangeService/PullChanges";
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    /// <summary>The store under test, migrated and empty.</summary>
    protected SqlHubStore Store { get; private set; } = null!;

    /// <summary>Gives up on a hung test.</summary>
    protected CancellationToken Timeout => _timeout.Token;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<SqlHubStore> CreateStoreAsync();

    /// <summary>Opens a second store over the same database: another hub process, as far as the database can tell.</summary>
    protected abstract SqlHubStore OpenSameDatabase();

    /// <summary>SQL run first, in the same transaction, to get round the append-only triggers (as a superuser or the file's owner could).</summary>
    protected abstract string BypassTriggersSql { get; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.MigrateAsync(Timeout);
    }

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _timeout.Dispose();
    }

    private static AuditEvent Event(int i, string peer = "county-370602", DateTimeOffset? at = null) => new(
        at ?? Start.AddSeconds(i), peer, PullChanges, $"r{i}", "370602,370613", [EntityType.Person], i, [DataClass.S3]);

    private async Task<IReadOnlyList<AuditLogEntry>> AppendAsync(int count)
    {
        var events = Enumerable.Range(1, count).Select(i => Event(i)).ToList();
        return await Store.AppendAuditAsync(events, Timeout);
    }

    /// <summary>Everything an entry holds, comparable by value.</summary>
    private static object Fields(AuditLogEntry e) => (
        e.Sequence, e.Event.At, e.Event.PeerId, e.Event.Method, e.Event.RequestId, e.Event.Scope,
        string.Join(',', e.Event.EntityTypes), e.Event.RecordCount, string.Join(',', e.Event.DataClasses), e.PreviousHash, e.Hash);

    private async Task<List<AuditLogEntry>> ReadAllAsync()
    {
        var entries = new List<AuditLogEntry>();
        await foreach (var entry in Store.ReadAuditRangeAsync(1, long.MaxValue, Timeout))
        {
            entries.Add(entry);
        }

        return entries;
    }

    [Fact]
    public async Task Append_AssignsSequencesFrom1_ChainsThem_AndReadsBackExactly()
    {
        Assert.Equal(new AuditHead(0, AuditHash.Genesis), await Store.GetAuditHeadAsync(Timeout));

        // Sub-microsecond ticks, another offset, unordered lists, text outside the BMP: what
        // comes back is the normalised event, and the chain is the one the domain computes.
        var first = await Store.AppendAuditAsync(new AuditEvent(
            new DateTimeOffset(2025, 3, 1, 16, 0, 0, TimeSpan.FromHours(8)).AddTicks(1_234_567), "county-370602", PullChanges, "r-1",
            "370602 芝罘区 𠈌", [EntityType.Household, EntityType.Person], 7, [DataClass.S4, DataClass.S3]), Timeout);
        var batch = await Store.AppendAuditAsync([Event(2), Event(3), Event(4, "admin-1")], Timeout);

        Assert.Equal(1, first.Sequence);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), first.Event.At);
        Assert.Equal([EntityType.Person, EntityType.Household], first.Event.EntityTypes);
        Assert.Equal([2L, 3L, 4L], batch.Select(e => e.Sequence));
        var appended = new[] { first }.Concat(batch).ToList();
        Assert.Equal(AuditLogEntry.Chain(0, AuditHash.Genesis, appended.Select(e => e.Event)).Select(Fields), appended.Select(Fields));
        Assert.Equal(new AuditHead(4, batch[^1].Hash), await Store.GetAuditHeadAsync(Timeout));

        Assert.Equal(appended.Select(Fields), (await ReadAllAsync()).Select(Fields));
        Assert.Equal(new AuditVerification(true, 4, 1, 4, batch[^1].Hash, 0, ""), await Store.VerifyAuditAsync(0, 0, Timeout));
        Assert.Empty(await Store.AppendAuditAsync([], Timeout));
    }

    [Fact]
    public async Task Append_ABadEvent_FailsTheWholeBatch_AndTheLogGoesOnWithoutAGap()
    {
        await AppendAsync(2);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.AppendAuditAsync([Event(3), Event(4) with { Scope = new string('3', AuditEvent.MaxScopeLength + 1) }], Timeout));

        Assert.Equal(3, (await Store.AppendAuditAsync(Event(3), Timeout)).Sequence);
        Assert.True((await Store.VerifyAuditAsync(0, 0, Timeout)).Intact);
    }

    [Fact]
    public async Task ConcurrentAppends_FromTwoStoresOnOneDatabase_GiveSequences1ToNWithoutGaps_AndAnIntactChain()
    {
        const int tasks = 8;
        const int appendsPerTask = 50;
        await using var other = OpenSameDatabase();
        var stores = new IAuditLog[] { Store, other };

        var appended = await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var mine = new List<AuditLogEntry>();
            for (var i = 0; i < appendsPerTask; i++)
            {
                var auditEvent = Event(i, peer: $"peer-{t}");
                if (i % 10 == 9)
                {
                    // Now and then a batch of two: its entries stay adjacent.
                    var pair = await stores[t % 2].AppendAuditAsync([auditEvent, auditEvent with { RequestId = "second" }], Timeout);
                    Assert.Equal(pair[0].Sequence + 1, pair[1].Sequence);
                    mine.AddRange(pair);
                }
                else
                {
                    mine.Add(await stores[t % 2].AppendAuditAsync(auditEvent, Timeout));
                }
            }

            return mine;
        })));

        var total = tasks * (appendsPerTask + appendsPerTask / 10);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), appended.SelectMany(a => a).Select(e => e.Sequence).Order());
        Assert.All(appended, mine => Assert.Equal(mine.Select(e => e.Sequence).Order(), mine.Select(e => e.Sequence)));
        var verification = await Store.VerifyAuditAsync(0, 0, Timeout);
        Assert.Equal((true, (long)total, (long)total), (verification.Intact, verification.VerifiedCount, verification.LastSequence));
        Assert.Equal((await other.GetAuditHeadAsync(Timeout)).LastHash, verification.LastHash);
    }

    [Fact]
    public async Task ATamperedRow_IsFoundAtItsSequence()
    {
        var entries = await AppendAsync(10);

        await Store.ExecuteSqlAsync(BypassTriggersSql + "UPDATE audit_log SET record_count = 999 WHERE seq = 4;", Timeout);

        var whole = await Store.VerifyAuditAsync(0, 0, Timeout);
        Assert.False(whole.Intact);
        Assert.Equal(4, whole.BrokenAtSequence);
        Assert.Equal("wrong hash: the hash of sequence 4 does not match its content", whole.Problem);
        Assert.Equal((3L, 3L, entries[2].Hash), (whole.VerifiedCount, whole.LastSequence, whole.LastHash));

        // Ranges that leave it out still verify: the links around it are intact.
        Assert.Equal(new AuditVerification(true, 3, 1, 3, entries[2].Hash, 0, ""), await Store.VerifyAuditAsync(1, 3, Timeout));
        Assert.True((await Store.VerifyAuditAsync(5, 0, Timeout)).Intact);
    }

    [Fact]
    public async Task ATamperedRowWithItsHashRecomputed_BreaksTheNextLink()
    {
        var entries = await AppendAsync(6);
        var forged = entries[2] with { Event = entries[2].Event with { PeerId = "someone-else" } };
        var hash = AuditHash.Compute(forged);

        await Store.ExecuteSqlAsync(BypassTriggersSql + $"UPDATE audit_log SET peer_id = 'someone-else', hash = '{hash}' WHERE seq = 3;", Timeout);

        var result = await Store.VerifyAuditAsync(0, 0, Timeout);
        Assert.Equal((false, 4L), (result.Intact, result.BrokenAtSequence));
        Assert.StartsWith("wrong link", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedRow_IsAGap_InTheMiddleOrAtTheEnd()
    {
        await AppendAsync(8);

        await Store.ExecuteSqlAsync(BypassTriggersSql + "DELETE FROM audit_log WHERE seq = 5;", Timeout);

        var middle = await Store.VerifyAuditAsync(0, 0, Timeout);
        Assert.Equal((false, 5L), (middle.Intact, middle.BrokenAtSequence));
        Assert.Equal("sequence 5 is missing: the next entry present is sequence 6", middle.Problem);
        var after = await Store.VerifyAuditAsync(6, 0, Timeout);
        Assert.Equal((false, 5L, 0L), (after.Intact, after.BrokenAtSequence, after.VerifiedCount));

        // The newest entries gone: the head still knows how far the log went.
        await Store.ExecuteSqlAsync(BypassTriggersSql + "DELETE FROM audit_log WHERE seq >= 7;", Timeout);
        var tail = await Store.VerifyAuditAsync(7, 0, Timeout);
        Assert.Equal((false, 7L), (tail.Intact, tail.BrokenAtSequence));
        Assert.Equal("sequence 7 is missing: the log holds entries through sequence 8", tail.Problem);
    }

    [Fact]
    public async Task UpdateAndDelete_ThroughOrdinarySql_AreRefused()
    {
        var entries = await AppendAsync(3);

        foreach (var sql in new[]
        {
            "UPDATE audit_log SET record_count = 0 WHERE seq = 2",
            "UPDATE audit_log SET hash = hash",
            "DELETE FROM audit_log WHERE seq = 3",
            "DELETE FROM audit_log",
            "DELETE FROM audit_head",
            "UPDATE audit_head SET last_seq = 2, last_hash = 'x' WHERE id = 1",
        }.Concat(RefusedDialectSql))
        {
            var refused = await Assert.ThrowsAnyAsync<DbException>(() => Store.ExecuteSqlAsync(sql, Timeout));
            Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(entries.Select(Fields), (await ReadAllAsync()).Select(Fields));
        Assert.Equal(new AuditVerification(true, 3, 1, 3, entries[^1].Hash, 0, ""), await Store.VerifyAuditAsync(0, 0, Timeout));
    }

    /// <summary>Statements only the dialect has, that must be refused too.</summary>
    protected virtual IEnumerable<string> RefusedDialectSql => [];

    [Fact]
    public async Task List_PagesBySequence_FilteredByPeerAndTime()
    {
        // 30 entries, three peers in turn, one a minute; at is not in sequence order everywhere.
        var events = Enumerable.Range(1, 30)
            .Select(i => Event(i, peer: $"peer-{i % 3}", at: Start.AddMinutes(i == 20 ? 5 : i)))
            .ToList();
        var all = await Store.AppendAuditAsync(events, Timeout);

        async Task<List<List<long>>> PagesAsync(AuditQuery first)
        {
            var pages = new List<List<long>>();
            var query = first;
            while (true)
            {
                var page = await Store.ListAuditAsync(query, Timeout);
                pages.Add([.. page.Entries.Select(e => e.Sequence)]);
                if (page.NextAfterSequence is not { } next)
                {
                    return pages;
                }

                Assert.Equal(page.Entries[^1].Sequence, next);
                query = query with { AfterSequence = next };
            }
        }

        // Everything, in pages of 10: exactly three, no empty fourth.
        var everything = await PagesAsync(new AuditQuery(0, 10));
        Assert.Equal([10, 10, 10], everything.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), everything.SelectMany(p => p));

        // One peer, a time window [minute 4, minute 22): 20 (at minute 5) is inside.
        var since = Start.AddMinutes(4);
        var before = Start.AddMinutes(22);
        var expected = all.Where(e => e.Event.PeerId == "peer-2" && e.Event.At >= since && e.Event.At < before).Select(e => e.Sequence).ToList();
        Assert.Equal([5L, 8L, 11L, 14L, 17L, 20L], expected);
        var filtered = await PagesAsync(new AuditQuery(0, 4, "peer-2", since, before));
        Assert.Equal([4, 2], filtered.Select(p => p.Count));
        Assert.Equal(expected, filtered.SelectMany(p => p));

        // Time only, and an entry read back whole.
        var window = await Store.ListAuditAsync(new AuditQuery(0, 100, Since: Start.AddMinutes(29)), Timeout);
        Assert.Equal([29L, 30L], window.Entries.Select(e => e.Sequence));
        Assert.Equal(Fields(all[28]), Fields(window.Entries[0]));
        Assert.Null(window.NextAfterSequence);
        Assert.Empty((await Store.ListAuditAsync(new AuditQuery(30, 10), Timeout)).Entries);
    }

    [Fact]
    public async Task Verify_ALogLongerThanAReadPage_StreamsItAll_AndHonoursTheRange()
    {
        for (var batch = 0; batch < 5; batch++)
        {
            await Store.AppendAuditAsync([.. Enumerable.Range(batch * 500 + 1, 500).Select(i => Event(i))], Timeout);
        }

        var head = await Store.GetAuditHeadAsync(Timeout);
        Assert.Equal(2500, head.LastSequence);
        Assert.Equal(new AuditVerification(true, 2500, 1, 2500, head.LastHash, 0, ""), await Store.VerifyAuditAsync(0, 0, Timeout));

        var middle = await Store.VerifyAuditAsync(999, 2001, Timeout);
        Assert.Equal((true, 1003L, 999L, 2001L), (middle.Intact, middle.VerifiedCount, middle.FirstSequence, middle.LastSequence));
        Assert.Equal(2500, (await Store.VerifyAuditAsync(0, 9999, Timeout)).LastSequence);
        Assert.Equal(new AuditVerification(true, 0, 0, 0, "", 0, ""), await Store.VerifyAuditAsync(2501, 0, Timeout));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.VerifyAuditAsync(10, 5, Timeout));
    }

    [Fact]
    public async Task Migrate_RecordsTheAuditMigration()
    {
        var applied = await Store.GetAppliedMigrationsAsync(Timeout);
        Assert.Contains(8, applied);
    }
}

/// <summary>The audit log on the embedded SQLite store.</summary>
public sealed class SqliteAuditLogContractTests : AuditLogContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-audit-").FullName;

    private string FilePath => Path.Combine(_directory, "store.db");

    /// <inheritdoc />
    protected override Task<SqlHubStore> CreateStoreAsync() => Task.FromResult<SqlHubStore>(new SqliteHubStore(FilePath, TestKeys.Protection));

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase() => new SqliteHubStore(FilePath, TestKeys.Protection);

    /// <inheritdoc />
    /// <remarks>Whoever can write the file can drop the triggers; the transaction ends with them gone.</remarks>
    protected override string BypassTriggersSql => "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;\n";

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>The audit log on a real PostgreSQL.</summary>
public sealed class PostgresAuditLogContractTests : AuditLogContractTests
{
    private string _connectionString = "";

    /// <inheritdoc />
    protected override async Task<SqlHubStore> CreateStoreAsync() =>
        new PostgresHubStore(_connectionString = await PostgresServer.NewDatabaseAsync("audit"), TestKeys.Protection);

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase() => new PostgresHubStore(_connectionString, TestKeys.Protection);

    /// <inheritdoc />
    /// <remarks>
    /// The tests connect as a superuser, who may turn ordinary triggers off for the transaction
    /// (LOCAL: the pooled connection goes back with them on).
    /// </remarks>
    protected override string BypassTriggersSql => "SET LOCAL session_replication_role = replica;\n";

    /// <inheritdoc />
    protected override IEnumerable<string> RefusedDialectSql => ["TRUNCATE audit_log", "TRUNCATE audit_head"];
}
