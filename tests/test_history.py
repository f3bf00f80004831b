"""Revision history and the trash: every change recorded with who made it,
deletes that can be undone for TRASH_DAYS, and report ids never given twice."""

import itertools
import json
import sqlite3
import time
from pathlib import Path

import pytest

from reports import create_app, db, service

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]


def test_the_history_of_a_whole_lifecycle_names_every_change_and_who(client, tokens, clock):
    mentor, coordinator = tokens["mentor"], tokens["coordinator"]
    fields = {
        key: value for key, value in CONTRACT_REPORT["fields"].items() if key != "mentor_notes"
    }
    report_id = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields},
                            headers=mentor).json["report_id"]  # fmt: skip
    steps = [
        ("PUT", "", {"fields": {"attendance_count": 7, "mentor_notes": "Went well."}}, mentor),
        ("PUT", "", {"status": "submitted"}, mentor),
        ("PUT", "/review", {"review_state": "has_issues", "comment": "Count?"}, coordinator),
        ("PUT", "", {"fields": {"attendance_count": 6}}, mentor),
        ("DELETE", "", None, coordinator),
        ("POST", "/restore", None, coordinator),
    ]
    for method, suffix, body, headers in steps:
        clock.advance(minutes=1)
        response = client.open(f"{REPORTS}/{report_id}{suffix}", method=method, json=body,
                               headers=headers)  # fmt: skip
        assert response.status_code == 200, (method, suffix, response.json)

    history = client.get(f"{REPORTS}/{report_id}/history", headers=tokens["viewer"])

    assert history.status_code == 200
    assert history.json["report_id"] == report_id
    assert history.json["revisions"] == [
        {"revision": 1, "changed_at": "2026-03-20T14:10:00Z", "actor": "mona",
         "action": "create", "changes": {}},
        {"revision": 2, "changed_at": "2026-03-20T14:11:00Z", "actor": "mona",
         "action": "update",
         "changes": {"fields": {"attendance_count": {"before": 6, "after": 7},
                                "mentor_notes": {"before": None, "after": "Went well."}}}},
        {"revision": 3, "changed_at": "2026-03-20T14:12:00Z", "actor": "mona",
         "action": "submit", "changes": {"status": {"before": "draft", "after": "submitted"}}},
        {"revision": 4, "changed_at": "2026-03-20T14:13:00Z", "actor": "carla",
         "action": "review",
         "changes": {"review_state": {"before": None, "after": "has_issues"},
                     "comment": "Count?"}},
        {"revision": 5, "changed_at": "2026-03-20T14:14:00Z", "actor": "mona",
         "action": "update",
         "changes": {"fields": {"attendance_count": {"before": 7, "after": 6}},
                     "review_state": {"before": "has_issues", "after": None}}},
        {"revision": 6, "changed_at": "2026-03-20T14:15:00Z", "actor": "carla",
         "action": "delete", "changes": {}},
        {"revision": 7, "changed_at": "2026-03-20T14:16:00Z", "actor": "carla",
         "action": "restore", "changes": {}},
    ]  # fmt: skip


def test_a_refused_change_is_not_in_the_history(client):
    report_id = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.put(f"{REPORTS}/{report_id}", json={"status": "submitted"}, headers={"If-Match": '"7"'})
    client.put(f"{REPORTS}/{report_id}", json={"fields": {"attendance_count": -1}})

    revisions = client.get(f"{REPORTS}/{report_id}/history").json["revisions"]

    assert [revision["action"] for revision in revisions] == ["create"]


def test_the_history_of_no_report_or_of_another_mentors_is_a_404(client, tokens):
    other = client.post(REPORTS, json={**CONTRACT_REPORT, "peer_mentor_id": "usr_mentor_007"},
                        headers=tokens["coordinator"]).json["report_id"]  # fmt: skip

    assert (
        client.get(f"{REPORTS}/rpt_00000000/history", headers=tokens["viewer"]).status_code == 404
    )
    assert client.get(f"{REPORTS}/{other}/history", headers=tokens["mentor"]).status_code == 404


# The trash ------------------------------------------------------------------------


