using GridExchange.Storage;
using GridExchange.Storage.PostgreSql;
using GridExchange.Storage.Sqlite;

namespace GridExchange.Hub.Startup;

/// <summary>Chooses the store: PostgreSQL when a connection string is set, else the embedded SQLite file.</summary>
internal static class StoreFactory
{
    public static IHubStore Create(HubOptions options) =>
        string.IsNullOrWhiteSpace(options.PostgreSql)
            ? new SqliteHubStore(options.SqlitePath)
            : new PostgresHubStore(options.PostgreSql);
}
