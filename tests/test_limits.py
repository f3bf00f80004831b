"""No client can starve the others: a few exports, searches and summaries run at
once and more are refused with a 503; a read statement has a time budget; an
export holds no read snapshot while its client reads, and a client that stops
reading is cut off. The load tests run the real server and are bounded."""

import itertools
import random
import socket
import sqlite3
import threading
import time
from datetime import date, timedelta

import pytest

from reports import db, limits, queries, service
from reports.auth import ANONYMOUS
from reports.db import add_functions, get_db

from serving import REPORTS, Server, copy_of, p99, raw_request

PROBLEM_JSON = "application/problem+json"


def fill(database, count):
    """`count` reports straight into the database, in one statement."""
    db = sqlite3.connect(database)
    add_functions(db)  # the search index's triggers call it
    with db:
        db.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
            INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, fields,
                                field_count, has_way_forward, submitted_at, created_at,
                                updated_at)
            SELECT printf('rpt_%08x', i), printf('act_%d', i % 50), printf('usr_%d', i % 20),
                   'org_1', 'draft',
                   json_object('mentor_notes', printf('good grief gone %d great games', i)),
                   1, 0, NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
              FROM n
            """,
            {"count": count},
        )
    db.close()


def problem_503(response):
    assert response.status_code == 503, response.data
    assert response.mimetype == PROBLEM_JSON
    assert response.headers["Retry-After"].isdigit()
    return response.json["detail"]


def test_exports_beyond_max_exports_are_refused_until_one_ends(app, database):
    app.config["MAX_EXPORTS"] = 2
    fill(database, 3)
    with app.test_request_context():
        first = service.all_reports({}, caller=ANONYMOUS)
        second = service.all_reports({}, caller=ANONYMOUS)
        with pytest.raises(limits.Busy, match="exports.*2"):
            service.all_reports({}, caller=ANONYMOUS)
        first.close()  # as when its client goes away
        third = service.all_reports({}, caller=ANONYMOUS)
        assert len(list(third)) == 3  # read to the end: its slot is free again
        assert len(list(second)) == 3
        assert len(list(service.all_reports({}, caller=ANONYMOUS))) == 3


def test_an_export_holds_no_read_snapshot_while_its_client_reads(app, database):
    fill(database, 2 * service.lists.EXPORT_CHUNK + 1)
    with app.test_request_context():
        reports = iter(service.all_reports({}, caller=ANONYMOUS))
        for count in range(1, 2 * service.lists.EXPORT_CHUNK + 2):
            next(reports)
            # Between two reports handed on, as while a slow client reads them,
            # no read transaction keeps checkpoints from resetting the WAL.
            assert not get_db().in_transaction, f"a snapshot is open after report {count}"
        assert next(reports, None) is None


def test_an_export_beyond_max_exports_is_a_503_with_retry_after(app, client, database):
    fill(database, 3)
    with app.test_request_context():
        held = [limits.take("export") for _ in range(app.config["MAX_EXPORTS"])]
    for export in ("csv", "ndjson"):
        detail = problem_503(client.get(f"{REPORTS}?format={export}"))
        assert "exports" in detail
    assert client.get(f"{REPORTS}/rpt_00000001").status_code == 200
    held[0].release()
    assert len(client.get(f"{REPORTS}?format=ndjson").data.splitlines()) == 3


def test_searches_and_summaries_beyond_max_searches_are_refused_at_once(
    app, client, database, monkeypatch
):
    app.config["MAX_SEARCHES"] = 2
    fill(database, 3)
    entered, release = threading.Semaphore(0), threading.Event()
    summary = queries.summary

    def slow_summary(*args):
        entered.release()
        release.wait(10)
        return summary(*args)

    monkeypatch.setattr(queries, "summary", slow_summary)
    answers = []
    heavy = [
        threading.Thread(
            target=lambda: answers.append(client.get(f"{REPORTS}/summary?group_by=activity"))
        )
        for _ in range(2)
    ]
    for thread in heavy:
        thread.start()
    try:
        assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
        started = time.monotonic()
        detail = problem_503(client.get(f"{REPORTS}?q=good"))
        assert "searches, summaries" in detail
        problem_503(client.get(f"{REPORTS}/summary?group_by=mentor"))
        assert time.monotonic() - started < 1  # refused, not kept waiting
        # Cheap requests never wait behind them.
        assert client.get(REPORTS).status_code == 200
        assert client.get(f"{REPORTS}/rpt_00000001").status_code == 200
    finally:
        release.set()
        for thread in heavy:
            thread.join(10)
    assert [answer.status_code for answer in answers] == [200, 200]
    assert client.get(f"{REPORTS}?q=good").json["pagination"]["total"] == 3


def test_a_slot_held_by_a_request_serves_the_same_kind_of_work_inside_it(app):
    app.config["MAX_SEARCHES"] = 1
    with app.test_request_context():
        with limits.holding("search"):
            # A page that holds a slot for its rendering calls the service,
            # which holds one for its heavy query: the request's own serves.
            with limits.holding("search"):
                assert limits.slots("search").taken == 1
            assert limits.slots("search").taken == 1
            # Another request (an app context of its own) finds no slot free.
            with app.app_context(), pytest.raises(limits.Busy):
                with limits.holding("search"):
                    pass
        assert limits.slots("search").taken == 0


def test_a_deep_page_by_number_takes_a_search_slot_and_a_cursor_none(
    app, client, database, monkeypatch
):
    monkeypatch.setattr(service.lists, "DEEP_PAGE_OFFSET", 10)
    fill(database, 30)
    following = client.get(f"{REPORTS}?limit=10").headers["Link"].split(">")[0].strip("<")
    with app.test_request_context():
        held = [limits.take("search") for _ in range(app.config["MAX_SEARCHES"])]
    try:
        # Page 2 skips DEEP_PAGE_OFFSET reports (10): it needs a slot.
        assert "searches" in problem_503(client.get(f"{REPORTS}?limit=10&page=2"))
        assert "searches" in problem_503(client.get(f"{REPORTS}?status=draft&limit=5&page=3"))
        # Page 1, a cursor at any depth and a page past the end read no skipped reports.
        assert client.get(f"{REPORTS}?limit=10&page=1").status_code == 200
        assert len(client.get(following).json["data"]) == 10
        assert client.get(f"{REPORTS}?limit=10&page=4").json["data"] == []
    finally:
        for slot in held:
            slot.release()
    assert len(client.get(f"{REPORTS}?limit=10&page=2").json["data"]) == 10


def test_a_statement_over_its_time_budget_is_a_503_that_says_why(
    app, client, database, monkeypatch
):
    fill(database, 5000)
    # The search reads and sorts its 5000 matches (see service.lists._probe).
    monkeypatch.setattr(service.lists, "WALK_COST", 0)
    app.config["QUERY_TIMEOUT_MS"] = 1
    heavy = f"{REPORTS}?q=goo*+gri*+gon*+gre*+gam*"
    detail = problem_503(client.get(heavy))
    assert "took longer" in detail and "1 ms" in detail and "narrow" in detail
    problem_503(client.get(f"{REPORTS}/summary?group_by=activity"))

    app.config["QUERY_TIMEOUT_MS"] = 60_000
    assert client.get(heavy).json["pagination"]["total"] == 5000
    assert client.get(f"{REPORTS}/summary?group_by=activity").status_code == 200


def test_a_request_after_a_pause_longer_than_the_budget_is_served(app, client, tokens, monkeypatch):
    """Each statement has its own budget, counted from when it starts: the
    token's check too, however long the connection sat idle since the last."""
    # SQLite asks the budget at every step of every statement.
    monkeypatch.setattr(db.connections, "PROGRESS_STEPS", 1)
    app.config["QUERY_TIMEOUT_MS"] = 50
    assert client.get(REPORTS, headers=tokens["coordinator"]).status_code == 200
    time.sleep(0.1)

    assert client.get(REPORTS, headers=tokens["coordinator"]).status_code == 200


