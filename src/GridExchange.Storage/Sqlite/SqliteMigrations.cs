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
        new(2, "change log, feed head, idempotency, checkpoints, peers", """
            ALTER TABLE entities ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE entities ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;

            -- One row: the log's epoch (a new database gets a new one, so its cursors are
            -- recognised as foreign), the last sequence committed and the first one retained.
            -- Ingest locks this row for its whole transaction: sequences are assigned and
            -- committed strictly in order, so a reader can never see sequence n+1 before n.
            CREATE TABLE feed_head (
                id               INTEGER PRIMARY KEY CHECK (id = 1),
                epoch            TEXT NOT NULL,
                last_seq         INTEGER NOT NULL,
                first_retained_seq INTEGER NOT NULL
            );
            INSERT INTO feed_head (id, epoch, last_seq, first_retained_seq)
            VALUES (1, lower(hex(randomblob(16))), 0, 1);

            CREATE TABLE change_log (
                seq              INTEGER PRIMARY KEY,
                entity_type      INTEGER NOT NULL,
                entity_key       TEXT NOT NULL,
                region_code      TEXT NOT NULL,
                old_region_code  TEXT,
                bucket           TEXT NOT NULL,
                old_bucket       TEXT,
                operation        INTEGER NOT NULL,
                entity_version   INTEGER NOT NULL,
                source_system    TEXT NOT NULL,
                source_change_id TEXT NOT NULL,
                take_over        INTEGER NOT NULL,
                committed_at     INTEGER NOT NULL,
                payload          BLOB
            );
            CREATE INDEX ix_change_log_bucket ON change_log (bucket, seq);
            CREATE INDEX ix_change_log_old_bucket ON change_log (old_bucket, seq) WHERE old_bucket IS NOT NULL;
            CREATE INDEX ix_change_log_entity ON change_log (entity_type, entity_key, seq);
            CREATE INDEX ix_change_log_committed ON change_log (committed_at);

            -- Every bucket (first six digits of a code) the log has seen: a city or province
            -- scope expands to its buckets and reads each by index.
            CREATE TABLE feed_buckets (bucket TEXT PRIMARY KEY);

            -- (source_system, source_change_id) applied, for ever: ingest is idempotent.
            CREATE TABLE source_changes (
                source_system    TEXT NOT NULL,
                source_change_id TEXT NOT NULL,
                seq              INTEGER NOT NULL,
                PRIMARY KEY (source_system, source_change_id)
            );

            CREATE TABLE source_checkpoints (
                source_system    TEXT PRIMARY KEY,
                checkpoint       TEXT NOT NULL,
                committed_at     INTEGER NOT NULL
            );

            -- Answers to SubmitChanges by request_id, so a repeated request gets the first answer.
            CREATE TABLE ingest_requests (
                source_system    TEXT NOT NULL,
                request_id       TEXT NOT NULL,
                request_hash     BLOB NOT NULL,
                response         BLOB NOT NULL,
                created_at       INTEGER NOT NULL,
                PRIMARY KEY (source_system, request_id)
            );
            CREATE INDEX ix_ingest_requests_created ON ingest_requests (created_at);

            CREATE TABLE peers (
                peer_id          TEXT PRIMARY KEY,
                region_code      TEXT NOT NULL,
                payload          BLOB NOT NULL,
                updated_at       INTEGER NOT NULL
            );
            """),
        new(3, "log compaction progress; log rows for records older than the log", """
            -- How far retention's compaction has got (TrimLogAsync): every sequence below
            -- compacted_to has been checked, so a run that was cut short resumes there.
            CREATE TABLE log_compaction (
                id           INTEGER PRIMARY KEY CHECK (id = 1),
                compacted_to INTEGER NOT NULL
            );
            INSERT INTO log_compaction (id, compacted_to) VALUES (1, 1);

            -- Records stored before the log existed (migration 1) have no change in it: each
            -- gets one UPSERT at the head, so a consumer reading the feed from the start, and
            -- digests as of a cursor, see every record the hub holds.
            CREATE TEMP TABLE backfill AS
                SELECT entity_type, entity_key,
                       (SELECT last_seq FROM feed_head WHERE id = 1)
                           + row_number() OVER (ORDER BY entity_type, entity_key) AS seq
                FROM entities WHERE last_seq = 0 AND deleted = 0;
            CREATE UNIQUE INDEX temp.ix_backfill ON backfill (entity_type, entity_key);
            INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                    operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
            SELECT b.seq, e.entity_type, e.entity_key, e.scope_code, NULL, substr(e.scope_code, 1, 6), NULL,
                   1, e.version, e.source_system, 'hub-backfill-' || b.seq, 0,
                   CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), e.payload
            FROM backfill b JOIN entities e ON e.entity_type = b.entity_type AND e.entity_key = b.entity_key;
            INSERT OR IGNORE INTO feed_buckets (bucket)
            SELECT DISTINCT substr(e.scope_code, 1, 6)
            FROM backfill b JOIN entities e ON e.entity_type = b.entity_type AND e.entity_key = b.entity_key;
            UPDATE entities SET last_seq = (
                SELECT b.seq FROM backfill b WHERE b.entity_type = entities.entity_type AND b.entity_key = entities.entity_key)
            WHERE last_seq = 0 AND deleted = 0;
            UPDATE feed_head SET last_seq = last_seq + (SELECT count(*) FROM backfill) WHERE id = 1;
            DROP TABLE temp.backfill;
            """),
        new(4, "a record's payload is kept once, in its last logged change; the parent index holds regions only", """
            -- As on PostgreSQL: current state reads its payload from its last logged change.
            UPDATE change_log SET payload = e.payload
            FROM entities e
            WHERE change_log.seq = e.last_seq AND e.deleted = 0 AND change_log.payload IS NOT e.payload;
            ALTER TABLE entities DROP COLUMN payload;

            -- Only regions have a parent (ListRegions by parent_code): every other record paid
            -- for an entry in this index that nothing reads.
            DROP INDEX ix_entities_parent;
            CREATE INDEX ix_entities_parent ON entities (parent_key, entity_key) WHERE entity_type = 1;
            """),
        new(5, "the head keeps its change's commit time", """
            -- A cursor carries the commit time of the change it points at (FeedCursor's mark),
            -- so a cursor into a log restored from a backup, which has since taken other changes
            -- at the same sequences, is refused instead of silently skipping them. The head's
            -- own change's time is kept here: cursors at the head are handed out on every page.
            ALTER TABLE feed_head ADD COLUMN last_committed_at INTEGER;
            UPDATE feed_head SET last_committed_at = (SELECT committed_at FROM change_log WHERE seq = feed_head.last_seq) WHERE id = 1;
            """),
        new(7, "peer credentials: bearer tokens kept as hashes", """
            -- A peer's bearer tokens, by the SHA-256 of the token text: the hub never stores a
            -- token it could hand out again. A token is live while revoked_at is NULL and its
            -- peer is enabled; rotating revokes the others in the same transaction.
            CREATE TABLE peer_credentials (
                token_sha256 BLOB    PRIMARY KEY,
                peer_id      TEXT    NOT NULL,
                issued_at    INTEGER NOT NULL,
                revoked_at   INTEGER
            );
            CREATE INDEX ix_peer_credentials_peer ON peer_credentials (peer_id);
            """),
        new(8, "audit log: append-only, hash-chained", """
            -- As on PostgreSQL: the audit log and its head. Appenders are serialised by the
            -- database's write lock, taken at BEGIN IMMEDIATE.
            CREATE TABLE audit_log (
                seq           INTEGER PRIMARY KEY,
                at            INTEGER NOT NULL,
                peer_id       TEXT NOT NULL,
                method        TEXT NOT NULL,
                request_id    TEXT NOT NULL,
                scope         TEXT NOT NULL,
                entity_types  TEXT NOT NULL,
                record_count  INTEGER NOT NULL,
                data_classes  TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash          TEXT NOT NULL
            );
            CREATE INDEX ix_audit_log_peer ON audit_log (peer_id, seq);
            CREATE INDEX ix_audit_log_at ON audit_log (at);

            CREATE TABLE audit_head (
                id        INTEGER PRIMARY KEY CHECK (id = 1),
                last_seq  INTEGER NOT NULL,
                last_hash TEXT NOT NULL
            );
            INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, hex(zeroblob(32)));

            -- Append-only (SQLite has no TRUNCATE: an unqualified DELETE runs the trigger too).
            -- Whoever can write the file can still drop the triggers or edit the pages: the hash
            -- chain is what exposes that.
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
            CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
            BEGIN SELECT RAISE(ABORT, 'audit_head is append-only: DELETE refused'); END;
            CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head WHEN NEW.last_seq <= OLD.last_seq
            BEGIN SELECT RAISE(ABORT, 'audit_head is append-only: UPDATE refused'); END;
            """),
        new(9, "payload encryption: citizen-ID index, protection state", """
            -- As on PostgreSQL: persons by the keyed hash of their citizen ID, filled by the store
            -- right after this migration, and the state of the index key and re-encryption pass.
            CREATE TABLE citizen_id_index (
                entity_key TEXT PRIMARY KEY,
                id_hash    BLOB NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX ix_citizen_id_index_hash ON citizen_id_index (id_hash);

            CREATE TABLE protection_state (
                id              INTEGER PRIMARY KEY CHECK (id = 1),
                index_key_check BLOB,
                rekey_key_id    TEXT,
                rekey_next_seq  INTEGER NOT NULL
            );
            INSERT INTO protection_state (id, index_key_check, rekey_key_id, rekey_next_seq) VALUES (1, NULL, NULL, 1);
            """),
        new(10, "peer registry administration: answers to admin requests", """
            -- As on PostgreSQL (peer ids already compare byte-wise here): answers to RegisterPeer,
            -- UpdatePeer and RotatePeerToken by (caller, request_id), never holding a token.
            CREATE TABLE admin_requests (
                peer_id        TEXT    NOT NULL,
                request_id     TEXT    NOT NULL,
                method         TEXT    NOT NULL,
                request_hash   BLOB    NOT NULL,
                target_peer_id TEXT    NOT NULL,
                response       BLOB    NOT NULL,
                created_at     INTEGER NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            ) WITHOUT ROWID;
            CREATE INDEX ix_admin_requests_target ON admin_requests (target_peer_id, created_at);
            """),
        new(11, "sync links: per-peer pull/push position and health", """
            -- As on PostgreSQL: the PUSH link's acked hub cursor and every link's health.
            CREATE TABLE sync_links (
                peer_id              TEXT    NOT NULL,
                direction            INTEGER NOT NULL,
                position             TEXT    NOT NULL DEFAULT '',
                last_attempt_at      INTEGER,
                last_success_at      INTEGER,
                last_error           TEXT    NOT NULL DEFAULT '',
                last_error_at        INTEGER,
                consecutive_failures INTEGER NOT NULL DEFAULT 0,
                lag_changes          INTEGER NOT NULL DEFAULT 0,
                lag_seconds          INTEGER NOT NULL DEFAULT 0,
                updated_at           INTEGER NOT NULL,
                PRIMARY KEY (peer_id, direction)
            ) WITHOUT ROWID;
            """),
        new(12, "directives: directives, per-recipient receipts, answers to directive requests", """
            -- As on PostgreSQL (text compares byte-wise here; instants in Unix microseconds).
            CREATE TABLE directives (
                directive_id           TEXT    PRIMARY KEY,
                ord                    INTEGER NOT NULL UNIQUE,
                issuer_region_code     TEXT    NOT NULL,
                directive_number       TEXT    NOT NULL UNIQUE,
                state                  INTEGER NOT NULL,
                version                INTEGER NOT NULL,
                sign_deadline_us       INTEGER NOT NULL,
                completion_deadline_us INTEGER NOT NULL,
                withdrawn_us           INTEGER,
                issued_us              INTEGER NOT NULL,
                recipient_count        INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX ix_directives_issuer ON directives (issuer_region_code, ord);

            CREATE TABLE directive_receipts (
                directive_id          TEXT    NOT NULL REFERENCES directives (directive_id),
                recipient_region_code TEXT    NOT NULL,
                state                 INTEGER NOT NULL,
                version               INTEGER NOT NULL,
                signed_us             INTEGER,
                completed_us          INTEGER,
                delivered_us          INTEGER,
                PRIMARY KEY (directive_id, recipient_region_code)
            ) WITHOUT ROWID;
            CREATE INDEX ix_directive_receipts_recipient ON directive_receipts (recipient_region_code, directive_id);
            CREATE INDEX ix_directive_receipts_undelivered ON directive_receipts (recipient_region_code) WHERE delivered_us IS NULL;

            CREATE TABLE directive_requests (
                peer_id      TEXT    NOT NULL,
                request_id   TEXT    NOT NULL,
                method       TEXT    NOT NULL,
                request_hash BLOB    NOT NULL,
                directive_id TEXT    NOT NULL,
                response     BLOB    NOT NULL,
                created_us   INTEGER NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            ) WITHOUT ROWID;
            CREATE INDEX ix_directive_requests_created ON directive_requests (created_us);
            """),
        new(13, "hub-managed cases and service requests: numbers, states, deadlines; answers to case requests", """
            -- As on PostgreSQL (text compares byte-wise here; instants in Unix microseconds).
            CREATE TABLE hub_records (
                entity_type      INTEGER NOT NULL,
                entity_key       TEXT    NOT NULL,
                record_number    TEXT    NOT NULL,
                grid_code        TEXT    NOT NULL,
                state            INTEGER NOT NULL,
                version          INTEGER NOT NULL,
                accept_yellow_us INTEGER,
                accept_red_us    INTEGER,
                accept_end_us    INTEGER,
                handle_yellow_us INTEGER,
                handle_red_us    INTEGER,
                handle_end_us    INTEGER,
                PRIMARY KEY (entity_type, entity_key)
            ) WITHOUT ROWID;
            CREATE UNIQUE INDEX ux_hub_records_number ON hub_records (entity_type, record_number);
            CREATE INDEX ix_hub_records_grid ON hub_records (entity_type, grid_code, state);

            CREATE TABLE hub_record_requests (
                peer_id      TEXT    NOT NULL,
                request_id   TEXT    NOT NULL,
                method       TEXT    NOT NULL,
                request_hash BLOB    NOT NULL,
                entity_key   TEXT    NOT NULL,
                response     BLOB    NOT NULL,
                created_us   INTEGER NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            ) WITHOUT ROWID;
            CREATE INDEX ix_hub_record_requests_created ON hub_record_requests (created_us);
            """),
        new(14, "region statistics: counters per region and grid, and of directive receipts, kept by triggers; a clear stat facet", $$"""
            -- As on PostgreSQL (see there for what region_stats and stat_facet mean), with row
            -- triggers: SQLite has no statement triggers, and its triggers run in-process.
            ALTER TABLE entities ADD COLUMN stat_facet INTEGER NOT NULL DEFAULT 0;

            CREATE TABLE region_stats (
                code        TEXT    NOT NULL,
                entity_type INTEGER NOT NULL,
                facet       INTEGER NOT NULL,
                n           INTEGER NOT NULL,
                PRIMARY KEY (code, entity_type, facet)
            ) WITHOUT ROWID;

            CREATE TABLE stats_state (
                id        INTEGER PRIMARY KEY CHECK (id = 1),
                facet_seq INTEGER NOT NULL
            );
            INSERT INTO stats_state (id, facet_seq) VALUES (1, 0);

            CREATE TRIGGER region_stats_coverage_insert AFTER INSERT ON region_stats
            WHEN {{CoverageCondition}}
            BEGIN {{CoverageBody}} END;
            CREATE TRIGGER region_stats_coverage_update AFTER UPDATE OF n ON region_stats
            WHEN {{CoverageCondition}}
            BEGIN {{CoverageBody}} END;

            -- The records already stored (no lateral joins here: each scope's codes as pairs).
            WITH d AS (
                SELECT scope_code, entity_type, {{Facet("entity_type", "entity_key", "stat_facet")}} AS facet, count(*) AS n
                FROM entities WHERE deleted = 0 AND entity_type IN {{CountedTypes}} GROUP BY 1, 2, 3),
            s AS (SELECT DISTINCT scope_code FROM d),
            pairs AS (
                SELECT scope_code, substr(scope_code, 1, 2) || '0000000000' AS code FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 4) || '00000000' FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 6) || '000000' FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 9) || '000' FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 12) FROM s
                UNION SELECT scope_code, scope_code FROM s)
            INSERT INTO region_stats (code, entity_type, facet, n)
            SELECT p.code, d.entity_type, d.facet, sum(d.n) FROM d JOIN pairs p ON p.scope_code = d.scope_code
            GROUP BY 1, 2, 3;

            CREATE TRIGGER entities_stats_insert AFTER INSERT ON entities
            WHEN NEW.deleted = 0 AND NEW.entity_type IN {{CountedTypes}}
            BEGIN {{Apply("NEW", "1")}} END;
            CREATE TRIGGER entities_stats_update AFTER UPDATE OF scope_code, deleted, stat_facet ON entities
            WHEN NEW.entity_type IN {{CountedTypes}}
                AND (OLD.scope_code IS NOT NEW.scope_code OR OLD.deleted IS NOT NEW.deleted OR OLD.stat_facet IS NOT NEW.stat_facet)
            BEGIN
                {{Apply("OLD", "-1")}}
                {{Apply("NEW", "1")}}
            END;
            CREATE TRIGGER entities_stats_delete AFTER DELETE ON entities
            WHEN OLD.deleted = 0 AND OLD.entity_type IN {{CountedTypes}}
            BEGIN {{Apply("OLD", "-1")}} END;

            -- Directive compliance counters, as on PostgreSQL.
            CREATE TABLE directive_region_stats (
                code         TEXT    NOT NULL,
                directive_id TEXT    NOT NULL,
                facet        INTEGER NOT NULL,
                n            INTEGER NOT NULL,
                PRIMARY KEY (code, directive_id, facet)
            ) WITHOUT ROWID;

            WITH x AS (
                SELECT r.recipient_region_code AS scope_code, r.directive_id, {{ReceiptFacet("r")}} AS facet, count(*) AS n
                FROM directive_receipts r JOIN directives d ON d.directive_id = r.directive_id
                WHERE r.state <> 6 GROUP BY 1, 2, 3),
            s AS (SELECT DISTINCT scope_code FROM x),
            pairs AS (
                SELECT scope_code, substr(scope_code, 1, 2) || '0000000000' AS code FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 4) || '00000000' FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 6) || '000000' FROM s
                UNION SELECT scope_code, substr(scope_code, 1, 9) || '000' FROM s
                UNION SELECT scope_code, scope_code FROM s)
            INSERT INTO directive_region_stats (code, directive_id, facet, n)
            SELECT p.code, x.directive_id, x.facet, sum(x.n) FROM x JOIN pairs p ON p.scope_code = x.scope_code
            GROUP BY 1, 2, 3;

            CREATE TRIGGER directive_receipts_stats_insert AFTER INSERT ON directive_receipts
            WHEN NEW.state <> 6
            BEGIN {{ApplyReceipt("NEW", "1")}} END;
            CREATE TRIGGER directive_receipts_stats_update AFTER UPDATE OF state, signed_us, completed_us ON directive_receipts
            BEGIN
                {{ApplyReceipt("OLD", "-1")}}
                {{ApplyReceipt("NEW", "1")}}
            END;
            """),
        new(15, "peer activity: when each peer last called the hub successfully", """
            -- As on PostgreSQL: the latest successful call per peer, flushed from memory, never moved back.
            CREATE TABLE peer_activity (
                peer_id      TEXT    NOT NULL PRIMARY KEY,
                last_call_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            """),
    ];

    // Migration 14's repeated SQL, written once. Types counted: regions, grids, workers, persons,
    // households, cases (the figures StatsService serves).
    private const string CountedTypes = "(1, 2, 3, 4, 5, 7)";

    // The codes a record at `scope` counts under (as region_stats_codes on PostgreSQL): UNION
    // keeps each once, so a county's own code is not counted again as its "township".
    private static string Codes(string scope) =>
        $"SELECT substr({scope}, 1, 2) || '0000000000' AS code UNION SELECT substr({scope}, 1, 4) || '00000000' " +
        $"UNION SELECT substr({scope}, 1, 6) || '000000' UNION SELECT substr({scope}, 1, 9) || '000' " +
        $"UNION SELECT substr({scope}, 1, 12) UNION SELECT {scope}";

    // As region_stats_facet on PostgreSQL.
    private static string Facet(string type, string key, string facet) =>
        $"(CASE {type} WHEN 1 THEN CASE WHEN substr({key}, 3) = '0000000000' THEN 2 WHEN substr({key}, 5) = '00000000' THEN 3 " +
        $"WHEN substr({key}, 7) = '000000' THEN 4 WHEN substr({key}, 10) = '000' THEN 5 ELSE 6 END " +
        $"WHEN 2 THEN CASE WHEN substr({key}, 13, 3) >= '900' THEN 2 ELSE 1 END ELSE {facet} END)";

    // Adds `delta` to every counter of the row `row` (NEW or OLD) unless it is a tombstone.
    private static string Apply(string row, string delta) =>
        $"INSERT INTO region_stats (code, entity_type, facet, n) " +
        $"SELECT code, {row}.entity_type, {Facet(row + ".entity_type", row + ".entity_key", row + ".stat_facet")}, {delta} " +
        $"FROM ({Codes(row + ".scope_code")}) WHERE {row}.deleted = 0 " +
        "ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = n + excluded.n;";

    // As directive_receipt_facet on PostgreSQL; `d` is the receipt's directive.
    private static string ReceiptFacet(string r) =>
        $"((CASE WHEN {r}.signed_us IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN {r}.completed_us IS NOT NULL THEN 2 ELSE 0 END) " +
        $"+ (CASE WHEN {r}.signed_us <= d.sign_deadline_us THEN 4 ELSE 0 END) + (CASE WHEN {r}.completed_us <= d.completion_deadline_us THEN 8 ELSE 0 END))";

    // Adds `delta` to the directive counters of the receipt `row` (NEW or OLD) unless it is withdrawn.
    private static string ApplyReceipt(string row, string delta) =>
        "INSERT INTO directive_region_stats (code, directive_id, facet, n) " +
        $"SELECT a.code, {row}.directive_id, {ReceiptFacet(row)}, {delta} " +
        $"FROM ({Codes(row + ".recipient_region_code")}) AS a JOIN directives d ON d.directive_id = {row}.directive_id " +
        $"WHERE {row}.state <> 6 " +
        "ON CONFLICT (code, directive_id, facet) DO UPDATE SET n = n + excluded.n;";

    private const string CoverageCondition =
        "((NEW.entity_type = 1 AND NEW.facet = 6) OR (NEW.entity_type = 2 AND NEW.facet = 1)) " +
        "AND length(NEW.code) = 12 AND substr(NEW.code, 10) <> '000'";

    // The village's coverage (exists and has a basic grid) against its facet-100 count: the
    // difference goes to the village and each ancestor. The SELECT reads region_stats, which the
    // INSERT writes: SQLite materialises it first, so the difference is taken once.
    private static string CoverageBody =>
        "INSERT INTO region_stats (code, entity_type, facet, n) " +
        "SELECT a.code, 1, 100, d.delta FROM (" + Codes("NEW.code") + ") AS a, " +
        "(SELECT (EXISTS (SELECT 1 FROM region_stats WHERE code = NEW.code AND entity_type = 1 AND facet = 6 AND n > 0) " +
        "AND EXISTS (SELECT 1 FROM region_stats WHERE code = NEW.code AND entity_type = 2 AND facet = 1 AND n > 0)) " +
        "- coalesce((SELECT n FROM region_stats WHERE code = NEW.code AND entity_type = 1 AND facet = 100), 0) AS delta) AS d " +
        "WHERE d.delta <> 0 ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = n + excluded.n;";
}
