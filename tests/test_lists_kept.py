"""What a list keeps between requests: the total of a filtered list, while the
reports stay as they were, and the load of a query string asked before. Every
write of a report or its review, through the service or straight into the
file, makes the next total count again; a query that does not load is refused
each time."""

import pytest

from reports import queries, schemas
from reports.kept import Kept

from conftest import delete_every_report_in_the_file

REPORTS = "/api/v1/reports"
FILTERED = f"{REPORTS}?status=submitted&follow_up_needed=true"


@pytest.fixture
def counted(monkeypatch):
    """The filters of each time the reports were counted for a list's total."""
    seen = []
    real_count = queries.count_reports

    def counting(connection, filters):
        seen.append({name: value for name, value in filters.items() if value is not None})
        return real_count(connection, filters)

    monkeypatch.setattr(queries, "count_reports", counting)
    return seen


def total(client, path=FILTERED):
    return client.get(path).json["pagination"]["total"]


def test_a_filtered_total_asked_again_is_not_counted_again(client, make_report, counted):
    make_report(status="submitted", fields={"follow_up_needed": True})

    assert total(client) == total(client) == 1
    # The next page of the same list, and a mentor's filtered list, twice each.
    client.get(f"{FILTERED}&page=2&limit=1")
    mentors = f"{REPORTS}/by-mentor/usr_mentor_042?follow_up_needed=true"
    assert total(client, mentors) == total(client, mentors) == 1

    assert counted == [
        {"status": "submitted", "follow_up_needed": True},
        {"peer_mentor_id": "usr_mentor_042", "follow_up_needed": True},
    ]


def test_every_write_of_a_report_or_its_review_makes_the_next_total_count_again(
    client, make_report, counted
):
    report = make_report(status="submitted", fields={"follow_up_needed": True})
    path = f"{REPORTS}/{report['report_id']}"
    reviewed = f"{REPORTS}?review_state=approved"
    assert (total(client), total(client, reviewed)) == (1, 0)

    make_report(status="submitted", fields={"follow_up_needed": True})
    assert total(client) == 2
    client.put(path, json={"fields": {"follow_up_needed": False}})
    assert total(client) == 1
    client.put(f"{path}/review", json={"review_state": "approved"})
    assert total(client, reviewed) == 1
    client.delete(path)
    assert total(client, reviewed) == 0
    client.post(f"{path}/restore")
    assert total(client, reviewed) == 1
    assert len(counted) == 7


def test_a_write_straight_into_the_file_makes_the_next_total_count_again(
    client, make_report, database
):
    make_report(status="submitted", fields={"follow_up_needed": True})
    assert total(client) == 1
    delete_every_report_in_the_file(database)

    assert total(client) == 0
    assert client.get(FILTERED).json["data"] == []


def test_a_mentor_token_is_never_given_a_total_counted_for_another_caller(
    client, make_report, request
):
    make_report(status="submitted", fields={"follow_up_needed": True})
    make_report(
        status="submitted", peer_mentor_id="usr_mentor_007", fields={"follow_up_needed": True}
    )
    tokens = request.getfixturevalue("tokens")  # from now on, every request needs one
    assert client.get(FILTERED, headers=tokens["coordinator"]).json["pagination"]["total"] == 2

    mentors = client.get(FILTERED, headers=tokens["mentor"]).json
    assert mentors["pagination"]["total"] == 1
    assert [row["peer_mentor_id"] for row in mentors["data"]] == ["usr_mentor_042"]


def test_a_query_string_asked_again_is_not_loaded_again(client, make_report, monkeypatch):
    make_report()
    loads = []
    real_load = schemas.page_query_schema.load

    def loading(args, **kwargs):
        loads.append(dict(args))
        return real_load(args, **kwargs)

    monkeypatch.setattr(schemas.page_queries, "loaded", Kept(schemas.LoadedQueries.SIZE))
    monkeypatch.setattr(schemas.page_query_schema, "load", loading)

    first = client.get(f"{REPORTS}?limit=5").json
    assert client.get(f"{REPORTS}?limit=5").json == first
    client.get(f"{REPORTS}?limit=6")

    assert loads == [{"limit": "5"}, {"limit": "6"}]


def test_a_query_that_does_not_load_is_refused_every_time(client):
    for _ in range(2):
        refused = client.get(f"{REPORTS}?limit=0")
        assert refused.status_code == 422
        assert "limit" in refused.json["errors"]


def test_a_kept_query_cannot_be_changed_by_the_request_that_read_it():
    kept = schemas.LoadedQueries(schemas.page_query_schema)
    first = kept.load({"limit": "5"})
    first["limit"] = 99

    assert kept.load({"limit": "5"})["limit"] == 5


def test_no_more_queries_are_kept_than_the_size(monkeypatch):
    monkeypatch.setattr(schemas.LoadedQueries, "SIZE", 3)
    kept = schemas.LoadedQueries(schemas.page_query_schema)
    for limit in range(1, 8):
        kept.load({"limit": str(limit)})

    assert len(kept.loaded) == 3
    assert [dict(key) for key in kept.loaded.answers] == [
        {"limit": "5"},
        {"limit": "6"},
        {"limit": "7"},
    ]


def test_a_searchs_matches_are_counted_once_while_the_reports_stay_as_they_were(
    client, make_report, monkeypatch
):
    counted = []
    real_matches = queries.search_matches

    def counting(connection, filters):
        counted.append(filters["q"])
        return real_matches(connection, filters)

    monkeypatch.setattr(queries, "search_matches", counting)
    make_report(fields={"mentor_notes": "eviction"})
    search = f"{REPORTS}?q=eviction"

    assert total(client, search) == total(client, search) == 1
    assert total(client, f"{search}&status=submitted") == 0  # the same words, the same matches
    assert counted == ["eviction"]
    make_report(fields={"mentor_notes": "eviction again"})
    assert total(client, search) == 2
    assert counted == ["eviction", "eviction"]


def test_where_a_filtered_walk_starts_is_read_once_while_the_reports_stay_as_they_were(
    client, make_report, monkeypatch
):
    from reports.service import lists

    monkeypatch.setattr(lists, "WALKED_REPORTS", 2)
    read = []
    real_read = queries.created_at_of_newest

    def reading(connection, filters):
        read.append(filters["reports"])
        return real_read(connection, filters)

    monkeypatch.setattr(queries, "created_at_of_newest", reading)
    for _ in range(3):
        make_report(status="submitted", fields={"session_date": "2026-03-19"})
    walked = f"{REPORTS}?session_date_from=2026-03-01&limit=1"

    assert total(client, walked) == total(client, walked) == 3
    make_report(status="submitted", fields={"session_date": "2026-03-19"})
    assert total(client, walked) == 4

    assert read == [2, 2]
