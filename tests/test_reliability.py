"""Nothing lost, nothing crashes, against the real `python app.py` (waitress).

- Concurrency: eight client threads, each on its own connection, create, update
  and read reports at once; no 5xx, no "database is locked", and every report
  ends as its last acknowledged write left it.
- Crash safety: the server is killed with SIGKILL while writes are in flight;
  after a restart every acknowledged create and update is there, intact, and
  SQLite's integrity check passes.

Each thread only changes the reports it created itself, so the last acknowledged
state of every report is known exactly. Traffic goes to 127.0.0.1 only.
"""

import http.client
import random
import sqlite3
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta

from serving import REPORTS, Server

# The catalogue; a submitted report must keep the first three.
REQUIRED = ["session_date", "attendance_count", "session_topic"]
OPTIONAL = [
    "participant_engagement", "challenges_noted", "mentor_notes", "way_forward",
    "duration_minutes", "follow_up_needed",
]  # fmt: skip
TOPICS = [
    "Job application support",
    "Norsk språkkafé",
    "Budget and bills",
    "Digital ID — first steps",
    "Samtalegruppe ☕",
    "دعم الأقران",
]
NOTES = [
    "Group discussed CV writing.",
    "Two participants came late; we started again.\nAgreed to meet next week.",
    "'; DROP TABLE report; --",
    "Tabs\tand emoji 🎉 are fine",
    "",
]

CLIENT_THREADS = 8
OPERATIONS_PER_THREAD = 40
WRITERS = 4
KILL_AFTER_CREATES = 100
KILL_AFTER_SECONDS = 4
JOIN_TIMEOUT = 30


def session_date(rng):
    """A date in the last two months (UTC), never after tomorrow as the catalogue asks."""
    return (datetime.now(UTC).date() - timedelta(days=rng.randrange(60))).isoformat()


def random_value(rng, name):
    match name:
        case "session_date":
            return session_date(rng)
        case "attendance_count":
            return rng.randrange(0, 1001)
        case "session_topic":
            return f"{rng.choice(TOPICS)} #{rng.randrange(10_000)}"
        case "participant_engagement":
            return rng.choice(["low", "medium", "high", "very_high"])
        case "challenges_noted" | "mentor_notes" | "way_forward":
            return f"{rng.choice(NOTES)} ({rng.randrange(10_000)})"
        case "duration_minutes":
            return rng.randrange(1, 1441)
        case "follow_up_needed":
            return rng.random() < 0.5


def random_fields(rng):
    """Every required field (so any report may be submitted) and some optional ones."""
    names = REQUIRED + rng.sample(OPTIONAL, rng.randrange(len(OPTIONAL) + 1))
    return {name: random_value(rng, name) for name in names}


def random_changes(rng, status):
    """A PUT body: some fields replaced, optional ones sometimes removed (null),
    sometimes a submit; never back to draft, which would be a 409."""
    changes = {}
    for name in rng.sample(REQUIRED + OPTIONAL, rng.randrange(1, 5)):
        removable = name in OPTIONAL and rng.random() < 0.25
        changes[name] = None if removable else random_value(rng, name)
    body = {"fields": changes}
    if rng.random() < 0.3:
        body["status"] = "submitted"
        if rng.random() < 0.3:
            del body["fields"]
    elif status == "draft" and rng.random() < 0.1:
        body["status"] = "draft"
    return body


def merged(fields, changes):
    """The service's merge: each key given replaces that field, null removes it."""
    return {name: value for name, value in {**fields, **changes}.items() if value is not None}


def after_update(state, body):
    """A report's state once a PUT with `body` has been applied."""
    return {
        **state,
        "status": body.get("status", state["status"]),
        "fields": merged(state["fields"], body.get("fields", {})),
    }


def state_of(report):
    """The part of a full report that the client chose."""
    return {
        key: report[key] for key in ("activity_id", "peer_mentor_id", "org_id", "status", "fields")
    }


