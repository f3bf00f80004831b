"""The request budget, in process: `python bench/run.py --inprocess`.

Times each contract endpoint as WSGI calls of the app in this one process,
one thread, no server and no network, on a copy of the seeded database with
a coordinator token on every request and the request log written (to a file
of DATA), as served; beside a bare Flask route (bench/baseline.py's) in the
same run. Prints each endpoint's microseconds a call, the microseconds above
the bare route, and what each stage costs: the endpoint again with that stage
switched off (the functions bench/server.py replaces, and a few more), the
difference being the stage's cost. These figures are much steadier than
the wire's, and are the ones each change of a hot path is judged by.

Each call's environ is made before its timer starts, and its answer is read
whole. Each request goes to the bare route, the app, and the app without each
stage, one call after the other in a shuffled order (measure_endpoint).
"""

import gc
import io
import itertools
import json
import random
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from flask import Flask, Response
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import server  # noqa: E402  bench/server.py: its switches
from baseline import app as bare_app  # noqa: E402

from reports import (  # noqa: E402
    api,
    create_app,
    db,
    headers,
    languages,
    queries,
    requestlog,
    web,
)
from reports.db import connections  # noqa: E402

CALLS = 300
ROUNDS = 7
WARMUP = 50

# The endpoints of the budget: (name, method, path or a function of the ids
# that makes one, whether it writes).
LIMIT = 20


def endpoints(ids, filtered, search, cursor):
    """Each budgeted endpoint: (name, function of a random source that gives
    one request's (method, path, body))."""
    reports, mentors, activities = ids["report"], ids["mentor"], ids["activity"]

    def body(rng):
        return {
            "activity_id": rng.choice(activities),
            "peer_mentor_id": rng.choice(mentors),
            "org_id": "org_bench",
            "fields": {
                "session_date": "2026-03-20",
                "attendance_count": rng.randint(0, 1000),
                "session_topic": "Budgeting",
            },
        }

    return {
        "GET /reports/<id>": lambda rng: ("GET", f"/api/v1/reports/{rng.choice(reports)}", None),
        "GET /reports page 1": lambda rng: ("GET", f"/api/v1/reports?limit={LIMIT}", None),
        "GET /reports cursor page": lambda rng: (
            "GET", f"/api/v1/reports?limit={LIMIT}&cursor={cursor}", None,
        ),
        "GET /by-activity page 1": lambda rng: (
            "GET", f"/api/v1/reports/by-activity/{rng.choice(activities)}?limit={LIMIT}", None,
        ),
        "GET /by-mentor page 1": lambda rng: (
            "GET", f"/api/v1/reports/by-mentor/{rng.choice(mentors)}?limit={LIMIT}", None,
        ),
        "GET /reports filtered page 1": lambda rng: (
            "GET", f"/api/v1/reports?limit={LIMIT}&{filtered}", None,
        ),
        "GET /reports search page 1": lambda rng: (
            "GET", f"/api/v1/reports?limit={LIMIT}&{search}", None,
        ),
        "POST /reports": lambda rng: ("POST", "/api/v1/reports", body(rng)),
        "PUT /reports/<id>": lambda rng: (
            "PUT", f"/api/v1/reports/{rng.choice(reports)}",
            {"fields": {"attendance_count": rng.randint(0, 1000)}},
        ),
    }  # fmt: skip


def without_headers():
    """The headers every answer gets: no-store, the pages' security headers, the language's."""
    headers.add_headers = lambda response: response
    languages.remember_choice = lambda response: response


def without_json():
    """The answer's JSON: every API answer is the same two bytes."""
    api.jsonify = lambda *args, **kwargs: Response(b"{}", mimetype="application/json")


class Answered:
    """A read statement's rows, kept: what a cursor of it gives."""

    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return list(self.rows)

    def __iter__(self):
        return iter(self.rows)


ANSWERED = {}


def without_statements():
    """The read statements: each one's rows answered from memory, once it has
    run (the run sends each request once before it times any)."""
    execute = connections.ReadConnection.execute

    def from_memory(self, sql, parameters=(), /):
        named = isinstance(parameters, dict)
        key = (sql, tuple(parameters.items()) if named else tuple(parameters))
        if key not in ANSWERED:
            ANSWERED[key] = Answered(execute(self, sql, parameters).fetchall())
        return ANSWERED[key]

    connections.ReadConnection.execute = from_memory


