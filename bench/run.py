"""Benchmark every endpoint against the framework's floor, in one run.

    python bench/run.py --reports 10000
    python bench/run.py --reports 1000000

Seeds (once, cached in bench/data/) a database of N reports, starts a bare
Flask route on waitress as the baseline and then the real `python app.py` on a
copy of the database, and drives each with wrk: the server pinned to one core,
wrk to the other. Prints req/s, p50 and p99, the ratio to the baseline (the mean
of a run before and a run after the endpoints) and the server's peak RSS per
endpoint, and writes them to bench/results-N.json.
Needs wrk (`apt-get install wrk`).

    python bench/run.py --reports 100000 --pages --check

times the web pages instead (bench/pages.py), one client, and fails unless
each page's p50 is under 50 ms; `--profile NAME` shows where a page's time goes.

    python bench/run.py --reports 1000000 --exports

streams only the whole CSV, NDJSON and XLSX exports, each from a server of its
own started for it, so that each peak RSS is that export's; prints its rows,
size, time, peak RSS and the RSS the server had before it, and writes them to
bench/results-exports-N.json. Needs no wrk.
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pages

from reports import auth, create_app
from reports.schemas import encode_cursor

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LIMIT = 20
EXPORTS = ("csv", "ndjson", "xlsx")
# The cells a sheet spans, written at the start of its XML: A1:AB1000001.
DIMENSION = re.compile(rb'<dimension ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"')


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


def seeded_database(reports, data=BENCH / "data"):
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    seeded = data / f"reports-{reports}-{seed_version()}.sqlite"
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
    working = data / "run.sqlite"
    for leftover in data.glob("run.sqlite*"):
        leftover.unlink()
    shutil.copyfile(seeded, working)
    return working, Path(f"{seeded}.ids")


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


def stop(process):
    process.terminate()
    process.wait(timeout=10)


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
    command = pinned(1) + [
        "wrk", f"-t{args.threads}", f"-c{connections or args.connections}", f"-d{args.duration}s",
        "--latency", "-s", str(BENCH / "requests.lua"), url, "--", kind, str(ids), query, secret,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT "))
    rate, p50, p99, non_2xx, requests = result.split()[1:]
    return {
        "req_per_s": float(rate),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "non_2xx": int(non_2xx),
        "requests": int(requests),
    }


def measure_baseline(ids, args):
    baseline, url = start([sys.executable, str(BENCH / "baseline.py")])
    try:
        measured = wrk(url, "baseline", ids, "", args)
        measured["peak_rss_mib"] = peak_rss_mib(baseline)
        return measured
    finally:
        stop(baseline)


def coordinator_token(database):
    """Put the API in token mode: a coordinator token in the database; its secret."""
    with create_app({"DATABASE": str(database)}).app_context():
        return auth.create_token("bench", "coordinator")


def deep_cursor(database, page):
    """The cursor a client would follow to reach `page` of the unfiltered list."""
    db = sqlite3.connect(database)
    created_at, report_id = db.execute(
        "SELECT created_at, report_id FROM report ORDER BY created_at DESC, seq DESC "
        "LIMIT 1 OFFSET :offset",
        {"offset": (page - 1) * LIMIT - 1},
    ).fetchone()
    db.close()
    return encode_cursor("-created_at", created_at, report_id, page)


def last_month(database):
    """The filter of a coordinator's monthly question on the newest month of the data."""
    db = sqlite3.connect(database)
    newest = db.execute("SELECT max(created_at) FROM report").fetchone()[0]
    db.close()
    end = datetime.strptime(newest[:10], "%Y-%m-%d").date()
    return (
        f"status=submitted&follow_up_needed=true"
        f"&session_date_from={end - timedelta(days=30)}&session_date_to={end}"
    )


