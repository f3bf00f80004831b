"""How search reads text and queries: each ideograph, kana and emoji a word of
its own, the rest as unicode61 reads it; a query's terms, each once."""

import sqlite3

import pytest

from reports import db, search


@pytest.mark.parametrize(
    ("text", "segmented"),
    [
        ("Housing rights", "Housing rights"),
        ("Møte om helse", "Møte om helse"),
        ("住房", " 住  房 "),
        ("party🎉", "party 🎉 "),
        ("❤️ love", " ❤  love"),  # the emoji variation selector goes
        ("ひらがなカタカナ", " ひ  ら  が  な  カ  タ  カ  ナ "),
        ("한국어 문장", "한국어 문장"),  # Korean is written with spaces
        (None, None),
        (7, 7),
    ],
)
def test_segment_sets_apart_each_ideograph_kana_and_emoji(text, segmented):
    assert search.segment(text) == segmented


def test_the_index_reads_segmented_text_as_words(database):
    db.init_db(database)
    connection = db.connect(database)
    try:
        connection.execute("CREATE VIRTUAL TABLE words USING fts5vocab(report_text, 'row')")
        connection.execute(
            "INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, fields, "
            "field_count, has_way_forward, created_at, updated_at) VALUES ('rpt_0000abcd', 'a', "
            """'m', 'o', 'draft', '{"mentor_notes": "住房 party🎉 Café 👍🏽"}', 1, 0, """
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        words = {row[0] for row in connection.execute("SELECT term FROM words")}
    finally:
        connection.close()
    assert words == {"住", "房", "party", "🎉", "cafe", "👍", "🏽"}


def test_a_connection_without_the_function_cannot_write_reports(database):
    db.init_db(database)
    plain = sqlite3.connect(database)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function: search_text"):
            plain.execute("UPDATE report SET fields = '{}'")
    finally:
        plain.close()


@pytest.mark.parametrize(
    ("query", "fts"),
    [
        ("cv writing", '"cv" "writing"'),
        ('"cv writing"', '"cv writing"'),
        ("budg*", '"budg"*'),
        ("住房", '"住  房"'),
        ("住房*", '"住  房"'),
        ('"unclosed phrase', '"unclosed phrase"'),
        ('say "hi"there', '"say" "hi" "there"'),
        ("NEAR(a b)", '"NEAR(a" "b)"'),
        ("cv CV Cv", '"cv"'),
        ("cv cv*", '"cv" "cv"*'),
    ],
)
def test_a_query_becomes_quoted_fts5_terms(query, fts):
    assert search.fts_query(query) == fts
