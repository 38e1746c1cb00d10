using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using GridExchange.Storage.Protection;
using GridExchange.V1;

namespace GridExchange.Tests.Storage;

public sealed class PayloadProtectionTests
{
    private const string CitizenId = "37060219900101123X";
    private static readonly PayloadBinding Row = new(42, EntityType.Person, "p-1");

    private static string Key(string label) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(label)));

    private static PayloadProtectionOptions Options(string active = "k1", string indexKey = "index", params string[] others)
    {
        var options = new PayloadProtectionOptions { ActiveKeyId = active, IndexKey = Key(indexKey) };
        foreach (var id in others.Append(active))
        {
            options.Keys[id] = Key(id);
        }

        return options;
    }

    private static PayloadProtection Protection(string active = "k1", string indexKey = "index", params string[] others) =>
        PayloadProtection.Create(Options(active, indexKey, others));

    private static Person Person() => new()
    {
        Meta = new EntityMeta { Id = "p-1", Version = 3 },
        CitizenId = CitizenId,
        Name = "欧阳明月",
        GridCode = "370602001001001",
    };

    [Fact]
    public void Protect_WritesTheEnvelopeFormat()
    {
        var person = Person();
        var envelope = Protection().Protect(person, Row);

        // 0x00 | version | key id length | key id | nonce (12) | ciphertext (message length) | tag (16)
        Assert.Equal([0x00, 0x01, 2, (byte)'k', (byte)'1'], envelope[..5]);
        Assert.Equal(5 + 12 + person.CalculateSize() + 16, envelope.Length);
        Assert.True(PayloadProtection.IsProtected(envelope));
        Assert.Equal("k1", PayloadProtection.KeyIdOf(envelope));
        Assert.Equal(-1, envelope.AsSpan().IndexOf(Encoding.UTF8.GetBytes(CitizenId)));
        Assert.Equal(-1, envelope.AsSpan().IndexOf(Encoding.UTF8.GetBytes("欧阳明月")));
    }

    [Fact]
    public void Unprotect_RoundTripsTheMessageBytes_FromAMessageOrFromBytes()
    {
        var protection = Protection();
        var bytes = Person().ToByteArray();

        Assert.Equal(bytes, protection.Unprotect(protection.Protect(Person(), Row), Row));
        Assert.Equal(bytes, protection.Unprotect(protection.Protect(bytes, Row), Row));
        Assert.Empty(protection.Unprotect(protection.Protect(new Person(), Row), Row));
    }

    [Fact]
    public void Protect_UsesAFreshNonceEachTime()
    {
        var protection = Protection();
        Assert.NotEqual(protection.Protect(Person(), Row), protection.Protect(Person(), Row));
    }

    [Fact]
    public void Unprotect_APayloadStoredInClear_ReturnsItAsItIs()
    {
        var clear = Person().ToByteArray();
        Assert.False(PayloadProtection.IsProtected(clear));
        Assert.Null(PayloadProtection.KeyIdOf(clear));
        Assert.Same(clear, Protection().Unprotect(clear, Row));
        var empty = Array.Empty<byte>();
        Assert.Same(empty, Protection().Unprotect(empty, Row));
    }

    [Theory]
    [InlineData(43, EntityType.Person, "p-1")]
    [InlineData(42, EntityType.Household, "p-1")]
    [InlineData(42, EntityType.Person, "p-2")]
    public void Unprotect_ForAnotherRow_FailsAuthentication(long sequence, EntityType type, string key)
    {
        var protection = Protection();
        var envelope = protection.Protect(Person(), Row);
        var e = Assert.Throws<PayloadProtectionException>(() => protection.Unprotect(envelope, new PayloadBinding(sequence, type, key)));
        Assert.Contains("failed authentication", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unprotect_AnyByteChanged_FailsAuthentication()
    {
        var protection = Protection();
        var envelope = protection.Protect(Person(), Row);
        for (var i = 1; i < envelope.Length; i++)
        {
            var tampered = (byte[])envelope.Clone();
            tampered[i] ^= 0x40;
            Assert.Throws<PayloadProtectionException>(() => protection.Unprotect(tampered, Row));
        }
    }

    [Fact]
    public void Unprotect_TruncatedOrUnknownVersion_IsRefused()
    {
        var protection = Protection();
        var envelope = protection.Protect(Person(), Row);
        foreach (var length in new[] { 1, 2, 4, 5 + 12 + 15 })
        {
            Assert.Throws<PayloadProtectionException>(() => protection.Unprotect(envelope[..length], Row));
        }

        var future = (byte[])envelope.Clone();
        future[1] = 2;
        Assert.Contains("version 2", Assert.Throws<PayloadProtectionException>(() => protection.Unprotect(future, Row)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unprotect_UnderAKeyNotConfigured_NamesTheKey()
    {
        var envelope = Protection("k1").Protect(Person(), Row);
        var e = Assert.Throws<PayloadProtectionException>(() => Protection("k2").Unprotect(envelope, Row));
        Assert.Contains("'k1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("change 42", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key("k1"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unprotect_ADifferentKeyUnderTheSameId_FailsAuthentication()
    {
        var envelope = Protection().Protect(Person(), Row);
        var other = Options();
        other.Keys["k1"] = Key("something else");
        Assert.Throws<PayloadProtectionException>(() => PayloadProtection.Create(other).Unprotect(envelope, Row));
    }

    [Fact]
    public void Rotation_TheNewActiveKeyWrites_AndTheOldOneStillReads()
    {
        var before = Protection("k1").Protect(Person(), Row);
        var rotated = Protection("k2", "index", "k1");

        Assert.Equal(Person().ToByteArray(), rotated.Unprotect(before, Row));
        var after = rotated.Protect(Person(), Row);
        Assert.Equal("k2", PayloadProtection.KeyIdOf(after));
        Assert.Equal(["k1", "k2"], rotated.KeyIds);
    }

    [Fact]
    public void Protect_ALongEntityKey_IsBoundToo()
    {
        var protection = Protection();
        var row = new PayloadBinding(1, EntityType.Grid, new string('g', 700));
        var envelope = protection.Protect(Person(), row);
        Assert.Equal(Person().ToByteArray(), protection.Unprotect(envelope, row));
        Assert.Throws<PayloadProtectionException>(() => protection.Unprotect(envelope, row with { Key = new string('g', 699) }));
    }

    [Fact]
    public void HashCitizenId_IsKeyed_AndNormalisesCaseAndSpaces()
    {
        var protection = Protection();
        var hash = protection.HashCitizenId(CitizenId);

        Assert.Equal(32, hash.Length);
        Assert.Equal(HMACSHA256.HashData(Convert.FromBase64String(Key("index")), Encoding.ASCII.GetBytes(CitizenId)), hash);
        Assert.Equal(hash, protection.HashCitizenId(" " + CitizenId.ToLowerInvariant() + "\t"));
        Assert.NotEqual(hash, protection.HashCitizenId("370602199001011230"));
        Assert.NotEqual(hash, Protection(indexKey: "index-2").HashCitizenId(CitizenId));
        Assert.NotEqual(protection.IndexKeyCheck, Protection(indexKey: "index-2").IndexKeyCheck);
        Assert.Equal(protection.IndexKeyCheck, Protection("k9", others: "k1").IndexKeyCheck);
    }

    public static TheoryData<string, Action<PayloadProtectionOptions>> BadOptions => new()
    {
        { "Keys is empty", o => o.Keys.Clear() },
        { "Keys:k1 is not the base64 of exactly 32 bytes", o => o.Keys["k1"] = Convert.ToBase64String(new byte[16]) },
        { "Keys:k1 is not the base64", o => o.Keys["k1"] = "not base64!" },
        { "a key id has 1 to 32 characters", o => o.Keys["bad id"] = Key("x") },
        { "a key id has 1 to 32 characters", o => o.Keys[new string('k', 33)] = Key("x") },
        { "ActiveKeyId is not set", o => o.ActiveKeyId = null },
        { "ActiveKeyId 'k3' is not one of", o => o.ActiveKeyId = "k3" },
        { "IndexKey is not set", o => o.IndexKey = "" },
        { "IndexKey is not the base64", o => o.IndexKey = Convert.ToBase64String(new byte[33]) },
        { "IndexKey equals a payload key", o => o.IndexKey = o.Keys["k1"] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Create_BadOptions_AreRefusedNamingTheSetting(string expected, Action<PayloadProtectionOptions> spoil)
    {
        var options = Options();
        spoil(options);
        var e = Assert.Throws<InvalidOperationException>(() => PayloadProtection.Create(options));
        Assert.Contains("GridExchange:Encryption:", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_MakesAValidSetOfRandomKeys()
    {
        var a = PayloadProtectionOptions.Generate("local-1");
        var b = PayloadProtectionOptions.Generate("local-1");
        Assert.Equal("local-1", PayloadProtection.Create(a).ActiveKeyId);
        Assert.NotEqual(a.Keys["local-1"], b.Keys["local-1"]);
        Assert.NotEqual(a.IndexKey, a.Keys["local-1"]);
    }
}
