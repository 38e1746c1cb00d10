using System.Security.Cryptography;
using System.Text;
using GridExchange.Storage.Protection;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// Fixed encryption keys for the tests (never for a real store): the same on every run, so a
/// database can be reopened by another store instance or hub, and a hub's configuration and a
/// test's store agree.
/// </summary>
public static class TestKeys
{
    /// <summary>The id of the active test payload key.</summary>
    public const string ActiveKeyId = "test-k1";

    /// <summary>A payload key (base64), derived from <paramref name="label"/>.</summary>
    public static string Key(string label) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("gridx-test-key:" + label)));

    /// <summary>The test keys as options: <see cref="ActiveKeyId"/> active, plus the index key.</summary>
    public static PayloadProtectionOptions Options()
    {
        var options = new PayloadProtectionOptions { ActiveKeyId = ActiveKeyId, IndexKey = Key("index") };
        options.Keys[ActiveKeyId] = Key(ActiveKeyId);
        return options;
    }

    /// <summary>The test keys.</summary>
    public static PayloadProtection Protection { get; } = PayloadProtection.Create(Options());

    /// <summary>The test keys as hub settings (<c>GridExchange:Encryption:…</c>).</summary>
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        [$"{PayloadProtectionOptions.Section}:Keys:{ActiveKeyId}"] = Key(ActiveKeyId),
        [$"{PayloadProtectionOptions.Section}:ActiveKeyId"] = ActiveKeyId,
        [$"{PayloadProtectionOptions.Section}:IndexKey"] = Key("index"),
    };
}
