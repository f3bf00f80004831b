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

-- Lists are newest first: by creation time, then by insertion order. Each
-- index ends with the rowid (seq), so it serves that order as it stands.
CREATE INDEX IF NOT EXISTS report_by_created  ON report (created_at);
CREATE INDEX IF NOT EXISTS report_by_status   ON report (status, created_at);
CREATE INDEX IF NOT EXISTS report_by_activity ON report (activity_id, created_at);
CREATE INDEX IF NOT EXISTS report_by_mentor   ON report (peer_mentor_id, created_at);
-- A mentor's drafts and submitted reports, counted and listed apart (My reports).
CREATE INDEX IF NOT EXISTS report_by_mentor_status ON report (peer_mentor_id, status, created_at);

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

-- How many reports each mentor and each activity has of each status, kept like
-- report_count, so that the total of a mentor's or an activity's list is read,
-- not counted. A row goes with its last report.
CREATE TABLE IF NOT EXISTS report_count_by_mentor (
    peer_mentor_id TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    reports        INTEGER NOT NULL CHECK (reports > 0),
    PRIMARY KEY (peer_mentor_id, status)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS report_count_by_activity (
    activity_id TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    reports     INTEGER NOT NULL CHECK (reports > 0),
    PRIMARY KEY (activity_id, status)
) WITHOUT ROWID;

-- Counted once, when the tables are new (later starts skip the counting).
INSERT INTO report_count_by_mentor (peer_mentor_id, status, reports)
SELECT peer_mentor_id, status, count(*) FROM report
 WHERE NOT EXISTS (SELECT 1 FROM report_count_by_mentor)
 GROUP BY peer_mentor_id, status;

INSERT INTO report_count_by_activity (activity_id, status, reports)
SELECT activity_id, status, count(*) FROM report
 WHERE NOT EXISTS (SELECT 1 FROM report_count_by_activity)
 GROUP BY activity_id, status;

CREATE TRIGGER IF NOT EXISTS report_counted_by_owner_on_insert AFTER INSERT ON report
BEGIN
    INSERT INTO report_count_by_mentor (peer_mentor_id, status, reports)
    VALUES (NEW.peer_mentor_id, NEW.status, 1)
    ON CONFLICT (peer_mentor_id, status) DO UPDATE SET reports = reports + 1;
    INSERT INTO report_count_by_activity (activity_id, status, reports)
    VALUES (NEW.activity_id, NEW.status, 1)
    ON CONFLICT (activity_id, status) DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER IF NOT EXISTS report_counted_by_owner_on_delete AFTER DELETE ON report
BEGIN
    DELETE FROM report_count_by_mentor
     WHERE peer_mentor_id = OLD.peer_mentor_id AND status = OLD.status AND reports = 1;
    UPDATE report_count_by_mentor SET reports = reports - 1
     WHERE peer_mentor_id = OLD.peer_mentor_id AND status = OLD.status;
    DELETE FROM report_count_by_activity
     WHERE activity_id = OLD.activity_id AND status = OLD.status AND reports = 1;
    UPDATE report_count_by_activity SET reports = reports - 1
     WHERE activity_id = OLD.activity_id AND status = OLD.status;
END;

CREATE TRIGGER IF NOT EXISTS report_counted_by_owner_on_change
AFTER UPDATE OF status, peer_mentor_id, activity_id ON report
WHEN OLD.status <> NEW.status OR OLD.peer_mentor_id <> NEW.peer_mentor_id
  OR OLD.activity_id <> NEW.activity_id
BEGIN
    DELETE FROM report_count_by_mentor
     WHERE peer_mentor_id = OLD.peer_mentor_id AND status = OLD.status AND reports = 1;
    UPDATE report_count_by_mentor SET reports = reports - 1
     WHERE peer_mentor_id = OLD.peer_mentor_id AND status = OLD.status;
    DELETE FROM report_count_by_activity
     WHERE activity_id = OLD.activity_id AND status = OLD.status AND reports = 1;
    UPDATE report_count_by_activity SET reports = reports - 1
     WHERE activity_id = OLD.activity_id AND status = OLD.status;
    INSERT INTO report_count_by_mentor (peer_mentor_id, status, reports)
    VALUES (NEW.peer_mentor_id, NEW.status, 1)
    ON CONFLICT (peer_mentor_id, status) DO UPDATE SET reports = reports + 1;
    INSERT INTO report_count_by_activity (activity_id, status, reports)
    VALUES (NEW.activity_id, NEW.status, 1)
    ON CONFLICT (activity_id, status) DO UPDATE SET reports = reports + 1;
END;

-- A number that grows with every change of a report or its review, kept by the
-- triggers below in the same transaction: what was computed from the reports
-- at one generation (a summary) holds as long as the number stays the same.
CREATE TABLE IF NOT EXISTS report_generation (
    only       INTEGER PRIMARY KEY CHECK (only = 1),
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO report_generation (only, generation) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS report_generation_on_insert AFTER INSERT ON report
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS report_generation_on_update AFTER UPDATE ON report
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS report_generation_on_delete AFTER DELETE ON report
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

-- Idempotency-Key of a POST, so that a retried create answers the first
-- response instead of creating a second report. Kept at least 24 hours. A key
-- is its caller's own: another caller may use the same one for its own creates.
CREATE TABLE IF NOT EXISTS idempotency_key (
    -- The token's name, or 'anonymous' while the API is open.
    caller       TEXT NOT NULL,
    key          TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the request body, to tell a retry from a different request.
    request_hash TEXT NOT NULL,
    -- The report as it was created, to answer the retry with the same 201.
    report       TEXT NOT NULL CHECK (json_valid(report)),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);

CREATE INDEX IF NOT EXISTS idempotency_key_by_age ON idempotency_key (created_at);

-- The people who use the service: a person has a role, and for a mentor the
-- peer mentor id its reports are filed under. Its tokens act as it, with the
-- role it has now. A removed person keeps its row, its name, role and peer
-- mentor id (so that its reports still name it, and its ids are never taken
-- again), without its e-mail address and language; its tokens are revoked.
CREATE TABLE IF NOT EXISTS person (
    person_id      TEXT PRIMARY KEY
                   CHECK (person_id GLOB 'per_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role           TEXT NOT NULL CHECK (role IN ('coordinator', 'viewer', 'mentor')),
    -- Kept when a mentor becomes another role, so that it is the same mentor
    -- again if it becomes a mentor again; only a mentor's is shown.
    peer_mentor_id TEXT UNIQUE
                   CHECK (length(peer_mentor_id) BETWEEN 1 AND 64
                          AND peer_mentor_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    email          TEXT CHECK (length(email) BETWEEN 3 AND 254),
    language       TEXT CHECK (length(language) BETWEEN 2 AND 35),
    created_at     TEXT NOT NULL
                   CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(created_at)) IS created_at),
    removed_at     TEXT
                   CHECK (removed_at IS NULL OR
                          strftime('%Y-%m-%dT%H:%M:%SZ', julianday(removed_at)) IS removed_at),
    -- Which e-mails the person gets: each as it happens, a daily digest of the
    -- reports submitted instead, or none (a sign-in link it asks for still comes).
    notify         TEXT NOT NULL DEFAULT 'each' CHECK (notify IN ('each', 'digest', 'off')),
    CHECK (role <> 'mentor' OR peer_mentor_id IS NOT NULL),
    CHECK (removed_at IS NULL OR (email IS NULL AND language IS NULL))
);

CREATE INDEX IF NOT EXISTS person_in_directory ON person (created_at) WHERE removed_at IS NULL;

-- API tokens. Once one is not revoked, every request must bear one. Only a
-- hash of each secret is kept; the secret is shown once, when it is created.
-- A token is revoked, never deleted, so its name is never taken again. It acts
-- as its person, with the person's role and peer mentor id.
CREATE TABLE IF NOT EXISTS api_token (
    name           TEXT PRIMARY KEY
                   CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9_.:-]*'
                          AND name <> 'anonymous'),
    -- SHA-256 of the secret, in hex: the secret is random, so no salt or stretching is needed.
    secret_hash    TEXT NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT,
    -- Added by version 8, so that it cannot say NOT NULL: the trigger below does.
    person_id      TEXT REFERENCES person (person_id)
);