def differences(report_id, expected, report):
    """What is wrong with a fetched report, as text; empty when it is as expected."""
    found = []
    if report.get("report_id") != report_id:
        found.append(f"report_id {report.get('report_id')!r}")
    if state_of(report) != expected:
        found.append(f"is {state_of(report)}, expected {expected}")
    if (report["status"] == "submitted") != (report["submitted_at"] is not None):
        found.append(f"status {report['status']} with submitted_at {report['submitted_at']!r}")
    return [f"{report_id}: {difference}" for difference in found]


def all_reports(client):
    """Every report as its list summary, page by page (nothing writes meanwhile)."""
    reports, page = [], 1
    while True:
        response = client.request("GET", f"{REPORTS}?limit=100&page={page}")
        assert response.status == 200, response
        listing = response.json
        reports += listing["data"]
        if not listing["data"]:
            assert len(reports) == listing["pagination"]["total"], listing["pagination"]
            return reports
        page += 1


def integrity_check(database):
    db = sqlite3.connect(database)
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()


class Traffic:
    """What one client thread sent and saw: the answers by status, anything that
    went wrong, and the last acknowledged state of each report it created."""

    def __init__(self, index, server):
        self.index = index
        self.client = server.client()
        self.rng = random.Random(f"reliability-{index}")
        self.mentor = f"usr_conc_{index}"
        self.statuses = Counter()
        self.problems = []
        self.reports = {}

    def request(self, method, path, body=None, expected=200):
        response = self.client.request(method, path, body)
        self.statuses[response.status] += 1
        what = f"thread {self.index}: {method} {path} {body}"
        if b"locked" in response.raw.lower():
            self.problems.append(f"{what}: the answer mentions a lock: {response!r}")
        if response.status != expected:
            self.problems.append(f"{what}: expected {expected}, got {response!r}")
            return None
        return response.json

    def create(self):
        status = self.rng.choice(["draft", "submitted"])
        body = {
            "activity_id": f"act_conc_{self.rng.randrange(3)}",
            "peer_mentor_id": self.mentor,
            "org_id": "org_reliability",
            "status": status,
            "fields": random_fields(self.rng),
        }
        created = self.request("POST", REPORTS, body, expected=201)
        if created is not None:
            self.reports[created["report_id"]] = state_of(body)

    def update(self):
        report_id = self.rng.choice(sorted(self.reports))
        body = random_changes(self.rng, self.reports[report_id]["status"])
        updated = self.request("PUT", f"{REPORTS}/{report_id}", body)
        if updated is not None:
            self.reports[report_id] = after_update(self.reports[report_id], body)
            if updated["status"] != self.reports[report_id]["status"]:
                self.problems.append(f"{report_id}: PUT {body} answered {updated}")

    def read(self):
        report_id = self.rng.choice(sorted(self.reports))
        report = self.request("GET", f"{REPORTS}/{report_id}")
        if report is not None:
            # Only this thread writes this report: it reads its own last write.
            self.problems += differences(report_id, self.reports[report_id], report)

    def list(self):
        kind = self.rng.randrange(3)
        if kind == 0:
            page = self.request("GET", f"{REPORTS}?limit=100")
            if page is not None and page["pagination"]["total"] < len(self.reports):
                self.problems.append(f"thread {self.index}: the list misses reports: {page}")
        elif kind == 1:
            activity = f"act_conc_{self.rng.randrange(3)}"
            self.request("GET", f"{REPORTS}/by-activity/{activity}?status=submitted&limit=5")
        else:
            page = self.request("GET", f"{REPORTS}/by-mentor/{self.mentor}?limit=100")
            if page is None:
                return
            # Only this thread creates reports for its mentor.
            listed = {item["report_id"]: item["status"] for item in page["data"]}
            mine = {report_id: state["status"] for report_id, state in self.reports.items()}
            if listed != mine or page["pagination"]["total"] != len(mine):
                self.problems.append(f"thread {self.index}: by-mentor is {page}, not {mine}")

    def run(self, barrier):
        try:
            barrier.wait()
            self.create()
            for _ in range(OPERATIONS_PER_THREAD - 1):
                if not self.reports:
                    operation = self.create
                else:
                    operation = self.rng.choices(
                        [self.create, self.update, self.read, self.list], [25, 35, 20, 20]
                    )[0]
                operation()
        except BaseException:
            self.problems.append(f"thread {self.index}: {traceback.format_exc()}")
        finally:
            self.client.close()


