using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Protection;
using GridExchange.Storage.Sqlite;

namespace GridExchange.Hub.Startup;

/// <summary>
/// Chooses the store: PostgreSQL when a connection string is set, else the embedded SQLite file;
/// and its encryption keys (<see cref="PayloadProtectionOptions"/>, section <c>GridExchange:Encryption</c>).
/// </summary>
/// <remarks>
/// Keys come from configuration. With none configured, the embedded store generates its own at
/// first start into <c>keys.json</c> next to its database file (readable by its owner only); a
/// PostgreSQL store refuses to start: its keys must be provided, and kept apart from the database.
/// </remarks>
internal static class StoreFactory
{
    /// <summary>The key file of the embedded store, in the folder of its database.</summary>
    public const string KeyFileName = "keys.json";

    private static readonly IConfiguration NoConfiguration = new ConfigurationBuilder().Build();

    /// <summary>
    /// Creates the store without configured keys: the embedded store uses its key file, a
    /// PostgreSQL store refuses to start. Until the host passes its configuration
    /// (<see cref="Create(HubOptions, IConfiguration)"/>), <c>GridExchange:Encryption</c> is not read.
    /// </summary>
    public static IHubStore Create(HubOptions options) => Create(options, NoConfiguration);

    /// <summary>Creates the store with the keys of <paramref name="configuration"/>'s <c>GridExchange:Encryption</c> section.</summary>
    /// <exception cref="InvalidOperationException">The keys are missing (PostgreSQL) or malformed.</exception>
    public static IHubStore Create(HubOptions options, IConfiguration configuration) =>
        Create(options, ResolveKeys(options, configuration));

    /// <summary>Creates the store with <paramref name="keys"/> (as <see cref="ResolveKeys"/> found them).</summary>
    /// <exception cref="InvalidOperationException">The keys are malformed.</exception>
    public static IHubStore Create(HubOptions options, PayloadProtectionOptions keys)
    {
        ArgumentNullException.ThrowIfNull(options);
        var protection = PayloadProtection.Create(keys);
        return string.IsNullOrWhiteSpace(options.PostgreSql)
            ? new SqliteHubStore(options.SqlitePath, protection)
            : new PostgresHubStore(options.PostgreSql, protection);
    }

    /// <summary>The configured keys; for the embedded store without any, those of its key file (created on first use).</summary>
    internal static PayloadProtectionOptions ResolveKeys(HubOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration.GetSection(PayloadProtectionOptions.Section).Get<PayloadProtectionOptions>() ?? new PayloadProtectionOptions();
        if (configured.HasKeys)
        {
            return configured;
        }

        if (!string.IsNullOrWhiteSpace(options.PostgreSql))
        {
            throw new InvalidOperationException(
                $"{PayloadProtectionOptions.Section} is not configured. A PostgreSQL store encrypts personal data with keys from "
                + $"configuration and never generates them: set {PayloadProtectionOptions.Section}:Keys:<id> (e.g. Keys:k1), "
                + $"{PayloadProtectionOptions.Section}:ActiveKeyId (k1) and {PayloadProtectionOptions.Section}:IndexKey, each key the "
                + "base64 of 32 random bytes (openssl rand -base64 32), e.g. as environment variables GridExchange__Encryption__Keys__k1=… "
                + "Keep them apart from the database and back them up: without them the data cannot be read. See README, Security.");
        }

        var fromFile = EncryptionKeyFile.LoadOrCreate(KeyFilePath(options));
        fromFile.RebuildCitizenIdIndex = configured.RebuildCitizenIdIndex;
        return fromFile;
    }

    /// <summary>Where the embedded store keeps its generated keys: <see cref="KeyFileName"/> next to its database file.</summary>
    public static string KeyFilePath(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.SqlitePath))!, KeyFileName);
    }
}
