"""The request log: one line per request with its id, and never what a
report says; the id comes back in X-Request-ID and names the error lines."""

import io
import json
import re
import sqlite3
from urllib.parse import unquote

import pytest

from reports import create_app, db, service

from conftest import CONTRACT_REPORT
from serving import Server

REPORTS = "/api/v1/reports"
SECRET = "Participant disclosed a private matter"


class Captured(io.StringIO):
    """What the request log writes, instead of stderr."""

    @property
    def lines(self):
        # The test client reads the OpenAPI document to check every answer.
        return [line for line in self.getvalue().splitlines() if "/openapi.json" not in line]


@pytest.fixture
def logged(app):
    stream = Captured()
    app.extensions["request_log"].stream = stream
    return stream


def test_each_request_is_one_line_with_its_id_method_path_status_and_time(client, logged):
    response = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": {"mentor_notes": SECRET}},
                           headers={"X-Request-ID": "upload-17"})  # fmt: skip

    assert response.headers["X-Request-ID"] == "upload-17"
    (line,) = logged.lines
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ client:upload-17 POST /api/v1/reports 201 \d+\.\dms -",
        line,
    ), line


def test_the_log_never_holds_a_query_string_or_a_field_value(client, logged):
    client.post(REPORTS, json={**CONTRACT_REPORT, "fields": {"mentor_notes": SECRET}})
    client.get(f"{REPORTS}?q=disclosed+private")

    assert len(logged.lines) == 2
    assert not any("disclosed" in line or "q=" in line for line in logged.lines)


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "semi;colon", "ünï"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, logged, given):
    headers = {} if given is None else {"X-Request-ID": given}

    response = client.get(REPORTS, headers=headers)

    made = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert f" {made} " in logged.lines[0]
    assert client.get(REPORTS).headers["X-Request-ID"] != made


def test_a_client_s_id_is_logged_apart_from_every_id_the_server_makes(client, logged):
    made = client.get(REPORTS).headers["X-Request-ID"]

    again = client.get(REPORTS, headers={"X-Request-ID": made})

    assert again.headers["X-Request-ID"] == made
    first, second = logged.lines
    assert first.split()[1] == made
    assert second.split()[1] == f"client:{made}"


def test_the_line_names_the_token(client, tokens, logged):
    client.get(REPORTS, headers=tokens["viewer"])
    client.get(REPORTS)

    first, second = logged.lines
    assert " 200 " in first and first.split()[-1] == "victor"
    assert " 401 " in second and second.split()[-1] == "-"


def test_an_error_line_names_the_request(client, logged, monkeypatch, caplog):
    def fails(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "get_report", fails)

    response = client.get(f"{REPORTS}/rpt_00000001", headers={"X-Request-ID": "trace-9"})

    assert response.status_code == 500
    assert "(request client:trace-9)" in caplog.text
    assert " client:trace-9 GET /api/v1/reports/rpt_00000001 500 " in logged.lines[0]


def test_the_json_format_is_one_object_per_line(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "r.sqlite"), "LOG_FORMAT": "json"})
    db.init_db(app.config["DATABASE"])
    stream = Captured()
    app.extensions["request_log"].stream = stream

    app.test_client().get(REPORTS, headers={"X-Request-ID": "j-1"})

    line = json.loads(stream.lines[0])
    assert list(line) == ["time", "request_id", "method", "path", "status", "duration_ms", "token"]
    assert (line["request_id"], line["method"], line["status"], line["token"]) == (
        "client:j-1", "GET", 200, None
    )  # fmt: skip


def test_the_server_logs_to_stderr(tmp_path):
    with Server(tmp_path) as server:
        server.request("GET", REPORTS, headers={"X-Request-ID": "e2e-1"})
        server.stop()
        assert " client:e2e-1 GET /api/v1/reports 200 " in server.stderr()


def test_a_storage_fault_line_names_the_request(app, client, caplog):
    writer = db.GroupCommit.for_database(app.config["DATABASE"]).connection
    writer.execute("PRAGMA query_only = ON")
    try:
        response = client.post(REPORTS, json=CONTRACT_REPORT, headers={"X-Request-ID": "disk-3"})
    finally:
        writer.execute("PRAGMA query_only = OFF")

    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "disk-3"
    assert "Storage fault on POST /api/v1/reports (request client:disk-3)" in caplog.text


# A value of the request never forges a line or drives the terminal ----------

