using GridExchange.Storage.Protection;

namespace GridExchange.Benchmarks.Infrastructure;

/// <summary>
/// The run's encryption keys: random, made once per process, shared by the stores the
/// benchmarks open and the hub they start, so every figure includes payload encryption as
/// production pays it.
/// </summary>
internal static class BenchKeys
{
    public static PayloadProtectionOptions Options { get; } = PayloadProtectionOptions.Generate("bench");

    public static PayloadProtection Protection { get; } = PayloadProtection.Create(Options);

    /// <summary>The keys as hub settings (<c>GridExchange:Encryption:…</c>).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new($"{PayloadProtectionOptions.Section}:Keys:bench", Options.Keys["bench"]),
        new($"{PayloadProtectionOptions.Section}:ActiveKeyId", Options.ActiveKeyId),
        new($"{PayloadProtectionOptions.Section}:IndexKey", Options.IndexKey),
    ];
}
