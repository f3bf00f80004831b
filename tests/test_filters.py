"""Finding reports: every filter alone and with paging, full-text search, sort
orders, incremental sync, and the summary per group."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from reports import db, queries

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"


@pytest.fixture
def reports(client, clock):
    """Six reports made a minute apart from 2026-05-01T10:00:00Z, oldest first,
    that differ in every filter."""
    clock.now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)

    def make(name, fields, **top):
        body = {**CONTRACT_REPORT, **top, "fields": fields}
        response = client.post(REPORTS, json=body)
        assert response.status_code == 201, response.json
        clock.advance(minutes=1)
        return name, response.json["report_id"]

    made = dict(
        [
            make("march_cv", {"session_date": "2026-03-02", "attendance_count": 6,
                              "session_topic": "CV writing", "follow_up_needed": True,
                              "participant_engagement": "high", "duration_minutes": 90},
                 status="submitted"),
            make("march_budget", {"session_date": "2026-03-31", "attendance_count": 4,
                                  "session_topic": "Budgeting", "follow_up_needed": False,
                                  "participant_engagement": "low",
                                  "way_forward": "Bring bank statements"},
                 status="submitted", peer_mentor_id="usr_mentor_007"),
            make("april_interviews", {"session_date": "2026-04-01", "attendance_count": 9,
                                      "session_topic": "Interview practice",
                                      "mentor_notes": "Café role-play, résumé review",
                                      "participant_engagement": "high", "duration_minutes": 60},
                 status="submitted", activity_id="act_other"),
            make("draft_no_date", {"session_topic": "Planning", "follow_up_needed": True}),
            make("other_org", {"session_date": "2026-02-10", "session_topic": "CV basics",
                               "attendance_count": 3},
                 org_id="org_other"),
            make("feb_draft", {"session_date": "2026-02-20", "challenges_noted": "Late start"}),
        ]
    )  # fmt: skip
    return made


def found(client, query, path=REPORTS):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, response.json
    return response.json


def names(reports, page):
    by_id = {report_id: name for name, report_id in reports.items()}
    return [by_id[item["report_id"]] for item in page["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=draft", ["feb_draft", "other_org", "draft_no_date"]),
        ("org_id=org_other", ["other_org"]),
        ("peer_mentor_id=usr_mentor_007", ["march_budget"]),
        ("activity_id=act_other", ["april_interviews"]),
        ("session_date_from=2026-03-01", ["april_interviews", "march_budget", "march_cv"]),
        ("session_date_to=2026-03-01", ["feb_draft", "other_org"]),
        ("session_date_from=2026-03-01&session_date_to=2026-04-01", ["march_budget", "march_cv"]),
        ("session_date_from=2026-04-01&session_date_to=2026-04-01", []),
        ("submitted_from=2026-05-01T10:01:00Z", ["april_interviews", "march_budget"]),
        ("submitted_to=2026-05-01T10:01:00Z", ["march_cv"]),
        ("submitted_from=2026-05-01", ["april_interviews", "march_budget", "march_cv"]),
        ("follow_up_needed=true", ["draft_no_date", "march_cv"]),
        ("follow_up_needed=false", ["march_budget"]),
        ("has_way_forward=true", ["march_budget"]),
        (
            "has_way_forward=false",
            ["feb_draft", "other_org", "draft_no_date", "april_interviews", "march_cv"],
        ),  # fmt: skip
        ("participant_engagement=high", ["april_interviews", "march_cv"]),
        ("q=cv", ["other_org", "march_cv"]),
        ("q=CV+writing", ["march_cv"]),
        ("q=bank", ["march_budget"]),
        ("q=cafe", ["april_interviews"]),
        ("q=resume", ["april_interviews"]),
        ("q=late", ["feb_draft"]),
        ("q=budg*", ["march_budget"]),
        ("q=nothing-like-it", []),
        ('q="', []),
        ("q=NEAR(cv", []),
        (
            "status=submitted&participant_engagement=high&session_date_from=2026-04-01",
            ["april_interviews"],
        ),  # fmt: skip
    ],
)
def test_each_filter_finds_exactly_its_reports_and_total_counts_them(
    client, reports, query, expected
):
    page = found(client, query)

    assert names(reports, page) == expected
    assert page["pagination"]["total"] == len(expected)


def test_filters_apply_to_the_activity_and_mentor_lists_too(client, reports):
    by_activity = found(client, "q=cv", f"{REPORTS}/by-activity/act_7b4e9f2a")
    by_mentor = found(client, "status=submitted", f"{REPORTS}/by-mentor/usr_mentor_042")

    assert names(reports, by_activity) == ["other_org", "march_cv"]
    assert names(reports, by_mentor) == ["april_interviews", "march_cv"]


def test_a_filter_that_the_path_gives_already_is_a_422(client, reports):
    response = client.get(f"{REPORTS}/by-mentor/usr_mentor_042?peer_mentor_id=usr_mentor_007")

    assert response.status_code == 422
    assert response.json["errors"] == {"peer_mentor_id": ["Given by the path already."]}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("session_date_from=2026-02-30", "session_date_from"),
        ("session_date_to=01/03/2026", "session_date_to"),
        ("submitted_from=2026-03-20T25:00:00Z", "submitted_from"),
        ("updated_since=yesterday", "updated_since"),
        ("follow_up_needed=1", "follow_up_needed"),
        ("has_way_forward=yes", "has_way_forward"),
        ("participant_engagement=huge", "participant_engagement"),
        ("q=", "q"),
        ("q=+++", "q"),
        ("sort=priority", "sort"),
        ("org_id=not+an+id", "org_id"),
        ("session_date_from=2026-04-01&session_date_to=2026-03-01", "session_date_to"),
        ("submitted_from=2026-04-01&submitted_to=2026-03-01", "submitted_to"),
        ("format=xls", "format"),
    ],
)
def test_a_bad_filter_is_a_422_that_names_it(client, reports, query, field):
    response = client.get(f"{REPORTS}?{query}")

    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-created_at", ["feb_draft", "other_org", "draft_no_date", "april_interviews",
                         "march_budget", "march_cv"]),
        ("created_at", ["march_cv", "march_budget", "april_interviews", "draft_no_date",
                        "other_org", "feb_draft"]),
        ("-session_date", ["april_interviews", "march_budget", "march_cv", "feb_draft",
                           "other_org", "draft_no_date"]),
        ("session_date", ["draft_no_date", "other_org", "feb_draft", "march_cv",
                          "march_budget", "april_interviews"]),
        ("-submitted_at", ["april_interviews", "march_budget", "march_cv", "feb_draft",
                           "other_org", "draft_no_date"]),
    ],
)  # fmt: skip
def test_sort_orders_the_list_and_ties_go_by_creation(client, reports, sort, expected):
    assert names(reports, found(client, f"sort={sort}")) == expected


@pytest.mark.parametrize("sort", ["-created_at", "session_date", "-submitted_at"])
@pytest.mark.parametrize("query", ["", "&status=draft", "&q=cv", "&session_date_from=2026-01-01"])
def test_following_the_links_walks_every_match_once_in_order(client, reports, sort, query):
    whole = found(client, f"sort={sort}{query}")
    seen, url = [], f"{REPORTS}?sort={sort}{query}&limit=2"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json
        assert response.json["pagination"]["total"] == whole["pagination"]["total"]
        seen += response.json["data"]
        link = response.headers.get("Link")
        url = link.split(">")[0].lstrip("<") if link else None

    assert seen == whole["data"]


def test_pages_by_number_follow_the_filter_and_sort(client, reports):
    second = found(client, "has_way_forward=false&sort=session_date&limit=2&page=2")

    assert names(reports, second) == ["feb_draft", "march_cv"]
    assert second["pagination"]["total"] == 5


def test_a_cursor_is_for_the_sort_it_was_made_in(client, reports):
    link = client.get(f"{REPORTS}?sort=session_date&limit=2").headers["Link"]
    cursor = link.split("cursor=")[1].split(">")[0].split("&")[0]

    response = client.get(f"{REPORTS}?sort=-created_at&cursor={cursor}")

    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


# Search stays in step with every write ------------------------------------


def test_an_update_changes_what_search_finds(client, reports):
    client.put(f"{REPORTS}/{reports['march_cv']}", json={"fields": {"session_topic": "Pensions"}})

    assert names(reports, found(client, "q=pensions")) == ["march_cv"]
    assert names(reports, found(client, "q=writing")) == []


def test_a_delete_removes_the_report_from_search(client, reports):
    client.delete(f"{REPORTS}/{reports['march_budget']}")

    assert found(client, "q=bank")["pagination"]["total"] == 0


def test_a_refused_update_leaves_search_as_it_was(client, reports):
    response = client.put(
        f"{REPORTS}/{reports['march_cv']}",
        json={"fields": {"session_topic": "Pensions"}},
        headers={"If-Match": '"9"'},
    )

    assert response.status_code == 412
    assert names(reports, found(client, "q=writing")) == ["march_cv"]
    assert found(client, "q=pensions")["pagination"]["total"] == 0


# Incremental sync -------------------------------------------------------------


def test_updated_since_returns_what_was_created_or_changed_at_or_after_then(client, reports, clock):
    since = "2026-05-01T10:05:00Z"  # the sixth report was created then
    clock.advance(hours=1)
    client.put(f"{REPORTS}/{reports['march_cv']}", json={"fields": {"attendance_count": 7}})

    changed = found(client, f"updated_since={since}")

    assert names(reports, changed) == ["feb_draft", "march_cv"]


def test_deleted_lists_the_ids_deleted_since_then(client, reports, clock):
    client.delete(f"{REPORTS}/{reports['march_cv']}")
    clock.advance(hours=1)
    client.delete(f"{REPORTS}/{reports['feb_draft']}")

    everything = client.get(f"{REPORTS}/deleted").json["data"]
    recent = client.get(f"{REPORTS}/deleted?since=2026-05-01T11:00:00Z").json["data"]

    assert everything == [
        {"report_id": reports["march_cv"], "deleted_at": "2026-05-01T10:06:00Z"},
        {"report_id": reports["feb_draft"], "deleted_at": "2026-05-01T11:06:00Z"},
    ]
    assert recent == everything[1:]


def test_deleted_refuses_a_bad_since(client):
    response = client.get(f"{REPORTS}/deleted?since=last+week")

    assert response.status_code == 422
    assert "since" in response.json["errors"]


# Summary ----------------------------------------------------------------------


def test_the_summary_per_month_matches_the_figures_by_hand(client, reports):
    summary = found(client, "group_by=month", f"{REPORTS}/summary")

    assert summary["group_by"] == "month"
    assert summary["groups"] == [
        {"group": "2026-02", "reports": 2, "submitted": 0, "drafts": 2,
         "attendance_total": 3, "attendance_average": 3.0, "duration_minutes_total": 0,
         "engagement": {"low": 0, "medium": 0, "high": 0, "very_high": 0},
         "follow_ups_needed": 0},
        {"group": "2026-03", "reports": 2, "submitted": 2, "drafts": 0,
         "attendance_total": 10, "attendance_average": 5.0, "duration_minutes_total": 90,
         "engagement": {"low": 1, "medium": 0, "high": 1, "very_high": 0},
         "follow_ups_needed": 1},
        {"group": "2026-04", "reports": 1, "submitted": 1, "drafts": 0,
         "attendance_total": 9, "attendance_average": 9.0, "duration_minutes_total": 60,
         "engagement": {"low": 0, "medium": 0, "high": 1, "very_high": 0},
         "follow_ups_needed": 0},
        {"group": None, "reports": 1, "submitted": 0, "drafts": 1,
         "attendance_total": 0, "attendance_average": None, "duration_minutes_total": 0,
         "engagement": {"low": 0, "medium": 0, "high": 0, "very_high": 0},
         "follow_ups_needed": 1},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("group_by=mentor", {"usr_mentor_042": 5, "usr_mentor_007": 1}),
        ("group_by=activity", {"act_7b4e9f2a": 5, "act_other": 1}),
        ("group_by=org", {"org_nansen_01": 5, "org_other": 1}),
        ("group_by=org&status=submitted", {"org_nansen_01": 3}),
        ("group_by=mentor&q=cv", {"usr_mentor_042": 2}),
    ],
)
def test_the_summary_groups_by_mentor_activity_or_org_with_the_filters(
    client, reports, query, expected
):
    summary = found(client, query, f"{REPORTS}/summary")

    assert {group["group"]: group["reports"] for group in summary["groups"]} == expected


@pytest.mark.parametrize("query", ["", "group_by=week", "group_by=month&status=open"])
def test_the_summary_refuses_a_bad_query(client, query):
    assert client.get(f"{REPORTS}/summary?{query}").status_code == 422


def test_search_covers_the_reports_of_a_database_from_before_it(app, database):
    connection = sqlite3.connect(database)
    with connection:
        # A database from before full-text search: no index, no triggers.
        connection.execute("DROP TABLE report_text")
        for trigger in ("insert", "update", "delete"):
            connection.execute(f"DROP TRIGGER report_text_on_{trigger}")
        connection.execute(
            "INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, fields, "
            "field_count, has_way_forward, created_at, updated_at) VALUES ('rpt_0000abcd', 'a', "
            """'m', 'o', 'draft', '{"session_topic": "Tenancy law"}', 1, 0, """
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
    connection.close()

    db.init_db(database)
    index_size = search_index_size(database)
    db.init_db(database)

    page = found(app.test_client(), "q=tenancy")
    assert [item["report_id"] for item in page["data"]] == ["rpt_0000abcd"]
    assert search_index_size(database) == index_size  # filled once, not at every start


def search_index_size(database):
    connection = sqlite3.connect(database)
    try:
        return connection.execute(
            "SELECT count(*), sum(length(block)) FROM report_text_data"
        ).fetchone()
    finally:
        connection.close()


# Search finds what people wrote, in any script ----------------------------

WRITTEN = {
    "chinese": "今天讨论了住房问题",
    "japanese": "会議で住宅の問題について話し合いました。アパートを探しています",
    "party": "End of term party🎉 with cake",
    "emoji_alone": "Great session 🎉 everyone came",
    "thumbs": "Went well 👍🏽",
    "adjacent": "Talked about tenancy rights",
    "apart": "Rights of a tenancy were talked about",
}


@pytest.fixture
def written(client):
    """A report for each text of WRITTEN, in its mentor notes; {name: report_id}."""
    made = {}
    for name, text in WRITTEN.items():
        body = {**CONTRACT_REPORT, "fields": {"mentor_notes": text}}
        response = client.post(REPORTS, json=body)
        assert response.status_code == 201, response.json
        made[name] = response.json["report_id"]
    return made


def searched(client, written, q):
    response = client.get(REPORTS, query_string={"q": q, "limit": 100})
    assert response.status_code == 200, response.json
    return sorted(names(written, response.json))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("住房", ["chinese"]),
        ("住房问题", ["chinese"]),
        ("讨论 问题", ["chinese"]),
        ("房住", []),  # the same characters in another order are another word
        ("问题", ["chinese"]),
        ("問題", ["japanese"]),  # traditional and simplified are different characters
        ("住宅", ["japanese"]),
        ("話し合い", ["japanese"]),
        ("アパート", ["japanese"]),
        ("住", ["chinese", "japanese"]),
    ],
)
def test_a_word_inside_chinese_or_japanese_text_is_found(client, written, q, expected):
    assert searched(client, written, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("🎉", ["emoji_alone", "party"]),
        ("party🎉", ["party"]),
        ("party", ["party"]),
        ("🎉 cake", ["party"]),
        ("👍", ["thumbs"]),
        ("👍🏽", ["thumbs"]),
    ],
)
def test_an_emoji_is_found_alone_or_glued_to_a_word(client, written, q, expected):
    assert searched(client, written, q) == expected


def test_a_quoted_phrase_matches_only_adjacent_words_in_order(client, written):
    assert searched(client, written, '"tenancy rights"') == ["adjacent"]
    assert searched(client, written, '"rights tenancy"') == []
    assert searched(client, written, "tenancy rights") == ["adjacent", "apart"]
    assert searched(client, written, '"talked about" tenancy') == ["adjacent", "apart"]
    assert searched(client, written, '"about tenancy" "tenancy rights"') == ["adjacent"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("NEAR(tenancy rights)", []),
        ("NEAR(tenancy rights, 5)", []),
        ("tenancy NEAR rights", []),
        ("mentor_notes:tenancy", []),
        ("{mentor_notes session_topic}: tenancy", []),
        ("- mentor_notes : tenancy", []),
        ("^tenancy", ["adjacent", "apart"]),
        ("^rights", ["adjacent", "apart"]),
        ("+tenancy", ["adjacent", "apart"]),
        ("tenancy + rights", ["adjacent", "apart"]),
        ("tenancy AND rights", []),
        ("tenancy OR cake", []),
        ("tenancy NOT apart", []),
        ("NOT", []),
        ("(tenancy)", ["adjacent", "apart"]),
        ('"tenancy', ["adjacent", "apart"]),  # an unclosed phrase runs to the end
        ('"tenancy rights', ["adjacent"]),
        ('tenancy"', ["adjacent", "apart"]),
        ('"tenancy" rights"', ["adjacent", "apart"]),
        ('""', []),
        ('"""', []),
        ("tenancy*)", ["adjacent", "apart"]),
        ("ten*ancy", []),
        ("tena**", ["adjacent", "apart"]),
        ('"ten*"', []),
    ],
)
def test_nothing_else_of_the_fts5_syntax_can_be_reached(client, written, q, expected):
    assert searched(client, written, q) == expected


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a b c d e f g h i", "At most 8 words or phrases in one search; this has 9."),
        ('"a b" c d e f g h i j', "At most 8 words or phrases in one search; this has 9."),
        ("g*", "A prefix needs at least 2 letters or digits before the *: 'g*' has 1."),
        ('"a b c d e f g h i j k l m n o p q"', "At most 16 words in one search, counting each "
         "word of a phrase and each Chinese or Japanese character or emoji; this has 17."),
        ("今天讨论了住房问题 今天讨论了住房问题了", "At most 16 words in one search, counting each "
         "word of a phrase and each Chinese or Japanese character or emoji; this has 19."),
        ("*", "A prefix needs at least 2 letters or digits before the *: '*' has 0."),
        ("co-o*", "A prefix needs at least 2 letters or digits before the *: 'co-o*' has 1."),
        (" ".join(["g*"] * 66), "A prefix needs at least 2 letters or digits before the *: "
                                "'g*' has 1."),
    ],
)  # fmt: skip
def test_a_search_that_asks_too_much_is_a_422_that_says_why(client, q, message):
    response = client.get(REPORTS, query_string={"q": q})

    assert response.status_code == 422
    assert response.json["errors"] == {"q": [message]}


