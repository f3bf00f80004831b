"""Benchmark every endpoint against the framework's floor and a peer, in one run.

    python bench/run.py --reports 100000     # the everyday size
    python bench/run.py --reports 1000000    # the table of docs/performance.md

Seeds (once, cached in bench/data/) a database of N reports and, on a copy of
it, measures the service as it runs in production, every feature on: a
coordinator token and a mentor token (for the mentor with the most reports)
are in force and every request bears one, and the server writes its request
log to DATA/server.log. It starts a bare Flask route on waitress (the
baseline, once before everything and once after) and the real `python app.py`
(with REPORTS_MAX_SEARCHES set to the connections, so that searches are
served, not refused), and drives each endpoint with wrk, the server pinned to
one core and wrk to the other: a report by id; page 1, a deep page and a
cursor page of each of the three lists; the filtered and the search page as a
coordinator and as the mentor; both of those by one client alone; POST, with
and without an Idempotency-Key, and PUT. Then it streams the whole CSV, NDJSON
and XLSX exports once each, and reads the server's peak RSS after the
endpoints and after the exports.

Then, in the same run:
- the peer: Datasette serving a copy of the seeded database (`datasette serve
  -i`, on the same core), a report by its primary key and a mentor's 20 newest,
  and our req/s against its (`pip install -e '.[bench]'`; without it, no peer);
- the cost of each feature: for each switch of bench/server.py, a server
  without that one feature on a fresh copy of the database, on the endpoints
  where it costs, against the same endpoints with every feature on;
- when N is over 10,000, the lists' page 1 on a 10,000-report database too,
  with a server of its own: how each list's p50 grows with N.

Prints req/s, p50 and p99, the ratio to the baseline and the server's peak
RSS per endpoint, and the tables of the rest, and writes all of it to
bench/results-N.json. Needs wrk (`apt-get install wrk`).

    python bench/run.py --reports 100000 --profile --only "GET /reports/<id>"

runs bench/server.py --profile instead: one endpoint for --duration, then the
top of where the server's time went (the pstats file is kept in DATA).

    python bench/run.py --reports 100000 --pages --check

times the web pages instead (bench/pages.py), one client, and fails unless
each page's p50 is under 50 ms; `--pages --profile --only NAME` shows where a
page's time goes.

    python bench/run.py --reports 100000 --contention --repeat 3

floods the server with 16 clients of each heavy page or search of
bench/contention.py in turn, at the server's own MAX_SEARCHES, while one
client asks for a report by id and one for /healthz; prints each probe's p50
and p99 and its p99 against the quiet server's, and fails when a flood's goal
(the heaviest search: by id under 100 ms) is missed in a run. Needs wrk.

    python bench/run.py --reports 1000000 --exports

streams only the whole CSV, NDJSON and XLSX exports, each from a server of its
own started for it, so that each peak RSS is that export's; prints its rows,
size, time, peak RSS and the RSS the server had before it, and writes them to
bench/results-exports-N.json. Needs no wrk.

    python bench/run.py --reports 10000 --outbox --repeat 3

measures POST alone, each row on a server of its own (bench/outbox.py): with
no webhook, and with a webhook whose endpoint never answers (with a thousand
events waiting for it, and with e-mail to an SMTP port that never answers
too); prints each row's req/s and p50 against no webhook's in the same
round, and writes bench/results-outbox-N.json. Needs wrk.

    python bench/run.py --reports 100000 --inprocess

the request budget (bench/inprocess.py): each contract endpoint as WSGI calls
in this process, beside a bare Flask route, in microseconds a call, with
what each stage (authentication, the log line, the headers, the JSON, the
statements, the view, a write's commit's sync) costs, measured by switching
it off; writes bench/results-inprocess-N.json. Needs no wrk.

    python bench/run.py --reports 100000 --budget --duration 10

the request budget in one run (bench/budget.py): the in-process table, then
bare Flask, the service's budgeted rows (GET by id, the list's and a mentor's
page 1, POST) and Datasette's row by key and mentor's page on the wire; prints
each budget and goal as met or missed, and writes bench/results-budget-N.json.
Needs wrk.
"""

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The service of this checkout, whichever one an editable install points at.
sys.path.insert(0, str(REPO))

import contention  # noqa: E402
import outbox  # noqa: E402
import pages  # noqa: E402

from reports import auth, create_app, db  # noqa: E402
from reports.schemas import encode_cursor  # noqa: E402

LIMIT = 20
EXPORTS = ("csv", "ndjson", "xlsx")
# The cells a sheet spans, written at the start of its XML: A1:AB1000001.
DIMENSION = re.compile(rb'<dimension ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')
SEARCH = "q=eviction&status=submitted"
# A server's peak RSS above this is worth a look.
RSS_FLAG_MIB = 80
# Above this many reports, the lists' page 1 is measured at this many too.
SCALING_REPORTS = 10_000
SCALING_ROWS = ("GET /reports page 1", "GET /by-activity page 1", "GET /by-mentor page 1")
# The endpoints on which each switch of bench/server.py is measured.
FEATURES = {
    "request-log": ("GET /reports/<id>",),
    "token-check": ("GET /reports/<id>",),
    "change-record": ("PUT /reports/<id>", "POST /reports"),
    "fts-triggers": ("PUT /reports/<id>", "POST /reports"),
    "counts": ("GET /reports filtered page 1", "GET /by-mentor page 1"),
    "group-commit": ("POST /reports",),
}
IDEMPOTENT_POST = "POST /reports, Idempotency-Key"


