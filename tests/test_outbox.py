"""The transactional outbox (reports/service/events.py): every change of a
report is an event written in the transaction of the change, never one
without the other, with the report as the API answers it; a purge leaves
only the id; the outbox keeps EVENTS_DAYS of what everyone has had."""

import json
import sqlite3

import pytest

from reports import create_app, db, service
from reports.cli import OPERATOR

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"


def events_in(database):
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return [
            dict(row)
            for row in connection.execute(
                "SELECT event_id, message_id, type, report_id, occurred_at, data, emailed "
                "FROM event ORDER BY event_id"
            )
        ]


def types_in(database):
    return [event["type"] for event in events_in(database)]


def test_each_change_of_a_report_is_an_event_in_the_order_of_the_changes(client, database, clock):
    report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    path = f"{REPORTS}/{report}"
    client.put(path, json={"fields": {"attendance_count": 9}})
    client.put(path, json={"status": "submitted"})
    client.put(f"{path}/review", json={"review_state": "approved", "comment": "Good."})
    client.delete(path)
    client.post(f"{path}/restore")

    assert types_in(database) == [
        "report.created",
        "report.updated",
        "report.submitted",
        "report.reviewed",
        "report.deleted",
        "report.restored",
    ]
    assert {event["report_id"] for event in events_in(database)} == {report}


def test_a_report_created_submitted_is_created_then_submitted(client, database):
    client.post(REPORTS, json={**CONTRACT_REPORT, "status": "submitted"})

    assert types_in(database) == ["report.created", "report.submitted"]


def test_an_update_that_submits_and_changes_fields_is_updated_then_submitted(client, database):
    report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]

    client.put(
        f"{REPORTS}/{report}", json={"status": "submitted", "fields": {"attendance_count": 3}}
    )

    assert types_in(database) == ["report.created", "report.updated", "report.submitted"]


def test_an_events_data_is_the_report_as_the_api_answered_it_then(client, database):
    report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    first = client.get(f"{REPORTS}/{report}").json
    client.put(f"{REPORTS}/{report}", json={"status": "submitted"})
    submitted = client.get(f"{REPORTS}/{report}").json
    review = client.put(
        f"{REPORTS}/{report}/review",
        json={"review_state": "has_issues", "comment": "Add the date."},
    ).json

    created, submitted_event, reviewed = events_in(database)
    assert json.loads(created["data"]) == first
    assert json.loads(submitted_event["data"]) == submitted
    reviewed_data = json.loads(reviewed["data"])
    assert reviewed_data.pop("review") == review
    assert reviewed_data == client.get(f"{REPORTS}/{report}").json
    assert created["occurred_at"] == first["created_at"]


def test_each_event_has_a_message_id_of_its_own(client, database):
    client.post(REPORTS, json={**CONTRACT_REPORT, "status": "submitted"})
    client.post(REPORTS, json=CONTRACT_REPORT)

    ids = [event["message_id"] for event in events_in(database)]
    assert len(set(ids)) == len(ids) == 3
    assert all(each.startswith("msg_") and len(each) == 28 for each in ids)


@pytest.mark.parametrize(
    ("change", "body", "headers"),
    [
        ("create", {**CONTRACT_REPORT, "status": "sent"}, {}),
        ("update", {"fields": {"attendance_count": -1}}, {}),
        ("update", {"fields": {"attendance_count": 5}}, {"If-Match": '"99"'}),
        ("review", {"review_state": "approved"}, {}),  # a draft is not reviewed
    ],
)
def test_a_refused_change_writes_no_event(client, database, change, body, headers):
    report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    path = {"create": REPORTS, "update": f"{REPORTS}/{report}"}.get(
        change, f"{REPORTS}/{report}/review"
    )

    answer = (client.post if change == "create" else client.put)(path, json=body, headers=headers)

    assert answer.status_code in (409, 412, 422)
    assert types_in(database) == ["report.created"]