@pytest.mark.parametrize(
    "q",
    [
        "a b c d e f g h",
        '"a b c d e f g h i j k l m n o p"',
        "今天讨论了住房问题",
        " ".join(["tenancy"] * 20),  # the same word many times is one term
        "Tenancy TENANCY tenancy rights talked about",
        "te* ta* ri*",
        "住房*",  # an ideograph is a whole word: nothing to expand
    ],
)
def test_a_search_within_the_limits_is_answered(client, written, q):
    assert client.get(REPORTS, query_string={"q": q}).status_code == 200


def test_duplicate_terms_are_searched_once():
    assert queries.search_query("CV cv Cv writ* writ* cv*") == '"CV" "writ"* "cv"*'
    assert queries.search_query('"CV writing" "cv  writing" cv') == '"CV writing" "cv"'


@pytest.fixture
def months_of_reports(client, clock):
    """240 reports made an hour apart from 2026-01-01, oldest first, each about
    a session of the days before it (now and then a long past one), of one of
    three mentors, half of them submitted, a third needing follow-up."""
    import random

    rng = random.Random(32)
    clock.now = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    for _ in range(240):
        made = clock.now.date() - timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 40, 200]))
        body = {
            **CONTRACT_REPORT,
            "peer_mentor_id": rng.choice(["usr_mentor_042", "usr_mentor_007", "usr_mentor_011"]),
            "status": rng.choice(["draft", "submitted"]),
            "fields": {**CONTRACT_REPORT["fields"], "session_date": made.isoformat(),
                       "follow_up_needed": rng.random() < 0.33},
        }  # fmt: skip
        assert client.post(REPORTS, json=body).status_code == 201
        clock.advance(hours=1)