class Endpoint(NamedTuple):
    """One row: what wrk asks (requests.lua's KIND and QUERY), whose token it
    sends (None: none) and, when not --connections, how many connections."""

    name: str
    kind: str
    query: str = ""
    role: str | None = "coordinator"
    connections: int | None = None


# The peer's rows, on Datasette's JSON API; {seq} and {mentor} are drawn from
# DATA/peer.ids on every request. The table's JSON counts the matches as ours
# does; by default it also suggests facets, which ours has no counterpart of,
# so the mentor's page is measured with them (as a browser gets it) and
# without them (`_nosuggest=1`, the same work as ours).
MENTOR_PAGE = "/peer/report.json?peer_mentor_id={mentor}&_sort_desc=created_at&_size=20"
PEER_ROWS = [
    Endpoint("Datasette row by primary key", "path", "/peer/report/{seq}.json", None),
    Endpoint("Datasette mentor's newest 20", "path", MENTOR_PAGE, None),
    Endpoint("Datasette mentor's 20, no facets", "path", f"{MENTOR_PAGE}&_nosuggest=1", None),
]
# (our row, the peer's row doing the same)
PEER_RATIOS = [
    ("GET /reports/<id>", "Datasette row by primary key"),
    ("GET /by-mentor page 1", "Datasette mentor's newest 20"),
    ("GET /by-mentor page 1", "Datasette mentor's 20, no facets"),
]


def pinned(core):
    """taskset to one core where there are two or more."""
    return (
        ["taskset", "-c", str(core)]
        if (os.cpu_count() or 1) > 1 and shutil.which("taskset")
        else []
    )


def seed_version():
    """What a cached database was made by: seed.py and the schema."""
    made_by = hashlib.sha256()
    for path in (BENCH / "seed.py", REPO / "schema.sql"):
        made_by.update(path.read_bytes())
    return made_by.hexdigest()[:8]


def seeded_file(reports, data=BENCH / "data"):
    """Where the seeded database of `reports` reports is cached."""
    return Path(data) / f"reports-{reports}-{seed_version()}.sqlite"


def seeded_database(reports, data=BENCH / "data", working="run.sqlite"):
    """A fresh copy, DATA/`working`, of the database of `reports` reports (seeded
    first if it is not cached yet), and its ids file. Each `working` name is
    for one server: a file made again at a path that this process opened
    before is a database gone, to the service (reports/db/connections.py)."""
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    seeded = seeded_file(reports, data)
    if not seeded.exists():
        # Databases of this size seeded by an older seed.py or schema.
        for stale in [*data.glob(f"reports-{reports}.sqlite*"),
                      *data.glob(f"reports-{reports}-*.sqlite*")]:  # fmt: skip
            stale.unlink()
        partial = data / f"reports-{reports}.partial.sqlite"
        for leftover in data.glob(f"{partial.name}*"):
            leftover.unlink()
        run([sys.executable, str(BENCH / "seed.py"), "--reports", str(reports),
             "--database", str(partial)])  # fmt: skip
        os.replace(f"{partial}.ids", f"{seeded}.ids")
        os.replace(partial, seeded)
    copy = data / working
    remove_database(copy)
    shutil.copyfile(seeded, copy)
    return copy, Path(f"{seeded}.ids")


def remove_database(path):
    for leftover in Path(path).parent.glob(f"{Path(path).name}*"):
        leftover.unlink()


def run(command, **kwargs):
    return subprocess.run(command, check=True, cwd=REPO, **kwargs)


