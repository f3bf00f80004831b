-- The whole schema of a new database. Every statement is safe to run again:
-- `flask --app reports init-db` never drops or changes what is already there.

CREATE TABLE IF NOT EXISTS report (
    -- Insertion order: breaks ties between reports created in the same second.
    seq             INTEGER PRIMARY KEY,
    report_id       TEXT    NOT NULL UNIQUE
                    CHECK (report_id GLOB 'rpt_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    activity_id     TEXT    NOT NULL
                    CHECK (length(activity_id) BETWEEN 1 AND 64
                           AND activity_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    peer_mentor_id  TEXT    NOT NULL
                    CHECK (length(peer_mentor_id) BETWEEN 1 AND 64
                           AND peer_mentor_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    org_id          TEXT    NOT NULL
                    CHECK (length(org_id) BETWEEN 1 AND 64
                           AND org_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'submitted')),
    -- The catalogue fields that are set, as one JSON object.
    fields          TEXT    NOT NULL DEFAULT '{}'
                    CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    -- Kept with the row so that no list has to parse `fields`.
    field_count     INTEGER NOT NULL CHECK (field_count BETWEEN 0 AND 9),
    has_way_forward INTEGER NOT NULL CHECK (has_way_forward IN (0, 1)),
    submitted_at    TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    -- Goes up by one on every write; the report's ETag.
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- A draft has never been submitted; a submitted report always says when.
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK (updated_at >= created_at)
);

-- Lists are newest first: by creation time, then by insertion order. Each
-- index ends with the rowid (seq), so it serves that order as it stands.
CREATE INDEX IF NOT EXISTS report_by_created  ON report (created_at);
CREATE INDEX IF NOT EXISTS report_by_status   ON report (status, created_at);
CREATE INDEX IF NOT EXISTS report_by_activity ON report (activity_id, created_at);
CREATE INDEX IF NOT EXISTS report_by_mentor   ON report (peer_mentor_id, created_at);

-- How many reports have each status, kept by the triggers below in the same
-- transaction as every write, so that no list has to count the table.
CREATE TABLE IF NOT EXISTS report_count (
    status  TEXT    PRIMARY KEY CHECK (status IN ('draft', 'submitted')),
    reports INTEGER NOT NULL CHECK (reports >= 0)
);

-- Counted once, when the table is new (later starts skip the counting).
INSERT INTO report_count (status, reports)
SELECT status, (SELECT count(*) FROM report WHERE report.status = statuses.status)
  FROM (SELECT 'draft' AS status UNION ALL SELECT 'submitted') AS statuses
 WHERE NOT EXISTS (SELECT 1 FROM report_count);

CREATE TRIGGER IF NOT EXISTS report_counted_on_insert AFTER INSERT ON report
BEGIN
    UPDATE report_count SET reports = reports + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER IF NOT EXISTS report_counted_on_delete AFTER DELETE ON report
BEGIN
    UPDATE report_count SET reports = reports - 1 WHERE status = OLD.status;
END;

CREATE TRIGGER IF NOT EXISTS report_counted_on_status_change
AFTER UPDATE OF status ON report WHEN OLD.status <> NEW.status
BEGIN
    UPDATE report_count SET reports = reports - 1 WHERE status = OLD.status;
    UPDATE report_count SET reports = reports + 1 WHERE status = NEW.status;
END;

-- Idempotency-Key of a POST, so that a retried create answers the first
-- response instead of creating a second report. Kept at least 24 hours.
CREATE TABLE IF NOT EXISTS idempotency_key (
    key          TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the request body, to tell a retry from a different request.
    request_hash TEXT NOT NULL,
    -- The report as it was created, to answer the retry with the same 201.
    report       TEXT NOT NULL CHECK (json_valid(report)),
    created_at   TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idempotency_key_by_age ON idempotency_key (created_at);