WALKED_QUERIES = [
    "session_date_from=2026-01-05&session_date_to=2026-01-11",  # the newest week
    "session_date_from=2026-01-01&status=submitted&follow_up_needed=true",
    "session_date_from=2025-12-20&session_date_to=2026-01-03",  # older: the walk comes short
    "session_date_to=2025-10-01",  # long past
    "follow_up_needed=false&peer_mentor_id=usr_mentor_007",
]


@pytest.mark.parametrize("query", WALKED_QUERIES)
@pytest.mark.parametrize("paging", ["limit=5", "limit=5&page=3", "limit=20", "limit=100&page=2"])
def test_a_page_walked_newest_first_is_the_page_the_filters_read(
    client, months_of_reports, monkeypatch, query, paging
):
    """A filtered page may be found by walking the newest reports (the
    session dates are recent) or by reading what the filters match: the same
    page, total and link either way, and when the walk comes short."""
    from reports.service import lists

    answers = {}
    for walked in (100, 25, 0):  # 0: never walked
        monkeypatch.setattr(lists, "WALKED_REPORTS", walked)
        response = client.get(f"{REPORTS}?{query}&{paging}")
        assert response.status_code == 200, response.json
        answers[walked] = (response.json, response.headers.get("Link"))

    assert answers[100] == answers[25] == answers[0]


def test_a_recent_week_is_found_by_walking_the_newest_reports(
    client, months_of_reports, monkeypatch
):
    from reports.service import lists

    walks = []
    page_of_reports = queries.page_of_reports

    def noted(*args, **kwargs):
        rows = page_of_reports(*args, **kwargs)
        walks.append((kwargs.get("created_since"), len(rows)))
        return rows

    monkeypatch.setattr(queries, "page_of_reports", noted)
    monkeypatch.setattr(lists, "WALKED_REPORTS", 100)
    client.get(f"{REPORTS}?{WALKED_QUERIES[0]}&limit=5")
    # Long past: about one report in eight of the newest ones matches.
    monkeypatch.setattr(lists, "WALKED_REPORTS", 8)
    client.get(f"{REPORTS}?{WALKED_QUERIES[3]}&limit=5")

    # Walked and found; then walked, too few, and read as the filters lead.
    assert [since is not None for since, _ in walks] == [True, True, False]
    assert walks[0][1] == walks[2][1] == 6 and walks[1][1] < 6
