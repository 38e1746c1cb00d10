using System.Text;
using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Protection;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;
using static GridExchange.IntegrationTests.Storage.StoreContract;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// Payload encryption and the citizen-ID index, on SQLite and a real PostgreSQL: what the
/// database holds (read with raw SQL), every read path, rows written before encryption, wrong
/// and missing keys, tampering, the index following changes, and key rotation.
/// </summary>
public abstract class PayloadProtectionContractTests : IAsyncLifetime
{
    private const string IdA = "37060219900101123X";
    private const string IdB = "370602198505052345";
    private const string IdC = "370611200012310017";

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    /// <summary>The store under test (test keys), migrated and empty.</summary>
    protected SqlHubStore Store { get; private set; } = null!;

    /// <summary>Gives up on a hung test.</summary>
    protected CancellationToken Timeout => _timeout.Token;

    /// <summary>Creates a fresh, empty store with <paramref name="protection"/>; not migrated.</summary>
    protected abstract Task<SqlHubStore> CreateStoreAsync(PayloadProtection protection);

    /// <summary>Opens another store over the database of <see cref="Store"/>, with other keys.</summary>
    protected abstract SqlHubStore OpenSameDatabase(PayloadProtection protection);

    /// <summary>A blob literal in the dialect.</summary>
    protected abstract string Blob(byte[] bytes);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync(TestKeys.Protection);
        await Store.MigrateAsync(Timeout);
    }

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _timeout.Dispose();
    }

    private static PayloadProtection Keys(string active, bool rebuildIndex = false, string indexKey = "index", params string[] others)
    {
        var options = new PayloadProtectionOptions { ActiveKeyId = active, IndexKey = TestKeys.Key(indexKey), RebuildCitizenIdIndex = rebuildIndex };
        foreach (var id in others.Append(active))
        {
            options.Keys[id] = TestKeys.Key(id);
        }

        return PayloadProtection.Create(options);
    }

    private async Task<List<(long Seq, byte[] Payload)>> RawPayloadsAsync(SqlHubStore? store = null) =>
        [.. (await (store ?? Store).QuerySqlAsync("SELECT seq, payload FROM change_log WHERE payload IS NOT NULL ORDER BY seq", Timeout))
            .Select(r => (Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture), (byte[])r[1]!))];

    private static bool Contains(byte[] haystack, string text) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static byte[] PersonBytes(ValidChange change) => change.Change.Person.ToByteArray();

    [Fact]
    public async Task Payloads_AreEnvelopesAtRest_WithNoCitizenIdOrNameInClear()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA, name: "欧阳明月", citizenId: IdA),
            Person(1, "p2", GridA2, 1, "c2", CountyA, name: "司马青云", citizenId: IdB)), Timeout);

        var rows = await RawPayloadsAsync();
        Assert.Equal(2, rows.Count);
        var header = new byte[] { PayloadProtection.Marker, PayloadProtection.FormatVersion, (byte)TestKeys.ActiveKeyId.Length }
            .Concat(Encoding.ASCII.GetBytes(TestKeys.ActiveKeyId)).ToArray();
        Assert.All(rows, r =>
        {
            Assert.Equal(header, r.Payload[..header.Length]);
            Assert.False(Contains(r.Payload, IdA) || Contains(r.Payload, IdB), "a citizen ID is stored in clear");
            Assert.False(Contains(r.Payload, "欧阳明月") || Contains(r.Payload, "司马青云"), "a name is stored in clear");
        });

        // The index holds 32-byte keyed hashes, not IDs.
        var index = await Store.QuerySqlAsync("SELECT entity_key, id_hash FROM citizen_id_index ORDER BY entity_key", Timeout);
        Assert.Equal(["p1", "p2"], index.Select(r => (string)r[0]!));
        Assert.All(index, r =>
        {
            var hash = (byte[])r[1]!;
            Assert.Equal(32, hash.Length);
            Assert.False(Contains(hash, IdA[..6]));
        });
    }

    [Fact]
    public async Task EveryReadPath_ServesTheDecryptedMessage()
    {
        var p1 = Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA);
        var p2 = Person(1, "p2", GridA2, 1, "c2", CountyA, citizenId: IdB);
        var region = Region(2, "370602001000", "370602000000");
        await Store.IngestAsync(Batch(CountyA, "r1", p1, p2, region), Timeout);

        Assert.Equal(PersonBytes(p1), (await Store.GetAsync(EntityType.Person, "p1", Timeout))!.Payload.ToArray());
        Assert.Equal(
            [PersonBytes(p1), PersonBytes(p2)],
            (await Store.ListInScopeAsync(EntityType.Person, "370602", null, 10, Timeout)).Select(r => r.Payload.ToArray()));
        Assert.Equal(
            region.Change.Region.ToByteArray(),
            Assert.Single(await Store.ListChildrenAsync(EntityType.Region, "370602000000", null, 10, Timeout)).Payload.ToArray());

        var feed = await ReadAllAsync(Store, FeedScope.All, 0, 2, Timeout);
        Assert.Equal([PersonBytes(p1), PersonBytes(p2), region.Change.Region.ToByteArray()], feed.Select(c => c.Logged.Payload));

        await using var view = await Store.OpenSnapshotAsync(Timeout);
        Assert.Equal(
            [PersonBytes(p1), PersonBytes(p2)],
            (await view.ReadAsync(EntityType.Person, "370602", null, 10, Timeout)).Select(r => r.Payload));
        Assert.Equal(["p1", "p2"], (await view.ReadDigestEntriesAsync(EntityType.Person, "370602", view.Head.LastSequence, Timeout))
            .Select(e => e.Key).Order());
    }

    [Fact]
    public async Task APayloadStoredInClear_StillReads_AndTheReencryptionPassEncryptsIt()
    {
        var p1 = Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA);
        await Store.IngestAsync(Batch(CountyA, "r1", p1), Timeout);
        await Store.ExecuteSqlAsync($"UPDATE change_log SET payload = {Blob(PersonBytes(p1))} WHERE seq = 1", Timeout);
        Assert.Equal(PersonBytes(p1), (await RawPayloadsAsync())[0].Payload);

        Assert.Equal(PersonBytes(p1), (await Store.GetAsync(EntityType.Person, "p1", Timeout))!.Payload.ToArray());
        Assert.Equal(PersonBytes(p1), Assert.Single(await ReadAllAsync(Store, FeedScope.All, 0, 10, Timeout)).Logged.Payload);

        var rekey = await Store.ReencryptPayloadsAsync(Timeout);
        Assert.Equal((TestKeys.ActiveKeyId, 1L, 1L), (rekey.ActiveKeyId, rekey.Rewritten, rekey.CheckedThrough));
        Assert.Equal(TestKeys.ActiveKeyId, PayloadProtection.KeyIdOf((await RawPayloadsAsync())[0].Payload));
        Assert.Equal(PersonBytes(p1), (await Store.GetAsync(EntityType.Person, "p1", Timeout))!.Payload.ToArray());
        Assert.Equal(0, (await Store.ReencryptPayloadsAsync(Timeout)).Rewritten);
    }

    [Fact]
    public async Task AMissingKey_FailsLoudlyOnEveryReadPath_NeverServesGarbage()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA)), Timeout);
        await using var other = OpenSameDatabase(Keys("other-key"));

        var get = await Assert.ThrowsAsync<PayloadProtectionException>(() => other.GetAsync(EntityType.Person, "p1", Timeout));
        Assert.Contains($"'{TestKeys.ActiveKeyId}'", get.Message, StringComparison.Ordinal);
        Assert.Contains("not configured", get.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => other.ListInScopeAsync(EntityType.Person, "", null, 10, Timeout));
        await Assert.ThrowsAsync<PayloadProtectionException>(() => ReadAllAsync(other, FeedScope.All, 0, 10, Timeout));
        await using var view = await other.OpenSnapshotAsync(Timeout);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => view.ReadAsync(EntityType.Person, "", null, 10, Timeout));
    }

    [Fact]
    public async Task ADifferentKeyUnderTheSameId_FailsAuthentication()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA)), Timeout);
        var options = TestKeys.Options();
        options.Keys[TestKeys.ActiveKeyId] = TestKeys.Key("not-the-same");
        await using var other = OpenSameDatabase(PayloadProtection.Create(options));

        var e = await Assert.ThrowsAsync<PayloadProtectionException>(() => other.GetAsync(EntityType.Person, "p1", Timeout));
        Assert.Contains("failed authentication", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedCiphertext_FailsAuthentication()
    {
        await Store.IngestAsync(Batch(CountyA, "r1", Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA)), Timeout);
        var stored = (await RawPayloadsAsync())[0].Payload;
        foreach (var position in new[] { 2 + TestKeys.ActiveKeyId.Length + 5, stored.Length / 2, stored.Length - 1 })
        {
            var tampered = (byte[])stored.Clone();
            tampered[position] ^= 0x01;
            await Store.ExecuteSqlAsync($"UPDATE change_log SET payload = {Blob(tampered)} WHERE seq = 1", Timeout);
            await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.GetAsync(EntityType.Person, "p1", Timeout));
        }

        // Cut short: refused as malformed, not read past its end.
        await Store.ExecuteSqlAsync($"UPDATE change_log SET payload = {Blob(stored[..20])} WHERE seq = 1", Timeout);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.GetAsync(EntityType.Person, "p1", Timeout));
    }

    [Fact]
    public async Task ACiphertextMovedToAnotherRow_FailsAuthentication_EvenAnOlderVersionOfTheSameRecord()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA),
            Person(1, "p2", GridA1, 1, "c2", CountyA, citizenId: IdB),
            Person(2, "p1", GridA1, 2, "c3", CountyA, citizenId: IdC)), Timeout);

        // Another person's payload in p2's row.
        await Store.ExecuteSqlAsync("UPDATE change_log SET payload = (SELECT payload FROM change_log WHERE seq = 1) WHERE seq = 2", Timeout);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.GetAsync(EntityType.Person, "p2", Timeout));

        // p1's first version over its second: the same record, another row.
        await Store.ExecuteSqlAsync("UPDATE change_log SET payload = (SELECT payload FROM change_log WHERE seq = 1) WHERE seq = 3", Timeout);
        await Assert.ThrowsAsync<PayloadProtectionException>(() => Store.GetAsync(EntityType.Person, "p1", Timeout));
    }

    [Fact]
    public async Task CitizenIdIndex_FindsPersons_AndFollowsIdChangesDeletesAndTakeOvers()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA),
            Person(1, "p2", GridA2, 1, "c2", CountyA, citizenId: IdB),
            Person(2, "p3", GridA2, 1, "c3", CountyA, citizenId: IdA),
            Person(3, "p4", GridA2, 1, "c4", CountyA)), Timeout);

        Assert.Equal(["p1", "p3"], await Store.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        Assert.Equal(["p1", "p3"], await Store.FindPersonKeysByCitizenIdAsync(" " + IdA.ToLowerInvariant() + " ", Timeout));
        Assert.Equal(["p2"], await Store.FindPersonKeysByCitizenIdAsync(IdB, Timeout));
        Assert.Empty(await Store.FindPersonKeysByCitizenIdAsync(IdC, Timeout));

        // p1's ID changes (twice in one batch: the last counts), p3 is deleted, p2 loses its ID.
        await Store.IngestAsync(Batch(CountyA, "r2",
            Person(0, "p1", GridA1, 2, "c5", CountyA, citizenId: IdB),
            Person(1, "p1", GridA1, 3, "c6", CountyA, citizenId: IdC),
            Delete(2, EntityType.Person, "p3", 2, "c7", CountyA),
            Person(3, "p2", GridA2, 2, "c8", CountyA),
            Person(4, "p4", GridA2, 2, "c9", CountyA, citizenId: IdB)), Timeout);

        Assert.Empty(await Store.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        Assert.Equal(["p4"], await Store.FindPersonKeysByCitizenIdAsync(IdB, Timeout));
        Assert.Equal(["p1"], await Store.FindPersonKeysByCitizenIdAsync(IdC, Timeout));

        // Taken over by another county: still found, under the same key.
        await Store.IngestAsync(Batch(CountyB, "r3", Person(0, "p1", GridB1, 4, "b1", CountyB, takeOver: true, citizenId: IdC)), Timeout);
        Assert.Equal(["p1"], await Store.FindPersonKeysByCitizenIdAsync(IdC, Timeout));

        // Revived after the delete: indexed again.
        await Store.IngestAsync(Batch(CountyA, "r4", Person(0, "p3", GridA2, 3, "c10", CountyA, citizenId: IdA)), Timeout);
        Assert.Equal(["p3"], await Store.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        var index = await Store.QuerySqlAsync("SELECT entity_key FROM citizen_id_index ORDER BY entity_key", Timeout);
        Assert.Equal(["p1", "p3", "p4"], index.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task AnotherIndexKey_IsRefused_UntilTheIndexIsRebuiltWithIt()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA),
            Person(1, "p2", GridA2, 1, "c2", CountyA, citizenId: IdB)), Timeout);

        await using (var wrong = OpenSameDatabase(Keys(TestKeys.ActiveKeyId, indexKey: "index-2")))
        {
            var migrate = await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.MigrateAsync(Timeout));
            Assert.Contains("RebuildCitizenIdIndex", migrate.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                wrong.IngestAsync(Batch(CountyA, "r2", Person(0, "p3", GridA1, 1, "c3", CountyA, citizenId: IdC)), Timeout));
        }

        await using var rotated = OpenSameDatabase(Keys(TestKeys.ActiveKeyId, rebuildIndex: true, indexKey: "index-2"));
        await rotated.MigrateAsync(Timeout);
        Assert.Equal(["p1"], await rotated.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        Assert.Equal(["p2"], await rotated.FindPersonKeysByCitizenIdAsync(IdB, Timeout));

        // Now the old key is the stranger.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        Assert.Equal(2, await Store.RebuildCitizenIdIndexAsync(Timeout));
        Assert.Equal(["p1"], await Store.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
    }

    [Fact]
    public async Task Upgrade_IndexesPersonsStoredInClearBefore_AndTheirPayloadsStillRead()
    {
        // A database as the release before encryption left it, persons in clear.
        await using var old = await CreateStoreAsync(TestKeys.Protection);
        await old.MigrateAsync(throughId: 8, Timeout);
        var person = new Person { Meta = new EntityMeta { Id = "p-old" }, Name = "李四", CitizenId = IdA, GridCode = GridA1 };
        var (instant, no) = old.Kind == "postgresql" ? ("now()", "false") : ("1700000000000000", "0");
        await old.ExecuteSqlAsync($"""
            INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                    operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            VALUES (1, 4, 'p-old', '{GridA1}', NULL, '370602', NULL, 1, 1, '{CountyA}', 'c1', {no}, {instant}, {Blob(person.ToByteArray())});
            INSERT INTO entities (entity_type, entity_key, scope_code, parent_key, version, source_system, updated_at, deleted, last_seq)
            VALUES (4, 'p-old', '{GridA1}', '', 1, '{CountyA}', {instant}, {no}, 1);
            INSERT INTO feed_buckets (bucket) VALUES ('370602');
            UPDATE feed_head SET last_seq = 1 WHERE id = 1;
            """, Timeout);

        await old.MigrateAsync(Timeout);

        Assert.Contains(SqlHubStore.ProtectionMigrationId, await old.GetAppliedMigrationsAsync(Timeout));
        Assert.Equal(["p-old"], await old.FindPersonKeysByCitizenIdAsync(IdA, Timeout));
        Assert.Equal(person.ToByteArray(), (await old.GetAsync(EntityType.Person, "p-old", Timeout))!.Payload.ToArray());
        var retention = await old.TrimLogAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, Timeout);
        Assert.Equal(1, retention.PayloadsReencrypted);
        Assert.False(Contains((await RawPayloadsAsync(old))[0].Payload, IdA));
        Assert.Equal(person.ToByteArray(), (await old.GetAsync(EntityType.Person, "p-old", Timeout))!.Payload.ToArray());
    }

    [Fact]
    public async Task Rotation_OldKeysKeepDecrypting_NewWritesUseTheActiveKey_AndTheReencryptionPassRetiresTheOldOne()
    {
        await Store.IngestAsync(Batch(CountyA, "r1",
            Person(0, "p1", GridA1, 1, "c1", CountyA, citizenId: IdA),
            Person(1, "p2", GridA2, 1, "c2", CountyA, citizenId: IdB)), Timeout);

        // k2 added and made active, the old key kept.
        await using var rotated = OpenSameDatabase(Keys("k2", others: TestKeys.ActiveKeyId));
        await rotated.MigrateAsync(Timeout);
        Assert.Equal(2, (await rotated.ListInScopeAsync(EntityType.Person, "", null, 10, Timeout)).Count);
        await rotated.IngestAsync(Batch(CountyA, "r2", Person(0, "p3", GridA1, 1, "c3", CountyA, citizenId: IdC)), Timeout);
        Assert.Equal([TestKeys.ActiveKeyId, TestKeys.ActiveKeyId, "k2"], (await RawPayloadsAsync()).Select(r => PayloadProtection.KeyIdOf(r.Payload)));

        var pass = await rotated.ReencryptPayloadsAsync(Timeout);
        Assert.Equal(("k2", 2L, 3L), (pass.ActiveKeyId, pass.Rewritten, pass.CheckedThrough));
        Assert.All(await RawPayloadsAsync(), r => Assert.Equal("k2", PayloadProtection.KeyIdOf(r.Payload)));

        // The next pass resumes at the head; only changes written since are looked at.
        await rotated.IngestAsync(Batch(CountyA, "r3", Person(0, "p1", GridA1, 2, "c4", CountyA, citizenId: IdA)), Timeout);
        var again = await rotated.ReencryptPayloadsAsync(Timeout);
        Assert.Equal(("k2", 0L, 4L), (again.ActiveKeyId, again.Rewritten, again.CheckedThrough));

        // The old key can go: everything reads with k2 alone.
        await using var retired = OpenSameDatabase(Keys("k2"));
        await retired.MigrateAsync(Timeout);
        Assert.Equal(3, (await retired.ListInScopeAsync(EntityType.Person, "", null, 10, Timeout)).Count);
        Assert.Equal(4, (await ReadAllAsync(retired, FeedScope.All, 0, 10, Timeout)).Count);
        Assert.Equal(["p1"], await retired.FindPersonKeysByCitizenIdAsync(IdA, Timeout));

        // Back to the first key as active: a new pass starts from the beginning.
        await using var reverted = OpenSameDatabase(Keys(TestKeys.ActiveKeyId, others: "k2"));
        var back = await reverted.ReencryptPayloadsAsync(Timeout);
        Assert.Equal((TestKeys.ActiveKeyId, 4L, 4L), (back.ActiveKeyId, back.Rewritten, back.CheckedThrough));
    }

    private static ValidChange Region(int index, string code, string parent)
    {
        var change = new Change
        {
            EntityType = EntityType.Region,
            EntityKey = code,
            Operation = ChangeOperation.Upsert,
            EntityVersion = 1,
            SourceChangeId = "region-" + code,
            SourceSystem = CountyA,
            RegionCode = code,
            Region = new Region { Meta = new EntityMeta { Id = code, Version = 1, SourceSystem = CountyA }, Code = code, ParentCode = parent, Name = "幸福街道" },
        };
        return new ValidChange(index, change, code, parent);
    }
}