def test_a_deleted_report_is_gone_from_every_read_and_list(client):
    kept, deleted = (client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"] for _ in range(2))

    response = client.delete(f"{REPORTS}/{deleted}")

    assert response.json == {"deleted": True, "report_id": deleted}
    assert client.get(f"{REPORTS}/{deleted}").status_code == 404
    assert client.get(f"{REPORTS}/{deleted}/review").status_code == 404
    for path in (REPORTS, f"{REPORTS}/by-activity/act_7b4e9f2a", f"{REPORTS}/by-mentor/{MENTOR}"):
        page = client.get(path).json
        assert [item["report_id"] for item in page["data"]] == [kept]
        assert page["pagination"]["total"] == 1
    assert client.get(f"{REPORTS}?q=CV").json["pagination"]["total"] == 1


def test_restore_brings_the_report_back_as_it_was_with_its_review(client, clock):
    report_id = client.post(REPORTS, json={**CONTRACT_REPORT, "status": "submitted"}).json[
        "report_id"
    ]
    client.put(f"{REPORTS}/{report_id}/review", json={"review_state": "approved"})
    before = client.get(f"{REPORTS}/{report_id}").json
    client.delete(f"{REPORTS}/{report_id}")
    clock.advance(days=29)

    response = client.post(f"{REPORTS}/{report_id}/restore")

    assert response.status_code == 200
    assert response.json == {**before, "updated_at": "2026-04-18T14:10:00Z"}
    assert client.get(f"{REPORTS}/{report_id}").json == response.json
    assert client.get(f"{REPORTS}/{report_id}/review").json["review_state"] == "approved"
    assert client.get(f"{REPORTS}?q=CV").json["pagination"]["total"] == 1
    assert client.get(f"{REPORTS}/deleted").json["data"] == []
    assert client.get(f"{REPORTS}?updated_since=2026-04-18").json["pagination"]["total"] == 1


def test_restore_of_a_report_not_in_the_trash_is_a_404(client):
    report_id = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]

    assert client.post(f"{REPORTS}/{report_id}/restore").status_code == 404
    assert client.post(f"{REPORTS}/rpt_00000000/restore").status_code == 404
    assert client.post(f"{REPORTS}/not-an-id/restore").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "mentor"])
def test_only_a_coordinator_may_restore(client, tokens, role):
    report_id = client.post(REPORTS, json=CONTRACT_REPORT, headers=tokens["mentor"]).json[
        "report_id"
    ]
    client.delete(f"{REPORTS}/{report_id}", headers=tokens["mentor"])

    response = client.post(f"{REPORTS}/{report_id}/restore", headers=tokens[role])

    assert response.status_code == 403
    assert client.get(f"{REPORTS}/{report_id}", headers=tokens["coordinator"]).status_code == 404


