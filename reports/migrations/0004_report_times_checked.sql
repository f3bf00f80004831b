-- Version 4: the report table's times must be real UTC times written
-- YYYY-MM-DDTHH:MM:SSZ (CHECK constraints), so the table is made anew with
-- every row as it was, seq included (the search index is keyed by it).
-- Dropping the old table drops its indexes and triggers; schema.sql, which
-- runs next, makes them again.

-- A time with spaces or a line break around it is kept without them; a time
-- that is still not a real one stops the migration, with what to do.
UPDATE report SET created_at = trim(created_at, ' ' || char(9, 10, 13)),
                  updated_at = trim(updated_at, ' ' || char(9, 10, 13)),
                  submitted_at = trim(submitted_at, ' ' || char(9, 10, 13));

CREATE TABLE report_rebuilt (
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
    -- Times are real UTC times written YYYY-MM-DDTHH:MM:SSZ: julianday reads
    -- what it can (2025-02-30 as March 2), and what it writes back must be the same.
    submitted_at    TEXT    CHECK (submitted_at IS NULL OR
                                   strftime('%Y-%m-%dT%H:%M:%SZ', julianday(submitted_at))
                                   IS submitted_at),
    created_at      TEXT    NOT NULL
                    CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(created_at)) IS created_at),
    updated_at      TEXT    NOT NULL
                    CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(updated_at)) IS updated_at),
    -- Goes up by one on every write; the report's ETag.
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- A draft has never been submitted; a submitted report always says when.
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK (updated_at >= created_at)
);

CREATE TEMP TRIGGER report_times_are_real BEFORE INSERT ON report_rebuilt
WHEN strftime('%Y-%m-%dT%H:%M:%SZ', julianday(NEW.created_at)) IS NOT NEW.created_at
  OR strftime('%Y-%m-%dT%H:%M:%SZ', julianday(NEW.updated_at)) IS NOT NEW.updated_at
  OR (NEW.submitted_at IS NOT NULL AND
      strftime('%Y-%m-%dT%H:%M:%SZ', julianday(NEW.submitted_at)) IS NOT NEW.submitted_at)
BEGIN
    SELECT RAISE(ABORT, 'a report has a time that is not a real UTC time YYYY-MM-DDTHH:MM:SSZ: correct it, or restore a backup, then migrate again');
END;

INSERT INTO report_rebuilt (seq, report_id, activity_id, peer_mentor_id, org_id, status, fields,
                            field_count, has_way_forward, submitted_at, created_at, updated_at,
                            version)
SELECT seq, report_id, activity_id, peer_mentor_id, org_id, status, fields,
       field_count, has_way_forward, submitted_at, created_at, updated_at, version
  FROM report;

DROP TRIGGER temp.report_times_are_real;
DROP TABLE report;
ALTER TABLE report_rebuilt RENAME TO report;
