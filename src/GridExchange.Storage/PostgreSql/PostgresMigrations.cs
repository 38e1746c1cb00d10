using GridExchange.Storage.Migrations;

namespace GridExchange.Storage.PostgreSql;

internal static class PostgresMigrations
{
    // COLLATE "C": codes and keys compare byte-wise, so prefix range scans and keyset paging
    // agree with the order SQLite uses and with the upper bounds the domain computes.
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "current-state entities", """
            CREATE TABLE entities (
                entity_type   smallint    NOT NULL,
                entity_key    text        COLLATE "C" NOT NULL,
                scope_code    text        COLLATE "C" NOT NULL,
                parent_key    text        COLLATE "C" NOT NULL DEFAULT '',
                version       bigint      NOT NULL,
                source_system text        NOT NULL,
                updated_at    timestamptz NOT NULL,
                payload       bytea       NOT NULL,
                PRIMARY KEY (entity_type, entity_key)
            );
            CREATE INDEX ix_entities_scope ON entities (entity_type, scope_code, entity_key);
            CREATE INDEX ix_entities_parent ON entities (entity_type, parent_key, entity_key);
            """),
    ];
}
