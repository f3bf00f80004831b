-- Version 9: each person says which e-mails it wants: every one as it happens
-- (as before), a daily digest of the reports submitted instead, or none.
-- schema.sql, which runs next, makes the outbox's tables (the events, the
-- webhooks and the e-mail waiting to be sent), and the person table with this
-- column where it has none yet.
-- Needed where: SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'person') AND NOT EXISTS (SELECT 1 FROM pragma_table_info('person') WHERE name = 'notify')
ALTER TABLE person ADD COLUMN notify TEXT NOT NULL DEFAULT 'each'
    CHECK (notify IN ('each', 'digest', 'off'));
