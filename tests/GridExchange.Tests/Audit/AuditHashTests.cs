using GridExchange.Domain.Audit;
using GridExchange.V1;

namespace GridExchange.Tests.Audit;

public class AuditHashTests
{
    // Computed from the format documented on AuditHash by an independent implementation (a few
    // lines of Python: struct.pack('>I'/'>q'/'>i') and hashlib.sha256). Auditors re-implement
    // it from that text; if either changes, exported logs stop verifying.
    private const string FirstEncodingHex =
        "000000156772696465786368616e67652e61756469742e7631" +
        "00000040" + "30303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030" +
        "0000000000000001" +
        "00062ab06a3af580" +
        "0000000d636f756e74792d333730363032" +
        "0000002c2f6772696465786368616e67652e76312e45786368616e6765536572766963652f50756c6c4368616e676573" +
        "000000057265712d31" +
        "0000000d3337303630322c333730363133" +
        "000000020000000400000005" +
        "000000000000002a" +
        "0000000100000003";

    private const string FirstHash = "7ff7bd6d5cf4485b92bcbc086bfe05d9f6a8fd4ce6dcd6ffc728cee78ae2d98d";
    private const string SecondHash = "2f62b89b776d3528e6d34b933dd5f177b3a9c143104e148d8548114cd81f150a";

    internal static AuditEvent First => new(
        new DateTimeOffset(2025, 1, 2, 3, 4, 5, 123, 456, TimeSpan.Zero),
        "county-370602",
        "/gridexchange.v1.ExchangeService/PullChanges",
        "req-1",
        "370602,370613",
        [EntityType.Person, EntityType.Household],
        42,
        [DataClass.S3]);

    internal static AuditEvent Second => new(
        new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero),
        "admin-1",
        "/gridexchange.v1.AdminService/UpdatePeer",
        "",
        "芝罘区",
        [],
        1,
        []);

    [Fact]
    public void Genesis_Is64Zeros() => Assert.Equal(new string('0', 64), AuditHash.Genesis);

    [Fact]
    public void Encode_IsTheDocumentedByteLayout() =>
        Assert.Equal(FirstEncodingHex, Convert.ToHexStringLower(AuditHash.Encode(AuditHash.Genesis, 1, First)));

    [Fact]
    public void Compute_MatchesTheKnownAnswers_ForAChainOfTwo()
    {
        var entries = AuditLogEntry.Chain(0, AuditHash.Genesis, [First, Second]);

        Assert.Equal([1L, 2L], entries.Select(e => e.Sequence));
        Assert.Equal(AuditHash.Genesis, entries[0].PreviousHash);
        Assert.Equal(FirstHash, entries[0].Hash);
        Assert.Equal(FirstHash, entries[1].PreviousHash);
        Assert.Equal(SecondHash, entries[1].Hash);
    }

    [Fact]
    public void Compute_IsTheSame_InAnyTimeZoneAndWithSubMicrosecondTicks()
    {
        // 11:04:05.1234567 at +08:00 is the same microsecond as the vector's UTC instant.
        var shifted = First with { At = new DateTimeOffset(2025, 1, 2, 11, 4, 5, TimeSpan.FromHours(8)).AddTicks(1_234_567) };
        Assert.Equal(FirstHash, AuditLogEntry.Create(1, AuditHash.Genesis, shifted).Hash);
    }

    [Fact]
    public void Normalize_OrdersAndDeduplicatesTheLists_SoTheyHashAsOne()
    {
        var unordered = First with
        {
            EntityTypes = [EntityType.Household, EntityType.Person, EntityType.Household],
            DataClasses = [DataClass.S3, DataClass.S3],
        };
        var entry = AuditLogEntry.Create(1, AuditHash.Genesis, unordered);

        Assert.Equal([EntityType.Person, EntityType.Household], entry.Event.EntityTypes);
        Assert.Equal(FirstHash, entry.Hash);
    }

    public static TheoryData<string, AuditEvent> Changed => new()
    {
        { "at", First with { At = First.At.AddTicks(10) } },
        { "peer", First with { PeerId = "county-370603" } },
        { "method", First with { Method = "/gridexchange.v1.ExchangeService/GetPerson" } },
        { "request", First with { RequestId = "req-2" } },
        { "scope", First with { Scope = "370602" } },
        { "types", First with { EntityTypes = [EntityType.Person] } },
        { "count", First with { RecordCount = 43 } },
        { "classes", First with { DataClasses = [DataClass.S3, DataClass.S4] } },
    };

    [Theory]
    [MemberData(nameof(Changed))]
    public void Compute_Changes_WhenAnyFieldChanges(string field, AuditEvent changed) =>
        Assert.True(AuditLogEntry.Create(1, AuditHash.Genesis, changed).Hash != FirstHash, field);

    [Fact]
    public void Compute_Changes_WithTheSequenceOrThePreviousHash()
    {
        Assert.NotEqual(FirstHash, AuditHash.Compute(AuditHash.Genesis, 2, First));
        Assert.NotEqual(FirstHash, AuditHash.Compute(new string('1', 64), 1, First));
    }

    [Fact]
    public void Encode_IsUnambiguous_WhenTextMovesBetweenFields()
    {
        var a = First with { PeerId = "ab", Method = "c" };
        var b = First with { PeerId = "a", Method = "bc" };
        var c = First with { Scope = "", RequestId = "req-1370602,370613" };
        Assert.NotEqual(AuditHash.Compute(AuditHash.Genesis, 1, a), AuditHash.Compute(AuditHash.Genesis, 1, b));
        Assert.NotEqual(FirstHash, AuditHash.Compute(AuditHash.Genesis, 1, c));

        // Moving a number from one list to the other changes a count prefix too.
        var d = First with { EntityTypes = [EntityType.Person], DataClasses = [(DataClass)5, DataClass.S3] };
        var e = First with { EntityTypes = [EntityType.Person, EntityType.Household], DataClasses = [DataClass.S3] };
        Assert.NotEqual(AuditHash.Compute(AuditHash.Genesis, 1, d), AuditHash.Compute(AuditHash.Genesis, 1, e));
    }

    [Fact]
    public void Normalize_RefusesWhatCannotBeStoredFaithfully()
    {
        Assert.Throws<ArgumentException>(() => (First with { Scope = new string('3', AuditEvent.MaxScopeLength + 1) }).Normalize());
        Assert.Throws<ArgumentException>(() => (First with { RequestId = "a\0b" }).Normalize());
        Assert.Throws<ArgumentException>(() => (First with { PeerId = "\ud800" }).Normalize());
        Assert.Throws<ArgumentNullException>(() => (First with { Method = null! }).Normalize());
        Assert.Throws<ArgumentOutOfRangeException>(() => (First with { RecordCount = -1 }).Normalize());

        Assert.Equal(AuditEvent.MaxScopeLength, (First with { Scope = new string('3', AuditEvent.MaxScopeLength) }).Normalize().Scope.Length);
        Assert.Equal("𠈌", (First with { PeerId = "𠈌" }).Normalize().PeerId);
    }
}