CREATE TRIGGER IF NOT EXISTS api_token_has_a_person BEFORE INSERT ON api_token
WHEN NEW.person_id IS NULL
BEGIN
    SELECT RAISE(ABORT, 'A token belongs to a person.');
END;

CREATE INDEX IF NOT EXISTS api_token_by_person ON api_token (person_id);

-- Whether any token is in force, asked on every request that bears none.
CREATE INDEX IF NOT EXISTS api_token_in_force ON api_token (name) WHERE revoked_at IS NULL;

-- Whether the API is open while no token is in force: one row. A new database
-- is open; creating a token closes it, so that revoking the last token never
-- opens it again; only `flask --app reports token reopen` does. A database from
-- before this row is closed if it ever had a token.
CREATE TABLE IF NOT EXISTS api_access (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    open_without_token INTEGER NOT NULL CHECK (open_without_token IN (0, 1))
);

INSERT INTO api_access (id, open_without_token)
SELECT 1, NOT EXISTS (SELECT 1 FROM api_token)
 WHERE NOT EXISTS (SELECT 1 FROM api_access);

-- Every write to a report, with who made it, in the transaction that made it.
CREATE TABLE IF NOT EXISTS report_change (
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

CREATE INDEX IF NOT EXISTS report_change_by_report ON report_change (report_id, change_id);

-- What the filters and sorts of the lists need. The index of the session
-- date, and the search index, are built from the catalogue (see
-- db.fit_to_catalogue and queries.py).
CREATE INDEX IF NOT EXISTS report_by_submitted ON report (coalesce(submitted_at, ''));
CREATE INDEX IF NOT EXISTS report_by_updated   ON report (updated_at);

CREATE INDEX IF NOT EXISTS report_change_deletes ON report_change (changed_at)
    WHERE action = 'delete';

-- What a change did, for the history: per field its value before and after;
-- for a review, the review. A create or delete has none.
CREATE TABLE IF NOT EXISTS report_change_detail (
    change_id INTEGER PRIMARY KEY,
    detail    TEXT NOT NULL CHECK (json_valid(detail))
);

-- The current review of a submitted report; none while it is unreviewed.
CREATE TABLE IF NOT EXISTS report_review (
    report_id    TEXT PRIMARY KEY,
    review_state TEXT NOT NULL CHECK (review_state IN ('approved', 'has_issues', 'rejected')),
    comment      TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
    reviewed_by  TEXT NOT NULL,
    reviewed_at  TEXT NOT NULL
);

-- Deleted reports, with their review, kept for TRASH_DAYS so that a delete can
-- be undone. A report is in the trash or in `report`, never in both.
CREATE TABLE IF NOT EXISTS report_trash (
    report_id  TEXT PRIMARY KEY,
    -- The report's row as it was, as a JSON object of its columns.
    report     TEXT NOT NULL CHECK (json_valid(report)),
    review     TEXT CHECK (review IS NULL OR json_valid(review)),
    deleted_at TEXT NOT NULL,
    deleted_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS report_trash_by_age ON report_trash (deleted_at);

-- One-time sign-in links for the web pages (`flask --app reports token link
-- NAME`): a link signs its browser in as the token, once, until it expires.
-- Only a hash of each link's secret is kept; a used link is deleted.
CREATE TABLE IF NOT EXISTS sign_in_link (
    -- SHA-256 of the link's secret, in hex, as for api_token.
    secret_hash TEXT PRIMARY KEY CHECK (length(secret_hash) = 64),
    token_name  TEXT NOT NULL REFERENCES api_token (name),
    expires_at  TEXT NOT NULL
                CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(expires_at)) IS expires_at)
);

