-- Version 8: people and activities are data. A person has a name, a role and,
-- for a mentor, its peer mentor id; its tokens act as it, with the role and peer
-- mentor it has now, read through the token's person_id (so a token no longer
-- holds either). Each token gets a person named after it, with its role and
-- peer mentor id; the mentor tokens of one peer mentor share one person, named
-- after the first of them. Activities, with the mentors who lead them, are new.
-- schema.sql, which runs next, makes the indexes and the triggers, and the
-- tables where this does not run: only a database whose tokens hold their role
-- needs it (one from before tokens has none, and gets them as schema.sql has them).
-- Needed where: SELECT EXISTS (SELECT 1 FROM pragma_table_info('api_token') WHERE name = 'role')
CREATE TABLE IF NOT EXISTS person (
    person_id      TEXT PRIMARY KEY
                   CHECK (person_id GLOB 'per_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role           TEXT NOT NULL CHECK (role IN ('coordinator', 'viewer', 'mentor')),
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
    CHECK (role <> 'mentor' OR peer_mentor_id IS NOT NULL),
    CHECK (removed_at IS NULL OR (email IS NULL AND language IS NULL))
);

CREATE TEMP TABLE token_person AS
SELECT name, role, peer_mentor_id, created_at,
       'per_' || lower(hex(randomblob(4))) AS person_id
  FROM api_token;

UPDATE token_person
   SET person_id = (SELECT first.person_id
                      FROM token_person AS first
                     WHERE first.peer_mentor_id = token_person.peer_mentor_id
                     ORDER BY first.created_at, first.name
                     LIMIT 1)
 WHERE role = 'mentor';

INSERT INTO person (person_id, name, role, peer_mentor_id, created_at)
SELECT token.person_id, token.name, token.role, token.peer_mentor_id,
       CASE WHEN strftime('%Y-%m-%dT%H:%M:%SZ', julianday(token.created_at)) IS token.created_at
            THEN token.created_at ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END
  FROM token_person AS token
 WHERE NOT EXISTS (SELECT 1
                     FROM token_person AS earlier
                    WHERE earlier.person_id = token.person_id
                      AND (earlier.created_at < token.created_at
                           OR (earlier.created_at = token.created_at AND earlier.name < token.name)));

ALTER TABLE api_token ADD COLUMN person_id TEXT REFERENCES person (person_id);

UPDATE api_token
   SET person_id = (SELECT person_id FROM token_person WHERE token_person.name = api_token.name);

ALTER TABLE api_token DROP COLUMN peer_mentor_id;
ALTER TABLE api_token DROP COLUMN role;
DROP TABLE token_person;

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

CREATE TABLE IF NOT EXISTS activity_mentor (
    activity_id    TEXT NOT NULL REFERENCES activity (activity_id),
    peer_mentor_id TEXT NOT NULL REFERENCES person (peer_mentor_id),
    PRIMARY KEY (activity_id, peer_mentor_id)
) WITHOUT ROWID;
