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
        new(2, "change log, feed head, idempotency, checkpoints, peers", """
            ALTER TABLE entities ADD COLUMN deleted boolean NOT NULL DEFAULT false;
            ALTER TABLE entities ADD COLUMN last_seq bigint NOT NULL DEFAULT 0;

            -- One row: the log's epoch (a new database gets a new one, so its cursors are
            -- recognised as foreign), the last sequence committed and the first one retained.
            -- Ingest locks this row for its whole transaction: sequences are assigned and
            -- committed strictly in order, so a reader can never see sequence n+1 before n.
            CREATE TABLE feed_head (
                id                 smallint PRIMARY KEY CHECK (id = 1),
                epoch              text   NOT NULL,
                last_seq           bigint NOT NULL,
                first_retained_seq bigint NOT NULL
            );
            INSERT INTO feed_head (id, epoch, last_seq, first_retained_seq)
            VALUES (1, replace(gen_random_uuid()::text, '-', ''), 0, 1);

            CREATE TABLE change_log (
                seq              bigint      PRIMARY KEY,
                entity_type      smallint    NOT NULL,
                entity_key       text        COLLATE "C" NOT NULL,
                region_code      text        COLLATE "C" NOT NULL,
                old_region_code  text        COLLATE "C",
                bucket           text        COLLATE "C" NOT NULL,
                old_bucket       text        COLLATE "C",
                operation        smallint    NOT NULL,
                entity_version   bigint      NOT NULL,
                source_system    text        NOT NULL,
                source_change_id text        NOT NULL,
                take_over        boolean     NOT NULL,
                committed_at     timestamptz NOT NULL,
                payload          bytea
            );
            CREATE INDEX ix_change_log_bucket ON change_log (bucket, seq);
            CREATE INDEX ix_change_log_old_bucket ON change_log (old_bucket, seq) WHERE old_bucket IS NOT NULL;
            CREATE INDEX ix_change_log_entity ON change_log (entity_type, entity_key, seq);
            CREATE INDEX ix_change_log_committed ON change_log (committed_at);

            -- Every bucket (first six digits of a code) the log has seen: a city or province
            -- scope expands to its buckets and reads each by index.
            CREATE TABLE feed_buckets (bucket text COLLATE "C" PRIMARY KEY);

            -- (source_system, source_change_id) applied, for ever: ingest is idempotent.
            CREATE TABLE source_changes (
                source_system    text   NOT NULL,
                source_change_id text   NOT NULL,
                seq              bigint NOT NULL,
                PRIMARY KEY (source_system, source_change_id)
            );

            CREATE TABLE source_checkpoints (
                source_system text        PRIMARY KEY,
                checkpoint    text        NOT NULL,
                committed_at  timestamptz NOT NULL
            );

            -- Answers to SubmitChanges by request_id, so a repeated request gets the first answer.
            CREATE TABLE ingest_requests (
                source_system text        NOT NULL,
                request_id    text        NOT NULL,
                request_hash  bytea       NOT NULL,
                response      bytea       NOT NULL,
                created_at    timestamptz NOT NULL,
                PRIMARY KEY (source_system, request_id)
            );
            CREATE INDEX ix_ingest_requests_created ON ingest_requests (created_at);

            CREATE TABLE peers (
                peer_id     text        PRIMARY KEY,
                region_code text        COLLATE "C" NOT NULL,
                payload     bytea       NOT NULL,
                updated_at  timestamptz NOT NULL
            );
            """),
        new(3, "log compaction progress; log rows for records older than the log", """
            -- How far retention's compaction has got (TrimLogAsync): every sequence below
            -- compacted_to has been checked, so a run that was cut short resumes there.
            CREATE TABLE log_compaction (
                id           smallint PRIMARY KEY CHECK (id = 1),
                compacted_to bigint   NOT NULL
            );
            INSERT INTO log_compaction (id, compacted_to) VALUES (1, 1);

            -- Records stored before the log existed (migration 1) have no change in it: each
            -- gets one UPSERT at the head, so a consumer reading the feed from the start, and
            -- digests as of a cursor, see every record the hub holds.
            WITH missing AS (
                SELECT e.entity_type, e.entity_key, e.scope_code, e.version, e.source_system, e.payload,
                       (SELECT last_seq FROM feed_head WHERE id = 1)
                           + row_number() OVER (ORDER BY e.entity_type, e.entity_key) AS seq
                FROM entities e
                WHERE e.last_seq = 0 AND NOT e.deleted),
            logged AS (
                INSERT INTO change_log (seq, entity_type, entity_key, region_code, old_region_code, bucket, old_bucket,
                                        operation, entity_version, source_system, source_change_id, take_over, committed_at, payload)
                SELECT seq, entity_type, entity_key, scope_code, NULL, left(scope_code, 6), NULL,
                       1, version, source_system, 'hub-backfill-' || seq, false, now(), payload
                FROM missing
                RETURNING seq, entity_type, entity_key, bucket),
            buckets AS (
                INSERT INTO feed_buckets (bucket) SELECT DISTINCT bucket FROM logged ON CONFLICT DO NOTHING),
            marked AS (
                UPDATE entities e SET last_seq = l.seq
                FROM logged l WHERE e.entity_type = l.entity_type AND e.entity_key = l.entity_key)
            UPDATE feed_head SET last_seq = last_seq + (SELECT count(*) FROM logged) WHERE id = 1;
            """),
        new(4, "a record's payload is kept once, in its last logged change; the parent index holds regions only", """
            -- Current state read its payload from entities, a second copy of the bytes its last
            -- change (entities.last_seq) already holds in the log: ingest wrote every record
            -- twice. Reads now join the log on last_seq; retention never deletes an entity's last
            -- change. Copied first for any row whose bytes differ (none should), then dropped.
            UPDATE change_log l SET payload = e.payload
            FROM entities e
            WHERE l.seq = e.last_seq AND NOT e.deleted AND l.payload IS DISTINCT FROM e.payload;
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
            ALTER TABLE feed_head ADD COLUMN last_committed_at timestamptz;
            UPDATE feed_head SET last_committed_at = (SELECT committed_at FROM change_log WHERE seq = feed_head.last_seq) WHERE id = 1;
            """),
        new(6, "stored answers are not compressed", """
            -- A batch's answer (one result per change, ≈ 40 KB for 1,000) is written with every
            -- batch and read back only when a request is repeated: pglz compression on the way
            -- in cost more than the bytes it saved.
            ALTER TABLE ingest_requests ALTER COLUMN response SET STORAGE EXTERNAL;
            """),
        new(7, "peer credentials: bearer tokens kept as hashes", """
            -- A peer's bearer tokens, by the SHA-256 of the token text: the hub never stores a
            -- token it could hand out again. A token is live while revoked_at is NULL and its
            -- peer is enabled; rotating revokes the others in the same transaction.
            CREATE TABLE peer_credentials (
                token_sha256 bytea       PRIMARY KEY,
                peer_id      text        NOT NULL,
                issued_at    timestamptz NOT NULL,
                revoked_at   timestamptz
            );
            CREATE INDEX ix_peer_credentials_peer ON peer_credentials (peer_id);
            """),
        new(8, "audit log: append-only, hash-chained", """
            -- Every read or export of personal data and every administrative action (DESIGN §6).
            -- Each entry carries the hash of the one before it and its own hash over that and its
            -- content (AuditHash documents the encoding), so an entry changed, removed or
            -- reordered is found by VerifyAuditLog. entity_types and data_classes hold proto enum
            -- numbers, ascending and comma-separated ("4,5"), as on SQLite.
            CREATE TABLE audit_log (
                seq           bigint      PRIMARY KEY,
                at            timestamptz NOT NULL,
                peer_id       text        NOT NULL,
                method        text        NOT NULL,
                request_id    text        NOT NULL,
                scope         text        NOT NULL,
                entity_types  text        NOT NULL,
                record_count  bigint      NOT NULL,
                data_classes  text        NOT NULL,
                previous_hash text        NOT NULL,
                hash          text        NOT NULL
            );
            CREATE INDEX ix_audit_log_peer ON audit_log (peer_id, seq);
            CREATE INDEX ix_audit_log_at ON audit_log (at);

            -- One row: the last sequence appended and its hash. Appenders lock it (FOR UPDATE)
            -- for their whole transaction, in every process on this database: sequences are
            -- assigned one appender at a time, from 1, without gaps, each entry chained to the
            -- one committed before it. A lock of its own, so auditing never waits for ingest.
            CREATE TABLE audit_head (
                id        smallint PRIMARY KEY CHECK (id = 1),
                last_seq  bigint   NOT NULL,
                last_hash text     NOT NULL
            );
            INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, repeat('0', 64));

            -- Append-only: UPDATE, DELETE and TRUNCATE of the log fail for every role, the owner
            -- included, and the head only moves forward. A superuser can still get round this
            -- (ALTER TABLE … DISABLE TRIGGER, session_replication_role = replica, the data files):
            -- which is why the entries are chained and VerifyAuditLog hands out the last hash,
            -- to be kept outside the hub.
            CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
            END $$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_head
                FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
                FOR EACH ROW WHEN (NEW.last_seq <= OLD.last_seq) EXECUTE FUNCTION audit_refuse_change();
            """),
        new(9, "payload encryption: citizen-ID index, protection state", """
            -- From this release every payload is stored encrypted (PayloadProtection: AES-256-GCM
            -- envelopes bound to their row); rows written before stay readable in clear until the
            -- re-encryption pass rewrites them. Ciphertext does not compress: pglz would only
            -- spend time trying on the large payloads.
            ALTER TABLE change_log ALTER COLUMN payload SET STORAGE EXTERNAL;

            -- Persons by citizen ID without the ID in clear (DESIGN §6): HMAC-SHA256 under the
            -- index key (GridExchange:Encryption:IndexKey) of the 18-character ID, one row per live
            -- person that has one, kept by ingest in the batch's transaction. Filled by the store
            -- right after this migration (SQL cannot compute the keyed hash).
            CREATE TABLE citizen_id_index (
                entity_key text  COLLATE "C" PRIMARY KEY,
                id_hash    bytea NOT NULL
            );
            CREATE INDEX ix_citizen_id_index_hash ON citizen_id_index (id_hash);

            -- One row. index_key_check: HMAC of a fixed label under the index key the index was
            -- built with (NULL: not built yet), so a hub with another key refuses to use it.
            -- rekey_key_id, rekey_next_seq: every payload below rekey_next_seq is encrypted
            -- under key rekey_key_id (the re-encryption pass resumes there).
            CREATE TABLE protection_state (
                id              smallint PRIMARY KEY CHECK (id = 1),
                index_key_check bytea,
                rekey_key_id    text,
                rekey_next_seq  bigint NOT NULL
            );
            INSERT INTO protection_state (id, index_key_check, rekey_key_id, rekey_next_seq) VALUES (1, NULL, NULL, 1);
            """),
        new(10, "peer registry administration: ordinal peer ids, answers to admin requests", """
            -- AdminService.ListPeers pages peers "ordered by id" with keyset paging: byte-wise, as
            -- SQLite orders them, not by the database's linguistic collation (which ignores '-').
            ALTER TABLE peers ALTER COLUMN peer_id TYPE text COLLATE "C";

            -- Answers to RegisterPeer, UpdatePeer and RotatePeerToken by (caller, request_id), so a
            -- repeated request gets the first answer and the change is never made twice. Written in
            -- the change's own transaction. Bearer tokens are never stored here: a repeat re-derives
            -- the token from the request (BearerTokens.Derive). Kept without expiry: administrative
            -- requests are few, and a request id answered once stays answered.
            CREATE TABLE admin_requests (
                peer_id        text        COLLATE "C" NOT NULL,
                request_id     text        NOT NULL,
                method         text        NOT NULL,
                request_hash   bytea       NOT NULL,
                target_peer_id text        COLLATE "C" NOT NULL,
                response       bytea       NOT NULL,
                created_at     timestamptz NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            );
            CREATE INDEX ix_admin_requests_target ON admin_requests (target_peer_id, created_at);
            """),
        new(11, "sync links: per-peer pull/push position and health", """
            -- One row per peer and link (direction: 1 PULL, 2 PUSH, 3 DIRECTIVES, as SyncDirection).
            -- PUSH keeps here the hub cursor the sink acked (its answer's acked_cursor): the next run
            -- continues after it. PULL positions are not here: the source's checkpoint is committed
            -- by ingest with the batch (source_checkpoints); this row holds only the link's health.
            -- The health columns are what every replica shows in GetPeerStatus; the circuit state
            -- and "running now" live in memory (and in the scheduler's lock).
            CREATE TABLE sync_links (
                peer_id              text        COLLATE "C" NOT NULL,
                direction            smallint    NOT NULL,
                position             text        NOT NULL DEFAULT '',
                last_attempt_at      timestamptz,
                last_success_at      timestamptz,
                last_error           text        NOT NULL DEFAULT '',
                last_error_at        timestamptz,
                consecutive_failures integer     NOT NULL DEFAULT 0,
                lag_changes          bigint      NOT NULL DEFAULT 0,
                lag_seconds          bigint      NOT NULL DEFAULT 0,
                updated_at           timestamptz NOT NULL,
                PRIMARY KEY (peer_id, direction)
            );
            """),
        new(12, "directives: directives, per-recipient receipts, answers to directive requests", """
            -- DirectiveService. The contract's messages are kept whole in payload (a field the
            -- contract adds later needs no migration); the columns beside them are what the
            -- roll-up counts, overdue filters and paging run on. Instants are Unix microseconds,
            -- as on SQLite, so one SQL text judges overdue on both. Codes compare byte-wise
            -- ("C"), so recipient prefixes are index ranges and pages follow the code order.
            -- ord: issue order (newest first in ListDirectives), assigned under the feed lock.
            CREATE TABLE directives (
                directive_id           text     COLLATE "C" PRIMARY KEY,
                ord                    bigint   NOT NULL UNIQUE,
                issuer_region_code     text     COLLATE "C" NOT NULL,
                directive_number       text     COLLATE "C" NOT NULL UNIQUE,
                state                  smallint NOT NULL,
                version                bigint   NOT NULL,
                sign_deadline_us       bigint   NOT NULL,
                completion_deadline_us bigint   NOT NULL,
                withdrawn_us           bigint,
                issued_us              bigint   NOT NULL,
                recipient_count        integer  NOT NULL
            );
            CREATE INDEX ix_directives_issuer ON directives (issuer_region_code, ord);

            -- One row per recipient. signed_us / completed_us: when the recipient signed for it /
            -- the issuer accepted its feedback (the ends of the two overdue waits).
            -- delivered_us: when the directive reached the recipient's system (push to sinks).
            CREATE TABLE directive_receipts (
                directive_id          text     COLLATE "C" NOT NULL REFERENCES directives (directive_id),
                recipient_region_code text     COLLATE "C" NOT NULL,
                state                 smallint NOT NULL,
                version               bigint   NOT NULL,
                signed_us             bigint,
                completed_us          bigint,
                delivered_us          bigint,
                PRIMARY KEY (directive_id, recipient_region_code)
            );
            CREATE INDEX ix_directive_receipts_recipient ON directive_receipts (recipient_region_code, directive_id);
            CREATE INDEX ix_directive_receipts_undelivered ON directive_receipts (recipient_region_code) WHERE delivered_us IS NULL;

            -- Answers to IssueDirective, AcknowledgeDirective, ReviewDirectiveFeedback and
            -- WithdrawDirective by (caller, request_id), written in the change's own transaction.
            CREATE TABLE directive_requests (
                peer_id      text   COLLATE "C" NOT NULL,
                request_id   text   COLLATE "C" NOT NULL,
                method       text   NOT NULL,
                request_hash bytea  NOT NULL,
                directive_id text   COLLATE "C" NOT NULL,
                response     bytea  NOT NULL,
                created_us   bigint NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            );
            CREATE INDEX ix_directive_requests_created ON directive_requests (created_us);
            """),
        new(13, "hub-managed cases and service requests: numbers, states, deadlines; answers to case requests", """
            -- CaseService (ReportCase, TransitionCase, ReportServiceRequest, TransitionServiceRequest).
            -- The records themselves are entities of the change feed like every other (owner
            -- `hub`, payload encrypted in their last logged change); this table holds beside them
            -- what SQL runs on: the number (unique per type, serial assigned under the feed lock),
            -- state, and a case's two waits (accept: from report or escalation to ACCEPT/VOID;
            -- handle: from ACCEPT to RESOLVED) with their yellow- and red-card deadlines, from which
            -- the overdue level and warning colour are computed at read time. Instants in Unix
            -- microseconds, as on SQLite. A row exists only for records created through CaseService.
            CREATE TABLE hub_records (
                entity_type      smallint NOT NULL,
                entity_key       text     COLLATE "C" NOT NULL,
                record_number    text     COLLATE "C" NOT NULL,
                grid_code        text     COLLATE "C" NOT NULL,
                state            smallint NOT NULL,
                version          bigint   NOT NULL,
                accept_yellow_us bigint,
                accept_red_us    bigint,
                accept_end_us    bigint,
                handle_yellow_us bigint,
                handle_red_us    bigint,
                handle_end_us    bigint,
                PRIMARY KEY (entity_type, entity_key)
            );
            CREATE UNIQUE INDEX ux_hub_records_number ON hub_records (entity_type, record_number);
            CREATE INDEX ix_hub_records_grid ON hub_records (entity_type, grid_code, state);

            -- Answers to the four writes by (caller, request_id), written in the change's transaction.
            CREATE TABLE hub_record_requests (
                peer_id      text   COLLATE "C" NOT NULL,
                request_id   text   COLLATE "C" NOT NULL,
                method       text   NOT NULL,
                request_hash bytea  NOT NULL,
                entity_key   text   COLLATE "C" NOT NULL,
                response     bytea  NOT NULL,
                created_us   bigint NOT NULL,
                PRIMARY KEY (peer_id, request_id)
            );
            CREATE INDEX ix_hub_record_requests_created ON hub_record_requests (created_us);
            """),
        new(14, "region statistics: counters per region and grid, and of directive receipts, kept by triggers; a clear stat facet", """
            -- StatsService.GetRegionStats answers from these counters, never by counting records:
            -- a city holds ~10 M residents, a province ~100 M. region_stats holds, for every code
            -- from the province down to each grid, how many live records of a type and facet lie
            -- under it (the code itself included). Kept by statement triggers on entities, in the
            -- writing transaction, so ingest (COPY and the set-based update) needs no change and
            -- the counters never disagree with what is committed. Houses, service requests and
            -- the hub's directive rows are not counted: no figure needs them.
            --
            -- facet (GridExchange.Domain.Stats.StatFacets): a region's level (6 = village); a
            -- grid's kind from its serial (1 basic, 2 dedicated); for workers and cases the clear
            -- column entities.stat_facet (employment; open/overdue/colour), because the payload
            -- is encrypted. 100 on a region row: villages with at least one basic grid (coverage),
            -- kept by the row trigger on region_stats below.
            ALTER TABLE entities ADD COLUMN stat_facet smallint NOT NULL DEFAULT 0;

            CREATE TABLE region_stats (
                code        text     COLLATE "C" NOT NULL,
                entity_type smallint NOT NULL,
                facet       smallint NOT NULL,
                n           bigint   NOT NULL,
                PRIMARY KEY (code, entity_type, facet)
            );

            -- One row: every change below facet_seq has had its stat_facet set from its payload
            -- (the stats read catches up from here before it answers).
            CREATE TABLE stats_state (
                id        smallint PRIMARY KEY CHECK (id = 1),
                facet_seq bigint   NOT NULL
            );
            INSERT INTO stats_state (id, facet_seq) VALUES (1, 0);

            -- The codes a record at scope counts under: each level from the province down to the
            -- scope itself (a region's own code, a grid's 15 digits), each once.
            CREATE FUNCTION region_stats_codes(scope text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT array(SELECT DISTINCT c FROM unnest(ARRAY[
                    left(scope, 2) || '0000000000', left(scope, 4) || '00000000', left(scope, 6) || '000000',
                    left(scope, 9) || '000', left(scope, 12), scope]) AS c)
            $$;

            CREATE FUNCTION region_stats_facet(entity_type smallint, entity_key text, stat_facet smallint) RETURNS smallint
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT (CASE entity_type
                    WHEN 1 THEN CASE WHEN substr(entity_key, 3) = '0000000000' THEN 2
                                     WHEN substr(entity_key, 5) = '00000000' THEN 3
                                     WHEN substr(entity_key, 7) = '000000' THEN 4
                                     WHEN substr(entity_key, 10) = '000' THEN 5
                                     ELSE 6 END
                    WHEN 2 THEN CASE WHEN substr(entity_key, 13, 3) >= '900' THEN 2 ELSE 1 END
                    ELSE stat_facet END)::smallint
            $$;

            -- Coverage: when a village's own row (type 1, facet 6) or its basic-grid count (type 2,
            -- facet 1) changes, recompute "has a basic grid and exists" and move the village's
            -- facet-100 count, and its ancestors', by the difference.
            CREATE FUNCTION region_stats_coverage() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                covered integer;
                was     bigint;
            BEGIN
                SELECT (EXISTS (SELECT 1 FROM region_stats WHERE code = NEW.code AND entity_type = 1 AND facet = 6 AND n > 0)
                    AND EXISTS (SELECT 1 FROM region_stats WHERE code = NEW.code AND entity_type = 2 AND facet = 1 AND n > 0))::integer
                INTO covered;
                SELECT coalesce((SELECT n FROM region_stats WHERE code = NEW.code AND entity_type = 1 AND facet = 100), 0) INTO was;
                IF covered <> was THEN
                    INSERT INTO region_stats AS s (code, entity_type, facet, n)
                    SELECT c.code, 1, 100, covered - was FROM unnest(region_stats_codes(NEW.code)) AS c(code)
                    ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = s.n + excluded.n;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER region_stats_coverage AFTER INSERT OR UPDATE OF n ON region_stats FOR EACH ROW
                WHEN (((NEW.entity_type = 1 AND NEW.facet = 6) OR (NEW.entity_type = 2 AND NEW.facet = 1))
                      AND length(NEW.code) = 12 AND substr(NEW.code, 10) <> '000')
                EXECUTE FUNCTION region_stats_coverage();

            -- The records already stored.
            INSERT INTO region_stats (code, entity_type, facet, n)
            SELECT c.code, d.entity_type, d.facet, sum(d.n)
            FROM (SELECT scope_code, entity_type, region_stats_facet(entity_type, entity_key, stat_facet) AS facet, count(*) AS n
                  FROM entities WHERE NOT deleted AND entity_type IN (1, 2, 3, 4, 5, 7) GROUP BY 1, 2, 3) AS d
            CROSS JOIN LATERAL unnest(region_stats_codes(d.scope_code)) AS c(code)
            GROUP BY 1, 2, 3;

            -- One statement per trigger event, over its transition tables: a COPY of 1,000 persons
            -- into a few grids is one grouped upsert of a few dozen counters, not 1,000 × 6. An
            -- update counts only the rows whose place, deletion or facet changed.
            CREATE FUNCTION region_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO region_stats AS s (code, entity_type, facet, n)
                    SELECT c.code, d.entity_type, d.facet, sum(d.delta)
                    FROM (SELECT scope_code, entity_type, region_stats_facet(entity_type, entity_key, stat_facet) AS facet, count(*) AS delta
                          FROM new_rows WHERE NOT deleted AND entity_type IN (1, 2, 3, 4, 5, 7) GROUP BY 1, 2, 3) AS d
                    CROSS JOIN LATERAL unnest(region_stats_codes(d.scope_code)) AS c(code)
                    GROUP BY 1, 2, 3
                    ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = s.n + excluded.n;
                ELSIF TG_OP = 'UPDATE' THEN
                    WITH changed AS (
                        SELECT o.entity_type, o.entity_key, o.scope_code AS old_scope, o.deleted AS old_deleted, o.stat_facet AS old_facet,
                               w.scope_code AS new_scope, w.deleted AS new_deleted, w.stat_facet AS new_facet
                        FROM old_rows o JOIN new_rows w ON w.entity_type = o.entity_type AND w.entity_key = o.entity_key
                        WHERE o.entity_type IN (1, 2, 3, 4, 5, 7)
                          AND (o.scope_code, o.deleted, o.stat_facet) IS DISTINCT FROM (w.scope_code, w.deleted, w.stat_facet)),
                    d AS (
                        SELECT old_scope AS scope_code, entity_type, region_stats_facet(entity_type, entity_key, old_facet) AS facet, -1 AS delta
                        FROM changed WHERE NOT old_deleted
                        UNION ALL
                        SELECT new_scope, entity_type, region_stats_facet(entity_type, entity_key, new_facet), 1
                        FROM changed WHERE NOT new_deleted)
                    INSERT INTO region_stats AS s (code, entity_type, facet, n)
                    SELECT c.code, d.entity_type, d.facet, sum(d.delta)
                    FROM d CROSS JOIN LATERAL unnest(region_stats_codes(d.scope_code)) AS c(code)
                    GROUP BY 1, 2, 3 HAVING sum(d.delta) <> 0
                    ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = s.n + excluded.n;
                ELSE
                    INSERT INTO region_stats AS s (code, entity_type, facet, n)
                    SELECT c.code, d.entity_type, d.facet, -sum(d.delta)
                    FROM (SELECT scope_code, entity_type, region_stats_facet(entity_type, entity_key, stat_facet) AS facet, count(*) AS delta
                          FROM old_rows WHERE NOT deleted AND entity_type IN (1, 2, 3, 4, 5, 7) GROUP BY 1, 2, 3) AS d
                    CROSS JOIN LATERAL unnest(region_stats_codes(d.scope_code)) AS c(code)
                    GROUP BY 1, 2, 3
                    ON CONFLICT (code, entity_type, facet) DO UPDATE SET n = s.n + excluded.n;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER entities_stats_insert AFTER INSERT ON entities
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION region_stats_apply();
            CREATE TRIGGER entities_stats_update AFTER UPDATE ON entities
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION region_stats_apply();
            CREATE TRIGGER entities_stats_delete AFTER DELETE ON entities
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION region_stats_apply();

            -- Directive compliance the same way: receipts (not withdrawn) per (code, directive,
            -- facet) for every code from the province down to the recipient, so a province's
            -- compliance reads one row per directive and facet, however many thousand villages
            -- a directive went to. facet bits: 1 signed for, 2 completed, 4 signed for by the
            -- sign-for deadline, 8 completed by the completion deadline (deadlines never change
            -- after issue). Whether a receipt is overdue depends on the clock: the read judges
            -- it from the directive's deadlines (DirectiveComplianceCalculator).
            CREATE TABLE directive_region_stats (
                code         text     COLLATE "C" NOT NULL,
                directive_id text     COLLATE "C" NOT NULL,
                facet        smallint NOT NULL,
                n            bigint   NOT NULL,
                PRIMARY KEY (code, directive_id, facet)
            );

            CREATE FUNCTION directive_receipt_facet(signed_us bigint, completed_us bigint, sign_deadline_us bigint, completion_deadline_us bigint)
            RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT ((CASE WHEN signed_us IS NOT NULL THEN 1 ELSE 0 END)
                      + (CASE WHEN completed_us IS NOT NULL THEN 2 ELSE 0 END)
                      + (CASE WHEN signed_us <= sign_deadline_us THEN 4 ELSE 0 END)
                      + (CASE WHEN completed_us <= completion_deadline_us THEN 8 ELSE 0 END))::smallint
            $$;

            INSERT INTO directive_region_stats (code, directive_id, facet, n)
            SELECT c.code, x.directive_id, x.facet, sum(x.n)
            FROM (SELECT r.recipient_region_code AS scope, r.directive_id,
                         directive_receipt_facet(r.signed_us, r.completed_us, d.sign_deadline_us, d.completion_deadline_us) AS facet, count(*) AS n
                  FROM directive_receipts r JOIN directives d ON d.directive_id = r.directive_id
                  WHERE r.state <> 6 GROUP BY 1, 2, 3) AS x
            CROSS JOIN LATERAL unnest(region_stats_codes(x.scope)) AS c(code)
            GROUP BY 1, 2, 3;

            CREATE FUNCTION directive_region_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO directive_region_stats AS s (code, directive_id, facet, n)
                    SELECT c.code, x.directive_id, x.facet, sum(x.n)
                    FROM (SELECT r.recipient_region_code AS scope, r.directive_id,
                                 directive_receipt_facet(r.signed_us, r.completed_us, d.sign_deadline_us, d.completion_deadline_us) AS facet,
                                 count(*) AS n
                          FROM new_rows r JOIN directives d ON d.directive_id = r.directive_id
                          WHERE r.state <> 6 GROUP BY 1, 2, 3) AS x
                    CROSS JOIN LATERAL unnest(region_stats_codes(x.scope)) AS c(code)
                    GROUP BY 1, 2, 3
                    ON CONFLICT (code, directive_id, facet) DO UPDATE SET n = s.n + excluded.n;
                ELSE
                    WITH changed AS (
                        SELECT o.directive_id, o.recipient_region_code AS scope,
                               o.state AS old_state, directive_receipt_facet(o.signed_us, o.completed_us, d.sign_deadline_us, d.completion_deadline_us) AS old_facet,
                               w.state AS new_state, directive_receipt_facet(w.signed_us, w.completed_us, d.sign_deadline_us, d.completion_deadline_us) AS new_facet
                        FROM old_rows o
                        JOIN new_rows w ON w.directive_id = o.directive_id AND w.recipient_region_code = o.recipient_region_code
                        JOIN directives d ON d.directive_id = o.directive_id),
                    x AS (
                        SELECT scope, directive_id, old_facet AS facet, -1 AS n FROM changed WHERE old_state <> 6
                        UNION ALL
                        SELECT scope, directive_id, new_facet, 1 FROM changed WHERE new_state <> 6)
                    INSERT INTO directive_region_stats AS s (code, directive_id, facet, n)
                    SELECT c.code, x.directive_id, x.facet, sum(x.n)
                    FROM x CROSS JOIN LATERAL unnest(region_stats_codes(x.scope)) AS c(code)
                    GROUP BY 1, 2, 3 HAVING sum(x.n) <> 0
                    ON CONFLICT (code, directive_id, facet) DO UPDATE SET n = s.n + excluded.n;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER directive_receipts_stats_insert AFTER INSERT ON directive_receipts
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directive_region_stats_apply();
            CREATE TRIGGER directive_receipts_stats_update AFTER UPDATE ON directive_receipts
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directive_region_stats_apply();
            """),
        new(15, "peer activity: when each peer last called the hub successfully", """
            -- PeerStatus.last_call_at. Each replica keeps the latest successful call per peer in
            -- memory and upserts them here every few seconds (GridExchange:LastCallFlushMs), one
            -- statement per flush; the value only moves forward (a replica's older instant never
            -- replaces a newer one). Apart from peers: the registry's rows are versioned
            -- administrative state, not written on every call.
            CREATE TABLE peer_activity (
                peer_id      text        COLLATE "C" PRIMARY KEY,
                last_call_at timestamptz NOT NULL
            );
            """),
        new(16, "region statistics: the codes a record counts under, computed inline", """
            -- The same set as before (each level from the province down to the scope, each
            -- once), as one expression the planner inlines: a level is kept when it differs from
            -- the next one down (the levels are prefixes padded with zeros, so equal levels are
            -- always adjacent), the scope always. The version with a sub-select was a function
            -- call per group of every entities statement: 21 µs each, 200 groups for a batch of
            -- 1,000 persons spread over 200 grids, a tenth of the batch's time (track_functions
            -- on the ingest benchmark: 871 ms of 14 s).
            CREATE OR REPLACE FUNCTION region_stats_codes(scope text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT array_remove(ARRAY[
                    CASE WHEN left(scope, 2) || '0000000000' <> left(scope, 4) || '00000000' THEN left(scope, 2) || '0000000000' END,
                    CASE WHEN left(scope, 4) || '00000000' <> left(scope, 6) || '000000' THEN left(scope, 4) || '00000000' END,
                    CASE WHEN left(scope, 6) || '000000' <> left(scope, 9) || '000' THEN left(scope, 6) || '000000' END,
                    CASE WHEN left(scope, 9) || '000' <> left(scope, 12) THEN left(scope, 9) || '000' END,
                    CASE WHEN left(scope, 12) <> scope THEN left(scope, 12) END,
                    scope], NULL)
            $$;
            """),
        new(17, "citizen-ID index: the hash kept on the person's current-state row", """
            -- The index entry of a person was a row of its own (citizen_id_index: a heap tuple and
            -- a primary-key entry besides the hash's index entry, and a COPY of its own in every
            -- batch: 6.7 ms of a 52 ms batch of 1,000 new persons on the ingest benchmark). It is
            -- now a column of the person's entities row, written by the same COPY or UPDATE that
            -- writes current state: NULL for other types, for a person without a citizen ID and
            -- for a deleted one. Only the hash's index remains, partial over the rows that have one.
            ALTER TABLE entities ADD COLUMN citizen_id_hash bytea;
            UPDATE entities e SET citizen_id_hash = c.id_hash
            FROM citizen_id_index c WHERE e.entity_type = 4 AND e.entity_key = c.entity_key;
            DROP TABLE citizen_id_index;
            CREATE INDEX ix_entities_citizen_id ON entities (citizen_id_hash) WHERE citizen_id_hash IS NOT NULL;

            -- The old name, for reading (the look-up by hash reads it; so may an operator). It is
            -- not writable: a DELETE through a plain view would delete the persons themselves.
            CREATE VIEW citizen_id_index AS
                SELECT entity_key, citizen_id_hash AS id_hash FROM entities WHERE entity_type = 4 AND citizen_id_hash IS NOT NULL;
            CREATE FUNCTION citizen_id_index_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'citizen_id_index is read-only: the hash is entities.citizen_id_hash';
            END $$;
            CREATE TRIGGER citizen_id_index_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON citizen_id_index
                FOR EACH ROW EXECUTE FUNCTION citizen_id_index_read_only();
            """),
    ];
}
