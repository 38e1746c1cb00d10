using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;
using static GridExchange.Tests.Ingest.IngestSamples;

namespace GridExchange.Tests.Ingest;

/// <summary>Validate never throws on garbage, never changes its input, and never echoes personal data.</summary>
public class RobustnessTests
{
    private static readonly string Huge = new('x', 1_000_000);

    public static TheoryData<string> NastyStrings() =>
    [
        "",
        " ",
        "\u3000\u200B",
        "\uD800",
        "ab\uDC00cd",
        "\uDBFF\uDBFF",
        "a\0b",
        "line\r\nbreak",
        "\u202Eevil",
        "𠈌𠈌",
        "张*",
        "138****5678",
        "９９",
        "370602198001011234",
        Huge,
    ];

    [Fact]
    public void EmptyChange_ReportsEveryMissingEnvelopeField()
    {
        var check = Validate(new Change());

        Assert.Equal(
            [
                ("entity_type", ErrorReasons.UnsupportedEntityType),
                ("operation", ErrorReasons.RequiredField),
                ("entity_key", ErrorReasons.RequiredField),
                ("entity_version", ErrorReasons.RequiredField),
                ("source_change_id", ErrorReasons.RequiredField),
            ],
            check.Problems.Select(p => (p.Field, p.Reason)));
        Assert.Null(check.RegionCode);
        Assert.Equal(CountySource.SourceSystem, check.Normalized.SourceSystem);
    }

    [Fact]
    public void EmptyPayloadOfEveryType_IsInvalidWithoutThrowing()
    {
        foreach (var valid in AllValid())
        {
            var change = valid.Clone();
            var field = Change.Descriptor.FindFieldByName(ChangeValidator.PayloadFieldName(change.PayloadCase));
            field.Accessor.SetValue(change, field.MessageType.Parser.ParseFrom(ByteString.Empty));

            var check = Validate(change);

            Assert.False(check.IsValid);
            Assert.Contains(check.Problems, p => p.Reason == ErrorReasons.RequiredField);
        }
    }

    [Theory]
    [MemberData(nameof(NastyStrings))]
    public void EveryFieldFilledWithGarbage_NeverThrowsNorMutatesNorEchoes(string nasty)
    {
        foreach (var valid in AllValid())
        {
            foreach (var numbers in new[] { -1L, 0L, 999L })
            {
                var change = valid.Clone();
                var payloadField = Change.Descriptor.FindFieldByName(ChangeValidator.PayloadFieldName(change.PayloadCase));
                var payload = (IMessage)payloadField.Accessor.GetValue(change);
                Fill(payload, nasty, numbers, depth: 0);
                var before = change.Clone();

                var check = Validate(change);

                Assert.Equal(before, change);
                Assert.NotSame(change, check.Normalized);
                if (check.IsValid)
                {
                    continue;
                }

                Assert.NotEmpty(check.Problems);
                Assert.All(check.Problems, p =>
                {
                    Assert.False(string.IsNullOrWhiteSpace(p.Field));
                    Assert.NotEqual(ErrorReason.Unspecified, ErrorReasonCodes.ToProto(p.Reason));
                    Assert.True(p.Description.Length < 400, "description too long at " + p.Field);
                    if (nasty.Length >= 4)
                    {
                        Assert.DoesNotContain(nasty, p.Description, StringComparison.Ordinal);
                    }
                });
                Assert.True(check.Message!.Length < 600);
            }
        }
    }

    [Theory]
    [MemberData(nameof(NastyStrings))]
    public void EnvelopeFilledWithGarbage_NeverThrows(string nasty)
    {
        foreach (var valid in AllValid())
        {
            var change = valid.Clone();
            change.EntityKey = nasty;
            change.SourceChangeId = nasty;
            change.Cursor = nasty;
            change.RegionCode = nasty;
            change.SourceSystem = nasty;
            change.EntityVersion = long.MinValue;
            change.Operation = (ChangeOperation)(-3);
            var before = change.Clone();

            var check = Validate(change);

            Assert.Equal(before, change);
            Assert.False(check.IsValid);
        }
    }

