using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Storage;

/// <summary>
/// The peer registry's storage contract, on SQLite and a real PostgreSQL: an administrative
/// write commits registration, credential and answer together or not at all, a repeated request
/// id returns the stored answer without planning again (also when the repeats race, from two
/// store instances as from two replicas), and the registry reads back every field, in byte-wise
/// id order, with the timestamps the contract promises.
/// </summary>
public abstract class PeerRegistryContractTests : IAsyncLifetime
{
    private const string Method = "/gridexchange.v1.AdminService/RegisterPeer";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    /// <summary>The store under test, migrated and empty.</summary>
    protected SqlHubStore Store { get; private set; } = null!;

    /// <summary>Gives up on a hung test.</summary>
    protected CancellationToken Timeout => _timeout.Token;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<SqlHubStore> CreateStoreAsync();

    /// <summary>Opens a second store over the same database: another hub replica, as far as the database can tell.</summary>
    protected abstract SqlHubStore OpenSameDatabase();

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

    private static Peer Registration(string id, bool enabled = true) => new()
    {
        Id = id,
        Name = $"Peer {id}",
        Level = RegionLevel.County,
        RegionCode = "370602000000",
        Endpoint = "https://grid.zhifu.example:8443",
        Roles = { PeerRole.Source, PeerRole.Sink },
        DataClasses = { DataClass.S1, DataClass.S3 },
        Schedule = "*/5 * * * *",
        SyncMode = SyncMode.Live,
        Enabled = enabled,
        EntityTypes = { EntityType.Person },
        ClientCertificateSha256 = new string('c', 64),
    };

    private static byte[] Hash(string text) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A RegisterPeer-like write: stores the registration stamped with the commit time and the token's hash.</summary>
    private static PeerWrite Register(Peer peer, string requestId, string token, Action? planned = null, string caller = "hub-admin") =>
        new(caller, requestId, Method, Hash(requestId + peer.Id), peer.Id, (current, now) =>
        {
            planned?.Invoke();
            if (current is not null)
            {
                throw new InvalidOperationException("duplicate");
            }

            var stored = peer.Clone();
            stored.CreatedAt = stored.UpdatedAt = Timestamp.FromDateTimeOffset(now);
            return new PeerWritePlan(stored, BearerTokens.Hash(token), RevokeOtherTokens: true, new RegisterPeerResponse { Peer = stored }.ToByteArray());
        });

    [Fact]
    public async Task Migrate_RecordsTheRegistryMigration()
    {
        Assert.Contains(10, await Store.GetAppliedMigrationsAsync(Timeout));
    }

    [Fact]
    public async Task LastCalls_AreUpsertedTogether_AndNeverMoveBack_WhicheverReplicaFlushesLast()
    {
        Assert.Contains(15, await Store.GetAppliedMigrationsAsync(Timeout));
        var t0 = new DateTimeOffset(2026, 3, 2, 8, 30, 15, TimeSpan.Zero).AddTicks(1234560); // whole microseconds: both stores keep them
        Assert.Null(await Store.GetLastCallAsync("county-a", Timeout));
        await Store.RecordLastCallsAsync([], Timeout);

        // Several peers in one flush; a peer named twice keeps its later instant.
        await Store.RecordLastCallsAsync(
        [
            new("county-a", t0), new("county-b", t0.AddSeconds(1)), new("county-a", t0.AddSeconds(-5)), new("不存在", t0),
        ], Timeout);
        Assert.Equal(t0, await Store.GetLastCallAsync("county-a", Timeout));
        Assert.Equal(t0.AddSeconds(1), await Store.GetLastCallAsync("county-b", Timeout));
        Assert.Equal(t0, await Store.GetLastCallAsync("不存在", Timeout));

        // Another replica flushes later what it saw earlier: nothing moves back; newer instants move forward.
        await using var other = OpenSameDatabase();
        await other.RecordLastCallsAsync([new("county-a", t0.AddMinutes(-1)), new("county-b", t0.AddSeconds(2))], Timeout);
        Assert.Equal(t0, await Store.GetLastCallAsync("county-a", Timeout));
        Assert.Equal(t0.AddSeconds(2), await Store.GetLastCallAsync("county-b", Timeout));
        await Store.RecordLastCallsAsync([new("county-a", t0)], Timeout);
        Assert.Equal(t0, await other.GetLastCallAsync("county-a", Timeout));

        // Concurrent flushes of the same peers in opposite orders (as two replicas): the latest wins, no deadlock.
        var peers = Enumerable.Range(0, 300).Select(i => $"peer-{i:D3}").ToList();
        var flushes = Enumerable.Range(0, 8).Select(f => (f % 2 == 0 ? Store : other).RecordLastCallsAsync(
            (f % 2 == 0 ? peers : peers.AsEnumerable().Reverse()).Select(p => new KeyValuePair<string, DateTimeOffset>(p, t0.AddSeconds(f))).ToList(),
            Timeout));
        await Task.WhenAll(flushes);
        Assert.All(await Task.WhenAll(peers.Take(5).Select(p => Store.GetLastCallAsync(p, Timeout))), at => Assert.Equal(t0.AddSeconds(7), at));

        // Not part of the registry: no peer rows appear for activity.
        Assert.Null(await Store.FindPeerAsync("county-a", Timeout));
    }

