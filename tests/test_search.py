"""How search reads text and queries: each ideograph, kana and emoji a word of
its own, the rest as unicode61 reads it; a query's terms, each once."""

import sqlite3

import pytest

from reports import db, search, service


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


SEARCHED = (
    "/api/v1/reports?q=eviction&limit=2",
    "/api/v1/reports?q=eviction&status=submitted&limit=2&page=2",
    "/api/v1/reports?q=eviction&sort=session_date&limit=3",
    "/api/v1/reports/by-mentor/usr_mentor_042?q=evict*&sort=-submitted_at&limit=2",
)


def searched_pages(client):
    """Each page of SEARCHED, and each page after it by its Link, as the client sees them."""
    pages = []
    for path in SEARCHED:
        while path:
            answer = client.get(path)
            assert answer.status_code == 200, answer.json
            pages.append(answer.json)
            link = answer.headers.get("Link")
            path = link.split(">")[0][1:] if link else None
    return pages


def test_a_search_of_many_matches_finds_the_pages_a_search_of_few_finds(
    client, make_report, monkeypatch
):
    """Dense matches: the page is read in its order's index, each report looked
    up among the matches; sparse ones are read and sorted (service.lists._probe)."""
    for day, status, notes in [
        (3, "submitted", "Eviction notice"),
        (1, "draft", "eviction again"),
        (7, "submitted", "Rent arrears"),
        (2, "submitted", "evictions and eviction"),
        (5, "submitted", "EVICTION"),
        (4, "draft", "nothing here"),
        (6, "submitted", "eviction, then rent"),
    ]:
        fields = {"session_date": f"2026-03-0{day}", "mentor_notes": notes}
        make_report(status=status, fields=fields)

    monkeypatch.setattr(service.lists, "WALK_COST", 0)
    sorted_matches = searched_pages(client)
    monkeypatch.setattr(service.lists, "WALK_COST", 10**9)
    probed = searched_pages(client)

    assert probed == sorted_matches
    assert sum(len(page["data"]) for page in probed) == 5 + 2 + 5 + 5


def test_only_a_search_of_dense_matches_walks_the_orders_index(client, make_report, monkeypatch):
    statements = []
    real_connect = db.connections.connect
    monkeypatch.setattr(
        db.connections, "connect",
        lambda *args, **kwargs: _traced(real_connect(*args, **kwargs), statements),
    )  # fmt: skip
    # Of 4 reports, 3 match "eviction" and 1 "rent": 3² × 20 > 21 × 4 > 1² × 20.
    monkeypatch.setattr(service.lists, "WALK_COST", 20)
    forget_this_threads_connection(client.application)
    for _ in range(3):
        make_report(fields={"mentor_notes": "eviction"})
    make_report(fields={"mentor_notes": "rent"})

    client.get("/api/v1/reports?q=eviction")
    client.get("/api/v1/reports?q=rent")

    pages = [s for s in statements if "MATCH" in s and "ORDER BY" in s]
    assert ["+seq IN" in page for page in pages] == [True, False]


def _traced(connection, statements):
    connection.set_trace_callback(statements.append)
    return connection


def forget_this_threads_connection(app):
    """Forget this thread's connection kept by `app`, so that the next one is traced."""
    thread = db.connections_of(app).thread
    kept = getattr(thread, "kept", None)
    if kept is not None:
        kept[1].close()
        thread.kept = None