FORGED = "2026-01-01T00:00:00Z forged GET /api/v1/reports 200 1.0ms carla"
# One that keeps the path within the route of a report.
FORGED_ID = "2026-01-01T00:00:00Z forged DELETE rpt_0000abcd 204 1.0ms carla"
CONTROLS = [
    (f"x%0A{FORGED.replace(' ', '%20')}", "x\\x0a2026-01-01T00:00:00Z\\x20forged"),
    ("x%0D", "x\\x0d"),
    ("x%1b[31m", "x\\x1b[31m"),
    ("x%00", "x\\x00"),
    ("x%7F", "x\\x7f"),
    ("x%C2%85", "x\\x85"),  # NEXT LINE, a C1 control
    ("x%E2%80%A8", "x\\u2028"),  # LINE SEPARATOR
    ("x%5Cx0a", "x\\x5cx0a"),  # a backslash is escaped, so an escape cannot be faked
]


@pytest.mark.parametrize(("sent", "logged_as"), CONTROLS)
def test_control_characters_in_the_path_are_escaped_in_one_line(
    client, tokens, logged, sent, logged_as
):
    client.get(f"{REPORTS}/{sent}")

    (line,) = logged.lines
    assert re.search(f" GET {re.escape(REPORTS)}/{re.escape(logged_as)}\\S* (401|404) ", line), line
    assert line.isprintable(), line


@pytest.mark.parametrize(("sent", "logged_as"), CONTROLS)
def test_the_json_log_escapes_control_characters_too(tmp_path, sent, logged_as):
    app = create_app({"DATABASE": str(tmp_path / "r.sqlite"), "LOG_FORMAT": "json"})
    stream = Captured()
    app.extensions["request_log"].stream = stream

    app.test_client().get(f"{REPORTS}/{sent}")

    (line,) = stream.lines
    assert line.isascii() and line.isprintable(), line
    assert json.loads(line)["path"] == unquote(f"{REPORTS}/{sent}")


def test_an_unexpected_error_line_escapes_the_path_and_the_error(client, monkeypatch, caplog):
    def fails(*args, **kwargs):
        raise RuntimeError(f"a bug\n{FORGED_ID}")

    monkeypatch.setattr(service, "get_report", fails)

    response = client.get(f"{REPORTS}/x%0A{FORGED_ID.replace(' ', '%20')}%1b[2J")

    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage().startswith(
        f"Unexpected error on GET {REPORTS}/x\\x0a{FORGED_ID}\\x1b[2J (request "
    )
    assert record.getMessage().isprintable()
    assert "RuntimeError: a bug\\x0a2026-01-01T00:00:00Z forged" in caplog.text
    assert not any(line.startswith(FORGED_ID) for line in caplog.text.splitlines())


def test_a_storage_fault_line_escapes_the_path(client, monkeypatch, caplog):
    def faulty(*args, **kwargs):
        readonly = sqlite3.connect(":memory:")
        readonly.execute("PRAGMA query_only = ON")
        readonly.execute("CREATE TABLE t (x)")

    monkeypatch.setattr(service, "get_report", faulty)

    response = client.get(f"{REPORTS}/x%0D%0A{FORGED_ID.replace(' ', '%20')}")

    assert response.status_code == 503
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage().startswith(
        f"Storage fault on GET {REPORTS}/x\\x0d\\x0a{FORGED_ID} (request "
    )
    assert record.getMessage().isprintable()
    assert not any(line.startswith(FORGED_ID) for line in caplog.text.splitlines())


def test_the_server_log_escapes_control_characters(tmp_path):
    with Server(tmp_path) as server:
        server.request("GET", f"{REPORTS}/x%0A{FORGED.replace(' ', '%20')}%1b[31m%00%0D")
        server.stop()
        lines = [line for line in server.stderr().splitlines() if FORGED.split()[0] in line]
    assert len(lines) == 1, lines
    assert f" GET {REPORTS}/x\\x0a2026-01-01T00:00:00Z\\x20forged" in lines[0]
    assert lines[0].endswith("\\x1b[31m\\x00\\x0d 404 " + lines[0].split(" 404 ")[1])
    assert lines[0].isprintable()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_log_never_holds_a_sign_in_links_secret(app, client, logged, method):
    from reports import auth

    with app.app_context():
        auth.create_token("mona", "mentor", CONTRACT_REPORT["peer_mentor_id"])
        secret = auth.create_sign_in_link("mona", 15)
    client.open(f"/login/{secret}", method=method)

    (line,) = logged.lines
    assert secret not in line
    assert " /login/… " in line, line
