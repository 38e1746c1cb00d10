using GridExchange.Hub;
using GridExchange.Hub.Startup;
using GridExchange.Storage.Protection;
using Microsoft.Extensions.Configuration;

namespace GridExchange.Tests.Hub;

public sealed class StoreFactoryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridx-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private HubOptions Sqlite() => new() { SqlitePath = Path.Combine(_directory, "data", "hub.db") };

    private static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build();

    [Fact]
    public void ResolveKeys_PostgreSqlWithoutKeys_RefusesToStart()
    {
        var options = new HubOptions { PostgreSql = "Host=localhost;Database=x" };
        var e = Assert.Throws<InvalidOperationException>(() => StoreFactory.ResolveKeys(options, Configuration()));
        Assert.Contains("GridExchange:Encryption is not configured", e.Message, StringComparison.Ordinal);
        Assert.Contains("GridExchange__Encryption__Keys__k1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveKeys_FromConfiguration_BindsKeysByIdAndTheSettings()
    {
        var k1 = Convert.ToBase64String(new byte[32]);
        var k2 = Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray());
        var index = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        var options = new HubOptions { PostgreSql = "Host=localhost;Database=x" };
        var keys = StoreFactory.ResolveKeys(options, Configuration(
            ("GridExchange:Encryption:Keys:k1", k1),
            ("GridExchange:Encryption:Keys:k2", k2),
            ("GridExchange:Encryption:ActiveKeyId", "k2"),
            ("GridExchange:Encryption:IndexKey", index),
            ("GridExchange:Encryption:RebuildCitizenIdIndex", "true")));

        Assert.Equal(new Dictionary<string, string> { ["k1"] = k1, ["k2"] = k2 }, keys.Keys);
        Assert.Equal(("k2", index, true), (keys.ActiveKeyId, keys.IndexKey, keys.RebuildCitizenIdIndex));
        Assert.Equal("k2", PayloadProtection.Create(keys).ActiveKeyId);
        Assert.False(File.Exists(StoreFactory.KeyFilePath(Sqlite())));
    }

    [Fact]
    public void ResolveKeys_PartialConfiguration_IsAnErrorNotAFallbackToTheKeyFile()
    {
        var keys = StoreFactory.ResolveKeys(Sqlite(), Configuration(("GridExchange:Encryption:ActiveKeyId", "k1")));
        Assert.Throws<InvalidOperationException>(() => PayloadProtection.Create(keys));
        Assert.False(File.Exists(StoreFactory.KeyFilePath(Sqlite())));
    }

    [Fact]
    public void ResolveKeys_EmbeddedWithoutKeys_GeneratesAnOwnerOnlyKeyFileOnce()
    {
        var path = StoreFactory.KeyFilePath(Sqlite());
        Assert.Equal(Path.Combine(_directory, "data", "keys.json"), path);

        var first = StoreFactory.ResolveKeys(Sqlite(), Configuration());
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var protection = PayloadProtection.Create(first);
        Assert.StartsWith("local-", protection.ActiveKeyId, StringComparison.Ordinal);

        var second = StoreFactory.ResolveKeys(Sqlite(), Configuration(("GridExchange:Encryption:RebuildCitizenIdIndex", "true")));
        Assert.Equal(first.Keys, second.Keys);
        Assert.Equal((first.ActiveKeyId, first.IndexKey), (second.ActiveKeyId, second.IndexKey));
        Assert.True(second.RebuildCitizenIdIndex);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void EncryptionKeyFile_ConcurrentFirstStarts_AgreeOnOneSetOfKeys()
    {
        var path = Path.Combine(_directory, "race", "keys.json");
        var results = new PayloadProtectionOptions[8];
        Parallel.For(0, results.Length, i => results[i] = EncryptionKeyFile.LoadOrCreate(path));
        Assert.All(results, r => Assert.Equal(results[0].Keys, r.Keys));
        Assert.All(results, r => Assert.Equal(results[0].IndexKey, r.IndexKey));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void EncryptionKeyFile_WithoutKeys_IsRefused()
    {
        var path = Path.Combine(_directory, "keys.json");
        File.WriteAllText(path, "{}");
        Assert.Contains("holds no keys", Assert.Throws<InvalidOperationException>(() => EncryptionKeyFile.Load(path)).Message, StringComparison.Ordinal);
    }
}
