"""End to end: the real `python app.py` (waitress) on a free port, driven over HTTP.

Each server runs from its own temporary folder with its own database, so no
`instance/` of the repository is touched. Only the standard library speaks HTTP.
"""

import json
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from reports import auth, create_app, db

from conftest import CONTRACT_REPORT
from serving import REPO, REPORTS, Server, server_env

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
REPORT_ID = re.compile(r"rpt_[0-9a-f]{8}")
PROBLEM_JSON = "application/problem+json"

CREATED_KEYS = ["report_id", "activity_id", "peer_mentor_id", "status", "created_at"]
FULL_KEYS = [
    "report_id", "activity_id", "peer_mentor_id", "org_id", "status", "fields",
    "submitted_at", "created_at", "updated_at",
]  # fmt: skip
UPDATED_KEYS = ["report_id", "status", "submitted_at", "updated_at"]
SUMMARY_KEYS = [
    "report_id", "activity_id", "peer_mentor_id", "status", "submitted_at", "created_at",
    "field_count", "has_way_forward",
]  # fmt: skip
BY_ACTIVITY_KEYS = ["report_id", "peer_mentor_id", "status", "submitted_at"]
BY_MENTOR_KEYS = ["report_id", "activity_id", "status", "submitted_at"]

CONTRACT_UPDATE = {
    "fields": {
        "attendance_count": 7,
        "mentor_notes": (
            "Group discussed CV writing. One participant completed application during session."
        ),
        "participant_engagement": "very_high",
    },
    "status": "submitted",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e")
    running = Server(workdir, workdir / "reports.sqlite").start()
    yield running
    running.stop()


def assert_problem(response, status):
    assert response.status == status, response
    assert response.content_type == PROBLEM_JSON, response
    problem = response.json
    assert {"type", "title", "status", "detail"} <= set(problem), problem
    assert problem["status"] == status
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    assert b"<html" not in response.raw.lower() and b"Traceback" not in response.raw
    return problem


def item_of(page, report_id):
    """The one item of a list page that is the given report."""
    items = [item for item in page["data"] if item["report_id"] == report_id]
    assert len(items) == 1, page
    return items[0]


def test_the_full_lifecycle_over_http(server):
    created = server.request("POST", REPORTS, CONTRACT_REPORT)
    assert created.status == 201, created
    body = created.json
    assert list(body) == CREATED_KEYS
    report_id = body["report_id"]
    assert REPORT_ID.fullmatch(report_id)
    assert created.headers["Location"] == f"{REPORTS}/{report_id}"
    assert body["status"] == "draft"
    assert (body["activity_id"], body["peer_mentor_id"]) == ("act_7b4e9f2a", "usr_mentor_042")

    fetched = server.request("GET", created.headers["Location"])
    assert fetched.status == 200, fetched
    assert fetched.content_type == "application/json"
    draft = fetched.json
    assert list(draft) == FULL_KEYS
    assert draft["org_id"] == "org_nansen_01"
    assert draft["fields"] == CONTRACT_REPORT["fields"]
    assert draft["status"] == "draft" and draft["submitted_at"] is None
    assert draft["updated_at"] == draft["created_at"] == body["created_at"]

    updated = server.request("PUT", f"{REPORTS}/{report_id}", CONTRACT_UPDATE)
    assert updated.status == 200, updated
    change = updated.json
    assert list(change) == UPDATED_KEYS
    assert change["report_id"] == report_id
    assert change["status"] == "submitted"
    assert change["submitted_at"] is not None

    submitted = server.request("GET", f"{REPORTS}/{report_id}").json
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] == change["submitted_at"]
    assert submitted["updated_at"] == change["updated_at"]
    assert submitted["fields"] == {**CONTRACT_REPORT["fields"], **CONTRACT_UPDATE["fields"]}

    listed = server.request("GET", f"{REPORTS}?limit=100")
    assert listed.status == 200, listed
    page = listed.json
    assert list(page) == ["data", "pagination"]
    assert list(page["pagination"]) == ["page", "limit", "total"]
    assert page["pagination"]["page"] == 1 and page["pagination"]["limit"] == 100
    assert page["pagination"]["total"] >= 1
    assert all(list(item) == SUMMARY_KEYS for item in page["data"])
    summary = item_of(page, report_id)
    assert summary == {
        "report_id": report_id,
        "activity_id": "act_7b4e9f2a",
        "peer_mentor_id": "usr_mentor_042",
        "status": "submitted",
        "submitted_at": change["submitted_at"],
        "created_at": body["created_at"],
        "field_count": 6,
        "has_way_forward": False,
    }

    by_activity = server.request("GET", f"{REPORTS}/by-activity/act_7b4e9f2a?limit=100")
    assert by_activity.status == 200, by_activity
    assert list(by_activity.json["pagination"]) == ["page", "limit", "total"]
    assert all(list(item) == BY_ACTIVITY_KEYS for item in by_activity.json["data"])
    assert item_of(by_activity.json, report_id) == {
        "report_id": report_id,
        "peer_mentor_id": "usr_mentor_042",
        "status": "submitted",
        "submitted_at": change["submitted_at"],
    }

    by_mentor = server.request("GET", f"{REPORTS}/by-mentor/usr_mentor_042?status=submitted")
    assert by_mentor.status == 200, by_mentor
    assert list(by_mentor.json["pagination"]) == ["page", "limit", "total"]
    assert all(list(item) == BY_MENTOR_KEYS for item in by_mentor.json["data"])
    assert item_of(by_mentor.json, report_id) == {
        "report_id": report_id,
        "activity_id": "act_7b4e9f2a",
        "status": "submitted",
        "submitted_at": change["submitted_at"],
    }

    deleted = server.request("DELETE", f"{REPORTS}/{report_id}")
    assert deleted.status == 200, deleted
    assert deleted.json == {"deleted": True, "report_id": report_id}
    assert list(deleted.json) == ["deleted", "report_id"]

    gone = server.request("GET", f"{REPORTS}/{report_id}")
    assert_problem(gone, 404)
    mentor_after = server.request("GET", f"{REPORTS}/by-mentor/usr_mentor_042?limit=100").json
    assert report_id not in {item["report_id"] for item in mentor_after["data"]}


