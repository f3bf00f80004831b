-- Version 7: the pages' sessions are kept on the server (reports/web/sessions.py),
-- where the cookie held them before; the cookie holds only a session's id. A
-- cookie of version 6 names no session here: its browser signs in again.
-- schema.sql, which runs next, makes the table's indexes.
CREATE TABLE IF NOT EXISTS web_session (
    id_hash    TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    token_name TEXT REFERENCES api_token (name),
    data       TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(data) AND json_type(data) = 'object'),
    created_at TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(created_at)) IS created_at),
    seen_at    TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(seen_at)) IS seen_at),
    idle_until TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(idle_until)) IS idle_until),
    ends_at    TEXT NOT NULL
               CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', julianday(ends_at)) IS ends_at)
);
