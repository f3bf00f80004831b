"""A summary is kept while the reports stay as they were: asked again, it is
answered without counting; any write of a report or its review, through the
service or straight into the file, makes the next one count again."""

import pytest

from reports import create_app, queries, service
from reports.auth import ANONYMOUS

from conftest import CONTRACT_REPORT, delete_every_report_in_the_file

SUMMARY = "/api/v1/reports/summary?group_by=month"


@pytest.fixture
def summary_queries(monkeypatch):
    """How many times the reports were counted for a summary."""
    counted = []
    real_summary = queries.summary

    def counting(*args, **kwargs):
        counted.append(args[2])
        return real_summary(*args, **kwargs)

    monkeypatch.setattr(queries, "summary", counting)
    return counted


def reports_in(client):
    return client.get(SUMMARY).json["groups"][0]["reports"]


def test_the_same_summary_asked_again_is_not_counted_again(client, make_report, summary_queries):
    make_report()
    first = client.get(SUMMARY).json
    second = client.get(SUMMARY).json

    assert first == second
    assert len(summary_queries) == 1
    client.get("/api/v1/reports/summary?group_by=mentor")
    client.get(SUMMARY + "&status=draft")
    assert len(summary_queries) == 3


def test_a_kept_summary_cannot_be_changed_by_its_reader(app, make_report):
    make_report()
    with app.app_context():
        first = service.summary({}, "month", caller=ANONYMOUS)
        first[0]["reports"] = 99
        first[0]["engagement"]["high"] = 99
        again = service.summary({}, "month", caller=ANONYMOUS)
    assert again[0]["reports"] == 1 and again[0]["engagement"]["high"] == 1


def test_another_app_on_the_same_database_counts_its_own_summary(
    app, database, make_report, summary_queries
):
    """What an app keeps is its own: a second app of the process (a test's, a
    read-only copy beside its primary) never answers from the first's."""
    make_report()
    other = create_app({"TESTING": True, "DATABASE": database})
    for each in (app, other, app, other):
        with each.app_context():
            assert service.summary({}, "month", caller=ANONYMOUS)[0]["reports"] == 1

    assert len(summary_queries) == 2


def test_every_write_of_a_report_or_its_review_makes_the_next_summary_count_again(
    client, make_report, summary_queries
):
    report = make_report()
    path = f"/api/v1/reports/{report['report_id']}"
    assert reports_in(client) == 1
    make_report()
    assert reports_in(client) == 2

    client.put(path, json={"status": "submitted"}, headers={"If-Match": "*"})
    assert client.get(SUMMARY).json["groups"][0]["submitted"] == 1

    client.put(path, json={"fields": {"attendance_count": 40}})
    total = client.get(SUMMARY).json["groups"][0]["attendance_total"]
    assert total == 40 + CONTRACT_REPORT["fields"]["attendance_count"], total

    client.put(f"{path}/review", json={"review_state": "approved"})
    reviewed = client.get(SUMMARY + "&review_state=approved").json["groups"]
    assert reviewed[0]["reports"] == 1

    client.delete(path)
    assert reports_in(client) == 1
    client.post(f"{path}/restore")
    assert reports_in(client) == 2


def test_a_write_straight_into_the_file_makes_the_next_summary_count_again(
    client, make_report, database
):
    make_report()
    assert reports_in(client) == 1
    delete_every_report_in_the_file(database)

    assert client.get(SUMMARY).json["groups"] == []


def test_a_summary_of_more_groups_than_are_kept_is_counted_each_time(
    client, make_report, summary_queries, monkeypatch
):
    monkeypatch.setattr(service.summaries, "KEPT_GROUPS", 2)
    for activity in ("act_a", "act_b", "act_c"):
        make_report(activity_id=activity)
    by_activity = "/api/v1/reports/summary?group_by=activity"

    assert len(client.get(by_activity).json["groups"]) == 3
    client.get(by_activity)
    assert len(summary_queries) == 2
    client.get("/api/v1/reports/summary?group_by=org")
    client.get("/api/v1/reports/summary?group_by=org")
    assert len(summary_queries) == 3
