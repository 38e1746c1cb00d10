using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Seeds;
using GridExchange.Seeds.Output;
using GridExchange.V1;

namespace GridExchange.Tests.Seeds;

/// <summary>The committed seeds/sample, read once through <see cref="SeedReader"/>.</summary>
public sealed class CommittedSample : IAsyncLifetime
{
    public string Directory { get; } = SeedTestSupport.SampleDirectory();

    public SeedManifest Manifest { get; private set; } = null!;

    public DateOnly AsOf { get; private set; }

    /// <summary>Changes per file name, in file order.</summary>
    public Dictionary<string, List<Change>> Files { get; } = [];

    public IEnumerable<Change> All => Manifest.Files.SelectMany(f => Files[f.Name]);

    public IEnumerable<Person> Persons => All.Where(c => c.Person is not null).Select(c => c.Person);

    public async Task InitializeAsync()
    {
        Manifest = SeedReader.LoadManifest(Directory);
        AsOf = DateOnly.ParseExact(Manifest.AsOf, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        foreach (var file in Manifest.Files)
        {
            Files[file.Name] = await SeedTestSupport.ReadAllAsync(Path.Combine(Directory, file.Name));
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public class CommittedSampleTests(CommittedSample sample) : IClassFixture<CommittedSample>
{
    [Fact]
    public async Task Manifest_Sha256AndCounts_MatchTheFiles()
    {
        Assert.Equal("sample", sample.Manifest.Scale);
        Assert.Equal(SeedGenerator.GeneratorVersion, sample.Manifest.GeneratorVersion);
        foreach (var file in sample.Manifest.Files)
        {
            await using var gzip = new GZipStream(File.OpenRead(Path.Combine(sample.Directory, file.Name)), CompressionMode.Decompress);
            using var sha = SHA256.Create();
            var hash = await sha.ComputeHashAsync(gzip).WaitAsync(SeedTestSupport.Timeout);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(hash));

            var changes = sample.Files[file.Name];
            Assert.Equal(file.Lines, changes.Count);
            var counts = changes.GroupBy(c => c.EntityType).ToDictionary(g => ChangeFileWriter.EntityTypeName(g.Key), g => (long)g.Count());
            Assert.Equal(file.Records.OrderBy(r => r.Key, StringComparer.Ordinal), counts.OrderBy(r => r.Key, StringComparer.Ordinal));
        }

        var sizeOnDisk = sample.Manifest.Files.Sum(f => new FileInfo(Path.Combine(sample.Directory, f.Name)).Length);
        Assert.InRange(sizeOnDisk, 1, 5L * 1024 * 1024);
    }

    [Fact]
    public void Envelopes_AreUpsertsKeyedByMetaIdWithSequentialSourceChangeIds()
    {
        foreach (var file in sample.Manifest.Files)
        {
            var number = 0;
            foreach (var change in sample.Files[file.Name])
            {
                number++;
                Assert.Equal(ChangeOperation.Upsert, change.Operation);
                Assert.Equal(1, change.EntityVersion);
                Assert.Equal(file.SourceSystem, change.SourceSystem);
                Assert.Equal("seed-" + number.ToString("D8", CultureInfo.InvariantCulture), change.SourceChangeId);
                var meta = Meta(change);
                Assert.Equal(change.EntityKey, meta.Id);
                Assert.Equal(file.SourceSystem, meta.SourceSystem);
                Assert.Equal(1, meta.Version);
                Assert.True(change.RegionCode.StartsWith(file.RegionCode[..(file.RegionCode == "370000000000" ? 2 : 6)], StringComparison.Ordinal), change.RegionCode);
            }
        }

        Assert.Equal(sample.All.Count(), sample.All.Select(c => (c.EntityType, c.EntityKey)).Distinct().Count());
    }

    [Fact]
    public void CitizenIds_AreValidUniqueAndAgreeWithBirthDateAndGender()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var person in sample.Persons)
        {
            Assert.Equal(CodeCheck.Ok, CitizenId.Validate(person.CitizenId, sample.AsOf));
            var birth = DateOnly.ParseExact(person.BirthDate, "yyyyMMdd", CultureInfo.InvariantCulture);
            Assert.Equal(CodeCheck.Ok, CitizenId.CheckConsistency(person.CitizenId, birth, person.Gender == Gender.Male));
            Assert.Contains(person.Gender, new[] { Gender.Male, Gender.Female });
            Assert.True(seen.Add(person.CitizenId), "duplicate citizen ID " + person.CitizenId);

            var isFloating = person.Tags.Any(t => t.Kind == PersonTagKind.Floating);
            Assert.Equal(isFloating, !person.CitizenId.StartsWith(person.ResidenceRegion, StringComparison.Ordinal));
            Assert.Equal(person.RegisteredRegion, person.CitizenId[..6]);
            Assert.True(Contact.IsMobile(person.Contact), person.Contact);
        }

        var otherIds = sample.All.SelectMany(c => c.PayloadCase switch
        {
            Change.PayloadOneofCase.House => [c.House.OwnerCitizenId],
            Change.PayloadOneofCase.CaseRecord => c.CaseRecord.Parties.Select(p => p.CitizenId),
            Change.PayloadOneofCase.Person => c.Person.Tags.SelectMany(t => new[]
            {
                t.Registered?.HeadCitizenId, t.LeftBehind?.FamilyMemberCitizenId, t.SevereMentalDisorder?.GuardianCitizenId, t.KeyYouth?.GuardianCitizenId,
            }),
            _ => [],
        }).Where(id => !string.IsNullOrEmpty(id));
        Assert.All(otherIds, id => Assert.Equal(CodeCheck.Ok, CitizenId.Validate(id, sample.AsOf)));
    }

    [Fact]
    public void Regions_ParentsExistAndComeFirst()
    {
        var seen = new Dictionary<string, Region>(StringComparer.Ordinal);
        foreach (var region in sample.All.Where(c => c.Region is not null).Select(c => c.Region))
        {
            Assert.True(RegionCode.TryParse(region.Code, out var code), region.Code);
            Assert.Equal((int)code.Level, (int)region.Level);
            if (region.Level == RegionLevel.Province)
            {
                Assert.Empty(region.ParentCode);
            }
            else
            {
                Assert.True(seen.ContainsKey(region.ParentCode), $"{region.Code}'s parent {region.ParentCode} is missing or later");
                Assert.Equal(code.Parent!.Value.Value, region.ParentCode);
            }

            Assert.True(seen.TryAdd(region.Code, region));
        }

        Assert.Contains(seen.Values, r => r.Code == "370600000000" && r.Name == "烟台市");
        Assert.Contains(seen.Values, r => r.Code == "370602000000" && r.Name == "芝罘区");
        foreach (var level in new[] { RegionLevel.Province, RegionLevel.City, RegionLevel.County, RegionLevel.Township, RegionLevel.Village })
        {
            Assert.Contains(seen.Values, r => r.Level == level);
        }

        // Township and village code ranges (DOMAIN.md §2).
        Assert.All(seen.Values.Where(r => r.Level == RegionLevel.Township), r =>
        {
            var serial = int.Parse(r.Code.AsSpan(6, 3), CultureInfo.InvariantCulture);
            var suffix = serial < 100 ? "街道" : serial < 200 ? "镇" : "乡";
            Assert.EndsWith(suffix, r.Name, StringComparison.Ordinal);
        });
        Assert.All(seen.Values.Where(r => r.Level == RegionLevel.Village), r =>
            Assert.EndsWith(int.Parse(r.Code.AsSpan(9, 3), CultureInfo.InvariantCulture) < 200 ? "社区" : "村", r.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Grids_LieUnderTheirVillageAndHoldTheirPeople()
    {
        var villages = sample.All.Where(c => c.Region?.Level == RegionLevel.Village).Select(c => c.Region.Code).ToHashSet(StringComparer.Ordinal);
        var grids = sample.All.Where(c => c.Grid is not null).Select(c => c.Grid).ToList();
        var persons = sample.Persons.GroupBy(p => p.GridCode).ToDictionary(g => g.Key, g => g.Count());
        var households = sample.All.Where(c => c.Household is not null).GroupBy(c => c.Household.GridCode).ToDictionary(g => g.Key, g => g.Count());
        var workers = sample.All.Where(c => c.GridWorker is not null).Select(c => c.GridWorker).ToList();

        foreach (var grid in grids)
        {
            Assert.True(GridCode.TryParse(grid.Code, out var code), grid.Code);
            Assert.Equal(grid.VillageCode, code.Village.Value);
            Assert.StartsWith(grid.VillageCode, grid.Code, StringComparison.Ordinal);
            Assert.Contains(grid.VillageCode, villages);
            Assert.Equal(code.IsDedicated ? GridType.Dedicated : GridType.Basic, grid.Type);
            Assert.Equal(persons.GetValueOrDefault(grid.Code), grid.ResidentCount);
            Assert.Equal(households.GetValueOrDefault(grid.Code), grid.HouseholdCount);
            Assert.Equal(workers.Count(w => w.GridCode == grid.Code), grid.WorkerCount);
            Assert.InRange(grid.WorkerCount, 1, 3);
            if (grid.Type == GridType.Basic)
            {
                Assert.InRange(grid.HouseholdCount, 100, 300);
            }
        }

        Assert.Contains(grids, g => g.Type == GridType.Dedicated);
    }

    [Fact]
    public void GridWorkers_NumberedUnderTheirGridWithMobiles()
    {
        var grids = sample.All.Where(c => c.Grid is not null).Select(c => c.Grid.Code).ToHashSet(StringComparer.Ordinal);
        var workers = sample.All.Where(c => c.GridWorker is not null).Select(c => c.GridWorker).ToList();

        Assert.All(workers, w =>
        {
            Assert.True(GridWorkerNumber.TryParse(w.Number, out var number), w.Number);
            Assert.StartsWith(w.GridCode, w.Number, StringComparison.Ordinal);
            Assert.Equal(w.GridCode, number.Grid.Value);
            Assert.Contains(w.GridCode, grids);
            Assert.True(Contact.IsMobile(w.Mobile), w.Mobile);
        });
        Assert.Equal(grids.Count, workers.Count(w => w.Role == GridWorkerRole.Manager));
    }

    [Fact]
    public void References_PointAtRecordsThatComeEarlier()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in sample.All)
        {
            IEnumerable<string> parents = change.PayloadCase switch
            {
                Change.PayloadOneofCase.Grid => [change.Grid.VillageCode],
                Change.PayloadOneofCase.GridWorker => [change.GridWorker.GridCode],
                Change.PayloadOneofCase.House => [change.House.GridCode],
                Change.PayloadOneofCase.Household => [change.Household.GridCode, change.Household.HouseId],
                Change.PayloadOneofCase.Person => [change.Person.GridCode, change.Person.HouseholdId, change.Person.HouseId],
                Change.PayloadOneofCase.CaseRecord => [change.CaseRecord.GridCode, .. change.CaseRecord.Parties.Select(p => p.PersonId)],
                Change.PayloadOneofCase.ServiceRequest => [change.ServiceRequest.GridCode, change.ServiceRequest.ResidentPersonId, change.ServiceRequest.GridWorkerNumber],
                _ => [],
            };
            foreach (var parent in parents.Where(p => p.Length > 0))
            {
                Assert.True(seen.Contains(parent), $"{change.EntityKey} refers to {parent}, which is missing or later");
            }

            seen.Add(change.EntityKey);
        }

        var persons = sample.Persons.ToDictionary(p => p.Meta.Id);
        foreach (var household in sample.All.Where(c => c.Household is not null).Select(c => c.Household))
        {
            Assert.Equal(household.MemberCount, household.MemberPersonIds.Count);
            Assert.Equal(household.HeadPersonId, household.MemberPersonIds[0]);
            Assert.All(household.MemberPersonIds, id => Assert.Equal(household.Meta.Id, persons[id].HouseholdId));
            Assert.Equal("01", persons[household.HeadPersonId].RelationToHead);
            Assert.Equal(household.Type == HouseholdType.Floating, household.HouseholdNumber.Length == 0);
            if (household.HouseholdNumber.Length > 0)
            {
                Assert.Matches("^[0-9]{9}$", household.HouseholdNumber);
            }
        }

        foreach (var house in sample.All.Where(c => c.House is not null).Select(c => c.House))
        {
            Assert.Equal(house.IsRental, house.TenantPersonIds.Count > 0);
            Assert.All(house.TenantPersonIds, id => Assert.Equal(house.Meta.Id, persons[id].HouseId));
            Assert.NotEqual(HazardType.Unspecified, house.Hazard);
            Assert.True(house.OwnerCitizenId.Length > 0 || UnifiedSocialCreditCode.Validate(house.OwnerCreditCode).IsValid, house.Meta.Id);
        }
    }

    [Fact]
    public void Persons_HaveTheRequiredBaseBlockAndTags()
    {
        var kinds = new HashSet<PersonTagKind>();
        foreach (var person in sample.Persons)
        {
            Assert.All(
                new[] { person.Name, person.BirthDate, person.Ethnicity, person.NativePlace, person.MaritalStatus, person.Education, person.Contact, person.RegisteredRegion, person.RegisteredAddress, person.ResidenceRegion, person.ResidenceAddress, person.GridCode },
                value => Assert.False(string.IsNullOrEmpty(value), person.Meta.Id));
            Assert.InRange(person.RegisteredAddress.Length, 1, 80);
            Assert.InRange(person.ResidenceAddress.Length, 1, 80);
            Assert.Matches("^[0-9]{2}$", person.Ethnicity);
            Assert.DoesNotContain(person.CitizenId, person.Meta.Id, StringComparison.Ordinal);
            Assert.Single(person.Tags, t => t.Kind is PersonTagKind.Registered or PersonTagKind.Floating);
            Assert.Equal(person.Tags.Count, person.Tags.Select(t => t.Kind).Distinct().Count());
            foreach (var tag in person.Tags)
            {
                Assert.Equal((int)tag.Kind, (int)tag.DetailsCase - 2);
                kinds.Add(tag.Kind);
            }
        }

        var persons = sample.Persons.ToList();
        var floatingShare = persons.Count(p => p.Tags.Any(t => t.Kind == PersonTagKind.Floating)) / (double)persons.Count;
        Assert.InRange(floatingShare, 0.08, 0.25);
        Assert.Contains(PersonTagKind.LeftBehind, kinds);
        Assert.Contains(PersonTagKind.SevereMentalDisorder, kinds);
        Assert.Contains(PersonTagKind.ReleasedPrisoner, kinds);
    }

    [Fact]
    public void Cases_CoverEveryStateWithHistoriesThatFollowTheTable()
    {
        var cases = sample.All.Where(c => c.CaseRecord is not null).Select(c => c.CaseRecord).ToList();

        Assert.Equal(Enum.GetValues<CaseState>().Where(s => s != CaseState.Unspecified).Order(), cases.Select(c => c.State).Distinct().Order());
        foreach (var record in cases)
        {
            Assert.Matches("^[0-9]{4}$", record.Category);
            Assert.Equal(record.GridCode, record.Steps[0].OwningRegionCode);
            var previous = CaseState.Unspecified;
            var previousAt = record.OccurredAt.ToDateTimeOffset();
            for (var i = 0; i < record.Steps.Count; i++)
            {
                var step = record.Steps[i];
                Assert.Equal(i + 1, step.Seq);
                Assert.Equal(previous, step.FromState);
                Assert.Contains((step.FromState, step.Action, step.ToState), CaseLifecycleTests.Table);
                Assert.True(step.At.ToDateTimeOffset() >= previousAt);
                Assert.True(step.OwningRegionCode == record.GridCode || RegionCode.Parse(step.OwningRegionCode).Contains(record.GridCode), step.OwningRegionCode);
                previous = step.ToState;
                previousAt = step.At.ToDateTimeOffset();
            }

            Assert.Equal(record.State, previous);
            Assert.Equal(record.OwningRegionCode, record.Steps[^1].OwningRegionCode);
            Assert.Equal(record.OwningLevel, record.Steps[^1].Level);
            Assert.True(previousAt < new DateTimeOffset(sample.AsOf.ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8)));
            Assert.NotEqual(OverdueLevel.Unspecified, record.OverdueLevel);
            Assert.NotEqual(WarningColor.Unspecified, record.WarningColor);
            Assert.Equal(record.State == CaseState.Evaluated, record.Rating > 0);
        }

        Assert.Equal(4, cases.Select(c => c.WarningColor).Distinct().Count());
        Assert.Equal(3, cases.Select(c => c.OverdueLevel).Distinct().Count());
    }

    [Fact]
    public void ServiceRequests_CoverEveryState()
    {
        var requests = sample.All.Where(c => c.ServiceRequest is not null).Select(c => c.ServiceRequest).ToList();

        Assert.Equal(Enum.GetValues<ServiceRequestState>().Where(s => s != ServiceRequestState.Unspecified).Order(), requests.Select(r => r.State).Distinct().Order());
        Assert.All(requests, r =>
        {
            Assert.Equal(r.State, r.Steps[^1].ToState);
            Assert.Equal(ServiceRequestAction.Request, r.Steps[0].Action);
            Assert.Equal(r.State == ServiceRequestState.Reviewed, r.Rating > 0);
        });
    }

    private static EntityMeta Meta(Change change) => change.PayloadCase switch
    {
        Change.PayloadOneofCase.Region => change.Region.Meta,
        Change.PayloadOneofCase.Grid => change.Grid.Meta,
        Change.PayloadOneofCase.GridWorker => change.GridWorker.Meta,
        Change.PayloadOneofCase.House => change.House.Meta,
        Change.PayloadOneofCase.Household => change.Household.Meta,
        Change.PayloadOneofCase.Person => change.Person.Meta,
        Change.PayloadOneofCase.CaseRecord => change.CaseRecord.Meta,
        Change.PayloadOneofCase.ServiceRequest => change.ServiceRequest.Meta,
        _ => throw new InvalidOperationException("Unexpected payload " + change.PayloadCase),
    };
}