CREATE INDEX IF NOT EXISTS sign_in_link_by_expiry ON sign_in_link (expires_at);

-- The browsers' sessions of the web pages (reports/web/sessions.py). The
-- cookie holds only a session's random id; only a hash of it is kept, as for
-- api_token. A session is deleted when its browser signs out, when its token
-- is revoked, and once it has ended (the purge deletes those it finds).
CREATE TABLE IF NOT EXISTS web_session (
    -- SHA-256 of the session's id, in hex.
    id_hash    TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    -- The token signed in; null for a session that only carries a message to
    -- the next page (such as "Signed out.").
    token_name TEXT REFERENCES api_token (name),
    -- What else the session holds (the next page's messages), as a JSON object.
    data       TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(data) AND json_type(data) = 'object'),
    created_at TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(created_at)) IS created_at),
    -- Its last use, noted at most once a minute.
    seen_at    TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(seen_at)) IS seen_at),
    -- It ends at the first of these: SESSION_IDLE_MINUTES after its last use,
    -- SESSION_MAX_HOURS after it began.
    idle_until TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(idle_until)) IS idle_until),
    ends_at    TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(ends_at)) IS ends_at)
);

CREATE INDEX IF NOT EXISTS web_session_by_token ON web_session (token_name)
    WHERE token_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS web_session_by_idle_until ON web_session (idle_until);
