-- Version 5: the search index reads text as search_text() segments it, so that
-- a word inside Chinese or Japanese text, and an emoji, can be found. The old
-- index and its triggers go; schema.sql makes them anew and fills the index
-- from the reports.
DROP TRIGGER IF EXISTS report_text_on_insert;
DROP TRIGGER IF EXISTS report_text_on_update;
DROP TRIGGER IF EXISTS report_text_on_delete;
DROP TABLE IF EXISTS report_text;
