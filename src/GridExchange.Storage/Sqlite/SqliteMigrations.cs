using GridExchange.Storage.Migrations;

namespace GridExchange.Storage.Sqlite;

internal static class SqliteMigrations
{
    // SQLite compares TEXT with BINARY collation by default: the same order as "C" on PostgreSQL.
    // Instants are stored as Unix microseconds (INTEGER) so they sort and compare exactly.
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "current-state entities", """
            CREATE TABLE entities (
                entity_type   INTEGER NOT NULL,
                entity_key    TEXT    NOT NULL,
                scope_code    TEXT    NOT NULL,
                parent_key    TEXT    NOT NULL DEFAULT '',
                version       INTEGER NOT NULL,
                source_system TEXT    NOT NULL,
                updated_at    INTEGER NOT NULL,
                payload       BLOB    NOT NULL,
                PRIMARY KEY (entity_type, entity_key)
            ) WITHOUT ROWID;
            CREATE INDEX ix_entities_scope ON entities (entity_type, scope_code, entity_key);
            CREATE INDEX ix_entities_parent ON entities (entity_type, parent_key, entity_key);
            """),
    ];
}