def stalled_export(server, path=f"{REPORTS}?format=csv"):
    """A connection that asks for an export and never reads a byte of it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((server.host, server.port))
    sock.sendall(raw_request("GET", path))
    return sock


def bound(baseline):
    """The p99 a load test allows: 100 ms, or on a machine so busy that the same
    requests take longer than a third of that with no load at all, three times
    what they take then."""
    return max(0.1, 3 * p99(baseline))


def timed_gets(server, paths, pause=0.01):
    """Seconds each GET of `paths` took, each on a fresh connection; all must be 200."""
    times = []
    for path in paths:
        started = time.monotonic()
        answer = server.request("GET", path)
        times.append(time.monotonic() - started)
        assert answer.status == 200, answer
        time.sleep(pause)
    return times


def seeded_ids(database, count):
    db = sqlite3.connect(database)
    try:
        rows = db.execute("SELECT report_id FROM report ORDER BY random() LIMIT ?", (count,))
        return [row[0] for row in rows]
    finally:
        db.close()


def keep_putting(server, report_ids, stop, done, count):
    """PUT a new note into the reports, one after another, `count` times or until `stop` is set."""
    with server.client() as client:
        while not stop.is_set() and done[0] < count:
            report_id = random.choice(report_ids)
            body = {"fields": {"mentor_notes": f"note {done[0]} " + "words " * 40}}
            answer = client.request("PUT", f"{REPORTS}/{report_id}", body)
            assert answer.status == 200, answer
            done[0] += 1


PUTS = 1000
# An export larger than waitress buffers for a client (its outbuf high
# watermark, 16 MiB), so that one whose client reads nothing is held up halfway.
STALLED = f"{REPORTS}?format=ndjson"


def test_sixteen_stalled_exports_starve_no_one_and_pin_no_wal(tmp_path, seeded):
    database = copy_of(seeded, tmp_path)
    ids = seeded_ids(database, 200)
    wal = tmp_path / "reports.sqlite-wal"
    with Server(tmp_path, database) as server:
        paths = [f"{REPORTS}/{ids[n % len(ids)]}" for n in range(150)]
        baseline = timed_gets(server, paths[:50] + ["/healthz"] * 50)
        stalled = [stalled_export(server, STALLED) for _ in range(16)]
        stop, done = threading.Event(), [0]
        # Each PUT adds about 70 KiB to the WAL: 1000 of them are some 70 MiB
        # unless checkpoints can reset it, which a read snapshot held open prevents.
        putter = threading.Thread(target=keep_putting, args=(server, ids, stop, done, PUTS))
        try:
            time.sleep(1)  # the exports are under way, or refused
            refused = server.request("GET", f"{REPORTS}?format=ndjson")
            putter.start()
            by_id = timed_gets(server, paths)
            health = timed_gets(server, ["/healthz"] * 150)
            putter.join(60)
            wal_size = wal.stat().st_size if wal.exists() else 0
        finally:
            stop.set()
            putter.join(15)
            for sock in stalled:
                sock.close()
    print(
        f"GET by id p99 {p99(by_id) * 1000:.1f} ms, /healthz p99 {p99(health) * 1000:.1f} ms, "
        f"{done[0]} PUTs, WAL {wal_size / 2**20:.1f} MiB; "
        f"without load p99 {p99(baseline) * 1000:.1f} ms"
    )
    assert refused.status == 503 and refused.content_type == PROBLEM_JSON, refused
    assert refused.headers["Retry-After"].isdigit()
    assert done[0] == PUTS
    assert p99(by_id) < bound(baseline), sorted(by_id)[-5:]
    assert p99(health) < bound(baseline), sorted(health)[-5:]
    assert wal_size < 16 * 2**20, f"the WAL grew to {wal_size / 2**20:.1f} MiB"


def test_a_client_that_stops_reading_is_cut_off_and_its_thread_freed(tmp_path, seeded):
    database = copy_of(seeded, tmp_path)
    settings = {"REPORTS_THREADS": "1", "REPORTS_SEND_TIMEOUT": "2"}
    with Server(tmp_path, database, **settings) as server:
        sock = stalled_export(server, f"{REPORTS}?format=ndjson")
        try:
            time.sleep(0.5)  # the one thread is writing the export
            started = time.monotonic()
            with server.client(timeout=15) as client:
                health = client.request("GET", "/healthz")
            waited = time.monotonic() - started
            received = b""
            sock.settimeout(5)
            while True:
                try:
                    piece = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not piece:
                    break
                received += piece
        finally:
            sock.close()
        # Its export slot is free again.
        whole = server.request("GET", f"{REPORTS}?format=ndjson&status=draft")
    assert "Traceback" not in server.stderr(), server
    assert health.status == 200
    assert 1 < waited < 6, waited
    assert not received.endswith(b"0\r\n\r\n"), "the stalled export was not cut off"
    assert whole.status == 200 and whole.raw.count(b"\n") > 1000


def day(number):
    """The `number`th day from 1 January 2000, as YYYY-MM-DD: long before any report."""
    return (date(2000, 1, 1) + timedelta(days=number)).isoformat()


def heavy_client(server, path, stop, statuses):
    """Ask for `path` again and again; after a 503, wait as Retry-After asks
    (scaled down, to keep the test short). `path` may be a function of the
    request's number, which makes each one of them another question."""
    asked = itertools.count()
    with server.client(timeout=30) as client:
        while not stop.is_set():
            answer = client.request("GET", path(next(asked)) if callable(path) else path)
            statuses.append(answer.status)
            if answer.status == 503:
                stop.wait(int(answer.headers["Retry-After"]) / 5)


