"""No scans: every statement the service runs finds its rows through an index,
and the totals of the unfiltered and the status lists never count the table."""

import re
import sqlite3

import pytest

from reports import auth, db, queries
from reports.schemas import FILTERS
from reports.service import lists

REPORTS = "/api/v1/reports"
FULL_SCAN = re.compile(r"^SCAN report\b(?! USING)")


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement the app runs from now on, with its values filled in."""
    seen = []
    real_connect = db.connections.connect

    def traced(path, **options):
        connection = real_connect(path, **options)
        connection.set_trace_callback(seen.append)
        return connection

    monkeypatch.setattr(db.connections, "connect", traced)
    return seen


def plan(database, statement):
    connection = sqlite3.connect(database)
    db.add_functions(connection)  # the plan of a write includes its triggers
    try:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
    finally:
        connection.close()


def drive_every_endpoint(client, make_report):
    """Every kind of read and write the API offers, with and without filters."""
    reports = [make_report(status="submitted") for _ in range(3)] + [make_report()]
    one = reports[0]["report_id"]
    client.post(REPORTS, json={"activity_id": "a", "peer_mentor_id": "m", "org_id": "o"},
                headers={"Idempotency-Key": "k1"})  # fmt: skip
    client.get(f"{REPORTS}/{one}")
    client.put(
        f"{REPORTS}/{one}", json={"fields": {"attendance_count": 3}}, headers={"If-Match": "*"}
    )
    for query in ("", "?status=draft", "?status=submitted", "?page=2&limit=1"):
        for path in (
            REPORTS,
            f"{REPORTS}/by-activity/act_7b4e9f2a",
            f"{REPORTS}/by-mentor/usr_mentor_042",
        ):
            link = client.get(
                f"{path}{query}&limit=1" if "?" in query else f"{path}?limit=1{query}"
            )
            if "Link" in link.headers:
                client.get(link.headers["Link"].split(">")[0][1:])
    # A filtered page, walked newest first (test_no_statement_scans_the_reports_table
    # makes the walk short enough for these few reports) and read as the filters lead.
    for limit in (1, 3):
        client.get(f"{REPORTS}?session_date_from=2026-01-01&status=submitted&limit={limit}")
    client.put(f"{REPORTS}/{one}/review", json={"review_state": "approved"})
    client.get(f"{REPORTS}/{one}/review")
    client.get(f"{REPORTS}/{one}/history")
    client.delete(f"{REPORTS}/{reports[-1]['report_id']}", headers={"If-Match": "*"})
    client.get(f"{REPORTS}/deleted")
    client.post(f"{REPORTS}/{reports[-1]['report_id']}/restore")
    client.delete(f"{REPORTS}/{one}")
    client.get(f"{REPORTS}/{one}/history")


def test_no_statement_scans_the_reports_table(
    client, make_report, database, statements, monkeypatch
):
    monkeypatch.setattr(lists, "WALKED_REPORTS", 2)
    drive_every_endpoint(client, make_report)

    queries = {s for s in statements if s.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")}
    assert len(queries) >= 10
    assert any("created_at >= " in s for s in queries)  # the walk was taken
    scans = {s: p for s in queries for p in plan(database, s) if FULL_SCAN.match(p)}
    assert scans == {}


def test_the_totals_without_activity_or_mentor_never_count_the_table(
    client, make_report, statements
):
    make_report()
    statements.clear()

    for query in ("", "?status=draft", "?status=submitted"):
        client.get(f"{REPORTS}{query}")

    assert not [s for s in statements if "count(" in s.lower()]


def test_the_kept_counts_follow_every_write(client, make_report):
    drafts = [make_report() for _ in range(3)]
    client.put(f"{REPORTS}/{drafts[0]['report_id']}", json={"status": "submitted"})
    client.delete(f"{REPORTS}/{drafts[1]['report_id']}")
    client.put(f"{REPORTS}/{drafts[2]['report_id']}", json={"fields": {"attendance_count": 1}})

    def total(query=""):
        return client.get(f"{REPORTS}{query}").json["pagination"]["total"]

    assert (total(), total("?status=draft"), total("?status=submitted")) == (2, 1, 1)


def test_the_counts_are_taken_from_an_existing_database_when_it_gets_the_table(app, database):
    connection = sqlite3.connect(database)
    db.add_functions(connection)
    with connection:
        # A database from before the counts: no table, no triggers.
        connection.execute("DROP TABLE report_count")
        for trigger in ("insert", "delete", "status_change"):
            connection.execute(f"DROP TRIGGER report_counted_on_{trigger}")
        connection.execute(
            "INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, "
            "field_count, has_way_forward, created_at, updated_at) VALUES "
            "('rpt_0000abcd', 'a', 'm', 'o', 'draft', 0, 0, '2026-01-01T00:00:00Z', "
            "'2026-01-01T00:00:00Z')"
        )
    connection.close()

    db.init_db(database)

    assert app.test_client().get(REPORTS).json["pagination"]["total"] == 1


def test_a_token_check_is_one_lookup_in_an_index(app, client, database, statements):
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
    statements.clear()

    client.get(f"{REPORTS}/rpt_00000000", headers={"Authorization": f"Bearer {secret}"})
    client.get(f"{REPORTS}/rpt_00000000")

    checks = [s for s in statements if "api_token" in s and s.split()[0] == "SELECT"]
    assert len(checks) == 2  # one per request
    steps = [step for check in checks for step in plan(database, check) if "api_token" in step]
    assert len(steps) == 2
    assert all(" USING INDEX " in step for step in steps), steps
    # The token's role is its person's, found by the person's primary key.
    people = [step for step in plan(database, checks[0]) if " person " in f"{step} "]
    assert people == ["SEARCH person USING INDEX sqlite_autoindex_person_1 (person_id=?)"]


def test_a_mentors_or_an_activitys_total_is_read_from_a_kept_count(app, database):
    cases = [
        ({"owner": "usr_mentor_042", "status": "draft"}, "report_count_by_mentor"),
        ({"peer_mentor_id": "usr_mentor_042"}, "report_count_by_mentor"),
        ({"activity_id": "act_7b4e9f2a", "status": "submitted"}, "report_count_by_activity"),
    ]
    for filters, table in cases:
        captured = []
        with app.app_context():
            connection = db.get_db()
            connection.set_trace_callback(captured.append)
            queries.count_reports(connection, dict.fromkeys(FILTERS) | filters)
            connection.set_trace_callback(None)
        (read,) = captured
        assert table in read and "count(" not in read, read
        assert all("USING PRIMARY KEY" in step for step in plan(database, read) if table in step)


def test_the_kept_counts_of_mentors_and_activities_follow_every_write(client, make_report):
    mona, anna = "usr_mentor_042", "usr_mentor_007"
    reports = [
        make_report(),
        make_report(status="submitted"),
        make_report(peer_mentor_id=anna, activity_id="act_2"),
    ]
    client.put(f"{REPORTS}/{reports[0]['report_id']}", json={"status": "submitted"})
    client.delete(f"{REPORTS}/{reports[2]['report_id']}")
    make_report(peer_mentor_id=anna, activity_id="act_2", status="submitted")

    def total(path):
        return client.get(f"{REPORTS}/{path}").json["pagination"]["total"]

    activity = reports[0]["activity_id"]
    assert [
        total(f"by-mentor/{mona}"), total(f"by-mentor/{mona}?status=submitted"),
        total(f"by-mentor/{mona}?status=draft"), total(f"by-mentor/{anna}"),
        total(f"by-activity/{activity}"), total("by-activity/act_2?status=draft"),
        total("by-mentor/usr_nobody"),
    ] == [2, 2, 0, 1, 2, 0, 0]  # fmt: skip
    client.post(f"{REPORTS}/{reports[2]['report_id']}/restore")
    assert (total(f"by-mentor/{anna}"), total("by-activity/act_2?status=draft")) == (2, 1)


def test_the_kept_counts_of_mentors_and_activities_are_taken_from_an_existing_database(
    app, database, make_report
):
    make_report()
    make_report(status="submitted")
    connection = sqlite3.connect(database)
    with connection:
        # A database from before these counts: no tables, no triggers.
        connection.execute("DROP TABLE report_count_by_mentor")
        connection.execute("DROP TABLE report_count_by_activity")
        for trigger in ("insert", "delete", "change"):
            connection.execute(f"DROP TRIGGER report_counted_by_owner_on_{trigger}")
    connection.close()

    db.init_db(database)

    connection = sqlite3.connect(database)
    kept = connection.execute(
        "SELECT peer_mentor_id, status, reports FROM report_count_by_mentor ORDER BY status"
    ).fetchall()
    connection.close()
    assert kept == [("usr_mentor_042", "draft", 1), ("usr_mentor_042", "submitted", 1)]
