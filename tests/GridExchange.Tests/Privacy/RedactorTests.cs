using Google.Protobuf;
using GridExchange.V1;
using static GridExchange.Tests.Privacy.RedactionSamples;
using DataClassGrants = GridExchange.Domain.Privacy.DataClassGrants;
using Redactor = GridExchange.Domain.Privacy.Redactor;

namespace GridExchange.Tests.Privacy;

public class RedactorTests
{
    private static readonly DataClassGrants AllButS2 = DataClassGrants.Of(DataClass.S3, DataClass.S4);
    private static readonly DataClassGrants AllButS3 = DataClassGrants.Of(DataClass.S2, DataClass.S4);
    private static readonly DataClassGrants AllButS4 = DataClassGrants.Of(DataClass.S2, DataClass.S3);

    // --- S3: masks per MaskKind ------------------------------------------------------------------

    [Fact]
    public void Redact_PersonWithoutS3_MasksIdNamePhoneAndAddresses()
    {
        var redacted = Redactor.Redact(Person(), AllButS3);

        Assert.Equal(MaskedCitizenId, redacted.CitizenId); // MASK_KIND_ID_NUMBER
        Assert.Equal("张*", redacted.Name); // MASK_KIND_NAME
        Assert.Equal("张**", redacted.FormerName);
        Assert.Equal(MaskedMobile, redacted.Contact); // MASK_KIND_PHONE
        Assert.Equal(MaskedAddress, redacted.RegisteredAddress); // MASK_KIND_ADDRESS
        Assert.Equal("山东省烟台市****", redacted.ResidenceAddress);
        Assert.Equal([DataClass.S3], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_PersonWithoutS3_KeepsOtherClassesAndTags()
    {
        var person = Person();

        var redacted = Redactor.Redact(person, AllButS3);

        Assert.Equal("19800101", redacted.BirthDate);
        Assert.Equal(Gender.Male, redacted.Gender);
        Assert.Equal("10", redacted.Religion);
        Assert.Equal(person.Tags.Select(t => t.Kind), redacted.Tags.Select(t => t.Kind));
        Assert.Equal(person.Tags[1].ReleasedPrisoner, redacted.Tags[1].ReleasedPrisoner);
    }

    [Fact]
    public void Redact_TagDetailsWithoutS3_AreMaskedInsideTheTag()
    {
        var person = Person();
        person.Tags.Add(LeftBehind(LeftBehindType.Elderly));
        person.Tags.Add(Foreign());

        var redacted = Redactor.Redact(person, AllButS3);

        var registered = redacted.Tags[0].Registered;
        Assert.Equal(MaskedCitizenId, registered.HeadCitizenId);
        Assert.Equal("张*", registered.HeadName);
        Assert.Equal("海港路1****", registered.RegisteredDoorAddress); // short address: at most half shown
        var leftBehind = redacted.Tags.Single(t => t.Kind == PersonTagKind.LeftBehind).LeftBehind;
        Assert.Equal("欧***", leftBehind.FamilyMemberName);
        Assert.Equal("0535-***3456", leftBehind.FamilyMemberContact);
        Assert.Equal(MaskedCitizenId, leftBehind.FamilyMemberCitizenId);
        Assert.Equal(MaskedAddress, leftBehind.FamilyMemberWorkAddress);
        Assert.Equal("02", leftBehind.HealthStatus); // S4, granted
        var foreign = redacted.Tags.Single(t => t.Kind == PersonTagKind.Foreign).Foreign;
        Assert.Equal("K**", foreign.SurnameLatin);
        Assert.Equal("M*****", foreign.GivenNameLatin);
        Assert.Equal("M12*****8", foreign.CertificateNumber);
        Assert.Equal("KOR", foreign.Nationality);
    }

    [Fact]
    public void Redact_HouseWithoutS3_MasksOwnerAndAddressAndClearsHomeCoordinates()
    {
        var redacted = Redactor.Redact(House(), AllButS3);

        Assert.Equal(MaskedAddress, redacted.Address);
        Assert.Equal("王*", redacted.OwnerName);
        Assert.Equal(MaskedCitizenId, redacted.OwnerCitizenId);
        Assert.Null(redacted.Location); // MASK_KIND_CLEAR
        Assert.Equal(78.96, redacted.AreaM2);
        Assert.Equal("91370602MA3C4XXX0X", redacted.OwnerCreditCode); // S1: an organisation's code
        Assert.Equal([DataClass.S3], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_CaseWithoutS3_MasksPartiesAndPlaceAndClearsFreeText()
    {
        var redacted = Redactor.Redact(Case(), AllButS3);

        Assert.Equal("", redacted.Description); // MASK_KIND_CLEAR: free text may name people
        Assert.Equal("东岗社区海****", redacted.Place); // 11 characters: 5 shown
        Assert.Equal(["张*", "李*"], redacted.Parties.Select(p => p.Name));
        Assert.Equal(MaskedCitizenId, redacted.Parties[0].CitizenId);
        Assert.Equal(MaskedMobile, redacted.Parties[0].Contact);
        Assert.Equal("", redacted.Parties[1].CitizenId);
        Assert.Equal("p-1", redacted.Parties[0].PersonId);
        Assert.NotNull(redacted.Location); // S2: not a home
        Assert.Equal([DataClass.S3], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_OtherEntitiesWithoutS3_MaskTheirS3Fields()
    {
        var worker = Redactor.Redact(GridWorker(), AllButS3);
        var household = Redactor.Redact(Household(), AllButS3);
        var request = Redactor.Redact(ServiceRequest(), AllButS3);

        Assert.Equal("183****3753", worker.Mobile);
        Assert.Equal("高杰", worker.Name); // S2: names posted on notice boards
        Assert.Equal("张*", household.HeadName);
        Assert.Equal(MaskedAddress, household.Address);
        Assert.Equal("张*", request.ResidentName);
        Assert.Equal(MaskedMobile, request.ResidentContact);
        Assert.All(new IMessage[] { worker, household, request }, m => Assert.Equal([DataClass.S3], MetaOf(m).RedactedClasses));
    }

    // --- S2: cleared -----------------------------------------------------------------------------

    [Fact]
    public void Redact_PersonWithoutS2_ClearsInternalFieldsOnly()
    {
        var redacted = Redactor.Redact(Person(), AllButS2);

        Assert.Equal(Gender.Unspecified, redacted.Gender);
        Assert.Equal("", redacted.BirthDate);
        Assert.Equal("", redacted.Ethnicity);
        Assert.Equal("", redacted.MaritalStatus);
        Assert.Equal("", redacted.Education);
        Assert.Equal("", redacted.Occupation);
        Assert.Equal("", redacted.Workplace);
        Assert.Equal("", redacted.HouseholdNumber);
        Assert.Equal("", redacted.ResidenceRegion);
        Assert.Equal(CitizenId, redacted.CitizenId); // S3 granted
        Assert.Equal("10", redacted.Religion); // S4 granted
        Assert.Equal(GridCode, redacted.GridCode); // S1
        Assert.Equal("hh-1", redacted.HouseholdId);
    }

    [Fact]
    public void Redact_S2TagWithoutS2_IsLeftOutButS4TagsStay()
    {
        var redacted = Redactor.Redact(Person(), AllButS2);

        Assert.Equal([PersonTagKind.ReleasedPrisoner, PersonTagKind.DrugUser], redacted.Tags.Select(t => t.Kind));
        Assert.Equal([DataClass.S2], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_WithoutS2_ClearsPresenceOfOptionalFieldsAndLists()
    {
        var house = Redactor.Redact(House(), AllButS2);
        var household = Redactor.Redact(Household(), AllButS2);

        Assert.False(house.HasAreaM2);
        Assert.False(house.HasIsRental); // was false: a stated "no" is data too
        Assert.Empty(house.TenantPersonIds);
        Assert.Equal(Address, house.Address);
        Assert.NotNull(house.Location);
        Assert.Equal("", household.HouseholdNumber);
        Assert.Equal(HouseholdType.Unspecified, household.Type);
        Assert.Equal(2, household.MemberCount); // S1 count
        Assert.Equal([DataClass.S2], house.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_OtherEntitiesWithoutS2_ClearTheirS2Fields()
    {
        var grid = Redactor.Redact(GridRecord(), AllButS2);
        var worker = Redactor.Redact(GridWorker(), AllButS2);
        var record = Redactor.Redact(Case(), AllButS2);
        var request = Redactor.Redact(ServiceRequest(), AllButS2);
        var directive = Redactor.Redact(Directive(), AllButS2);
        var receipt = Redactor.Redact(DirectiveReceipt(), AllButS2);

        Assert.Equal("", grid.LeaderName);
        Assert.Equal("幸福社区第三网格", grid.Name);
        Assert.Equal("", worker.Name);
        Assert.Equal("18363263753", worker.Mobile);
        Assert.Equal("", record.Title);
        Assert.Null(record.Location);
        Assert.Equal(CasePartyRole.Unspecified, record.Parties[0].Role);
        Assert.Equal("张三", record.Parties[0].Name);
        Assert.Equal(("", ""), (record.Steps[0].ActorName, record.Steps[0].Comment));
        Assert.Equal("37060200100100301", record.Steps[0].ActorId);
        Assert.Equal("", request.Description);
        Assert.Equal(("", ""), (request.Steps[0].ActorName, request.Steps[0].Comment));
        Assert.Equal("", directive.Content);
        Assert.Equal("汛期隐患排查", directive.Title);
        Assert.Equal(("", "", ""), (receipt.SignedForBy, receipt.Feedback, receipt.ReviewComment));
        Assert.Equal(DirectiveState.FeedbackSubmitted, receipt.State);
        Assert.All(
            new IMessage[] { grid, worker, record, request, directive, receipt },
            m => Assert.Equal([DataClass.S2], MetaOf(m).RedactedClasses));
    }

    // --- S4: left out -----------------------------------------------------------------------------

    [Fact]
    public void Redact_S4TagsWithoutS4_AreRemovedEntirely()
    {
        var redacted = Redactor.Redact(Person(), AllButS4);

        var tag = Assert.Single(redacted.Tags);
        Assert.Equal(PersonTagKind.Registered, tag.Kind);
        Assert.Equal(Person().Tags[0], tag);
        Assert.Equal("", redacted.Religion);
        Assert.Equal([DataClass.S4], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_LeftBehindChildWithoutS4_RemovesTheWholeTag()
    {
        var person = Person();
        person.Tags.Clear();
        person.Tags.Add(LeftBehind(LeftBehindType.Child));

        var redacted = Redactor.Redact(person, AllButS4);

        Assert.Empty(redacted.Tags);
    }

    [Fact]
    public void Redact_LeftBehindElderlyWithoutS4_KeepsTheTagButClearsHealth()
    {
        var person = Person();
        person.Tags.Clear();
        person.Tags.Add(LeftBehind(LeftBehindType.Elderly));

        var redacted = Redactor.Redact(person, AllButS4);

        var details = Assert.Single(redacted.Tags).LeftBehind;
        Assert.Equal("", details.HealthStatus);
        Assert.Equal(LeftBehindType.Elderly, details.Type);
        Assert.Equal("欧阳娜娜", details.FamilyMemberName);
        Assert.True(details.HasAnnualIncomeYuan);
    }

    [Fact]
    public void Redact_LeftBehindChildWithS4ButWithoutS2_KeepsTheTagAndClearsItsS2Fields()
    {
        var person = Person();
        person.Tags.Clear();
        person.Tags.Add(LeftBehind(LeftBehindType.Child));

        var redacted = Redactor.Redact(person, AllButS2);

        var details = Assert.Single(redacted.Tags).LeftBehind;
        Assert.Equal(LeftBehindType.Unspecified, details.Type);
        Assert.False(details.HasAnnualIncomeYuan);
        Assert.Equal("02", details.HealthStatus);
    }

    [Fact]
    public void Redact_TagKindThisBuildDoesNotKnow_IsTreatedAsS4()
    {
        var person = Person();
        person.Tags.Clear();
        person.Tags.Add(new PersonTag { Kind = (PersonTagKind)99, Since = "20250101" });

        Assert.Single(Redactor.Redact(person, DataClassGrants.All).Tags);
        Assert.Empty(Redactor.Redact(person, AllButS4).Tags);
    }

    [Fact]
    public void Redact_PersonWithoutAnyS4DataAndWithoutS4Grant_StillListsS4()
    {
        var person = Person();
        person.Religion = "";
        person.Tags.RemoveAt(2);
        person.Tags.RemoveAt(1);

        var redacted = Redactor.Redact(person, AllButS4);

        // Listing S4 only for people who have S4 data would tell who is in a special group.
        Assert.Equal([DataClass.S4], redacted.Meta.RedactedClasses);
        Assert.Equal(person.Tags, redacted.Tags);
    }

    [Fact]
    public void Redact_OpenOnly_RedactsEveryClassAndListsThemSorted()
    {
        var redacted = Redactor.Redact(Person(), DataClassGrants.OpenOnly);

        Assert.Equal([DataClass.S2, DataClass.S3, DataClass.S4], redacted.Meta.RedactedClasses);
        Assert.Empty(redacted.Tags);
        Assert.Equal("张*", redacted.Name);
        Assert.Equal("", redacted.BirthDate);
        Assert.Equal("", redacted.Religion);
        Assert.Equal("p-1", redacted.Meta.Id);
        Assert.Equal(3, redacted.Meta.Version);
        Assert.Equal(GridCode, redacted.GridCode);
    }

    // --- redacted_classes, identity, immutability ---------------------------------------------------

    [Fact]
    public void Redact_InputAlreadyMarked_MergesClassesSortedWithoutDuplicates()
    {
        var person = Person();
        person.Meta.RedactedClasses.Add(new[] { DataClass.S3, DataClass.S2 });

        var redacted = Redactor.Redact(person, AllButS3);

        Assert.Equal([DataClass.S2, DataClass.S3], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_EntityWithoutMeta_GetsMetaToCarryTheClasses()
    {
        var house = House();
        house.Meta = null;

        var redacted = Redactor.Redact(house, AllButS3);

        Assert.Equal([DataClass.S3], redacted.Meta.RedactedClasses);
    }

    [Fact]
    public void Redact_NothingOfTheMissingClassesPresent_ReturnsTheInputItself()
    {
        var record = Case();
        record.Description = "";
        record.Place = "";
        record.Parties.Clear();

        Assert.Same(record, Redactor.Redact(record, AllButS3));
    }

    [Fact]
    public void Redact_EveryEntityAndGrant_LeavesTheInputUnchanged()
    {
        foreach (var entity in Entities())
        {
            var before = entity.ToByteArray();
            foreach (var grants in EveryGrant())
            {
                Redactor.Redact(entity, grants);

                Assert.Equal(before, entity.ToByteArray());
            }
        }
    }

    [Fact]
    public void Redact_EveryEntityFullyGranted_ReturnsTheInputItself()
    {
        foreach (var entity in Entities())
        {
            var expected = entity.ToByteArray();

            var redacted = Redactor.Redact(entity, DataClassGrants.All);

            Assert.Same(entity, redacted);
            Assert.Equal(expected, redacted.ToByteArray());
        }
    }

    [Fact]
    public void Redact_EveryEntityPartlyGranted_DropsOnlyWhatIsListed()
    {
        foreach (var entity in Entities())
        {
            foreach (var grants in EveryGrant())
            {
                var redacted = Redactor.Redact(entity, grants);

                var listed = MetaOf(redacted).RedactedClasses;
                Assert.All(listed, c => Assert.False(grants.Contains(c), $"{entity.Descriptor.Name} lists granted {c}"));
                Assert.Equal(listed.Count == 0, ReferenceEquals(entity, redacted));
                Assert.Equal(listed.Distinct().Order(), listed);
            }
        }
    }

    [Fact]
    public void Redact_RegionForAnyGrant_ReturnsTheInputItself()
    {
        var region = Region();

        Assert.All(EveryGrant(), grants => Assert.Same(region, Redactor.Redact(region, grants)));
    }

    [Fact]
    public void Redact_NonGenericOverload_RedactsLikeTheGenericOne()
    {
        IMessage person = Person();

        var redacted = Redactor.Redact(person, AllButS3);

        Assert.Equal(Redactor.Redact(Person(), AllButS3), redacted);
    }

    // --- NeedsRedaction ---------------------------------------------------------------------------------

    [Fact]
    public void NeedsRedaction_FullGrant_IsFalseForEveryEntityType()
    {
        foreach (var type in Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified))
        {
            Assert.False(Redactor.NeedsRedaction(type, DataClassGrants.All), type.ToString());
        }
    }

    [Theory]
    [InlineData(EntityType.Region, false)]
    [InlineData(EntityType.Grid, true)]
    [InlineData(EntityType.Person, true)]
    [InlineData(EntityType.Directive, true)]
    [InlineData(EntityType.Unspecified, true)] // unknown types fail closed
    [InlineData((EntityType)99, true)]
    public void NeedsRedaction_OpenOnly_IsTrueWhereTheTypeHoldsPersonalData(EntityType type, bool expected)
    {
        Assert.Equal(expected, Redactor.NeedsRedaction(type, DataClassGrants.OpenOnly));
    }

    [Fact]
    public void NeedsRedaction_GrantCoveringTheTypesClasses_IsFalse()
    {
        var s2 = DataClassGrants.Of(DataClass.S2);

        Assert.False(Redactor.NeedsRedaction(V1.Directive.Descriptor, s2)); // S2 only
        Assert.False(Redactor.NeedsRedaction(V1.Grid.Descriptor, s2));
        Assert.True(Redactor.NeedsRedaction(V1.GridWorker.Descriptor, s2)); // S3 mobile
        Assert.False(Redactor.NeedsRedaction(V1.Case.Descriptor, AllButS4)); // no S4 in cases
        Assert.True(Redactor.NeedsRedaction(V1.Person.Descriptor, AllButS4));
    }

    // --- Change envelopes ---------------------------------------------------------------------------

    [Fact]
    public void RedactChange_Upsert_RedactsThePayloadAndKeepsTheEnvelope()
    {
        var change = PersonChange();
        var before = change.Clone();

        var redacted = Redactor.RedactChange(change, AllButS3);

        Assert.Equal(before, change);
        Assert.Equal("张*", redacted.Person.Name);
        Assert.Equal([DataClass.S3], redacted.Person.Meta.RedactedClasses);
        redacted.Person = change.Person;
        Assert.Equal(change, redacted);
    }

    [Fact]
    public void RedactChange_FullGrantOrTombstone_ReturnsTheChangeItself()
    {
        var change = PersonChange();
        var tombstone = new Change { EntityType = EntityType.Person, EntityKey = "p-1", Operation = ChangeOperation.Delete, EntityVersion = 4 };

        Assert.Same(change, Redactor.RedactChange(change, DataClassGrants.All));
        Assert.Same(tombstone, Redactor.RedactChange(tombstone, DataClassGrants.OpenOnly));
    }

    [Fact]
    public void RedactChange_StoredPayload_IsParsedAndRedactedNeverPassedOn()
    {
        var stored = new Change { EntityType = EntityType.Person, EntityKey = "p-1", Operation = ChangeOperation.Upsert, EntityVersion = 3, Sequence = 7 };
        stored.SetStoredPayload(EntityType.Person, Person().ToByteArray());

        var redacted = Redactor.RedactChange(stored, AllButS3);

        Assert.NotSame(stored, redacted);
        Assert.Equal(Change.PayloadOneofCase.Person, redacted.PayloadCase);
        Assert.Equal(Redactor.Redact(Person(), AllButS3), redacted.Person);
        Assert.Equal(7, redacted.Sequence);
        Assert.Equal(redacted, Change.Parser.ParseFrom(redacted.ToByteArray()));
    }

    [Fact]
    public void RedactChange_StoredPayloadFullyGranted_KeepsTheFastPath()
    {
        var stored = new Change { EntityType = EntityType.Person, EntityKey = "p-1", Operation = ChangeOperation.Upsert };
        stored.SetStoredPayload(EntityType.Person, Person().ToByteArray());

        Assert.Same(stored, Redactor.RedactChange(stored, DataClassGrants.All));
    }

    private static Change PersonChange() => new()
    {
        Sequence = 42,
        Cursor = "c42",
        EntityType = EntityType.Person,
        EntityKey = "p-1",
        Operation = ChangeOperation.Upsert,
        EntityVersion = 3,
        SourceSystem = "county-370602",
        SourceChangeId = "sc-1",
        RegionCode = GridCode,
        Person = Person(),
    };

    private static EntityMeta MetaOf(IMessage message) =>
        (EntityMeta)message.Descriptor.FindFieldByName("meta").Accessor.GetValue(message);

    private static IEnumerable<DataClassGrants> EveryGrant()
    {
        DataClass[] classes = [DataClass.S2, DataClass.S3, DataClass.S4];
        for (var mask = 0; mask < 8; mask++)
        {
            yield return DataClassGrants.Of(classes.Where((_, i) => (mask & (1 << i)) != 0));
        }
    }
}