def measure_export(url, server, export):
    """Stream the whole export once: its time (and the time to its first byte,
    which for XLSX is the time to write the workbook), size, rows and the
    server's peak RSS. CSV and NDJSON count their rows as lines under the
    header; an XLSX is kept in a temporary file, whose sheet says its rows."""
    started = time.monotonic()
    size = lines = 0
    with (
        tempfile.TemporaryFile() as kept,
        urllib.request.urlopen(f"{url}/api/v1/reports?format={export}", timeout=1800) as answer,
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


def measure_export_alone(database, export):
    """measure_export on a server started for this export alone, with the RSS
    it had (and its peak) before the export."""
    server, url = start(
        [sys.executable, "app.py"], env={"REPORTS_DATABASE": str(database), "REPORTS_PORT": "0"}
    )
    try:
        at_start = {
            "rss_at_start_mib": rss_mib(server),
            "peak_rss_at_start_mib": peak_rss_mib(server),
        }
        return {**measure_export(url, server, export), **at_start}
    finally:
        stop(server)


def endpoints(reports, database):
    """(name, wrk kind, query) of every measured endpoint."""
    filtered = last_month(database)
    deep = max(1, min(1000, reports // LIMIT))
    mentor_deep = max(1, (reports // max(50, reports // 200)) // LIMIT)
    return [
        ("GET /reports/<id>", "get", ""),
        ("GET /reports page 1", "list", f"?limit={LIMIT}"),
        (f"GET /reports page {deep}", "list", f"?limit={LIMIT}&page={deep}"),
        (f"GET /reports cursor page {deep}", "list",
         f"?limit={LIMIT}&cursor={deep_cursor(database, deep)}" if deep > 1 else f"?limit={LIMIT}"),
        ("GET /by-activity page 1", "by-activity", f"?limit={LIMIT}"),
        ("GET /by-mentor page 1", "by-mentor", f"?limit={LIMIT}"),
        (f"GET /by-mentor page {mentor_deep}", "by-mentor", f"?limit={LIMIT}&page={mentor_deep}"),
        ("GET /reports filtered page 1", "list", f"?limit={LIMIT}&{filtered}"),
        ("GET /reports search page 1", "list", f"?limit={LIMIT}&q=eviction&status=submitted"),
        # One coordinator asking, alone: the time one answer takes.
        ("GET /reports filtered page 1, 1 conn", "list", f"?limit={LIMIT}&{filtered}", 1),
        ("GET /reports search page 1, 1 conn", "list",
         f"?limit={LIMIT}&q=eviction&status=submitted", 1),
        ("POST /reports", "post", ""),
        ("PUT /reports/<id>", "put", ""),
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--output", default=None)
    parser.add_argument("--only", default="", help="measure only endpoints containing this")
    parser.add_argument(
        "--token", action="store_true", help="create a coordinator token and send it every time"
    )
    parser.add_argument("--data", default=BENCH / "data", help="where seeded databases are kept")
    parser.add_argument(
        "--exports", action="store_true",
        help="measure only the exports, each from a server started for it",
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
    pages_options.add_argument(
        "--profile", action="store_true",
        help="cProfile the pages (--only to choose) in this process instead of timing them",
    )  # fmt: skip
    args = parser.parse_args()
    if args.pages or args.profile:
        sys.exit(run_pages(args))
    if args.exports:
        sys.exit(run_exports(args))
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    database, ids = seeded_database(args.reports, args.data)
    results = {"reports": args.reports, "connections": args.connections,
               "duration_s": args.duration, "token": args.token, "endpoints": {}}  # fmt: skip

    secret = coordinator_token(database) if args.token else ""
    first = measure_baseline(ids, args)

    server, url = start(
        [sys.executable, "app.py"], env={"REPORTS_DATABASE": str(database), "REPORTS_PORT": "0"}
    )
    try:
        for name, kind, query, *connections in endpoints(args.reports, database):
            if args.only not in name:
                continue
            measured = wrk(url, kind, ids, query, args, secret, *connections)
            measured["peak_rss_mib"] = peak_rss_mib(server)
            results["endpoints"][name] = measured
        if not args.only:
            rss_before = peak_rss_mib(server)
            for export in EXPORTS:
                results[f"export {export}"] = measure_export(url, server, export)
            results["rss_before_exports_mib"] = rss_before
    finally:
        stop(server)
    # The machine is noisy: the baseline is the mean of one run before the
    # endpoints and one after them.
    last = measure_baseline(ids, args)
    results["baseline"] = {
        key: (first[key] + last[key]) / 2 for key in ("req_per_s", "p50_ms", "p99_ms")
    }
    results["baseline"].update(
        non_2xx=first["non_2xx"] + last["non_2xx"],
        peak_rss_mib=max(first["peak_rss_mib"], last["peak_rss_mib"]),
        runs=[first["req_per_s"], last["req_per_s"]],
    )
    for measured in results["endpoints"].values():
        measured["ratio"] = measured["req_per_s"] / results["baseline"]["req_per_s"]

    output = Path(args.output or BENCH / f"results-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print_scaling()
    for export in EXPORTS:
        if f"export {export}" in results:
            measured = results[f"export {export}"]
            print(f"\nExport {export}: {measured['rows']:,} rows, {measured['mib']} MiB in "
                  f"{measured['seconds']} s; server peak RSS {measured['peak_rss_mib']:.1f} MiB "
                  f"(before the exports: {results['rss_before_exports_mib']:.1f} MiB)")  # fmt: skip
    print(f"\nWritten to {output}")


def run_exports(args):
    """The exports' run: each export from a fresh server, their table, written
    to bench/results-exports-N.json."""
    database, _ = seeded_database(args.reports, args.data)
    exports = {export: measure_export_alone(database, export) for export in EXPORTS}
    results = {"reports": args.reports, "exports": exports}
    output = Path(args.output or BENCH / f"results-exports-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print_exports_table(results)
    print(f"\nWritten to {output}")
    return 0


def run_pages(args):
    """The pages' run: their table, written to bench/results-pages-N.json; 1 if
    `--check` and a page failed."""
    database, ids = seeded_database(args.reports, args.data)
    if args.profile:
        pages.profile(database, ids, args.reports, args.only, requests=args.requests or 20)
        return 0
    env = {"REPORTS_DATABASE": str(database), "REPORTS_PORT": "0",
           "REPORTS_SECRET_KEY": secrets.token_hex(32)}  # fmt: skip
    with open(Path(args.data) / "server-pages.log", "w") as log:
        server, url = start([sys.executable, "app.py"], env=env, log=log)
        try:
            results = pages.measure(
                url, database, ids, args.reports, requests=args.requests or 200,
                warmup=args.warmup, only=args.only, budget=args.budget_ms, seconds=args.seconds,
            )  # fmt: skip
            results["peak_rss_mib"] = peak_rss_mib(server)
        finally:
            stop(server)
    output = Path(args.output or BENCH / f"results-pages-{args.reports}.json")
    output.write_text(json.dumps(results, indent=2) + "\n")
    pages.print_table(results)
    print(f"\nWritten to {output}")
    if args.check and not pages.passed(results):
        print("FAIL: a page is over its budget or answered other than 200")
        return 1
    return 0


def print_table(results):
    runs = " and ".join(f"{rate:.0f}" for rate in results["baseline"]["runs"])
    print(f"\n{results['reports']:,} reports, {results['connections']} connections, "
          f"{results['duration_s']} s per endpoint; baseline runs {runs} req/s"
          f"{'; every request with a coordinator token' if results['token'] else ''}")  # fmt: skip
    print(f"{'endpoint':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} "
          f"{'RSS MiB':>8} {'non-2xx':>8}")  # fmt: skip
    rows = {"baseline (bare Flask)": results["baseline"], **results["endpoints"]}
    for name, r in rows.items():
        ratio = f"{r['ratio']:.0%}" if "ratio" in r else "100%"
        flag = "" if r["non_2xx"] == 0 else "  <- non-2xx answers"
        print(f"{name:38} {r['req_per_s']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{ratio:>6} {r['peak_rss_mib']:8.1f} {r['non_2xx']:8d}{flag}")  # fmt: skip


def print_exports_table(results):
    print(f"\n{results['reports']:,} reports, each export from a server started for it alone")
    print(f"{'export':8} {'rows':>10} {'MiB':>8} {'seconds':>8} {'peak RSS MiB':>13} "
          f"{'RSS at start':>13}")  # fmt: skip
    for export, r in results["exports"].items():
        print(f"{export:8} {r['rows']:10,} {r['mib']:8.1f} {r['seconds']:8.2f} "
              f"{r['peak_rss_mib']:13.1f} {r['rss_at_start_mib']:13.1f}")  # fmt: skip


def print_scaling():
    """p50 of each list at 1M against 10k, when both result files are there."""
    files = [BENCH / "results-10000.json", BENCH / "results-1000000.json"]
    if not all(f.exists() for f in files):
        return
    small, large = (json.loads(f.read_text())["endpoints"] for f in files)
    print("\nList p50 at 1,000,000 / at 10,000:")
    for name in ("GET /reports page 1", "GET /by-activity page 1", "GET /by-mentor page 1"):
        if name in small and name in large:
            print(f"  {name:30} {large[name]['p50_ms'] / small[name]['p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
