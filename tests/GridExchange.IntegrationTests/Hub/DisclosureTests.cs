using System.Text;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Personal data per grant on every read path, over a real socket, on each store: a county
/// consumer granted S1 only gets masked S3 fields, no S2 fields and no S4 tags; one granted S1–S3
/// gets everything but S4; and no byte of any response carries a citizen ID in clear unless the
/// caller holds S3. Every read of personal data is in the audit log.
/// </summary>
public abstract class DisclosureTests(HubFixture fixture) : IAsyncLifetime
{
    private const string Zhifu = "370602000000";
    private SampleTruth _truth = null!;
    private string _openOnly = "";
    private string _noS4 = "";

    private HubInstance Hub => fixture.Hub;

    private IHubStore Store => Hub.Services.GetRequiredService<IHubStore>();

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _truth = await SampleTruth.GetAsync();
        _openOnly = await RegisterAsync("open-only", DataClass.S1);
        _noS4 = await RegisterAsync("no-s4", DataClass.S1, DataClass.S2, DataClass.S3);
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> RegisterAsync(string prefix, params DataClass[] classes)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..24];
        await Store.UpsertPeerAsync(new Peer
        {
            Id = id,
            Name = id,
            Level = RegionLevel.County,
            RegionCode = Zhifu,
            Roles = { PeerRole.Consumer },
            DataClasses = { classes },
            Enabled = true,
        }, CancellationToken.None);
        await TestPeers.IssueAsync(Store, id, CancellationToken.None);
        return id;
    }

    private CallInvoker As(string peer) => TestPeers.Authenticated(Hub.RawChannel, peer);

    private IEnumerable<Person> ZhifuPersons => _truth.Persons.Values.Where(p => p.GridCode.StartsWith("370602", StringComparison.Ordinal));

    private Person WithSpecialGroup => ZhifuPersons.First(p => p.Tags.Any(t => t.Kind == PersonTagKind.DrugUser));

    /// <summary>Fails if any sample citizen ID of the county appears in clear in <paramref name="message"/>'s bytes.</summary>
    private void AssertNoCitizenIdInClear(IMessage message)
    {
        var bytes = message.ToByteArray();
        foreach (var person in ZhifuPersons)
        {
            Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(person.CitizenId)) < 0, $"{person.Meta.Id}'s citizen ID went out in clear.");
        }
    }

    private static void AssertOpenView(Person seen, Person stored)
    {
        Assert.Equal(stored.Meta.Id, seen.Meta.Id);
        Assert.Equal(stored.CitizenId[..6] + "********" + stored.CitizenId[^4..], seen.CitizenId);
        Assert.NotEqual(stored.Name, seen.Name);
        Assert.StartsWith(stored.Name[..1], seen.Name, StringComparison.Ordinal);
        Assert.Equal("", seen.BirthDate);
        Assert.DoesNotContain(seen.Tags, t => t.Kind is PersonTagKind.DrugUser or PersonTagKind.ReleasedPrisoner or PersonTagKind.CommunityCorrection
            or PersonTagKind.SevereMentalDisorder or PersonTagKind.KeyYouth);
        Assert.Equal([DataClass.S2, DataClass.S3, DataClass.S4], seen.Meta.RedactedClasses);
    }

    [Fact]
    public async Task GetAndListPersons_AreRedactedPerGrant()
    {
        var stored = WithSpecialGroup;
        var open = (await new PopulationService.PopulationServiceClient(As(_openOnly))
            .GetPersonAsync(new GetPersonRequest { PersonId = stored.Meta.Id }, deadline: Calls.Deadline())).Person;
        AssertOpenView(open, stored);

        var noS4 = (await new PopulationService.PopulationServiceClient(As(_noS4))
            .GetPersonAsync(new GetPersonRequest { PersonId = stored.Meta.Id }, deadline: Calls.Deadline())).Person;
        Assert.Equal(stored.CitizenId, noS4.CitizenId);
        Assert.Equal(stored.Name, noS4.Name);
        Assert.Equal(stored.BirthDate, noS4.BirthDate);
        Assert.DoesNotContain(noS4.Tags, t => t.Kind == PersonTagKind.DrugUser);
        Assert.Equal([DataClass.S4], noS4.Meta.RedactedClasses);

        // The province test peer holds every class: the record as stored.
        var full = (await new PopulationService.PopulationServiceClient(Hub.Channel)
            .GetPersonAsync(new GetPersonRequest { PersonId = stored.Meta.Id }, deadline: Calls.Deadline())).Person;
        Assert.Equal(stored, full);

        var list = await new PopulationService.PopulationServiceClient(As(_openOnly))
            .ListPersonsAsync(new ListPersonsRequest { AncestorCode = Zhifu, PageSize = 1000 }, deadline: Calls.Deadline());
        Assert.NotEmpty(list.Persons);
        foreach (var person in list.Persons)
        {
            AssertOpenView(person, _truth.Persons[person.Meta.Id]);
        }

        AssertNoCitizenIdInClear(list);
    }

    [Fact]
    public async Task FiltersOnWhatTheCallerMayNotSee_AreRefused()
    {
        var noS4 = new PopulationService.PopulationServiceClient(As(_noS4));
        await ErrorAssert.ThrowsAsync(() => noS4.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = Zhifu, TagKinds = { PersonTagKind.DrugUser } }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "DATA_CLASS_NOT_GRANTED");
        var registered = await noS4.ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = Zhifu, TagKinds = { PersonTagKind.Registered }, PageSize = 5 }, deadline: Calls.Deadline());
        Assert.NotEmpty(registered.Persons);

        var open = new PopulationService.PopulationServiceClient(As(_openOnly));
        await ErrorAssert.ThrowsAsync(() => open.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = Zhifu, TagKinds = { PersonTagKind.Registered } }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "DATA_CLASS_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => open.ListPersonsAsync(
                new ListPersonsRequest { AncestorCode = Zhifu, CitizenId = ZhifuPersons.First().CitizenId }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "DATA_CLASS_NOT_GRANTED");
        await ErrorAssert.ThrowsAsync(() => open.ListHousesAsync(
                new ListHousesRequest { AncestorCode = Zhifu, RentalOnly = true }, deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "DATA_CLASS_NOT_GRANTED");
    }

    [Fact]
    public async Task TheFeed_Pull_Subscribe_AndSnapshot_AreRedactedPerGrant()
    {
        var exchange = new ExchangeService.ExchangeServiceClient(As(_openOnly));
        var persons = 0;
        var cursor = "";
        while (true)
        {
            var page = await exchange.PullChangesAsync(new PullChangesRequest { Cursor = cursor, PageSize = 1000 }, deadline: Calls.Deadline());
            AssertNoCitizenIdInClear(page);
            foreach (var change in page.Changes.Where(c => c.PayloadCase == Change.PayloadOneofCase.Person))
            {
                AssertOpenView(change.Person, _truth.Persons[change.EntityKey]);
                persons++;
            }

            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                break;
            }
        }

        Assert.True(persons >= ZhifuPersons.Count(), $"{persons} person changes pulled");

        using (var subscription = exchange.SubscribeChanges(new SubscribeChangesRequest(), deadline: Calls.Deadline()))
        {
            var seen = 0;
            while (seen < 2000 && await subscription.ResponseStream.MoveNext(CancellationToken.None))
            {
                var message = subscription.ResponseStream.Current;
                if (message.Change is { PayloadCase: Change.PayloadOneofCase.Person } change)
                {
                    AssertNoCitizenIdInClear(message);
                    AssertOpenView(change.Person, _truth.Persons[change.EntityKey]);
                    seen++;
                }
                else if (message.Heartbeat is not null)
                {
                    break;
                }
            }

            Assert.True(seen > 0);
        }

        using var snapshot = exchange.ExportSnapshot(new ExportSnapshotRequest { Scope = new ChangeScope { EntityTypes = { EntityType.Person } } },
            deadline: Calls.Deadline());
        var exported = 0;
        while (await snapshot.ResponseStream.MoveNext(CancellationToken.None))
        {
            AssertNoCitizenIdInClear(snapshot.ResponseStream.Current);
            foreach (var record in snapshot.ResponseStream.Current.Chunk?.Records ?? [])
            {
                AssertOpenView(record.Person, _truth.Persons[record.EntityKey]);
                exported++;
            }
        }

        Assert.True(exported > 0);
    }

    [Fact]
    public async Task ACaller_WithEveryGrant_GetsTheStoredBytes_OnTheFastPath()
    {
        var page = await new ExchangeService.ExchangeServiceClient(Hub.Channel).PullChangesAsync(
            new PullChangesRequest { Scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } }, PageSize = 50 },
            deadline: Calls.Deadline());
        Assert.NotEmpty(page.Changes);
        Assert.All(page.Changes.Where(c => c.PayloadCase == Change.PayloadOneofCase.Person),
            c => Assert.Empty(c.Person.Meta.RedactedClasses));
    }

    [Fact]
    public async Task ReadsOfPersonalData_AreAudited_WithPeerScopeCountAndClasses_AndRegistryReadsAreNot()
    {
        var stored = ZhifuPersons.First();
        await new PopulationService.PopulationServiceClient(As(_noS4)).GetPersonAsync(new GetPersonRequest { PersonId = stored.Meta.Id }, deadline: Calls.Deadline());
        var page = await new ExchangeService.ExchangeServiceClient(As(_noS4)).PullChangesAsync(new PullChangesRequest { PageSize = 7 }, deadline: Calls.Deadline());
        await new RegistryService.RegistryServiceClient(As(_noS4)).ListRegionsAsync(new ListRegionsRequest(), deadline: Calls.Deadline());

        var admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(Hub.RawChannel, "hub-admin"));
        var entries = new List<AuditEntry>();
        var token = "";
        do
        {
            var listed = await admin.ListAuditEntriesAsync(new ListAuditEntriesRequest { PeerId = _noS4, PageToken = token, PageSize = 1 }, deadline: Calls.Deadline());
            entries.AddRange(listed.Entries);
            token = listed.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(2, entries.Count);
        var get = entries[0];
        Assert.Equal("/gridexchange.v1.PopulationService/GetPerson", get.Method);
        Assert.Equal(stored.Meta.Id, get.Scope);
        Assert.Equal(1, get.RecordCount);
        Assert.Equal([EntityType.Person], get.EntityTypes);
        Assert.Equal([DataClass.S2, DataClass.S3], get.DataClasses);
        var pull = entries[1];
        Assert.Equal("/gridexchange.v1.ExchangeService/PullChanges", pull.Method);
        Assert.Equal("370602", pull.Scope);
        Assert.Equal(page.Changes.Count, pull.RecordCount);
        Assert.True(pull.Sequence > get.Sequence);

        // A look-up by citizen ID is audited with the ID masked: the audit log holds no ID in clear.
        await new PopulationService.PopulationServiceClient(As(_noS4)).ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = Zhifu, CitizenId = stored.CitizenId }, deadline: Calls.Deadline());
        var lookUp = (await admin.ListAuditEntriesAsync(new ListAuditEntriesRequest { PeerId = _noS4 }, deadline: Calls.Deadline())).Entries[^1];
        Assert.Equal(1, lookUp.RecordCount);
        Assert.DoesNotContain(stored.CitizenId, lookUp.Scope, StringComparison.Ordinal);
        Assert.Contains("********", lookUp.Scope, StringComparison.Ordinal);

        var verified = await admin.VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline());
        Assert.True(verified.Intact, verified.Problem);
        Assert.True(verified.VerifiedCount >= 2);

        // Only the operator reads the audit log.
        await ErrorAssert.ThrowsAsync(() => new AdminService.AdminServiceClient(As(_noS4))
                .VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline()).ResponseAsync,
            StatusCode.PermissionDenied, "ROLE_NOT_GRANTED");
    }
}

/// <summary>Disclosure on the embedded store.</summary>
public sealed class DisclosureOnSqliteTests(SqliteHubFixture fixture) : DisclosureTests(fixture), IClassFixture<SqliteHubFixture>;

/// <summary>Disclosure on PostgreSQL.</summary>
public sealed class DisclosureOnPostgresTests(PostgresHubFixture fixture) : DisclosureTests(fixture), IClassFixture<PostgresHubFixture>;