    [Fact]
    public void RandomBytes_ThatParseAsAChange_NeverThrow()
    {
        var random = new Random(20261101);
        var seeds = AllValid().Select(c => c.ToByteArray()).ToList();
        var parsed = 0;
        for (var i = 0; i < 4_000; i++)
        {
            byte[] bytes;
            if (i % 4 == 0)
            {
                bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
            }
            else
            {
                // Flip a few bytes of a valid change: parses far more often, and deep.
                bytes = (byte[])seeds[random.Next(seeds.Count)].Clone();
                for (var k = 0; k < 1 + random.Next(2); k++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            Change change;
            try
            {
                change = Change.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }

            parsed++;
            var before = change.Clone();
            var check = Validate(change);
            Assert.Equal(before, change);
            Assert.Equal(check.IsValid, check.Problems.Count == 0);
        }

        Assert.True(parsed > 300, $"only {parsed} inputs parsed");
    }

    [Fact]
    public void UnpairedSurrogate_IsReportedOnceAtItsField()
    {
        var change = Person();
        change.Person.Name = "李\uD800";
        change.Person.Tags[0].Registered.HeadName = "\uDC00李";

        var check = Validate(change);

        Assert.Equal(["person.name", "person.tags[0].registered.head_name"], check.Problems.Select(p => p.Field));
        Assert.All(check.Problems, p => Assert.Equal(ErrorReasons.InvalidFormat, p.Reason));
    }

    [Fact]
    public void UnpairedSurrogate_InCodesAndDeepFields_IsReported()
    {
        var change = Case();
        change.CaseRecord.GridCode = "37060200100100\uD800";
        change.CaseRecord.Steps[2].Comment = "意见\uDBFF";
        change.CaseRecord.Parties[0].Contact = "\uDC00";
        change.SourceChangeId = "chg-\uD801";

        var check = Validate(change);

        Assert.Equal(
            ["case_record.grid_code", "case_record.parties[0].contact", "case_record.steps[2].comment", "source_change_id"],
            check.Problems.Select(p => p.Field).Order(StringComparer.Ordinal));
        Assert.All(check.Problems, p => Assert.Equal(ErrorReasons.InvalidFormat, p.Reason));
    }

    [Fact]
    public void UnpairedSurrogate_InTheKey_IsReported()
    {
        var change = Person();
        change.EntityKey = "p-\uDC00";

        var check = Validate(change);

        Assert.Equal("entity_key", check.Problems[0].Field);
        Assert.Equal(ErrorReasons.InvalidFormat, check.Reason);
    }

    [Fact]
    public void HugeStrings_AreRejectedWithShortMessages()
    {
        var change = Person();
        change.EntityKey = Huge;
        change.Person.Name = Huge;
        change.Person.GridCode = Huge;
        change.Person.CitizenId = Huge;
        change.Person.Contact = Huge;
        change.Person.Tags[0].Registered.RegisteredDoorAddress = Huge;

        var check = Validate(change);

        AssertHasProblem(check, "entity_key", ErrorReasons.InvalidLength);
        AssertHasProblem(check, "person.grid_code", ErrorReasons.InvalidCode);
        AssertHasProblem(check, "person.citizen_id", ErrorReasons.InvalidLength);
        AssertHasProblem(check, "person.name", ErrorReasons.InvalidLength);
        AssertHasProblem(check, "person.contact", ErrorReasons.InvalidLength);
        AssertHasProblem(check, "person.tags[0].registered.registered_door_address", ErrorReasons.InvalidLength);
        Assert.All(check.Problems, p => Assert.True(p.Description.Length < 300));
    }

    [Fact]
    public void Problems_NeverContainPersonalData()
    {
        var badId = MaleId[..17] + (MaleId[17] == '0' ? '1' : '0');
        var legacyBad = "370602801301123";
        const string Name = "欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜";
        const string Phone = "1381234567";
        const string Address = "山东省烟台市芝罘区幸福街道12号*";
        const string Certificate = "E1234****";
        var change = Person();
        change.Person.CitizenId = badId;
        change.Person.Name = Name;
        change.Person.FormerName = "欧*";
        change.Person.Contact = Phone;
        change.Person.ResidenceAddress = Address;
        change.Person.Tags[0].Registered.HeadCitizenId = legacyBad;
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.Floating, Floating = new FloatingDetails { CertificateNumber = Certificate } });
        change.Person.Tags.Add(new PersonTag { Kind = PersonTagKind.SevereMentalDisorder, SevereMentalDisorder = new SevereMentalDisorderDetails { GuardianCitizenId = FemaleId + "0", GuardianContact = "155****0861" } });

        var check = Validate(change);

        Assert.Equal(9, check.Problems.Count);
        var secrets = new[] { badId, legacyBad, "欧阳娜娜", "欧*", Phone, "幸福街道", Certificate, FemaleId, "155****0861", MaleId };
        foreach (var text in check.Problems.Select(p => p.Description).Append(check.Message!))
        {
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_IsDeterministicAndHasNoSharedState()
    {
        var change = Case();
        change.CaseRecord.Title = "";
        var first = Validate(change);

        Parallel.For(0, 200, _ =>
        {
            var again = Validate(change);
            Assert.Equal(first.Problems, again.Problems);
            Assert.Equal(first.Normalized, again.Normalized);
        });
    }

    // Sets every field of the message (recursively, a few levels deep): strings to `text`,
    // numbers and enums from `number`, repeated fields to two items.
    private static void Fill(IMessage message, string text, long number, int depth)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.IsMap)
            {
                continue;
            }

            if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                for (var i = 0; i < 2; i++)
                {
                    var item = Value(field, text, number, depth);
                    if (item is not null)
                    {
                        list.Add(item);
                    }
                }
            }
            else if (Value(field, text, number, depth) is { } value)
            {
                field.Accessor.SetValue(message, value);
            }
        }
    }

    private static object? Value(FieldDescriptor field, string text, long number, int depth) => field.FieldType switch
    {
        FieldType.String => text,
        FieldType.Bytes => ByteString.CopyFromUtf8("bytes"),
        FieldType.Bool => number != 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (int)number,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => number,
        FieldType.UInt32 or FieldType.Fixed32 => (uint)Math.Abs(number),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)Math.Abs(number),
        FieldType.Double => number < 0 ? double.NaN : number,
        FieldType.Float => number < 0 ? float.PositiveInfinity : number,
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, (int)number),
        FieldType.Message when depth < 4 => FilledMessage(field, text, number, depth),
        _ => null,
    };

    private static IMessage FilledMessage(FieldDescriptor field, string text, long number, int depth)
    {
        var message = field.MessageType.Parser.ParseFrom(ByteString.Empty);
        Fill(message, text, number, depth + 1);
        return message;
    }

    [Fact]
    public void Fill_CoversTheDeepestPayloadFields()
    {
        var change = Case();
        Fill(change.CaseRecord, "zz", 1, 0);

        Assert.Equal("zz", change.CaseRecord.Steps[^1].Comment);
        Assert.Equal("zz", change.CaseRecord.Parties[^1].Name);
        Assert.NotNull(change.CaseRecord.Steps[^1].At);
    }
}