/// <summary>Payload protection on the embedded SQLite store.</summary>
public sealed class SqlitePayloadProtectionContractTests : PayloadProtectionContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-protection-").FullName;

    private string FilePath => Path.Combine(_directory, "store.db");

    /// <inheritdoc />
    protected override Task<SqlHubStore> CreateStoreAsync(PayloadProtection protection) =>
        Task.FromResult<SqlHubStore>(new SqliteHubStore(
            Store is null ? FilePath : Path.Combine(_directory, $"other-{Guid.NewGuid():N}.db"), protection));

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase(PayloadProtection protection) => new SqliteHubStore(FilePath, protection);

    /// <inheritdoc />
    protected override string Blob(byte[] bytes) => $"X'{Convert.ToHexString(bytes)}'";

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Payload protection on a real PostgreSQL.</summary>
public sealed class PostgresPayloadProtectionContractTests : PayloadProtectionContractTests
{
    private string _connectionString = "";

    /// <inheritdoc />
    protected override async Task<SqlHubStore> CreateStoreAsync(PayloadProtection protection)
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("protection");
        if (_connectionString.Length == 0)
        {
            _connectionString = connectionString;
        }

        return new PostgresHubStore(connectionString, protection);
    }

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase(PayloadProtection protection) => new PostgresHubStore(_connectionString, protection);

    /// <inheritdoc />
    protected override string Blob(byte[] bytes) => $"'\\x{Convert.ToHexString(bytes)}'::bytea";
}