    [Fact]
    public async Task AWrite_CommitsRegistrationCredentialAndAnswer_AndARepeatReturnsTheAnswerWithoutPlanning()
    {
        var token = BearerTokens.NewToken();
        var plans = 0;
        var first = await Store.WritePeerAsync(Register(Registration("county-a"), "r-1", token, () => plans++), Timeout);
        Assert.False(first.Repeated);
        Assert.False(first.RequestIdReused);
        var stored = RegisterPeerResponse.Parser.ParseFrom(first.Response).Peer;
        Assert.Equal(stored, await Store.FindPeerAsync("county-a", Timeout));

        var credential = await Store.FindCredentialAsync(BearerTokens.Hash(token), Timeout);
        Assert.NotNull(credential);
        Assert.Equal("county-a", credential.PeerId);
        Assert.Null(credential.RevokedAt);
        Assert.Equal(stored.Roles, credential.Peer!.Roles);

        var repeat = await Store.WritePeerAsync(Register(Registration("county-a"), "r-1", BearerTokens.NewToken(), () => plans++), Timeout);
        Assert.True(repeat.Repeated);
        Assert.Equal(first.Response, repeat.Response);
        Assert.Equal(1, plans);

        // The same request id with another request is refused; another caller's request id is its own.
        var reused = await Store.WritePeerAsync(Register(Registration("county-b"), "r-1", BearerTokens.NewToken(), () => plans++) with { RequestHash = Hash("other") }, Timeout);
        Assert.True(reused.RequestIdReused);
        Assert.Null(await Store.FindPeerAsync("county-b", Timeout));
        var otherCaller = await Store.WritePeerAsync(Register(Registration("county-b"), "r-1", BearerTokens.NewToken(), caller: "ops-2"), Timeout);
        Assert.False(otherCaller.Repeated);
        Assert.NotNull(await Store.FindPeerAsync("county-b", Timeout));
    }

    [Fact]
    public async Task APlanThatRefuses_WritesNothing()
    {
        var token = BearerTokens.NewToken();
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WritePeerAsync(
            Register(Registration("county-a"), "r-1", token, () => throw new InvalidOperationException("refused")), Timeout));
        Assert.Null(await Store.FindPeerAsync("county-a", Timeout));
        Assert.Null(await Store.FindCredentialAsync(BearerTokens.Hash(token), Timeout));