def test_a_change_whose_event_cannot_be_written_is_not_made(client, database, monkeypatch):
    # Both events of a report created submitted get one message id: the second
    # breaks the UNIQUE rule, inside the transaction that stores the report.
    monkeypatch.setattr(service.events, "new_message_id", lambda: "msg_" + "0" * 24)

    answer = client.post(REPORTS, json={**CONTRACT_REPORT, "status": "submitted"})

    assert answer.status_code == 500
    assert events_in(database) == []
    assert client.get(REPORTS).json["data"] == []


def test_imported_reports_are_events_that_no_one_is_emailed_about(app, client, tmp_path, database):
    report = client.get(client.post(REPORTS, json=CONTRACT_REPORT).headers["Location"]).json
    report.pop("report_id")
    path = tmp_path / "reports.jsonl"
    path.write_text(json.dumps({**report, "status": "submitted"}) + "\n")

    result = app.test_cli_runner().invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    imported = events_in(database)[1:]
    assert [event["type"] for event in imported] == ["report.created", "report.submitted"]
    assert [event["emailed"] for event in imported] == [0, 0]


# The purge ------------------------------------------------------------------------


def test_a_purge_is_an_event_and_leaves_only_the_id_in_the_earlier_ones(
    app, client, runner, clock, database
):
    with app.app_context():  # one that has had none of them: every event is kept
        service.add_webhook("http://127.0.0.1:9/hooks", allow_private=True, caller=OPERATOR)
    notes = {"mentor_notes": "Talked about Zqxjvarnish at length"}
    report = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": notes}).json["report_id"]
    kept = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.delete(f"{REPORTS}/{report}")
    clock.advance(days=31)

    assert runner.invoke(args=["trash", "purge"]).exit_code == 0

    events = [event for event in events_in(database) if event["report_id"] == report]
    assert [event["type"] for event in events] == [
        "report.created",
        "report.deleted",
        "report.purged",
    ]
    assert all(json.loads(event["data"]) == {"report_id": report} for event in events)
    [kept_event] = [event for event in events_in(database) if event["report_id"] == kept]
    assert json.loads(kept_event["data"])["report_id"] == kept
    assert "mentor_notes" in json.loads(kept_event["data"])["fields"]


# Pruning --------------------------------------------------------------------------


def test_events_older_than_events_days_that_every_webhook_had_are_pruned(
    app, client, runner, clock, database
):
    client.post(REPORTS, json=CONTRACT_REPORT)
    clock.advance(days=29)
    client.post(REPORTS, json=CONTRACT_REPORT)
    clock.advance(days=1, seconds=1)

    runner.invoke(args=["trash", "purge"])

    assert len(events_in(database)) == 1


def test_an_event_a_webhook_has_not_had_is_kept_however_old(app, client, runner, clock, database):
    with app.app_context():
        service.add_webhook("http://127.0.0.1:9/hooks", allow_private=True, caller=OPERATOR)
    client.post(REPORTS, json=CONTRACT_REPORT)
    clock.advance(days=365)

    runner.invoke(args=["trash", "purge"])

    assert types_in(database) == ["report.created"]


def test_the_days_kept_are_a_setting(tmp_path, clock):
    app = create_app({"DATABASE": str(tmp_path / "r.sqlite"), "EVENTS_DAYS": 2})
    db.init_db(app.config["DATABASE"])
    app.test_client().post(REPORTS, json=CONTRACT_REPORT)
    clock.advance(days=2, seconds=1)

    app.test_cli_runner().invoke(args=["trash", "purge"])

    assert events_in(app.config["DATABASE"]) == []


def test_event_ids_are_never_given_twice_even_after_a_prune(client, runner, clock, database):
    client.post(REPORTS, json=CONTRACT_REPORT)
    [first] = events_in(database)
    clock.advance(days=31)
    runner.invoke(args=["trash", "purge"])

    client.post(REPORTS, json=CONTRACT_REPORT)

    [second] = events_in(database)
    assert second["event_id"] > first["event_id"]