CREATE INDEX IF NOT EXISTS web_session_by_end ON web_session (ends_at);


CREATE TRIGGER IF NOT EXISTS review_generation_on_insert AFTER INSERT ON report_review
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS review_generation_on_update AFTER UPDATE ON report_review
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

CREATE TRIGGER IF NOT EXISTS review_generation_on_delete AFTER DELETE ON report_review
BEGIN
    UPDATE report_generation SET generation = generation + 1;
END;

-- Every field a catalogue used with this database has had, in the order they
-- first came: the values of a field no longer in the catalogue stay stored,
-- and the spreadsheets still show them, after the catalogue's own.
CREATE TABLE IF NOT EXISTS catalogue_field (
    position INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    label    TEXT NOT NULL
);

-- What the catalogue-built indexes were built from (Catalogue.layout, as JSON):
-- when the catalogue changes it, they are built again.
CREATE TABLE IF NOT EXISTS catalogue_layout (
    only   INTEGER PRIMARY KEY CHECK (only = 1),
    layout TEXT NOT NULL CHECK (json_valid(layout))
);

-- The activities reports are filed under, and the mentors who lead them. An
-- activity is archived, never deleted: its reports keep naming it, and its id
-- is never taken again. A report may name an activity not listed here.
CREATE TABLE IF NOT EXISTS activity (
    activity_id TEXT PRIMARY KEY
                CHECK (length(activity_id) BETWEEN 1 AND 64
                       AND activity_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    org_id      TEXT CHECK (length(org_id) BETWEEN 1 AND 64
                            AND org_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    created_at  TEXT NOT NULL
                CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(created_at)) IS created_at),
    archived_at TEXT
                CHECK (archived_at IS NULL OR
                       strftime('%Y-%m-%dT%H:%M:%SZ', julianday(archived_at)) IS archived_at)
);

CREATE INDEX IF NOT EXISTS activity_by_created ON activity (created_at);

