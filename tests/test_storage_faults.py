"""When the database cannot be written, writes answer 503 and change nothing,
reads go on, and the service recovers by itself once the fault is gone."""

import logging
import sqlite3

import pytest

from reports import db

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
SECRET_NOTE = "Participant disclosed a private matter"


class StorageFault:
    """Makes the service's connections hit one real SQLite fault until cleared."""

    def __init__(self, app):
        self.app = app

    def run(self, pragma):
        """On the connection that reads and the one that writes (idle between requests)."""
        with self.app.app_context():
            reader = db.get_db()
        writer = db.GroupCommit.for_database(self.app.config["DATABASE"]).connection
        for connection in (reader, writer):
            connection.execute(pragma.format(pages=self.pages(connection)))

    @staticmethod
    def pages(connection):
        return connection.execute("PRAGMA page_count").fetchone()[0]

    def read_only(self):
        self.run("PRAGMA query_only = ON")

    def disk_full(self):
        # The file may not grow by a single page.
        self.run("PRAGMA max_page_count = {pages}")

    def clear(self):
        self.run("PRAGMA query_only = OFF")
        self.run("PRAGMA max_page_count = 4294967294")


@pytest.fixture
def fault(app):
    return StorageFault(app)


@pytest.fixture
def report(make_report):
    return make_report()


def writes(report):
    path = f"{REPORTS}/{report['report_id']}"
    big_fields = {"mentor_notes": SECRET_NOTE + "x" * 9000}
    return [
        ("POST", REPORTS, {**CONTRACT_REPORT, "fields": big_fields}),
        ("PUT", path, {"fields": big_fields}),
        ("DELETE", path, None),
    ]


@pytest.mark.parametrize(
    ("kind", "write"),
    [
        ("read_only", 0),
        ("read_only", 1),
        ("read_only", 2),
        ("disk_full", 0),
        ("disk_full", 1),
        # A DELETE needs no new page, so a full disk does not stop it.
    ],
    ids=["read-only-POST", "read-only-PUT", "read-only-DELETE", "full-POST", "full-PUT"],
)
def test_a_write_during_a_storage_fault_is_503_and_changes_nothing(
    client, report, fault, snapshot, kind, write
):
    method, path, body = writes(report)[write]
    before = snapshot()
    getattr(fault, kind)()

    response = client.open(path, method=method, json=body)

    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 503
    assert response.headers["Retry-After"].isdigit()
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["read_only", "disk_full"])
def test_reads_go_on_during_a_storage_fault(client, report, fault, kind):
    getattr(fault, kind)()

    assert client.get(f"{REPORTS}/{report['report_id']}").json == report
    assert client.get(REPORTS).json["pagination"]["total"] == 1
    assert client.get(f"{REPORTS}/by-mentor/{report['peer_mentor_id']}").status_code == 200


@pytest.mark.parametrize("kind", ["read_only", "disk_full"])
def test_the_service_recovers_by_itself_when_the_fault_is_gone(client, report, fault, kind):
    method, path, body = writes(report)[0]
    getattr(fault, kind)()
    assert client.open(path, method=method, json=body).status_code == 503

    fault.clear()

    assert client.open(path, method=method, json=body).status_code == 201


def test_the_log_names_the_fault_but_not_what_the_report_says(client, report, fault, caplog):
    fault.disk_full()
    method, path, body = writes(report)[0]

    with caplog.at_level(logging.WARNING):
        client.open(path, method=method, json=body)

    assert "SQLITE_FULL" in caplog.text
    assert "POST /api/v1/reports" in caplog.text
    assert SECRET_NOTE not in caplog.text


def test_a_database_locked_past_the_busy_timeout_is_503(app, client, report, database):
    db.GroupCommit.for_database(database).connection.execute("PRAGMA busy_timeout = 50")
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = client.put(f"{REPORTS}/{report['report_id']}", json={"status": "submitted"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert response.status_code == 503
    assert "busy" in response.json["detail"]


def test_any_other_database_error_is_a_500(client, monkeypatch):
    def broken(*args):
        raise sqlite3.OperationalError("no such table: report")

    monkeypatch.setattr("reports.queries.report_by_id", broken)

    assert client.get(f"{REPORTS}/rpt_00000000").status_code == 500
