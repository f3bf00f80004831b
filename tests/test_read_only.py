"""READ_ONLY=1: a read-only copy serves every read and refuses every write with
a 503 problem, and writes nothing to its database by itself."""

import os
import sqlite3
import threading

import pytest
from flask import url_for

from reports import create_app, db, serve
from reports.read_only import DETAIL, SAFE_METHODS

from conformance import ConformingClient
from conftest import CONTRACT_REPORT
from serving import REPORTS, Server
from web_helpers import csrf_token, secret_of, sign_in, text

KNOWN_API_WRITES = {
    ("POST", "reports.create_report"),
    ("PUT", "reports.update_report"),
    ("DELETE", "reports.delete_report"),
    ("PUT", "reports.review_report"),
    ("POST", "reports.restore_report"),
}
KNOWN_API_READS = {
    "reports.list_reports",
    "reports.list_reports_by_activity",
    "reports.list_reports_by_mentor",
    "reports.summarise_reports",
    "reports.list_deleted_reports",
    "reports.get_review",
    "reports.report_form",
    "reports.list_events",
}
# The reads only a coordinator may make; a viewer makes every other.
COORDINATOR_READS = {"reports.list_events"}


@pytest.fixture
def primary(app, tokens, new_report, client):
    """The primary's database: a report, reviewed, and one in the trash. Every
    write of the primary is on disk before the copy starts."""
    kept = new_report(status="submitted")
    reviewed = client.put(
        f"{REPORTS}/{kept}/review",
        json={"review_state": "approved", "comment": "Fine"},
        headers=tokens["coordinator"],
    )
    assert reviewed.status_code == 200, reviewed.json
    trashed = new_report()
    assert client.delete(f"{REPORTS}/{trashed}", headers=tokens["coordinator"]).status_code == 200
    # The directory's reads: a person, and the contract report's activity.
    person = client.post(
        "/api/v1/people", json={"name": "Paula", "role": "viewer"}, headers=tokens["coordinator"]
    ).json["person_id"]
    activity = {"name": "Job club", "activity_id": CONTRACT_REPORT["activity_id"]}
    created = client.post("/api/v1/activities", json=activity, headers=tokens["coordinator"])
    assert created.status_code == 201, created.json
    db.GroupCommit.close(app.config["DATABASE"])
    return {"kept": kept, "trashed": trashed, "person": person}


@pytest.fixture
def copy(database, primary):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "a-test-secret-key",
            "READ_ONLY": True,
        }
    )
    app.test_client_class = ConformingClient
    return app


@pytest.fixture
def copy_client(copy):
    return copy.test_client()


class Unchanged:
    """Watches the database file: `PRAGMA data_version` of a connection of its
    own changes when any other connection commits, and the files' size and mtime."""

    def __init__(self, database):
        self.database = database
        self.watcher = db.connect(database, mode="ro")
        self.before = self.look()

    def look(self):
        files = {
            path: (os.stat(path).st_size, os.stat(path).st_mtime_ns)
            for path in (self.database, f"{self.database}-wal")
            if os.path.exists(path)
        }
        version = self.watcher.execute("PRAGMA data_version").fetchone()[0]
        tables = [
            row[0]
            for row in self.watcher.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE '%VIRTUAL%'"
            )
        ]
        counts = {
            table: self.watcher.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in tables
        }
        reports = self.watcher.execute("SELECT report_id, version FROM report").fetchall()
        tokens = self.watcher.execute("SELECT name, last_used_at FROM api_token").fetchall()
        return {
            "files": files,
            "data_version": version,
            "counts": counts,
            "reports": sorted(map(tuple, reports)),
            "tokens": sorted(map(tuple, tokens)),
        }

    def check(self):
        assert self.look() == self.before


@pytest.fixture
def unchanged(database, primary):
    watcher = Unchanged(database)
    yield watcher
    watcher.watcher.close()


