using System.Reflection;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

public class EnvelopeValidationTests
{
    public static TheoryData<string, string> ValidChanges() => new()
    {
        { "region", Township },
        { "grid", TheGrid },
        { "grid_worker", TheGrid },
        { "person", TheGrid },
        { "house", TheGrid },
        { "household", TheGrid },
        { "case_record", TheGrid },
        { "service_request", TheGrid },
    };

    [Theory]
    [MemberData(nameof(ValidChanges))]
    public void Validate_ValidChangeOfEveryType_IsValidWithItsLocation(string payload, string regionCode)
    {
        var change = AllValid().Single(c => ChangeValidator.PayloadFieldName(c.PayloadCase) == payload);

        var check = Validate(change);

        AssertValid(check);
        Assert.Equal(regionCode, check.RegionCode);
        Assert.Equal(payload == "region" ? County : "", check.ParentKey);
        Assert.Equal(regionCode, check.Normalized.RegionCode);
    }

    [Fact]
    public void Validate_TwoArgumentOverload_UsesTheSystemClock()
    {
        AssertValid(ChangeValidator.Validate(Person(), CountySource));
    }

    [Fact]
    public void Validate_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ChangeValidator.Validate(null!, CountySource));
        Assert.Throws<ArgumentNullException>(() => ChangeValidator.Validate(Person(), null!));
        Assert.Throws<ArgumentNullException>(() => ChangeValidator.Validate(Person(), new SourceJurisdiction(null!, County)));
        Assert.Throws<ArgumentNullException>(() => ChangeValidator.Validate(Person(), CountySource, null!));
    }

    [Fact]
    public void EntityType_Unspecified_IsUnsupported()
    {
        var change = Person();
        change.EntityType = EntityType.Unspecified;

        AssertSingleProblem(Validate(change), "entity_type", ErrorReasons.UnsupportedEntityType);
    }

    [Theory]
    [InlineData(EntityType.Directive)]
    [InlineData(EntityType.DirectiveReceipt)]
    public void EntityType_Directive_IsUnsupportedAndPointsToDirectiveService(EntityType type)
    {
        var change = Envelope(type, "d-0001");
        change.Directive = new Directive { Meta = new EntityMeta { Id = "d-0001" } };

        var check = Validate(change);

        AssertSingleProblem(check, "entity_type", ErrorReasons.UnsupportedEntityType);
        Assert.Contains("DirectiveService", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EntityType_UnknownValue_IsUnsupported()
    {
        var change = Person();
        change.EntityType = (EntityType)99;

        AssertSingleProblem(Validate(change), "entity_type", ErrorReasons.UnsupportedEntityType);
    }

    [Theory]
    [InlineData(ChangeOperation.Unspecified, ErrorReasons.RequiredField)]
    [InlineData(ChangeOperation.Enter, ErrorReasons.InconsistentFields)]
    [InlineData(ChangeOperation.Leave, ErrorReasons.InconsistentFields)]
    [InlineData((ChangeOperation)42, ErrorReasons.InvalidCode)]
    public void Operation_NotUpsertOrDelete_IsRejected(ChangeOperation operation, string reason)
    {
        var change = Person();
        change.Operation = operation;

        AssertSingleProblem(Validate(change), "operation", reason);
    }

    [Fact]
    public void Operation_Unspecified_StillChecksThePayload()
    {
        var change = Person();
        change.Operation = ChangeOperation.Unspecified;
        change.Person.Name = "";

        var check = Validate(change);

        AssertHasProblem(check, "operation", ErrorReasons.RequiredField);
        AssertHasProblem(check, "person.name", ErrorReasons.RequiredField);
    }

    [Theory]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("   ", ErrorReasons.RequiredField)]
    [InlineData("\u3000", ErrorReasons.RequiredField)]
    [InlineData("p 0001", ErrorReasons.InvalidFormat)]
    [InlineData("p-0001 ", ErrorReasons.InvalidFormat)]
    [InlineData("p\t0001", ErrorReasons.InvalidFormat)]
    [InlineData("p\00001", ErrorReasons.InvalidFormat)]
    [InlineData("p\u200B0001", ErrorReasons.InvalidFormat)]
    [InlineData("p/0001", ErrorReasons.InvalidFormat)]
    [InlineData("张三", ErrorReasons.InvalidFormat)]
    [InlineData("p-0123456789012345678901234567890123456789012345678901234567890123", ErrorReasons.InvalidLength)]
    public void EntityKey_OfAPerson_MustBeAnOpaqueId(string key, string reason)
    {
        var change = Person();
        change.EntityKey = key;
        change.Person.Meta.Id = "p-0001"; // keep meta valid: only the key is at fault, plus the mismatch

        var check = Validate(change);

        AssertHasProblem(check, "entity_key", reason);
        Assert.Equal("entity_key", check.Problems[0].Field);
    }

    [Fact]
    public void EntityKey_SixtyFourCharacters_IsAccepted()
    {
        var key = "p-" + new string('a', 62);

        AssertValid(Validate(Person().WithKey(key)));
    }

    [Fact]
    public void EntityKey_ThatIsACitizenId_IsRejected()
    {
        AssertSingleProblem(Validate(House().WithKey(FemaleId)), "entity_key", ErrorReasons.InvalidFormat);
    }

    [Fact]
    public void EntityKey_ContainingThePersonsCitizenId_IsRejected()
    {
        var check = Validate(Person().WithKey("p:" + MaleId));

        AssertSingleProblem(check, "entity_key", ErrorReasons.InvalidFormat);
        Assert.DoesNotContain(MaleId, check.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EntityType.Region, "37060200100")]
    [InlineData(EntityType.Grid, "370602001001")]
    [InlineData(EntityType.GridWorker, "370602001001003")]
    public void EntityKey_OfACodeKeyedType_MustBeItsCode(EntityType type, string key)
    {
        var change = AllValid().Single(c => c.EntityType == type).WithKey(key);

        AssertHasProblem(Validate(change), "entity_key", ErrorReasons.InvalidCode);
    }

    [Theory]
    [InlineData(0L, ErrorReasons.RequiredField)]
    [InlineData(-1L, ErrorReasons.InvalidFormat)]
    [InlineData(long.MinValue, ErrorReasons.InvalidFormat)]
    public void EntityVersion_BelowOne_IsRejected(long version, string reason)
    {
        var change = Person();
        change.EntityVersion = version;
        change.Person.Meta.Version = 0;

        AssertSingleProblem(Validate(change), "entity_version", reason);
    }

    [Fact]
    public void EntityVersion_Huge_IsAccepted()
    {
        var change = Person();
        change.EntityVersion = long.MaxValue;

        AssertValid(Validate(change));
    }

    [Theory]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("  ", ErrorReasons.RequiredField)]
    [InlineData("chg\n1", ErrorReasons.InvalidFormat)]
    [InlineData("chg\u00001", ErrorReasons.InvalidFormat)]
    public void SourceChangeId_MissingOrWithControlCharacters_IsRejected(string id, string reason)
    {
        var change = Person();
        change.SourceChangeId = id;

        AssertSingleProblem(Validate(change), "source_change_id", reason);
    }

    [Fact]
    public void SourceChangeId_IsCountedInCharactersUpToSixtyFour()
    {
        var change = Person();
        change.SourceChangeId = new string('变', 64);
        AssertValid(Validate(change));

        change.SourceChangeId = new string('x', 65);
        AssertSingleProblem(Validate(change), "source_change_id", ErrorReasons.InvalidLength);
    }

    [Fact]
    public void TakeOver_WithUpsert_IsAccepted()
    {
        var change = Person();
        change.TakeOver = true;

        AssertValid(Validate(change));
    }

    [Fact]
    public void TakeOver_WithDelete_IsInconsistent()
    {
        var change = Envelope(EntityType.Person, "p-0001");
        change.Operation = ChangeOperation.Delete;
        change.TakeOver = true;

        AssertSingleProblem(Validate(change), "take_over", ErrorReasons.InconsistentFields);
    }

    [Fact]
    public void Upsert_WithoutPayload_IsAPayloadMismatch()
    {
        var change = Envelope(EntityType.Person, "p-0001");

        AssertSingleProblem(Validate(change), "person", ErrorReasons.PayloadMismatch);
    }

    [Fact]
    public void Upsert_WithThePayloadOfAnotherType_IsAPayloadMismatchAndStops()
    {
        var change = GridChange();
        change.EntityType = EntityType.Person;
        change.EntityKey = "p-0001";

        var check = Validate(change);

        AssertSingleProblem(check, "grid", ErrorReasons.PayloadMismatch);
        Assert.Contains("person", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_Missing_IsRequired()
    {
        var change = Person();
        change.Person.Meta = null;

        AssertSingleProblem(Validate(change), "person.meta", ErrorReasons.RequiredField);
    }

    [Fact]
    public void MetaId_Missing_IsRequired()
    {
        var change = Person();
        change.Person.Meta.Id = "";

        AssertSingleProblem(Validate(change), "person.meta.id", ErrorReasons.RequiredField);
    }

    [Fact]
    public void MetaId_DifferentFromTheKey_IsAPayloadMismatch()
    {
        var change = Person();
        change.Person.Meta.Id = "p-0002";

        AssertSingleProblem(Validate(change), "person.meta.id", ErrorReasons.PayloadMismatch);
    }

    [Theory]
    [InlineData(0L, true)]
    [InlineData(3L, true)]
    [InlineData(2L, false)]
    [InlineData(4L, false)]
    public void MetaVersion_IsZeroOrTheEntityVersion(long version, bool valid)
    {
        var change = Person();
        change.Person.Meta.Version = version;

        var check = Validate(change);

        if (valid)
        {
            AssertValid(check);
        }
        else
        {
            AssertSingleProblem(check, "person.meta.version", ErrorReasons.InconsistentFields);
        }
    }

    [Theory]
    [InlineData(0L, -1)]
    [InlineData(0L, 1_000_000_000)]
    [InlineData(-62135596801L, 0)] // before 0001-01-01
    [InlineData(253402300800L, 0)] // after 9999-12-31
    [InlineData(-2208988801L, 0)] // before 1900
    public void MetaUpdatedAt_Malformed_IsAnInvalidDate(long seconds, int nanos)
    {
        var change = Person();
        change.Person.Meta.UpdatedAt = new Timestamp { Seconds = seconds, Nanos = nanos };

        AssertSingleProblem(Validate(change), "person.meta.updated_at", ErrorReasons.InvalidDate);
    }

    [Fact]
    public void MetaUpdatedAt_InTheFuture_IsAccepted()
    {
        var change = Person();
        change.Person.Meta.UpdatedAt = Timestamp.FromDateTimeOffset(Now.AddDays(2));

        AssertValid(Validate(change));
    }

    [Fact]
    public void Delete_WithoutPayload_IsValidWithNoRegion()
    {
        var change = Envelope(EntityType.Person, "p-0001");
        change.Operation = ChangeOperation.Delete;

        var check = Validate(change);

        AssertValid(check);
        Assert.Null(check.RegionCode);
        Assert.Equal("", check.ParentKey);
        Assert.Equal("", check.Normalized.RegionCode);
    }

    [Fact]
    public void Delete_WithPayload_IsInconsistent()
    {
        var change = Person();
        change.Operation = ChangeOperation.Delete;

        AssertSingleProblem(Validate(change), "person", ErrorReasons.InconsistentFields);
    }

    [Theory]
    [InlineData(EntityType.Region, "370602001000", true)]
    [InlineData(EntityType.Region, "370602000000", true)]
    [InlineData(EntityType.Region, "370611001000", false)]
    [InlineData(EntityType.Grid, "370602001001003", true)]
    [InlineData(EntityType.Grid, "370611001001003", false)]
    [InlineData(EntityType.GridWorker, "37061100100100301", false)]
    public void Delete_OfACodeKeyedRecord_MustLieInTheJurisdiction(EntityType type, string key, bool valid)
    {
        var change = Envelope(type, key);
        change.Operation = ChangeOperation.Delete;

        var check = Validate(change);

        if (valid)
        {
            AssertValid(check);
            Assert.Null(check.RegionCode);
        }
        else
        {
            AssertSingleProblem(check, "entity_key", ErrorReasons.OutOfJurisdiction);
        }
    }

    [Fact]
    public void Delete_OfACodeKeyedRecordWithAMalformedKey_IsAnInvalidCode()
    {
        var change = Envelope(EntityType.Grid, "37060200100100");
        change.Operation = ChangeOperation.Delete;

        AssertSingleProblem(Validate(change), "entity_key", ErrorReasons.InvalidCode);
    }

    [Fact]
    public void Envelope_SeveralProblems_AreAllReportedInOrder()
    {
        var change = Person();
        change.Operation = ChangeOperation.Unspecified;
        change.EntityKey = "";
        change.EntityVersion = 0;
        change.SourceChangeId = "";
        change.Person.Meta.Version = 0;

        var check = Validate(change);

        Assert.Equal(
            ["operation", "entity_key", "entity_version", "source_change_id", "person.meta.id"],
            check.Problems.Select(p => p.Field));
        Assert.Equal(ErrorReasons.RequiredField, check.Reason);
        Assert.StartsWith("operation: ", check.Message, StringComparison.Ordinal);
        Assert.Contains("and 4 more problems", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reason_IsTheFirstProblem_EnvelopeThenLocationThenFields()
    {
        var change = Person();
        change.Person.GridCode = OtherCountyGrid;
        change.Person.Name = "";
        change.Person.Contact = "12345";

        var check = Validate(change);

        Assert.Equal(ErrorReasons.OutOfJurisdiction, check.Reason);
        Assert.Equal(ErrorReasonCodes.ToProto(ErrorReasons.OutOfJurisdiction), check.ReasonCode);
        Assert.Equal(["person.grid_code", "person.name", "person.contact"], check.Problems.Select(p => p.Field));
    }

    [Fact]
    public void FieldProblem_ToFieldViolation_CarriesThePathReasonAndDescription()
    {
        var problem = new FieldProblem("person.citizen_id", ErrorReasons.InvalidCheckDigit, "The check character is wrong.");

        var violation = problem.ToFieldViolation();

        Assert.Equal("person.citizen_id", violation.Field);
        Assert.Equal(ErrorReason.InvalidCheckDigit, violation.Reason);
        Assert.Equal("The check character is wrong.", violation.Description);
    }

    [Fact]
    public void ErrorReasonCodes_MapEveryPublishedReason()
    {
        var reasons = typeof(ErrorReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(ErrorReasons.Domain))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.NotEqual(ErrorReason.Unspecified, ErrorReasonCodes.ToProto(r)));
        Assert.Equal(ErrorReason.Unspecified, ErrorReasonCodes.ToProto(null));
        Assert.Equal(ErrorReason.Unspecified, ErrorReasonCodes.ToProto("NO_SUCH_REASON"));
    }

    [Fact]
    public void ValidCheck_ReasonCodeIsUnspecified()
    {
        Assert.Equal(ErrorReason.Unspecified, Validate(Person()).ReasonCode);
    }
}