def test_concurrent_clients_lose_nothing_and_never_see_a_lock(tmp_path):
    server = Server(tmp_path, REPORTS_THREADS="8").start()
    try:
        traffic = [Traffic(index, server) for index in range(CLIENT_THREADS)]
        barrier = threading.Barrier(CLIENT_THREADS, timeout=JOIN_TIMEOUT)
        threads = [threading.Thread(target=each.run, args=(barrier,)) for each in traffic]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, started + JOIN_TIMEOUT - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "client threads hang"

        statuses = sum((each.statuses for each in traffic), Counter())
        problems = [problem for each in traffic for problem in each.problems]
        assert sum(statuses.values()) == CLIENT_THREADS * OPERATIONS_PER_THREAD, statuses
        assert not [status for status in statuses if status >= 500], (statuses, problems[:10])
        assert not problems, "\n".join(problems[:20])

        expected = {
            report_id: state for each in traffic for report_id, state in each.reports.items()
        }
        with server.client() as client:
            for report_id, state in expected.items():
                fetched = client.request("GET", f"{REPORTS}/{report_id}")
                assert fetched.status == 200, (report_id, fetched)
                assert not differences(report_id, state, fetched.json)
            listed = all_reports(client)
            submitted = client.request("GET", f"{REPORTS}?status=submitted&limit=1").json
        assert sorted(item["report_id"] for item in listed) == sorted(expected)
        assert {item["report_id"]: item["status"] for item in listed} == {
            report_id: state["status"] for report_id, state in expected.items()
        }
        assert submitted["pagination"]["total"] == sum(
            state["status"] == "submitted" for state in expected.values()
        )
    finally:
        server.stop()
    log = server.stderr()
    assert "locked" not in log.lower() and "Traceback" not in log, log[-5000:]
    assert integrity_check(server.database) == [("ok",)]


class Writer:
    """A client that writes reports in a loop until the server goes away, and keeps
    what it knows: the acknowledged state of each report it created, and the one
    write that was sent but never answered (it may or may not have happened)."""

    def __init__(self, index, server, acknowledged_creates):
        self.index = index
        self.client = server.client(timeout=5)
        self.rng = random.Random(f"crash-{index}")
        self.acknowledged_creates = acknowledged_creates
        self.created = {}  # report_id -> the 201's body
        self.acknowledged = {}  # report_id -> state after its last acknowledged write
        self.unanswered = None  # ("create", activity_id, state) or ("update", report_id, state)
        self.ended_by = None
        self.problems = []

    def run(self, stop):
        try:
            for number in range(1_000_000):
                if stop.is_set():
                    return
                if self.acknowledged and self.rng.random() < 0.3:
                    self.update()
                else:
                    self.create(number)
        except (OSError, http.client.HTTPException) as error:
            self.ended_by = error  # the kill: connection reset, refused or cut short
        except BaseException:
            self.problems.append(f"writer {self.index}: {traceback.format_exc()}")
        finally:
            self.client.close()

    def create(self, number):
        body = {
            "activity_id": f"act_crash_{self.index}_{number}",
            "peer_mentor_id": f"usr_crash_{self.index}",
            "org_id": "org_reliability",
            "status": self.rng.choice(["draft", "submitted"]),
            "fields": random_fields(self.rng),
        }
        self.unanswered = ("create", body["activity_id"], state_of(body))
        response = self.client.request("POST", REPORTS, body)
        self.unanswered = None
        if response.status != 201:
            self.problems.append(f"writer {self.index}: POST {body}: {response!r}")
            return
        report_id = response.json["report_id"]
        self.created[report_id] = response.json
        self.acknowledged[report_id] = state_of(body)
        self.acknowledged_creates.release()

    def update(self):
        report_id = self.rng.choice(sorted(self.acknowledged))
        body = random_changes(self.rng, self.acknowledged[report_id]["status"])
        state = after_update(self.acknowledged[report_id], body)
        self.unanswered = ("update", report_id, state)
        response = self.client.request("PUT", f"{REPORTS}/{report_id}", body)
        self.unanswered = None
        if response.status != 200:
            self.problems.append(f"writer {self.index}: PUT {report_id} {body}: {response!r}")
            return
        self.acknowledged[report_id] = state


