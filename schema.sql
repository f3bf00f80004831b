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