def test_every_error_over_the_real_server_is_problem_json(server):
    total_before = server.request("GET", REPORTS).json["pagination"]["total"]

    assert_problem(server.request("GET", "/api/v1/nothing-here"), 404)
    assert_problem(server.request("GET", "/nope"), 404)

    not_allowed = server.request("PATCH", REPORTS, CONTRACT_REPORT)
    assert_problem(not_allowed, 405)
    allowed = {method.strip() for method in not_allowed.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "PATCH" not in allowed
    assert_problem(server.request("POST", f"{REPORTS}/rpt_0000abcd", CONTRACT_REPORT), 405)

    malformed = server.request(
        "POST", REPORTS, b'{"activity_id": "act_1",', {"Content-Type": "application/json"}
    )
    assert_problem(malformed, 400)
    not_an_object = server.request("POST", REPORTS, [CONTRACT_REPORT])
    assert_problem(not_an_object, 400)

    no_content_type = server.request("POST", REPORTS, json.dumps(CONTRACT_REPORT).encode())
    assert_problem(no_content_type, 415)
    text_plain = server.request(
        "POST", REPORTS, json.dumps(CONTRACT_REPORT).encode(), {"Content-Type": "text/plain"}
    )
    assert_problem(text_plain, 415)

    too_big = json.dumps({**CONTRACT_REPORT, "padding": "x" * (1024 * 1024)}).encode()
    assert len(too_big) > 1024 * 1024
    large = server.request("POST", REPORTS, too_big, {"Content-Type": "application/json"})
    assert_problem(large, 413)

    invalid = server.request("POST", REPORTS, {**CONTRACT_REPORT, "activity_id": "act 1"})
    problem = assert_problem(invalid, 422)
    assert "activity_id" in problem["errors"]
    missing = assert_problem(server.request("POST", REPORTS, {}), 422)
    assert {"activity_id", "peer_mentor_id", "org_id"} <= set(missing["errors"])

    assert server.request("GET", REPORTS).json["pagination"]["total"] == total_before


def test_the_data_survives_a_restart(tmp_path):
    server = Server(tmp_path, tmp_path / "reports.sqlite").start()
    try:
        created = server.request("POST", REPORTS, CONTRACT_REPORT)
        assert created.status == 201, created
        location = created.headers["Location"]
        submitted = server.request("PUT", location, CONTRACT_UPDATE)
        assert submitted.status == 200, submitted
        before = server.request("GET", location).json
    finally:
        server.stop()

    server.start()
    try:
        after = server.request("GET", location)
        assert after.status == 200, after
        assert after.json == before
        assert server.request("GET", REPORTS).json["pagination"]["total"] == 1
    finally:
        server.stop()


def test_timestamps_are_utc_seconds_with_z(server):
    created = server.request("POST", REPORTS, CONTRACT_REPORT)
    assert created.status == 201, created
    location = created.headers["Location"]
    submitted = server.request("PUT", location, CONTRACT_UPDATE).json
    report = server.request("GET", location).json
    summary = item_of(server.request("GET", f"{REPORTS}?limit=100").json, report["report_id"])
    by_mentor = item_of(
        server.request("GET", f"{REPORTS}/by-mentor/usr_mentor_042?limit=100").json,
        report["report_id"],
    )

    stamps = [
        created.json["created_at"],
        submitted["submitted_at"],
        submitted["updated_at"],
        report["created_at"],
        report["submitted_at"],
        report["updated_at"],
        summary["created_at"],
        summary["submitted_at"],
        by_mentor["submitted_at"],
    ]
    for stamp in stamps:
        assert isinstance(stamp, str) and TIMESTAMP.fullmatch(stamp), stamp
    assert report["created_at"] <= report["submitted_at"] <= report["updated_at"]
    server.request("DELETE", location)


def test_an_invalid_setting_stops_app_py_and_names_it(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "app.py")],
        cwd=tmp_path,
        env=server_env(tmp_path / "reports.sqlite", REPORTS_PORT="abc"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=15,
    )

    assert result.returncode != 0, result
    assert "PORT" in result.stderr, result
    assert "abc" in result.stderr, result
    assert "Traceback" not in result.stderr, result
    assert "Serving" not in result.stdout, result