def start(command, env=None, log=None):
    """Start a server; return (process, base URL) once it prints where it listens.
    `log`: a file for its stderr (its request log)."""
    process = subprocess.Popen(
        pinned(0) + command, cwd=REPO, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    for line in process.stdout:
        if "http://" in line:
            url = line[line.index("http://") :].split()[0]
            return process, url.split("/api/")[0].rstrip("/")
    raise RuntimeError(f"{command} did not start")


def stop(process, timeout=10):
    process.terminate()
    process.wait(timeout=timeout)


@contextmanager
def serving(command, env, log_path, stop_timeout=10):
    """(process, base URL) of a server started with its stderr to `log_path`,
    stopped on the way out."""
    with open(log_path, "w") as log:
        process, url = start(command, env, log)
        try:
            yield process, url
        finally:
            stop(process, stop_timeout)


def service_env(database, args):
    """The environment of a server of the service on `database`: the port the
    system gives, and as many searches at once as there are connections."""
    return {
        "REPORTS_DATABASE": str(database),
        "REPORTS_PORT": "0",
        "REPORTS_MAX_SEARCHES": str(args.connections),
    }


def peak_rss_mib(process):
    return status_mib(process, "VmHWM")


def rss_mib(process):
    return status_mib(process, "VmRSS")


def status_mib(process, field):
    """A size from the process's /proc status, such as VmHWM (its peak RSS), in MiB."""
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return None


def wrk(url, kind, ids, query, args, secret="", connections=None):
    command = wrk_command(url, kind, ids, query, args, secret, connections)
    return wrk_result(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def wrk_command(url, kind, ids, query, args, secret="", connections=None, seconds=None, cookie=""):
    """wrk on core 1 with requests.lua: `connections` (--connections) for
    `seconds` (--duration), each request bearing the token `secret` or the
    session `cookie`, when given."""
    return pinned(1) + [
        "wrk", f"-t{args.threads}", f"-c{connections or args.connections}",
        f"-d{seconds or args.duration}s", "--latency", "-s", str(BENCH / "requests.lua"), url,
        "--", kind, str(ids), query, secret, cookie,
    ]  # fmt: skip


def wrk_result(output):
    """What requests.lua's RESULT line of wrk's `output` says."""
    result = next(line for line in output.splitlines() if line.startswith("RESULT "))
    rate, p50, p99, non_2xx, requests, socket_errors = result.split()[1:]
    return {
        "req_per_s": float(rate),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "non_2xx": int(non_2xx),
        "socket_errors": int(socket_errors),
        "requests": int(requests),
    }


def measure_rows(url, server, rows, ids, tokens, args):
    """Each row with wrk against the server at `url`, with the server's peak
    RSS after it: {name: measured}. `tokens`: {role: secret}."""
    measured = {}
    for row in rows:
        secret = tokens.get(row.role, "") if row.role else ""
        measured[row.name] = wrk(url, row.kind, ids, row.query, args, secret, row.connections)
        measured[row.name]["peak_rss_mib"] = peak_rss_mib(server)
    return measured


def measure_baseline(ids, args):
    log = Path(args.data) / "baseline.log"
    with serving([sys.executable, str(BENCH / "baseline.py")], {}, log) as (baseline, url):
        measured = wrk(url, "baseline", ids, "", args)
        measured["peak_rss_mib"] = peak_rss_mib(baseline)
        return measured


def most_reports(database, column):
    """(id, reports) of the mentor or activity (`column`) with the most reports."""
    connection = sqlite3.connect(database)
    try:
        return connection.execute(
            f"SELECT {column}, count(*) FROM report GROUP BY {column} "
            f"ORDER BY count(*) DESC, {column} LIMIT 1"
        ).fetchone()
    finally:
        connection.close()


def make_tokens(database):
    """Tokens in force in `database`, so that every request must bear one: a
    coordinator's, and a mentor's for the mentor with the most reports.
    Returns {"coordinator": secret, "mentor": secret}."""
    mentor, _ = most_reports(database, "peer_mentor_id")
    with create_app({"DATABASE": str(database)}).app_context():
        tokens = {
            "coordinator": auth.create_token("bench_coordinator", "coordinator"),
            "mentor": auth.create_token("bench_mentor", "mentor", mentor),
        }
    # Written whole into the file, with no writer of this process left on it.
    db.close_database(str(database))
    return tokens


def deep_cursor(database, page, column=None, value=None):
    """The cursor a client would follow to reach `page` of the unfiltered list,
    or of the list of one mentor or activity (`column` = `value`): it names the
    last report of the page before."""
    where = f"WHERE {column} = :value" if column else ""
    connection = sqlite3.connect(database)
    created_at, report_id = connection.execute(
        f"SELECT created_at, report_id FROM report {where} ORDER BY created_at DESC, seq DESC "
        "LIMIT 1 OFFSET :offset",
        {"value": value, "offset": (page - 1) * LIMIT - 1},
    ).fetchone()
    connection.close()
    return encode_cursor("-created_at", created_at, report_id, page)


def last_month(database):
    """The filter of a coordinator's monthly question on the newest month of the data."""
    connection = sqlite3.connect(database)
    newest = connection.execute("SELECT max(created_at) FROM report").fetchone()[0]
    connection.close()
    end = datetime.strptime(newest[:10], "%Y-%m-%d").date()
    return (
        f"status=submitted&follow_up_needed=true"
        f"&session_date_from={end - timedelta(days=30)}&session_date_to={end}"
    )


def measure_export(url, server, export, secret=""):
    """Stream the whole export once: its time (and the time to its first byte,
    which for XLSX is the time to write the workbook), size, rows and the
    server's peak RSS. CSV and NDJSON count their rows as lines under the
    header; an XLSX is kept in a temporary file, whose sheet says its rows."""
    started = time.monotonic()
    size = lines = 0
    asked = urllib.request.Request(
        f"{url}/api/v1/reports?format={export}",
        headers={"Authorization": f"Bearer {secret}"} if secret else {},
    )
    with (
        tempfile.TemporaryFile() as kept,
        urllib.request.urlopen(asked, timeout=1800) as answer,
    ):
        first_byte = time.monotonic() - started
        while chunk := answer.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
            if export == "xlsx":
                kept.write(chunk)
        seconds = time.monotonic() - started
        rows = sheet_rows(kept) if export == "xlsx" else lines - (export == "csv")
    measured = {
        "seconds": round(seconds, 2),
        "first_byte_seconds": round(first_byte, 2),
        "mib": round(size / 2**20, 1),
        "rows": rows,
        "peak_rss_mib": peak_rss_mib(server),
    }
    if export != "xlsx":
        measured["lines"] = lines
    return measured


def sheet_rows(workbook):
    """The rows under the header of the first sheet of the XLSX file `workbook`,
    read from the dimension at the start of the sheet's XML, not from its cells."""
    with zipfile.ZipFile(workbook) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        return int(DIMENSION.search(sheet.read(4096))[1]) - 1


def measure_export_alone(database, export, secret, args):
    """measure_export on a server started for this export alone, with the RSS
    it had (and its peak) before the export."""
    log = Path(args.data) / f"server-export-{export}.log"
    with serving([sys.executable, "app.py"], service_env(database, args), log) as (server, url):
        at_start = {
            "rss_at_start_mib": rss_mib(server),
            "peak_rss_at_start_mib": peak_rss_mib(server),
        }
        return {**measure_export(url, server, export, secret), **at_start}


def list_pages(name, kind, deep, cursor, path):
    """Page 1, page `deep` and the cursor page `deep` of one list. Page 1 is
    `kind` (of a random mentor or activity for theirs); the deep pages go to
    `path`: the whole list, or one mentor's or one activity's."""
    first = f"?limit={LIMIT}"
    return [
        Endpoint(f"{name} page 1", kind, first),
        Endpoint(f"{name} page {deep}", "path", f"{path}{first}&page={deep}"),
        Endpoint(f"{name} cursor page {deep}", "path",
                 f"{path}{first}&cursor={cursor}" if deep > 1 else f"{path}{first}"),
    ]  # fmt: skip


def deep_page(reports):
    """The deepest page of `reports` reports, at most page 1,000."""
    return max(1, min(1000, math.ceil(reports / LIMIT)))


def endpoints(reports, database):
    """Every measured endpoint of the service, as Endpoint rows."""
    filtered = f"?limit={LIMIT}&{last_month(database)}"
    search = f"?limit={LIMIT}&{SEARCH}"
    deep = max(1, min(1000, reports // LIMIT))
    activity, activity_reports = most_reports(database, "activity_id")
    mentor, mentor_reports = most_reports(database, "peer_mentor_id")
    by_activity, by_mentor = deep_page(activity_reports), deep_page(mentor_reports)
    return [
        Endpoint("GET /reports/<id>", "get"),
        *list_pages("GET /reports", "list", deep,
                    deep > 1 and deep_cursor(database, deep), "/api/v1/reports"),
        *list_pages("GET /by-activity", "by-activity", by_activity,
                    by_activity > 1 and deep_cursor(database, by_activity, "activity_id", activity),
                    f"/api/v1/reports/by-activity/{activity}"),
        *list_pages("GET /by-mentor", "by-mentor", by_mentor,
                    by_mentor > 1 and deep_cursor(database, by_mentor, "peer_mentor_id", mentor),
                    f"/api/v1/reports/by-mentor/{mentor}"),
        Endpoint("GET /reports filtered page 1", "list", filtered),
        # The mentor's own: the service narrows a mentor token's lists to its reports.
        Endpoint("GET /reports filtered page 1, mentor", "list", filtered, "mentor"),
        Endpoint("GET /reports search page 1", "list", search),
        Endpoint("GET /reports search page 1, mentor", "list", search, "mentor"),
        # One coordinator asking, alone: the time one answer takes.
        Endpoint("GET /reports filtered page 1, 1 conn", "list", filtered, connections=1),
        Endpoint("GET /reports search page 1, 1 conn", "list", search, connections=1),
        Endpoint("POST /reports", "post"),
        Endpoint(IDEMPOTENT_POST, "post-key"),
        Endpoint("PUT /reports/<id>", "put"),
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--only", default="",
        help="measure only the rows whose name holds this (no exports then); with --profile, "
             "the one endpoint to profile",
    )  # fmt: skip
    parser.add_argument("--data", default=BENCH / "data", help="where seeded databases are kept")
    parser.add_argument(
        "--profile", action="store_true",
        help="the endpoint --only names, for --duration, on bench/server.py --profile, and the "
             "top of where its time went; with --pages, cProfile the pages (--only to choose) "
             "in this process instead of timing them",
    )  # fmt: skip
    parser.add_argument(
        "--exports", action="store_true",
        help="measure only the exports, each from a server started for it",
    )  # fmt: skip
    parser.add_argument(
        "--contention", action="store_true",
        help="flood the server with each heavy page and search of bench/contention.py while "
             "probing a report by id and /healthz",
    )  # fmt: skip
    parser.add_argument(
        "--outbox", action="store_true",
        help="POST alone, with no webhook and with a webhook and mail server that never answer "
             "(bench/outbox.py)",
    )  # fmt: skip
    parser.add_argument(
        "--inprocess", action="store_true",
        help="the request budget: each contract endpoint as WSGI calls in this process, "
             "beside a bare Flask route, with the cost of each stage (bench/inprocess.py)",
    )  # fmt: skip
    parser.add_argument(
        "--budget", action="store_true",
        help="the request budget in process and on the wire in one run, against its goals "
             "(bench/budget.py)",
    )  # fmt: skip
    parser.add_argument(
        "--calls", type=int, default=300, help="with --inprocess or --budget, timed calls a round"
    )
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="with --contention, runs of each flood; with --outbox, rounds",
    )  # fmt: skip
    pages_options = parser.add_argument_group("the web pages (bench/pages.py)")
    pages_options.add_argument(
        "--pages", action="store_true", help="time the web pages, one client, instead"
    )
    pages_options.add_argument(
        "--requests", type=int, default=None, help="timed requests a page (200; 20 profiled)"
    )
    pages_options.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    pages_options.add_argument(
        "--seconds", type=float, default=pages.SECONDS_PER_PAGE,
        help="at most this long a page (but 10 requests at least)",
    )  # fmt: skip
    pages_options.add_argument(
        "--budget-ms", type=float, default=pages.BUDGET_MS, help="the p50 a page must beat"
    )
    pages_options.add_argument(
        "--check", action="store_true", help="exit 1 unless every page built passes"
    )
    args = parser.parse_args()
    args.data = Path(args.data).resolve()
    if args.pages:
        sys.exit(run_pages(args))
    if args.exports:
        sys.exit(run_exports(args))
    if args.inprocess:
        sys.exit(run_inprocess(args))
    if args.budget and not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if args.budget:
        sys.exit(run_budget(args))
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if args.contention:
        sys.exit(run_contention(args))
    if args.outbox:
        sys.exit(run_outbox(args))
    sys.exit(run_profile(args) if args.profile else run_endpoints(args))


def run_endpoints(args):
    """The whole run: every table, written to bench/results-N.json."""
    database, ids = seeded_database(args.reports, args.data)
    tokens = make_tokens(database)
    mentor, mentor_reports = most_reports(database, "peer_mentor_id")
    rows = [row for row in endpoints(args.reports, database) if args.only in row.name]
    results = {"reports": args.reports, "connections": args.connections,
               "duration_s": args.duration, "max_searches": args.connections,
               "mentor": {"id": mentor, "reports": mentor_reports}}  # fmt: skip

    first = measure_baseline(ids, args)
    log = args.data / "server.log"
    with serving([sys.executable, "app.py"], service_env(database, args), log) as (server, url):
        results["endpoints"] = measure_rows(url, server, rows, ids, tokens, args)
        results["rss"] = {"after_endpoints_mib": peak_rss_mib(server)}
        if not args.only:
            results["exports"] = {
                export: measure_export(url, server, export, tokens["coordinator"])
                for export in EXPORTS
            }
            results["rss"]["after_exports_mib"] = peak_rss_mib(server)
    results["idempotency"] = idempotency(results["endpoints"])
    results["peer"] = measure_peer(args, ids, results["endpoints"])
    results["feature_costs"] = measure_feature_costs(args, rows, results["endpoints"])
    results["scaling"] = measure_scaling(args, rows, results["endpoints"])
    # The machine is noisy: the baseline is the mean of one run before
    # everything else and one after it.
    last = measure_baseline(ids, args)
    results["baseline"] = {
        key: (first[key] + last[key]) / 2 for key in ("req_per_s", "p50_ms", "p99_ms")
    }
    results["baseline"].update(
        non_2xx=first["non_2xx"] + last["non_2xx"],
        socket_errors=first["socket_errors"] + last["socket_errors"],
        peak_rss_mib=max(first["peak_rss_mib"], last["peak_rss_mib"]),
        runs=[first["req_per_s"], last["req_per_s"]],
    )
    for measured in results["endpoints"].values():
        measured["ratio"] = measured["req_per_s"] / results["baseline"]["req_per_s"]

    output = Path(args.output or BENCH / f"results-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, log)
    print_rss(results)
    print_idempotency(results["idempotency"])
    print_peer(results["peer"])
    print_feature_costs(results["feature_costs"])
    print_scaling(results)
    failed = print_failures(results)
    print(f"\nWritten to {output}")
    return 1 if failed else 0


def idempotency(measured):
    """POST with a fresh Idempotency-Key each time against POST without one."""
    if "POST /reports" not in measured or IDEMPOTENT_POST not in measured:
        return None
    without, keyed = measured["POST /reports"], measured[IDEMPOTENT_POST]
    return {
        "without_key_req_per_s": without["req_per_s"],
        "with_key_req_per_s": keyed["req_per_s"],
        "cost": 1 - keyed["req_per_s"] / without["req_per_s"],
    }


def measure_peer(args, ids, ours, rows=PEER_ROWS):
    """Datasette on a copy of the seeded database, pinned like our server:
    `rows`, its peak RSS and our req/s against its; None without Datasette."""
    rows = [row for row in rows if args.only in row.name]
    if not rows:
        return None
    if importlib.util.find_spec("datasette") is None:
        print("Datasette is not installed (pip install -e '.[bench]'): no peer in this run.")
        return None
    copy = args.data / "peer.sqlite"
    remove_database(copy)
    shutil.copyfile(seeded_file(args.reports, args.data), copy)
    peer_ids = args.data / "peer.ids"
    connection = sqlite3.connect(copy)
    seqs = connection.execute("SELECT seq FROM report ORDER BY random() LIMIT 10000").fetchall()
    connection.close()
    mentors = [line for line in Path(ids).read_text().splitlines() if line.startswith("mentor ")]
    peer_ids.write_text("".join(f"seq {seq}\n" for (seq,) in seqs) + "\n".join(mentors) + "\n")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "datasette", "serve", "-i", str(copy),
               "--port", str(port), "--host", "127.0.0.1"]  # fmt: skip
    with open(args.data / "peer.log", "w") as log:
        peer = subprocess.Popen(pinned(0) + command, cwd=REPO, stdout=log, stderr=log)
        try:
            wait_for(f"{url}/-/versions.json", peer)
            measured = measure_rows(url, peer, rows, peer_ids, {}, args)
        finally:
            stop(peer)
    ratios = {
        f"{our} / {theirs}": ours[our]["req_per_s"] / measured[theirs]["req_per_s"]
        for our, theirs in PEER_RATIOS
        if our in ours and theirs in measured
    }
    return {"datasette": importlib.metadata.version("datasette"), "rows": measured,
            "ratios": ratios}  # fmt: skip


def wait_for(url, process, timeout=120):
    """Until `url` answers 200 (the server is up), or raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} ended with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def measure_feature_costs(args, rows, with_all):
    """For each switch of bench/server.py, its feature's endpoints on a server
    with every feature and then, right after, on one without that feature,
    each on a fresh copy of the database with the same tokens set up: the
    machine drifts over a run, so each pair is measured side by side."""
    costs = {}
    for feature, names in FEATURES.items():
        chosen = [row for row in rows if row.name in names and row.name in with_all]
        if not chosen:
            continue
        with_it = measure_switched(args, chosen, feature, without=False)
        without = measure_switched(args, chosen, feature, without=True)
        costs[feature] = {
            name: {
                "with_req_per_s": with_it[name]["req_per_s"],
                "without_req_per_s": measured["req_per_s"],
                "cost": 1 - with_it[name]["req_per_s"] / measured["req_per_s"],
                "with": with_it[name],
                "without": measured,
            }
            for name, measured in without.items()
        }
    return costs


def measure_switched(args, rows, feature, without):
    """`rows` on bench/server.py, with `--without feature` if `without`, on a
    fresh copy of the database: {name: measured}."""
    label = f"without-{feature}" if without else f"with-{feature}"
    database, ids = seeded_database(args.reports, args.data, f"{label}.sqlite")
    tokens = make_tokens(database)
    command = [sys.executable, "bench/server.py"]
    if without:
        command += ["--without", feature]
        if feature == "token-check":
            tokens = {}  # every request is the coordinator's: these rows send no token
    log = args.data / f"server-{label}.log"
    try:
        with serving(command, service_env(database, args), log) as (server, url):
            return measure_rows(url, server, rows, ids, tokens, args)
    finally:
        remove_database(database)


def measure_scaling(args, rows, at_n):
    """When N is over SCALING_REPORTS: the lists' page 1 on a database of
    SCALING_REPORTS reports too, same tokens, a server of its own; each list's
    p50 at N against its p50 there. None otherwise."""
    chosen = [row for row in rows if row.name in SCALING_ROWS and row.name in at_n]
    if args.reports <= SCALING_REPORTS or not chosen:
        return None
    database, ids = seeded_database(SCALING_REPORTS, args.data, "scaling.sqlite")
    tokens = make_tokens(database)
    log = args.data / f"server-{SCALING_REPORTS}.log"
    with serving([sys.executable, "app.py"], service_env(database, args), log) as (server, url):
        small = measure_rows(url, server, chosen, ids, tokens, args)
    return {
        "reports": SCALING_REPORTS,
        "rows": {
            name: {
                "p50_ms": at_n[name]["p50_ms"],
                f"p50_ms_at_{SCALING_REPORTS}": measured["p50_ms"],
                "ratio": at_n[name]["p50_ms"] / measured["p50_ms"],
                f"at_{SCALING_REPORTS}": measured,
            }
            for name, measured in small.items()
        },
    }


def run_profile(args):
    """One endpoint (--only) on `bench/server.py --profile`, for --duration; then
    the top of the profile's summary. The profile is kept in DATA."""
    database, ids = seeded_database(args.reports, args.data)
    tokens = make_tokens(database)
    rows = endpoints(args.reports, database)
    chosen = [row for row in rows if row.name == args.only] or [
        row for row in rows if args.only and args.only in row.name
    ]
    if not chosen:
        names = "\n".join(f"  {row.name}" for row in rows)
        print(f"--profile needs --only with the name of one endpoint:\n{names}")
        return 2
    row = chosen[0]
    profile = args.data / f"profile-{re.sub(r'[^a-z0-9]+', '-', row.name.lower()).strip('-')}"
    command = [sys.executable, "bench/server.py", "--profile", str(profile)]
    log = args.data / "server-profile.log"
    # Stopped, the server writes the profile: that may take a while.
    with serving(command, service_env(database, args), log, stop_timeout=300) as (server, url):
        (measured,) = measure_rows(url, server, [row], ids, tokens, args).values()
    print(f"\n{row.name} under the profiler, {args.reports:,} reports, {args.duration} s: "
          f"{measured['req_per_s']:.0f} req/s, p50 {measured['p50_ms']:.2f} ms, "
          f"{measured['non_2xx']} non-2xx")  # fmt: skip
    summary = Path(f"{profile}.txt").read_text().splitlines()
    print("\n".join(summary[:60]))
    print(f"\nThe profile: {profile} (pstats), its summary {profile}.txt")
    return 0


def run_exports(args):
    """The exports' run: each export from a fresh server, their table, written
    to bench/results-exports-N.json."""
    database, _ = seeded_database(args.reports, args.data)
    secret = make_tokens(database)["coordinator"]
    exports = {export: measure_export_alone(database, export, secret, args) for export in EXPORTS}
    results = {"reports": args.reports, "exports": exports}
    output = Path(args.output or BENCH / f"results-exports-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print_exports_table(results)
    print(f"\nWritten to {output}")
    return 0


def run_contention(args):
    """The contention run: its table, written to bench/results-contention-N.json;
    1 if a flood missed its goal."""
    database, ids = seeded_database(args.reports, args.data)
    tokens = make_tokens(database)
    ids = contention.flood_ids(ids, args.data / "contention.ids")
    env = {"REPORTS_DATABASE": str(database), "REPORTS_PORT": "0",
           "REPORTS_SECRET_KEY": secrets.token_hex(32)}  # fmt: skip
    log = args.data / "server-contention.log"
    with serving([sys.executable, "app.py"], env, log) as (server, url):
        cookie = contention.session_cookie(url, tokens["coordinator"])
        results = contention.measure(sys.modules[__name__], url, ids, tokens, cookie, args,
                                     args.only)  # fmt: skip
        results["peak_rss_mib"] = peak_rss_mib(server)
    results.update(reports=args.reports, connections=args.connections,
                   duration_s=args.duration)  # fmt: skip
    output = Path(args.output or BENCH / f"results-contention-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    contention.print_table(results)
    print(f"\nWritten to {output}")
    if not contention.passed(results):
        print("FAIL: a flood took the probe by id over its goal")
        return 1
    return 0


def run_outbox(args):
    """The outbox's run: its table, written to bench/results-outbox-N.json; 1 if
    a row had answers other than 2xx."""
    results = outbox.measure(sys.modules[__name__], args)
    results.update(reports=args.reports, connections=args.connections,
                   duration_s=args.duration)  # fmt: skip
    output = Path(args.output or BENCH / f"results-outbox-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    outbox.print_table(results)
    print(f"\nWritten to {output}")
    if outbox.failed(results):
        print("A row had answers other than 2xx: see its non-2xx")
        return 1
    return 0


def run_inprocess(args):
    """The request budget (bench/inprocess.py): its table, written to
    bench/results-inprocess-N.json."""
    import inprocess

    measured = measure_inprocess(args)
    output = Path(args.output or BENCH / f"results-inprocess-{args.reports}.json")
    output.write_text(json.dumps(measured, indent=2) + "\n")
    inprocess.print_table(measured, args.reports)
    print(f"\nWritten to {output}")
    return 0


def run_budget(args):
    """The budget in process and the wire's table in one run (bench/budget.py):
    bare Flask (before and after), the service and Datasette on the wire;
    written to bench/results-budget-N.json."""
    import budget
    import inprocess

    results = {"reports": args.reports, "connections": args.connections,
               "duration_s": args.duration}  # fmt: skip
    results["inprocess"] = measure_inprocess(args)
    results["budget"] = budget.in_process_verdicts(results["inprocess"])

    database, ids = seeded_database(args.reports, args.data)
    tokens = make_tokens(database)
    rows = [row for row in endpoints(args.reports, database) if row.name in budget.SHARE_GOALS]
    first = measure_baseline(ids, args)
    log = args.data / "server.log"
    with serving([sys.executable, "app.py"], service_env(database, args), log) as (server, url):
        ours = measure_rows(url, server, rows, ids, tokens, args)
    theirs = {theirs for _, theirs in budget.PEER_GOALS}
    peer = measure_peer(args, ids, ours, [row for row in PEER_ROWS if row.name in theirs])
    last = measure_baseline(ids, args)
    bare = (first["req_per_s"] + last["req_per_s"]) / 2
    peer_rows = peer["rows"] if peer else {}
    results["wire"] = {
        "bare_req_per_s": bare, "bare_runs": [first["req_per_s"], last["req_per_s"]],
        "ours": ours, "peer_rows": peer_rows, "datasette": peer and peer["datasette"],
        "verdicts": budget.wire_verdicts(ours, bare, peer_rows),
    }  # fmt: skip

    output = Path(args.output or BENCH / f"results-budget-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    inprocess.print_table(results["inprocess"], args.reports)
    budget.print_budget(results["budget"])
    budget.print_wire(results)
    print(f"\nWritten to {output}")
    return 0


def measure_inprocess(args):
    """bench/inprocess.py's measure_all on a copy of the seeded database."""
    import inprocess

    database, ids_file = seeded_database(args.reports, args.data, "inprocess.sqlite")
    try:
        tokens = make_tokens(database)
        ids = {}
        for line in ids_file.read_text().splitlines():
            group, _, value = line.partition(" ")
            ids.setdefault(group, []).append(value)
        args.quiet_log = False
        cursor = deep_cursor(database, deep_page(args.reports))
        measured = inprocess.measure_all(
            database, ids, tokens["coordinator"], last_month(database), SEARCH, cursor, args
        )
    finally:
        remove_database(database)
    measured.update(reports=args.reports, calls=args.calls, rounds=inprocess.ROUNDS)
    return measured


def run_pages(args):
    """The pages' run: their table, written to bench/results-pages-N.json; 1 if
    `--check` and a page failed."""
    database, ids = seeded_database(args.reports, args.data)
    if args.profile:
        pages.profile(database, ids, args.reports, args.only, requests=args.requests or 20)
        return 0
    env = {"REPORTS_DATABASE": str(database), "REPORTS_PORT": "0",
           "REPORTS_SECRET_KEY": secrets.token_hex(32)}  # fmt: skip
    with serving([sys.executable, "app.py"], env, args.data / "server-pages.log") as (server, url):
        results = pages.measure(
            url, database, ids, args.reports, requests=args.requests or 200,
            warmup=args.warmup, only=args.only, budget=args.budget_ms, seconds=args.seconds,
        )  # fmt: skip
        results["peak_rss_mib"] = peak_rss_mib(server)
    output = Path(args.output or BENCH / f"results-pages-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    pages.print_table(results)
    print(f"\nWritten to {output}")
    if args.check and not pages.passed(results):
        print("FAIL: a page is over its budget or answered other than 200")
        return 1
    return 0


def print_table(results, log):
    runs = " and ".join(f"{rate:.0f}" for rate in results["baseline"]["runs"])
    mentor = results["mentor"]
    print(f"\n{results['reports']:,} reports, {results['connections']} connections "
          f"(MAX_SEARCHES {results['max_searches']}), {results['duration_s']} s per endpoint; "
          f"baseline runs {runs} req/s")  # fmt: skip
    print(f"Tokens in force: each row sends the coordinator's, or (\", mentor\") the token of "
          f"{mentor['id']}\n({mentor['reports']:,} reports); the server's request log: "
          f"{log.relative_to(REPO) if log.is_relative_to(REPO) else log}")  # fmt: skip
    print(f"{'endpoint':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} "
          f"{'RSS MiB':>8} {'non-2xx':>8}")  # fmt: skip
    rows = {"baseline (bare Flask)": results["baseline"], **results["endpoints"]}
    for name, r in rows.items():
        ratio = f"{r['ratio']:.0%}" if "ratio" in r else "100%"
        print(f"{name:38} {r['req_per_s']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{ratio:>6} {r['peak_rss_mib']:8.1f} {r['non_2xx']:8d}{flag(r)}")  # fmt: skip
    if results.get("exports"):
        print()
    for export, measured in results.get("exports", {}).items():
        print(f"Export {export}: {measured['rows']:,} rows, {measured['mib']} MiB in "
              f"{measured['seconds']} s (first byte {measured['first_byte_seconds']} s); "
              f"server peak RSS {measured['peak_rss_mib']:.1f} MiB")  # fmt: skip


def flag(measured):
    errors = measured["non_2xx"] + measured.get("socket_errors", 0)
    return "" if errors == 0 else "  <- NOT ALL 2xx"


def print_rss(results):
    rss = results["rss"]
    peaks = [f"{rss['after_endpoints_mib']:.1f} MiB after the endpoints"]
    if "after_exports_mib" in rss:
        peaks.append(f"{rss['after_exports_mib']:.1f} MiB after the exports")
    over = max(rss.values()) > RSS_FLAG_MIB
    print(f"\nServer peak RSS (VmHWM): {', '.join(peaks)}"
          f"{f'  <- above {RSS_FLAG_MIB} MiB' if over else ''}")  # fmt: skip


def print_idempotency(measured):
    if measured is None:
        return
    print(f"\nIdempotency-Key, a fresh one on every POST (the all-features server): "
          f"{measured['with_key_req_per_s']:.0f} req/s\nagainst "
          f"{measured['without_key_req_per_s']:.0f} req/s without one: "
          f"a cost of {measured['cost']:.0%}")  # fmt: skip


def print_peer(peer):
    if peer is None:
        return
    print(f"\nThe peer: Datasette {peer['datasette']} (datasette serve -i) on a copy of the "
          "seeded database, same core")  # fmt: skip
    print(f"{'endpoint':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8} "
          f"{'non-2xx':>8}")  # fmt: skip
    for name, r in peer["rows"].items():
        print(f"{name:38} {r['req_per_s']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['peak_rss_mib']:8.1f} {r['non_2xx']:8d}{flag(r)}")  # fmt: skip
    for name, ratio in peer["ratios"].items():
        print(f"  req/s, ours / theirs: {name} = {ratio:.2f}x")


def print_feature_costs(costs):
    if not costs:
        return
    print("\nThe cost of each feature: req/s on bench/server.py with every feature on, then right "
          "after\nwith --without FEATURE, each on a fresh copy of the database; "
          "cost = 1 - with/without,\nbelow 0 where the feature makes it faster")  # fmt: skip
    print(f"{'feature':14} {'endpoint':30} {'with':>8} {'without':>8} {'cost':>6} "
          f"{'non-2xx':>8}")  # fmt: skip
    for feature, rows in costs.items():
        for name, r in rows.items():
            print(f"{feature:14} {name:30} {r['with_req_per_s']:8.0f} "
                  f"{r['without_req_per_s']:8.0f} {r['cost']:6.0%} "
                  f"{r['with']['non_2xx'] + r['without']['non_2xx']:8d}"
                  f"{flag(r['with']) or flag(r['without'])}")  # fmt: skip
    if "token-check" in costs:
        print("(without token-check every request is the coordinator's: those rows send no token)")


def print_scaling(results):
    scaling = results["scaling"]
    if scaling is None:
        return
    print(f"\nList p50 at {results['reports']:,} / at {scaling['reports']:,} reports "
          "(a server of its own on that database, in this run):")  # fmt: skip
    small, measured = f"p50_ms_at_{scaling['reports']}", f"at_{scaling['reports']}"
    for name, r in scaling["rows"].items():
        print(f"  {name:30} {r['p50_ms']:8.2f} ms / {r[small]:8.2f} ms = {r['ratio']:.2f}x"
              f"{flag(r[measured])}")  # fmt: skip


def all_measured(results):
    """(table, row, measured) of every wrk run of the results."""
    yield "baseline", "bare Flask", results["baseline"]
    for name, measured in results["endpoints"].items():
        yield "endpoints", name, measured
    for name, measured in (results["peer"] or {}).get("rows", {}).items():
        yield "peer", name, measured
    for feature, rows in results["feature_costs"].items():
        for name, r in rows.items():
            yield f"without {feature}", name, r["without"]
    if results["scaling"] is not None:
        smaller = results["scaling"]["reports"]
        for name, r in results["scaling"]["rows"].items():
            yield f"at {smaller:,}", name, r[f"at_{smaller}"]


def print_failures(results):
    """A loud line for each row with answers other than 2xx; whether there was one."""
    failed = [(table, name, r) for table, name, r in all_measured(results) if flag(r)]
    for table, name, r in failed:
        print(f"\n*** {table}: {name}: {r['non_2xx']:,} answers not 2xx and "
              f"{r['socket_errors']:,} socket errors in {r['requests']:,} ***")  # fmt: skip
    return bool(failed)


def print_exports_table(results):
    print(f"\n{results['reports']:,} reports, each export from a server started for it alone")
    print(f"{'export':8} {'rows':>10} {'MiB':>8} {'seconds':>8} {'peak RSS MiB':>13} "
          f"{'RSS at start':>13}")  # fmt: skip
    for export, r in results["exports"].items():
        print(f"{export:8} {r['rows']:10,} {r['mib']:8.1f} {r['seconds']:8.2f} "
              f"{r['peak_rss_mib']:13.1f} {r['rss_at_start_mib']:13.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