def test_acknowledged_writes_survive_a_sigkill(tmp_path):
    server = Server(tmp_path, REPORTS_THREADS="4").start()
    acknowledged_creates = threading.Semaphore(0)
    stop = threading.Event()
    writers = [Writer(index, server, acknowledged_creates) for index in range(WRITERS)]
    threads = [threading.Thread(target=writer.run, args=(stop,)) for writer in writers]
    try:
        for thread in threads:
            thread.start()
        # Kill while the writers are busy: after KILL_AFTER_CREATES acknowledged
        # creates, or after KILL_AFTER_SECONDS on a slow disk.
        deadline = time.monotonic() + KILL_AFTER_SECONDS
        for _ in range(KILL_AFTER_CREATES):
            if not acknowledged_creates.acquire(timeout=max(0, deadline - time.monotonic())):
                break
        server.kill()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=JOIN_TIMEOUT)
        server.kill()
    assert not any(thread.is_alive() for thread in threads), "writer threads hang"
    problems = [problem for writer in writers for problem in writer.problems]
    assert not problems, "\n".join(problems[:20])
    created = {rid: body for writer in writers for rid, body in writer.created.items()}
    assert len(created) >= 10, f"only {len(created)} creates before the kill\n{server}"

    acknowledged = {}
    maybe_updated = {}  # report_id -> the state an unanswered PUT would have left
    maybe_created = {}  # activity_id -> the report an unanswered POST would have created
    for writer in writers:
        acknowledged.update(writer.acknowledged)
        if writer.unanswered is not None:
            kind, key, state = writer.unanswered
            (maybe_created if kind == "create" else maybe_updated)[key] = state

    server.start()
    try:
        with server.client() as client:
            for report_id, body in created.items():
                fetched = client.request("GET", f"{REPORTS}/{report_id}")
                assert fetched.status == 200, f"{report_id}: {fetched!r}\n{server}"
                report = fetched.json
                assert report["created_at"] == body["created_at"], (report, body)
                possible = [acknowledged[report_id]]
                if report_id in maybe_updated:
                    possible.append(maybe_updated[report_id])
                found = [differences(report_id, state, report) for state in possible]
                assert [] in found, found
            listed = all_reports(client)
            # Besides the acknowledged reports, at most the unanswered creates.
            for item in listed:
                if item["report_id"] in created:
                    continue
                state = maybe_created.get(item["activity_id"])
                assert state is not None, f"a report nobody created: {item}"
                report = client.request("GET", f"{REPORTS}/{item['report_id']}").json
                assert not differences(item["report_id"], state, report)
            assert len(listed) <= len(created) + len(maybe_created)
    finally:
        server.stop()

    assert integrity_check(server.database) == [("ok",)]
    db = sqlite3.connect(server.database)
    try:
        stored = {row[0] for row in db.execute("SELECT report_id FROM report")}
    finally:
        db.close()
    assert stored == {item["report_id"] for item in listed}
    log = server.stderr()
    assert "Traceback" not in log and "locked" not in log.lower(), log[-5000:]