def without_the_view():
    """The endpoint's own function (its statements, its JSON, its ETag): every
    request is answered `{}` by a view that does nothing. What is left is
    routing, the request's context and the hooks before and after the view."""
    Flask.dispatch_request = lambda self: Response(b"{}", mimetype="application/json")


def without_the_commit_s_sync():
    """The sync to disk of each commit: the writer commits with synchronous=OFF
    (the WAL is written, to the OS only). What is left of a write is its work
    before the commit."""
    write = db.GroupCommit._write

    def unsynced(self, batch):
        self.connection.execute("PRAGMA synchronous = OFF")
        try:
            write(self, batch)
        finally:
            self.connection.execute("PRAGMA synchronous = FULL")

    db.GroupCommit._write = unsynced


# Each stage: the switch that takes it away, and the endpoints it is measured on.
READS = (
    "GET /reports/<id>",
    "GET /reports page 1",
    "GET /reports cursor page",
    "GET /by-activity page 1",
    "GET /by-mentor page 1",
    "GET /reports filtered page 1",
    "GET /reports search page 1",
)
WRITES = ("POST /reports", "PUT /reports/<id>")
STAGES = {
    "authentication": (server.without_token_check, None),
    "the log line": (server.without_request_log, None),
    "the headers": (without_headers, None),
    "the answer's JSON": (without_json, None),
    "the statements": (without_statements, READS),
    "the view": (without_the_view, None),
    "the commit's sync": (without_the_commit_s_sync, WRITES),
}


@contextmanager
def switched(switch):
    """Within the block, `switch` has replaced what it replaces; after it, all is back."""
    modules = (api, headers, languages, queries, requestlog, web, server.auth, server.service)
    saved = [(module, dict(vars(module))) for module in modules]
    execute, write = connections.ReadConnection.execute, db.GroupCommit._write
    dispatch = Flask.dispatch_request
    switch()
    try:
        yield
    finally:
        connections.ReadConnection.execute, db.GroupCommit._write = execute, write
        Flask.dispatch_request = dispatch
        for module, attributes in saved:
            for name, value in attributes.items():
                if getattr(module, name, None) is not value:
                    setattr(module, name, value)


def make_app(database, log):
    """The app on `database` as served, its request log written to `log`."""
    app = create_app({"DATABASE": str(database)})
    app.extensions["request_log"].stream = log
    return app


def call(app, method, path, body, secret):
    """One request's environ, made before the timer; returns the function that makes the call."""
    builder = EnvironBuilder(
        method=method,
        path=path.split("?")[0],
        query_string=path.partition("?")[2],
        data=None if body is None else json.dumps(body),
        content_type=None if body is None else "application/json",
        headers={"Authorization": f"Bearer {secret}"} if secret else {},
    )
    environ = builder.get_environ()
    builder.close()

    def run():
        status = []
        answer = app(environ, lambda code, headers, exc_info=None: status.append(code))
        try:
            for _ in answer:
                pass
        finally:
            if hasattr(answer, "close"):
                answer.close()
        return status[0]

    return run


def time_call(app, method, path, body, secret, switch=None):
    """The microseconds of one call, its environ made before the timer starts;
    with `switch`, the call is made with it switched on (what it replaces is
    looked up at each call, as well as when the app was made)."""
    run = call(app, method, path, body, secret)
    with switched(switch) if switch else nullcontext():
        started = time.perf_counter_ns()
        status = run()
        took = (time.perf_counter_ns() - started) / 1000
    if not status.startswith("2"):
        raise RuntimeError(f"{method} {path}: {status}")
    return took


def warm(app, make_request, secret, rng):
    for _ in range(WARMUP):
        method, path, body = make_request(rng)
        call(app, method, path, body, secret)()


BARE = ("GET", "/", None)


