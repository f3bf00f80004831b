-- Version 2: every report has a version, its ETag, which goes up by one on
-- every write. Reports from before start at 1.
ALTER TABLE report ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