        // The request id was not answered: the request can be made again, and now succeeds.
        var again = await Store.WritePeerAsync(Register(Registration("county-a"), "r-1", token), Timeout);
        Assert.False(again.Repeated);
        Assert.NotNull(await Store.FindCredentialAsync(BearerTokens.Hash(token), Timeout));
    }

    [Fact]
    public async Task ARotation_RevokesTheOtherTokens_InTheSameTransaction_LeavingTheRegistrationAlone()
    {
        var old = BearerTokens.NewToken();
        await Store.WritePeerAsync(Register(Registration("county-a"), "r-1", old), Timeout);
        var before = await Store.FindPeerAsync("county-a", Timeout);

        var rotated = BearerTokens.NewToken();
        var outcome = await Store.WritePeerAsync(new PeerWrite("hub-admin", "r-2", "/gridexchange.v1.AdminService/RotatePeerToken", Hash("rotate"), "county-a",
            (current, _) => new PeerWritePlan(null, BearerTokens.Hash(rotated), RevokeOtherTokens: true, [])), Timeout);
        Assert.Empty(outcome.Response);
        Assert.NotNull((await Store.FindCredentialAsync(BearerTokens.Hash(old), Timeout))!.RevokedAt);
        Assert.Null((await Store.FindCredentialAsync(BearerTokens.Hash(rotated), Timeout))!.RevokedAt);
        Assert.Equal(before, await Store.FindPeerAsync("county-a", Timeout));
    }

    [Fact]
    public async Task RacingRepeats_FromTwoReplicas_PlanOnce_AndAllGetTheFirstAnswer()
    {
        await using var other = OpenSameDatabase();
        var plans = 0;
        var token = BearerTokens.NewToken();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? Store : other).WritePeerAsync(
            Register(Registration("county-race"), "r-race", token, () => Interlocked.Increment(ref plans)), Timeout)));
        Assert.Equal(1, plans);
        Assert.Single(outcomes, o => !o.Repeated);
        Assert.Single(outcomes.Select(o => Convert.ToHexString(o.Response)).Distinct());
    }

    [Fact]
    public async Task TheRegistry_ReadsBackEveryField_InByteWiseIdOrder_WithTimestamps()
    {
        // '-' sorts before digits and letters byte-wise; a linguistic collation would ignore it.
        foreach (var (id, i) in new[] { "ab", "a-c", "a0", "a-b", "b" }.Select((id, i) => (id, i)))
        {
            await Store.WritePeerAsync(Register(Registration(id, enabled: i % 2 == 0), $"r-{id}", BearerTokens.NewToken()), Timeout);
        }

        var listed = await Store.ListPeersAsync(null, 100, Timeout);
        Assert.Equal(["a-b", "a-c", "a0", "ab", "b"], listed.Select(p => p.Id));
        Assert.Equal(["a-c", "a0"], (await Store.ListPeersAsync("a-b", 2, Timeout)).Select(p => p.Id));

        var enabled = await Store.ListEnabledPeersAsync(Timeout);
        Assert.Equal(["a0", "ab", "b"], enabled.Select(p => p.Id));
        foreach (var peer in enabled)
        {
            var expected = Registration(peer.Id);
            expected.CreatedAt = peer.CreatedAt;
            expected.UpdatedAt = peer.UpdatedAt;
            Assert.Equal(expected, peer);
            Assert.NotNull(peer.CreatedAt);
            Assert.Equal(peer.CreatedAt, peer.UpdatedAt);
        }

        // A registration written the old way (sample loader, first start) carries no timestamps:
        // its row's last write stands in for both.
        await Store.UpsertPeerAsync(new Peer { Id = "legacy", Name = "legacy", Level = RegionLevel.County, RegionCode = "370602000000", Enabled = true }, Timeout);
        var legacy = await Store.FindPeerAsync("legacy", Timeout);
        Assert.NotNull(legacy!.UpdatedAt);
        Assert.Equal(legacy.UpdatedAt, legacy.CreatedAt);
        Assert.True(legacy.UpdatedAt.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Null(await Store.FindPeerAsync("nobody", Timeout));
    }
}

/// <summary>The peer registry on the embedded SQLite store.</summary>
public sealed class SqlitePeerRegistryContractTests : PeerRegistryContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-peers-").FullName;

    private string FilePath => Path.Combine(_directory, "store.db");

    /// <inheritdoc />
    protected override Task<SqlHubStore> CreateStoreAsync() => Task.FromResult<SqlHubStore>(new SqliteHubStore(FilePath, TestKeys.Protection));

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase() => new SqliteHubStore(FilePath, TestKeys.Protection);

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>The peer registry on a real PostgreSQL.</summary>
public sealed class PostgresPeerRegistryContractTests : PeerRegistryContractTests
{
    private string _connectionString = "";

    /// <inheritdoc />
    protected override async Task<SqlHubStore> CreateStoreAsync() =>
        new PostgresHubStore(_connectionString = await PostgresServer.NewDatabaseAsync("peers"), TestKeys.Protection);

    /// <inheritdoc />
    protected override SqlHubStore OpenSameDatabase() => new PostgresHubStore(_connectionString, TestKeys.Protection);
}