def test_a_deleted_report_is_purged_after_the_retention_period(app, client, clock, runner):
    old, recent = (client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"] for _ in range(2))
    client.delete(f"{REPORTS}/{old}")
    clock.advance(days=20)
    client.delete(f"{REPORTS}/{recent}")
    clock.advance(days=10, seconds=1)  # `old` has been in the trash 30 days and a second

    listed = runner.invoke(args=["trash", "list"])
    purged = runner.invoke(args=["trash", "purge"])

    assert listed.exit_code == 0
    assert old in listed.output and recent in listed.output
    assert purged.exit_code == 0
    assert "Purged 1 report deleted more than 30 days ago." in purged.output
    assert client.post(f"{REPORTS}/{old}/restore").status_code == 404
    assert client.post(f"{REPORTS}/{recent}/restore").status_code == 200
    assert "The trash is empty." in runner.invoke(args=["trash", "list"]).output


def test_the_servers_housekeeping_empties_the_trash_of_what_is_past_the_retention_period(
    app, client, clock
):
    old, later = (client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"] for _ in range(2))
    client.delete(f"{REPORTS}/{old}")
    clock.advance(days=31)
    client.delete(f"{REPORTS}/{later}")

    stop = service.start_housekeeping(app, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while client.post(f"{REPORTS}/{old}/restore").status_code != 404:
            assert time.monotonic() < deadline, "the housekeeping did not purge"
            time.sleep(0.05)
    finally:
        stop.set()

    assert client.post(f"{REPORTS}/{later}/restore").status_code == 200


def test_the_retention_period_is_a_setting(tmp_path, clock):
    app = create_app({"DATABASE": str(tmp_path / "r.sqlite"), "TRASH_DAYS": 2})
    db.init_db(app.config["DATABASE"])
    client = app.test_client()
    report_id = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.delete(f"{REPORTS}/{report_id}")
    clock.advance(days=2, seconds=1)

    result = app.test_cli_runner().invoke(args=["trash", "purge"])

    assert "Purged 1 report deleted more than 2 days ago." in result.output


def test_a_report_id_is_never_given_twice(client, runner, clock, monkeypatch):
    first = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.delete(f"{REPORTS}/{first}")
    clock.advance(days=31)
    runner.invoke(args=["trash", "purge"])  # gone for good
    drawn = itertools.chain([first], iter(lambda: "rpt_0000beef", None))
    monkeypatch.setattr(service.lifecycle, "new_report_id", lambda: next(drawn))

    second = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]

    assert second == "rpt_0000beef"


def test_an_import_may_not_reuse_the_id_of_a_deleted_report(app, client, tmp_path):
    report = client.get(client.post(REPORTS, json=CONTRACT_REPORT).headers["Location"]).json
    client.delete(f"{REPORTS}/{report['report_id']}")
    path = tmp_path / "again.jsonl"
    path.write_text(json.dumps(report) + "\n")

    result = app.test_cli_runner().invoke(args=["import", str(path)])

    assert result.exit_code == 1
    assert "exists already" in result.output


# Words no other report holds, and which no other term of the search index
# starts like, so that the index keeps them whole where it keeps them at all.
SECRET_WORDS = ("Zqxjvarnish", "Zqwkplumbago")


def raw_bytes(*paths):
    return b"".join(Path(path).read_bytes() for path in paths if Path(path).exists())


def traces(data):
    """Which forms of the secret words are in `data`: as written, lower-cased (as
    the search index keeps them), and UTF-16 too."""
    forms = [word for secret in SECRET_WORDS for word in (secret, secret.lower())]
    return [form for form in forms if form.encode() in data or form.encode("utf-16-le") in data]


def test_a_purged_report_leaves_no_trace_in_the_file_or_a_backup(
    app, client, runner, clock, database, tmp_path
):
    notes = f"Talked about {SECRET_WORDS[0]} at length"
    fields = {**CONTRACT_REPORT["fields"], "mentor_notes": notes}
    created = client.post(
        REPORTS,
        json={**CONTRACT_REPORT, "status": "submitted", "fields": fields},
        headers={"Idempotency-Key": "first-try"},
    ).json
    report = f"{REPORTS}/{created['report_id']}"
    client.put(report, json={"fields": {"challenges_noted": f"{SECRET_WORDS[1]} again"}})
    client.put(f"{report}/review", json={"review_state": "has_issues", "comment": SECRET_WORDS[1]})
    client.put(report, json={"fields": {"mentor_notes": "Nothing to say"}})
    client.delete(report)
    kept = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    db.close_database(database)
    assert traces(raw_bytes(database)), "the test's words must be in the file before the purge"
    clock.advance(days=31)

    purged = runner.invoke(args=["trash", "purge"])
    backup = runner.invoke(args=["backup", str(tmp_path / "after.sqlite")])

    assert purged.exit_code == 0 and "Purged 1 report" in purged.output
    assert backup.exit_code == 0, backup.output
    assert traces(raw_bytes(database, f"{database}-wal")) == []
    assert traces(raw_bytes(tmp_path / "after.sqlite")) == []
    history = client.get(f"{REPORTS}/{created['report_id']}/history")
    assert history.status_code == 404  # gone for good, the report and what it said
    with sqlite3.connect(database) as connection:
        actions = connection.execute(
            "SELECT action, actor FROM report_change WHERE report_id = ? ORDER BY change_id",
            (created["report_id"],),
        ).fetchall()
    assert [action for action, _ in actions] == ["create", "update", "review", "update", "delete"]
    assert client.get(f"{REPORTS}?q={SECRET_WORDS[0]}").json["pagination"]["total"] == 0
    assert client.get(f"{REPORTS}/{kept}").status_code == 200
    assert client.get(f"{REPORTS}?q=CV").json["pagination"]["total"] == 1


def test_idempotency_keys_expire_without_a_later_keyed_post(client, runner, clock, database):
    client.post(REPORTS, json=CONTRACT_REPORT, headers={"Idempotency-Key": "k-1"})
    clock.advance(hours=25)

    result = runner.invoke(args=["trash", "purge"])

    assert result.exit_code == 0
    assert "Forgot 1 Idempotency-Key older" in result.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM idempotency_key").fetchone() == (0,)


def test_a_delete_purges_nothing_by_itself(client, clock, database):
    first = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.delete(f"{REPORTS}/{first}")
    clock.advance(days=31)

    second = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.delete(f"{REPORTS}/{second}")

    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM report_trash").fetchone() == (2,)


def test_the_writing_connection_overwrites_what_it_deletes(app):
    with app.app_context():
        assert (
            db.GroupCommit.for_database(app.config["DATABASE"])
            .connection.execute("PRAGMA secure_delete")
            .fetchone()[0]
            == 1
        )
