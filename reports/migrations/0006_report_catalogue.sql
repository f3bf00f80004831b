-- Version 6: the report form is the catalogue's (reports/catalogue.py), so a
-- report may have more than nine fields, and each report and each change of
-- its fields records the catalogue's version. The report table is made anew
-- with every row as it was, seq included (the search index is keyed by it).
-- Dropping the old table drops its indexes and triggers; schema.sql and the
-- catalogue's indexes, which come next, make them again.

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
    -- Kept with the row so that no list has to parse `fields`: how many of the
    -- catalogue's fields are set (at most as many as it has: see db.fit_to_catalogue).
    field_count     INTEGER NOT NULL CHECK (field_count >= 0),
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
    -- The version of the catalogue the report was last written under.
    catalogue_version TEXT,
    -- A draft has never been submitted; a submitted report always says when.
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK (updated_at >= created_at)
);

INSERT INTO report_rebuilt (seq, report_id, activity_id, peer_mentor_id, org_id, status, fields,
                            field_count, has_way_forward, submitted_at, created_at, updated_at,
                            version)
SELECT seq, report_id, activity_id, peer_mentor_id, org_id, status, fields,
       field_count, has_way_forward, submitted_at, created_at, updated_at, version
  FROM report;

DROP TABLE report;
ALTER TABLE report_rebuilt RENAME TO report;

-- report_change is made anew the same way, with the new column (a database
-- from before the history has none yet: it gets an empty one).
CREATE TABLE IF NOT EXISTS report_change (
    change_id      INTEGER PRIMARY KEY,
    report_id      TEXT    NOT NULL,
    peer_mentor_id TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL
);

CREATE TABLE report_change_rebuilt (
    change_id      INTEGER PRIMARY KEY,
    report_id      TEXT    NOT NULL,
    -- Whose report it is, so that a mentor's view of the changes needs no join.
    peer_mentor_id TEXT    NOT NULL,
    -- The report's version after the change (for a delete, the version deleted).
    version        INTEGER NOT NULL,
    -- 'submit' is an update that submits a draft; 'review' and 'restore' are
    -- kept for review states and the trash.
    action         TEXT    NOT NULL
                   CHECK (action IN ('create', 'update', 'submit', 'delete', 'review', 'restore')),
    -- The acting token's name, or 'anonymous' while no token is in force.
    actor          TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL,
    -- The catalogue's version, for a change that wrote the report's fields.
    catalogue_version TEXT
);

INSERT INTO report_change_rebuilt (change_id, report_id, peer_mentor_id, version, action, actor,
                                   changed_at)
SELECT change_id, report_id, peer_mentor_id, version, action, actor, changed_at
  FROM report_change;

DROP TABLE report_change;
ALTER TABLE report_change_rebuilt RENAME TO report_change;
