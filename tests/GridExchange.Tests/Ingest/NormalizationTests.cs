using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class NormalizationTests
{
    [Fact]
    public void Normalized_ClearsOutputOnlyFieldsAndStampsTheSource()
    {
        var change = Person();
        change.Sequence = 77;
        change.Cursor = "cursor-from-elsewhere";
        change.CommittedAt = At(3);
        change.RegionCode = "999999999999";
        change.SourceSystem = "somebody-else";
        change.Person.Meta.SourceSystem = "somebody-else";
        change.Person.Meta.RedactedClasses.Add(DataClass.S3);

        var check = Validate(change);

        AssertValid(check);
        var normalized = check.Normalized;
        Assert.Equal(0, normalized.Sequence);
        Assert.Equal("", normalized.Cursor);
        Assert.Null(normalized.CommittedAt);
        Assert.Equal(TheGrid, normalized.RegionCode);
        Assert.Equal(CountySource.SourceSystem, normalized.SourceSystem);
        Assert.Equal(CountySource.SourceSystem, normalized.Person.Meta.SourceSystem);
        Assert.Equal(3, normalized.Person.Meta.Version);
        Assert.Empty(normalized.Person.Meta.RedactedClasses);
        Assert.Equal(change.Person.Meta.UpdatedAt, normalized.Person.Meta.UpdatedAt);
    }

    [Fact]
    public void Normalized_OtherwiseEqualsTheInput()
    {
        foreach (var change in AllValid())
        {
            var check = Validate(change);

            var expected = change.Clone();
            expected.RegionCode = check.RegionCode;
            expected.SourceSystem = CountySource.SourceSystem;
            var meta = ChangeValidator.MetaOf(expected)!;
            meta.SourceSystem = CountySource.SourceSystem;
            meta.Version = expected.EntityVersion;
            Assert.Equal(expected, check.Normalized);
        }
    }

    [Fact]
    public void Normalized_UpgradesEveryLegacyCitizenId()
    {
        var person = Person();
        person.Person.CitizenId = MaleLegacyId;
        person.Person.Tags[0].Registered.HeadCitizenId = MaleLegacyId;
        person.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.LeftBehind, LeftBehind = new LeftBehindDetails { Type = LeftBehindType.Elderly, FamilyMemberCitizenId = MaleLegacyId } });
        person.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { GuardianCitizenId = MaleLegacyId } });
        person.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.KeyYouth, KeyYouth = new KeyYouthDetails { GuardianCitizenId = MaleLegacyId } });
        var house = House();
        house.House.OwnerCitizenId = MaleLegacyId;
        var record = Case();
        record.CaseRecord.Parties[1].CitizenId = MaleLegacyId;

        var p = Validate(person);
        var h = Validate(house);
        var c = Validate(record);

        AssertValid(p);
        AssertValid(h);
        AssertValid(c);
        var tags = p.Normalized.Person.Tags;
        Assert.Equal(
            [MaleId, MaleId, MaleId, MaleId, MaleId, MaleId, MaleId],
            [p.Normalized.Person.CitizenId, tags[0].Registered.HeadCitizenId, tags[1].LeftBehind.FamilyMemberCitizenId, tags[2].SevereMentalDisorder.GuardianCitizenId, tags[3].KeyYouth.GuardianCitizenId, h.Normalized.House.OwnerCitizenId, c.Normalized.CaseRecord.Parties[1].CitizenId]);
        Assert.Equal(MaleLegacyId, person.Person.CitizenId);
        Assert.Equal(MaleLegacyId, house.House.OwnerCitizenId);
    }

    [Fact]
    public void Normalized_OfADelete_HasNoRegionAndIsStampedWithTheSource()
    {
        var change = Envelope(EntityType.House, "ho-0001");
        change.Operation = ChangeOperation.Delete;
        change.RegionCode = TheGrid;

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal("", check.Normalized.RegionCode);
        Assert.Equal(CountySource.SourceSystem, check.Normalized.SourceSystem);
        Assert.Equal(ChangeOperation.Delete, check.Normalized.Operation);
    }

    [Fact]
    public void Normalized_OfAnInvalidChange_HasNoRegion()
    {
        var change = Person();
        change.Person.Name = "";

        var check = Validate(change);

        Assert.False(check.IsValid);
        Assert.Null(check.RegionCode);
        Assert.Equal("", check.ParentKey);
        Assert.Equal("", check.Normalized.RegionCode);
    }

    [Fact]
    public void Normalized_IsADeepCopy()
    {
        var change = Person();

        var check = Validate(change);
        check.Normalized.Person.Name = "改动";
        check.Normalized.Person.Tags[0].Registered.HeadName = "改动";
        check.Normalized.Person.Meta.Id = "x";

        Assert.Equal("李鹏龙", change.Person.Name);
        Assert.Equal("李鹏龙", change.Person.Tags[0].Registered.HeadName);
        Assert.Equal("p-0001", change.Person.Meta.Id);
    }

    [Fact]
    public void Normalized_DropsFieldsUnknownToThisContractVersion()
    {
        // A newer client's field 99 (a string) inside the person and field 98 (a varint) on the envelope.
        var person = Person();
        byte[] unknownString = [0x9A, 0x06, 0x03, (byte)'a', (byte)'b', (byte)'c']; // tag (99 << 3) | 2 as a varint, length 3, "abc"
        var personBytes = person.Person.ToByteArray().Concat(unknownString).ToArray();
        var change = Person();
        change.Person = GridExchange.V1.Person.Parser.ParseFrom(personBytes);
        var envelopeBytes = change.ToByteArray().Concat(new byte[] { 0x90, 0x06, 0x01 }).ToArray(); // field 98, varint 1
        change = Change.Parser.ParseFrom(envelopeBytes);
        Assert.NotEqual(person.CalculateSize(), change.CalculateSize());

        var check = Validate(change);

        AssertValid(check);
        var expected = Validate(person).Normalized;
        Assert.Equal(expected.CalculateSize(), check.Normalized.CalculateSize());
        Assert.Equal(expected.ToByteString(), check.Normalized.ToByteString());
        Assert.Equal(envelopeBytes.Length, change.CalculateSize()); // the input keeps them
    }

    [Fact]
    public void ParentKey_IsTheRegionsParentForARegionAndEmptyOtherwise()
    {
        Assert.Equal(County, Validate(Region()).ParentKey);
        Assert.Equal("", Validate(GridChange()).ParentKey);
    }

    [Fact]
    public void Normalized_MetaVersionFollowsTheEnvelope()
    {
        var change = GridChange();
        change.EntityVersion = 1_700_000_000_123;
        change.Grid.Meta.Version = 0;
        change.Grid.Meta.UpdatedAt = new Timestamp();

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(1_700_000_000_123, check.Normalized.Grid.Meta.Version);
    }
}