def routes(app, blueprint):
    """(method, endpoint, rule) of every route of the blueprint."""
    return [
        (method, rule.endpoint, rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint}.")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def url_of(app, rule, report_id, person_id=None):
    values = {name: report_id for name in rule.arguments}
    values.update(person_id=person_id or report_id)
    values.update(activity_id=CONTRACT_REPORT["activity_id"])
    values.update(mentor_id=CONTRACT_REPORT["peer_mentor_id"])
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def api_writes(app):
    return [route for route in routes(app, "reports") if route[0] not in SAFE_METHODS]


def test_the_setting_is_1_or_0():
    assert create_app({"TESTING": True, "READ_ONLY": 1}).config["READ_ONLY"] is True
    with pytest.raises(ValueError, match="READ_ONLY must be 1 or 0"):
        create_app({"TESTING": True, "READ_ONLY": "yes"})


def test_the_write_routes_are_found_in_the_url_map(copy):
    found = {(method, endpoint) for method, endpoint, _ in api_writes(copy)}
    assert found >= KNOWN_API_WRITES


def test_every_write_of_the_api_is_a_503_problem_and_changes_nothing(
    copy, copy_client, tokens, primary, unchanged
):
    for method, endpoint, rule in api_writes(copy):
        path = url_of(copy, rule, primary["kept"])
        body = {"review_state": "rejected"} if endpoint.endswith("review") else CONTRACT_REPORT
        response = copy_client.open(
            path, method=method, json=body, headers={**tokens["coordinator"], "If-Match": "*"}
        )
        assert response.status_code == 503, (method, path, response.json)
        assert response.content_type == "application/problem+json"
        assert response.json["detail"] == DETAIL
        assert "Retry-After" not in response.headers  # trying again here never helps
    unchanged.check()


def test_every_read_of_the_api_answers_200(copy, copy_client, tokens, primary, unchanged):
    reads = [(endpoint, rule) for method, endpoint, rule in routes(copy, "reports")]
    assert {endpoint for endpoint, _ in reads} >= KNOWN_API_READS
    for endpoint, rule in reads:
        if not rule.methods & {"GET"}:
            continue
        path = url_of(copy, rule, primary["kept"], primary["person"])
        if endpoint == "reports.summarise_reports":
            path += "?group_by=mentor"
        reader = "coordinator" if endpoint in COORDINATOR_READS else "viewer"
        response = copy_client.get(path, headers=tokens[reader])
        assert response.status_code == 200, (path, response.json)
    unchanged.check()


@pytest.mark.parametrize("path", [f"{REPORTS}?format={each}" for each in ("csv", "ndjson", "xlsx")])
def test_the_exports_are_served(copy_client, tokens, path, unchanged):
    response = copy_client.get(path, headers=tokens["viewer"])
    assert response.status_code == 200
    assert response.data
    response.close()
    unchanged.check()


def test_a_summary_and_its_export_are_served(copy_client, tokens, unchanged):
    summary = f"{REPORTS}/summary?group_by=activity"
    for path in (summary, f"{summary}&format=csv", f"{summary}&format=xlsx"):
        response = copy_client.get(path, headers=tokens["viewer"])
        assert response.status_code == 200, path
        assert response.data
        response.close()
    unchanged.check()


def test_a_token_s_last_use_is_not_noted(copy_client, tokens, unchanged):
    # The viewer's token was never used on the primary: its last_used_at is null.
    assert copy_client.get(REPORTS, headers=tokens["viewer"]).status_code == 200
    assert dict(unchanged.look()["tokens"])["victor"] is None
    unchanged.check()


def test_healthz_only_reads(copy_client, unchanged):
    response = copy_client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    unchanged.check()


def test_a_write_that_no_route_refuses_is_refused_by_the_writer_too(copy):
    with copy.app_context(), pytest.raises(Exception, match="read-only copy"):
        db.write(lambda connection: None)


def test_the_pages_are_served_and_signing_in_with_a_token_works(
    copy_client, tokens, primary, unchanged
):
    sign_in(copy_client, secret_of(tokens["coordinator"]))
    assert "Review queue" in text(copy_client.get("/"))
    for path in ("/reports", f"/reports/{primary['kept']}", "/trash", "/summary"):
        response = copy_client.get(path)
        assert response.status_code == 200, path
    assert copy_client.get("/reports.csv").status_code == 200
    assert (
        copy_client.post(
            "/logout", data={"csrf_token": csrf_token(copy_client, "/reports")}
        ).status_code
        == 302
    )
    unchanged.check()


def test_the_new_report_form_is_refused_with_a_page_that_says_so(copy_client, tokens, unchanged):
    sign_in(copy_client, secret_of(tokens["coordinator"]))
    form = {
        "csrf_token": csrf_token(copy_client, "/reports/new"),
        "activity_id": "act_1",
        "peer_mentor_id": "usr_1",
        "org_id": "org_1",
        "action": "submit",
    }
    response = copy_client.post("/reports/new", data=form)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert DETAIL in text(response)
    unchanged.check()


def test_every_post_of_the_pages_but_signing_in_and_out_is_refused(
    copy, copy_client, tokens, primary, unchanged
):
    posts = [route for route in routes(copy, "web") if route[0] == "POST"]
    found = {endpoint for _, endpoint, _ in posts}
    assert {"web.new_report", "web.login_link", "web.login", "web.logout"} <= found
    sign_in(copy_client, secret_of(tokens["coordinator"]))
    for _, endpoint, rule in posts:
        if endpoint in ("web.login", "web.logout"):
            continue
        values = {name: primary["kept"] for name in rule.arguments}
        with copy.test_request_context():
            path = url_for(endpoint, **values)
        response = copy_client.post(path, data={"csrf_token": csrf_token(copy_client, "/reports")})
        assert response.status_code == 503, path
        assert DETAIL in text(response)
    unchanged.check()


def test_a_sign_in_link_is_not_used_up_on_a_copy(copy_client, unchanged):
    # A link made on the primary arrives with the replica; using it would write.
    response = copy_client.post("/login/some-secret-of-the-primary")
    assert response.status_code == 503
    assert "sign in with your token" in text(response)
    unchanged.check()


def test_the_start_migrates_nothing_and_keeps_no_house(copy, primary, unchanged, capsys):
    housekeeping = serve.start(copy)
    assert housekeeping.is_set()
    assert "housekeeping" not in {thread.name for thread in threading.enumerate()}
    assert "read-only copy" in capsys.readouterr().out
    unchanged.check()


def test_the_start_refuses_a_missing_database(tmp_path):
    missing = str(tmp_path / "none.sqlite")
    app = create_app({"TESTING": True, "DATABASE": missing, "READ_ONLY": True})
    with pytest.raises(SystemExit) as stopped:
        serve.start(app)
    message = str(stopped.value.code)
    assert "\n" not in message and "does not exist" in message
    assert not os.path.exists(missing)


def test_the_start_refuses_an_older_database_and_does_not_migrate_it(copy, database):
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION - 1}")
    connection.close()
    with pytest.raises(SystemExit) as stopped:
        serve.start(copy)
    message = str(stopped.value.code)
    assert "\n" not in message and "older than this version" in message
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION - 1
    connection.close()


