-- Version 3: an Idempotency-Key belongs to the caller that used it (a token's
-- name, or 'anonymous'), so that another caller's key neither answers its
-- report nor blocks its owner's retries. A key kept from before belongs to
-- whoever created its report, as the history records it.

-- A database from before keys and history had neither: make them, empty, as
-- they were then, so that the copy below has something to read.
CREATE TABLE IF NOT EXISTS idempotency_key (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    report       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS report_change (
    change_id      INTEGER PRIMARY KEY,
    report_id      TEXT    NOT NULL,
    peer_mentor_id TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    action         TEXT    NOT NULL
                   CHECK (action IN ('create', 'update', 'submit', 'delete', 'review', 'restore')),
    actor          TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL
);

CREATE TABLE idempotency_key_by_caller (
    caller       TEXT NOT NULL,
    key          TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash TEXT NOT NULL,
    report       TEXT NOT NULL CHECK (json_valid(report)),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);

INSERT INTO idempotency_key_by_caller (caller, key, request_hash, report, created_at)
SELECT coalesce((SELECT change.actor
                   FROM report_change AS change
                  WHERE change.report_id = json_extract(kept.report, '$.report_id')
                    AND change.action = 'create'
                  ORDER BY change.change_id
                  LIMIT 1), 'anonymous'),
       kept.key, kept.request_hash, kept.report, kept.created_at
  FROM idempotency_key AS kept;

-- schema.sql makes its index again.
DROP TABLE idempotency_key;
ALTER TABLE idempotency_key_by_caller RENAME TO idempotency_key;