CREATE TABLE IF NOT EXISTS activity_mentor (
    activity_id    TEXT NOT NULL REFERENCES activity (activity_id),
    peer_mentor_id TEXT NOT NULL REFERENCES person (peer_mentor_id),
    PRIMARY KEY (activity_id, peer_mentor_id)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS activity_mentor_by_mentor ON activity_mentor (peer_mentor_id);

-- The outbox: every change of a report, written in the transaction of the
-- change, so that there is never one without the other. The dispatcher
-- (reports/dispatcher.py) delivers them to the webhooks and turns them into
-- e-mail; GET /api/v1/events reads them as a feed. event_id is the feed's
-- cursor and each webhook's place in it, and is never given twice.
CREATE TABLE IF NOT EXISTS event (
    event_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The webhook-id of every delivery of it, retries included.
    message_id  TEXT NOT NULL UNIQUE CHECK (message_id GLOB 'msg_*'),
    type        TEXT NOT NULL CHECK (type IN ('report.created', 'report.updated',
                                              'report.submitted', 'report.deleted',
                                              'report.restored', 'report.reviewed',
                                              'report.purged')),
    report_id   TEXT NOT NULL,
    occurred_at TEXT NOT NULL
                CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(occurred_at)) IS occurred_at),
    -- The report as GET /api/v1/reports/<id> answered then (with its review,
    -- for report.reviewed); only its id once it is purged.
    data        TEXT NOT NULL CHECK (json_valid(data)),
    -- 0 for an imported report's: told to the webhooks and the feed, e-mailed to no one.
    emailed     INTEGER NOT NULL DEFAULT 1 CHECK (emailed IN (0, 1))
);

CREATE INDEX IF NOT EXISTS event_of_report ON event (report_id);
CREATE INDEX IF NOT EXISTS event_by_time ON event (occurred_at);

-- Where events are posted, signed with the endpoint's secret (Standard
-- Webhooks). Each endpoint gets every event after delivered_up_to, in order,
-- of the types it asked for (null: every type); a failed delivery is tried
-- again at next_attempt_at, and after the last retry the endpoint is failing
-- until `webhook retry` resumes it.
CREATE TABLE IF NOT EXISTS webhook (
    webhook_id      INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE CHECK (length(url) BETWEEN 8 AND 2000),
    secret          TEXT NOT NULL CHECK (secret GLOB 'whsec_*'),
    events          TEXT CHECK (events IS NULL OR json_valid(events)),
    allow_private   INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),
    state           TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'failing')),
    delivered_up_to INTEGER NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL
);

-- Each try to deliver an event (or a test) to a webhook: its answer's status,
-- or why there was none. The last WEBHOOK_ATTEMPTS_KEPT of each are kept.
CREATE TABLE IF NOT EXISTS webhook_attempt (
    attempt_id   INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL,
    message_id   TEXT NOT NULL,
    type         TEXT NOT NULL,
    attempted_at TEXT NOT NULL,
    status       INTEGER,
    error        TEXT,
    milliseconds INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS webhook_attempt_of_webhook ON webhook_attempt (webhook_id, attempt_id);

-- E-mail waiting to be sent: made from the events (a report submitted, to each
-- coordinator; a review that asks for more, to the report's mentor), from a
-- sign-in link asked for at /login, and from a webhook that is failing. Sent
-- at send_after, tried again on the webhooks' schedule, deleted once sent.
-- Only while e-mail is on (SMTP_HOST): without it nothing queues here.
CREATE TABLE IF NOT EXISTS mail (
    mail_id    INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('submitted', 'reviewed', 'sign_in_link',
                                             'webhook_failing')),
    -- The person it goes to; null for a sign-in link, which goes to an address.
    person_id  TEXT,
    event_id   INTEGER,
    report_id  TEXT,
    -- Part of a daily digest (a coordinator who asked for one).
    digest     INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1)),
    detail     TEXT CHECK (detail IS NULL OR json_valid(detail)),
    send_after TEXT NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0)
);

CREATE INDEX IF NOT EXISTS mail_by_time ON mail (send_after);
CREATE INDEX IF NOT EXISTS mail_of_report ON mail (report_id);

-- How far the dispatcher has turned the events into e-mail: set to the newest
-- event when e-mail is turned on, and forgotten when it is turned off, so that
-- it never mails what happened while it was off.
CREATE TABLE IF NOT EXISTS mail_cursor (
    only     INTEGER PRIMARY KEY CHECK (only = 1),
    event_id INTEGER NOT NULL
);