def test_the_real_server_reads_and_refuses_writes(tmp_path, database, tokens, unchanged):
    with Server(tmp_path, database=database, REPORTS_READ_ONLY="1") as server:
        read = server.request("GET", REPORTS, headers=tokens["viewer"])
        healthz = server.request("GET", "/healthz")
        written = server.request("POST", REPORTS, CONTRACT_REPORT, tokens["coordinator"])
    assert read.status == 200, read
    assert len(read.json["data"]) == 1
    assert healthz.status == 200, healthz
    assert written.status == 503, written
    assert written.content_type == "application/problem+json"
    assert written.json["detail"] == DETAIL
    assert "read-only copy" in server.stdout()
    unchanged.check()


@pytest.mark.parametrize(
    "command",
    [
        ["init-db"],
        ["migrate"],
        ["token", "create", "--name", "rita", "--role", "viewer"],
        ["token", "revoke", "victor"],
        ["token", "reopen"],
        ["token", "link", "carla"],
        ["trash", "purge"],
    ],
)
def test_a_command_that_would_write_says_so_in_one_line_and_changes_nothing(
    copy, command, unchanged
):
    result = copy.test_cli_runner().invoke(args=command)

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: This is a read-only copy of the reports: write to the primary service."
    ]
    unchanged.check()