def test_sixteen_heavy_searchers_leave_get_by_id_fast(tmp_path, seeded):
    database = copy_of(seeded, tmp_path)
    ids = seeded_ids(database, 200)

    # Words most reports hold, as prefixes: each search reads most of the index.
    # Each asks after its own date, so that none is answered with a kept total.
    def search(number):
        return f"{REPORTS}?q=gro*+dis*+par*+ask*+ref*+ste*&updated_since={day(number)}"

    heavy_paths = [search] * 8 + [f"{REPORTS}/summary?group_by=activity"] * 8
    paths = [f"{REPORTS}/{ids[n % len(ids)]}" for n in range(200)]
    with Server(tmp_path, database) as server:
        baseline = timed_gets(server, paths[:100])
        stop, statuses = threading.Event(), []
        heavy = [
            threading.Thread(target=heavy_client, args=(server, path, stop, statuses))
            for path in heavy_paths
        ]
        for thread in heavy:
            thread.start()
        try:
            time.sleep(1)
            by_id = timed_gets(server, paths)
        finally:
            stop.set()
            for thread in heavy:
                thread.join(30)
    print(
        f"GET by id p99 {p99(by_id) * 1000:.1f} ms beside {len(statuses)} heavy requests "
        f"({statuses.count(200)} served, {statuses.count(503)} refused); "
        f"without load p99 {p99(baseline) * 1000:.1f} ms"
    )
    assert p99(by_id) < bound(baseline), sorted(by_id)[-5:]
    assert set(statuses) <= {200, 503}