def run_app_py(tmp_path, **settings):
    return subprocess.run(
        [sys.executable, str(REPO / "app.py")],
        cwd=tmp_path,
        env=server_env(tmp_path / "reports.sqlite", **settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=15,
    )


def test_app_py_refuses_to_serve_an_open_api_beyond_loopback(tmp_path):
    result = run_app_py(tmp_path, REPORTS_HOST="0.0.0.0")

    assert result.returncode != 0, result
    assert "no API token is in force" in result.stderr, result
    assert "flask --app reports token create" in result.stderr, result
    assert "REPORTS_ALLOW_OPEN=1" in result.stderr, result
    assert "Traceback" not in result.stderr, result
    assert "Serving" not in result.stdout, result


def test_app_py_serves_beyond_loopback_once_a_token_exists(tmp_path):
    database = tmp_path / "reports.sqlite"
    app = create_app({"DATABASE": str(database)})
    db.init_db(str(database))
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")

    with Server(tmp_path, REPORTS_HOST="0.0.0.0") as server:
        refused = server.request("GET", REPORTS)
        allowed = server.request("GET", REPORTS, headers={"Authorization": f"Bearer {secret}"})

    assert (refused.status, allowed.status) == (401, 200)


def test_app_py_serves_an_open_api_beyond_loopback_when_the_operator_allows_it(tmp_path):
    with Server(tmp_path, REPORTS_HOST="0.0.0.0", REPORTS_ALLOW_OPEN="1") as server:
        assert server.request("GET", REPORTS).status == 200


def test_an_open_api_serves_only_requests_made_on_this_machine(server):
    """As a browser page that rebinds its name to 127.0.0.1 would send it, and
    as a reverse proxy on the same machine would forward it."""
    plain = server.request("GET", REPORTS)
    rebound = server.request("GET", REPORTS, headers={"Host": "attacker.example"})
    proxied = server.request("GET", REPORTS, headers={"X-Forwarded-For": "203.0.113.9"})
    written = server.request(
        "POST", REPORTS, CONTRACT_REPORT, headers={"Host": f"attacker.example:{server.port}"}
    )

    assert plain.status == 200, plain
    for refused in (rebound, proxied, written):
        problem = assert_problem(refused, 401)
        assert "flask --app reports token create" in problem["detail"]


def read_response(sock):
    """Everything the server sends on a raw socket until it has sent a whole answer."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
        re.search(rb"Content-Length: (\d+)", data).group(1)
    ):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_finishes_the_request_under_way_then_exits_cleanly(tmp_path, stop):
    server = Server(tmp_path).start()
    body = json.dumps(CONTRACT_REPORT).encode()
    head = (
        "POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(head + body[:20])  # a request under way: half its body sent
            time.sleep(0.3)
            server.process.send_signal(stop)
            time.sleep(0.5)
            assert server.process.poll() is None  # still there for the request under way
            with pytest.raises(OSError):  # but no longer taking new connections
                socket.create_connection((server.host, server.port), timeout=1).close()
            sock.sendall(body[20:])
            answer = read_response(sock)
        assert answer.startswith(b"HTTP/1.1 201"), answer
        assert server.process.wait(timeout=10) == 0
    finally:
        server.kill()

    assert "Stopped." in server.stdout()
    wal = tmp_path / "reports.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # folded into the database file
    report_id = json.loads(answer.split(b"\r\n\r\n", 1)[1])["report_id"]
    with Server(tmp_path) as again:
        assert again.request("GET", f"{REPORTS}/{report_id}").status == 200


def test_a_coordinator_onboards_a_mentor_whose_sign_in_link_works(live_server):
    """Over HTTP, with the API open to this machine: a person and an activity are
    added, a sign-in link made, and the mentor's browser signs in with it."""
    person = live_server.request("POST", "/api/v1/people", {"name": "Åse Øye", "role": "mentor"})
    assert person.status == 201, person
    mentor = person.json["peer_mentor_id"]
    assert mentor == "usr_ase_oye"
    activity = live_server.request(
        "POST", "/api/v1/activities", {"name": "Job club", "mentors": [mentor]}
    )
    assert activity.status == 201, activity
    assert activity.headers["Location"] == "/api/v1/activities/job_club"

    link = live_server.request("POST", f"/api/v1/people/{person.json['person_id']}/sign-in-links")
    assert link.status == 201, link
    path = "/login/" + link.json["url"].rsplit("/login/", 1)[1]

    with live_server.client() as browser:
        page = browser.request("GET", path)
        assert page.status == 200, page
        cookie = page.headers["Set-Cookie"].split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.raw.decode())[1]
        signed_in = browser.request(
            "POST",
            path,
            f"csrf_token={csrf}".encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        assert signed_in.status == 302, signed_in
        session = signed_in.headers["Set-Cookie"].split(";")[0]
        mine = browser.request("GET", "/reports/mine", headers={"Cookie": session})
        assert mine.status == 200, mine
        assert "ase_oye" in mine.raw.decode()  # signed in as the person's new token

    # The link's token is the first: the API is no longer open without one.
    assert live_server.request("GET", "/api/v1/people").status == 401
