using System.Security.Cryptography;
using System.Text;
using GridExchange.Storage.Protection;

namespace GridExchange.PeerSimulator;

/// <summary>
/// The payload keys of a simulator's store. Fixed, derived from a label: the store only ever
/// holds synthetic seed data, and a kept <c>--data</c> folder must open again on the next run.
/// Never use this for real data.
/// </summary>
internal static class SimulatorKeys
{
    private const string KeyId = "sim-k1";

    public static PayloadProtectionOptions Options()
    {
        var options = new PayloadProtectionOptions { ActiveKeyId = KeyId, IndexKey = Key("index") };
        options.Keys[KeyId] = Key(KeyId);
        return options;
    }

    private static string Key(string label) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("gridx-peer-simulator:" + label)));
}