def measure_endpoint(apps, make, secret, calls, rng):
    """{"bare", "us", "stages"} of one endpoint. Each request is made once and
    sent to the bare route, the app with every stage on, and the app without
    each stage, one call after the other in a shuffled order, so that the
    machine's drift falls on all of them alike. A time is the fastest of the
    rounds' medians (the least disturbed); a stage's cost the median of the
    differences, call by call, between the app with it and without it."""
    requests = [[make(rng) for _ in range(calls)] for _ in range(ROUNDS)]
    if "the statements" in apps:
        app, switch = apps["the statements"]
        with switched(switch):
            for asked in itertools.chain(*requests):
                call(app, *asked, secret)()
    times = {key: [] for key in apps}
    differences = {key: [] for key in apps if key not in ("bare", "all")}
    for round_requests in requests:
        round_times = {key: [] for key in apps}
        # As timeit does: no collection lands on one call of one app by chance.
        gc.collect()
        gc.disable()
        try:
            timed_round(apps, round_requests, secret, rng, round_times, differences)
        finally:
            gc.enable()
        for key, each in round_times.items():
            times[key].append(statistics.median(each))
    return {
        "bare": min(times["bare"]),
        "us": min(times["all"]),
        "stages": {stage: statistics.median(each) for stage, each in differences.items()},
    }


def timed_round(apps, requests, secret, rng, round_times, differences):
    """Each of `requests` sent to every app, in a shuffled order each time."""
    for method, path, body in requests:
        order = list(apps)
        rng.shuffle(order)
        took = {}
        for key in order:
            asked, token = (BARE, None) if key == "bare" else ((method, path, body), secret)
            app, switch = apps[key]
            took[key] = time_call(app, *asked, token, switch)
            round_times[key].append(took[key])
        for stage in differences:
            differences[stage].append(took["all"] - took[stage])


def measure_all(database, ids, secret, filtered, search, cursor, args):
    """{"bare_us": µs, "endpoints": {name: {"us", "above_bare", "stages": {stage: µs}}}}:
    each endpoint above the bare route timed beside it (measure_endpoint)."""
    rng = random.Random(7)
    log = io.StringIO() if args.quiet_log else (args.data / "inprocess.log").open("w")
    rows = endpoints(ids, filtered, search, cursor)
    if args.only:
        rows = {name: make for name, make in rows.items() if args.only in name}
    try:
        app = make_app(database, log)
        stripped = {}
        for stage, (switch, only) in STAGES.items():
            with switched(switch):
                stripped[stage] = (make_app(database, log), only)
        warm(bare_app, lambda rng: BARE, None, rng)
        bares, results = [], {}
        for name, make in rows.items():
            apps = {"bare": (bare_app, None), "all": (app, None)}
            apps.update(
                (stage, (each, STAGES[stage][0]))
                for stage, (each, only) in stripped.items()
                if only is None or name in only
            )
            for key, (each, switch) in apps.items():
                if key != "bare":
                    with switched(switch) if switch else nullcontext():
                        warm(each, make, secret, rng)
            measured = measure_endpoint(apps, make, secret, args.calls, rng)
            measured["bare_us"] = measured.pop("bare")
            measured["above_bare"] = measured["us"] - measured["bare_us"]
            bares.append(measured["bare_us"])
            results[name] = measured
    finally:
        log.close()
    return {"bare_us": min(bares), "endpoints": results}


def print_table(measured, reports):
    stages = list(STAGES)
    print(f"\nIn process, {reports:,} reports, one thread, µs a call (the fastest round's "
          f"median; bare Flask route: {measured['bare_us']:.0f} µs); each stage: µs it costs "
          f"(the median, call by call, of the endpoint with it less without it)")  # fmt: skip
    heads = ["endpoint", "µs", "above bare", *stages]
    print("  ".join(f"{head:>14}" if i else f"{head:30}" for i, head in enumerate(heads)))
    for name, row in measured["endpoints"].items():
        cells = [f"{row['us']:14.0f}", f"{row['above_bare']:14.0f}"]
        for stage in stages:
            cost = row.get("stages", {}).get(stage)
            cells.append(f"{cost:14.0f}" if cost is not None else f"{'-':>14}")
        print(f"{name:30}  " + "  ".join(cells))
