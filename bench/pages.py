"""Time each web page as one person in a browser sees it: `python bench/run.py --pages`.

One client per role signs in as a browser does (GET /login for the form's CSRF
token and the session cookie, POST /login with a token the bench created),
then asks for each page REQUESTS times in a row after a warm-up, over one
kept-alive connection, and times each answer to its last byte. A page passes
when its p50 is under the budget (issue 13: 50 ms at 100,000 reports).

A page is one line of PAGES. A page whose route the app does not have yet (no
rule of the app's url_map leads its path to its endpoint) is skipped, and
said so loudly.
"""

import contextlib
import cProfile
import http.client
import io
import math
import os
import pstats
import random
import re
import sqlite3
import statistics
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from reports import auth, create_app
from reports.web.table import DEEPEST_PAGE, PAGE_SIZE

# (name, path, role, endpoint): the path may name
#   {report}   a report (another one of the sample on every request),
#   {deep}     a deep page number: the deepest the table shows (page 500 from 10,000 reports),
#   {activity} one activity, a small view (20 reports or so),
#   {common}   a word in most reports, {rare} one in about one report in 80.
# role: who asks (None: no one signed in); mentor: the mentor with the most reports.
PAGES = [
    ("sign-in", "/login", None, "web.login"),
    ("reports", "/reports", "coordinator", "web.reports"),
    ("reports, deep page", "/reports?page={deep}", "coordinator", "web.reports"),
    ("reports, filtered, common word",
     "/reports?status=submitted&review_state=none&q={common}", "coordinator", "web.reports"),
    ("reports, filtered, rare word",
     "/reports?status=submitted&review_state=none&q={rare}", "coordinator", "web.reports"),
    ("my reports", "/reports/mine", "mentor", "web.my_reports"),
    ("a report", "/reports/{report}", "coordinator", "web.report"),
    ("new report", "/reports/new", "mentor", "web.new_report"),
    ("edit a report", "/reports/{report}/edit", "coordinator", "web.edit_report"),
    ("summary", "/summary", "coordinator", "web.summary"),
    ("summary by mentor", "/summary?group_by=mentor", "coordinator", "web.summary"),
    ("trash", "/trash", "coordinator", "web.trash"),
    ("CSV of one activity", "/reports.csv?activity_id={activity}", "coordinator",
     "web.download_reports"),
    # The same pages in Arabic, right to left, last: choosing a language with
    # ?lang= keeps it for the pages after (a cookie, the person's preference).
    ("reports in Arabic", "/reports?lang=ar", "coordinator", "web.reports"),
    ("my reports in Arabic", "/reports/mine?lang=ar", "mentor", "web.my_reports"),
    ("a report in Arabic", "/reports/{report}?lang=ar", "coordinator", "web.report"),
    ("new report in Arabic", "/reports/new?lang=ar", "mentor", "web.new_report"),
    ("summary in Arabic", "/summary?lang=ar", "coordinator", "web.summary"),
]  # fmt: skip

BUDGET_MS = 50
# A page that is slow gets fewer requests: at most this long for each page
# (its warm-up a tenth of it), and at least MIN_TIMED requests.
SECONDS_PER_PAGE = 60
MIN_TIMED = 10
COMMON_WORD = "referrals"
RARE_WORD = "eviction"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_NAMES = {"coordinator": "bench_coordinator", "mentor": "bench_mentor"}


class Browser:
    """One browser: a kept-alive connection to the server, and its cookies."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.cookies = {}

    def request(self, method, path, form=None):
        """(status, body, seconds from the request's first byte sent to the answer's last read)."""
        headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response, content, elapsed = self._exchange(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the kept-alive connection while this browser was
            # idle (RECEIVE_TIMEOUT); a browser opens a new one and asks again.
            self.connection.close()
            response, content, elapsed = self._exchange(method, path, body, headers)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, content, elapsed

    def _exchange(self, method, path, body, headers):
        started = time.perf_counter()
        self.connection.request(method, path, body, headers)
        response = self.connection.getresponse()
        content = response.read()
        return response, content, time.perf_counter() - started

    def sign_in(self, secret):
        """As a person does: the sign-in form, then the token pasted into it."""
        status, page, _ = self.request("GET", "/login")
        if status != 200:
            raise RuntimeError(f"GET /login answered {status}")
        csrf = CSRF_FIELD.search(page.decode()).group(1)
        status, page, _ = self.request("POST", "/login", {"token": secret, "csrf_token": csrf})
        if status not in (302, 303):
            raise RuntimeError(f"POST /login answered {status}: {page[:300]!r}")

    def close(self):
        self.connection.close()


def prepare(database, ids_file, reports):
    """Tokens for each role in `database` (a copy the bench may change), and
    what the paths' placeholders stand for. Returns (secrets, values, report ids)."""
    db = sqlite3.connect(database)
    mentor, mentor_reports = db.execute(
        "SELECT peer_mentor_id, count(*) FROM report GROUP BY peer_mentor_id "
        "ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    db.close()
    sample = {"report": [], "activity": []}
    with open(ids_file) as lines:
        for line in lines:
            kind, value = line.split()
            sample.setdefault(kind, []).append(value)
    with create_app({"DATABASE": str(database)}).app_context():
        secrets = {
            "coordinator": auth.create_token(TOKEN_NAMES["coordinator"], "coordinator"),
            "mentor": auth.create_token(TOKEN_NAMES["mentor"], "mentor", mentor),
        }
    values = {
        "deep": max(1, min(DEEPEST_PAGE, reports // PAGE_SIZE)),
        "activity": sample["activity"][0],
        "common": COMMON_WORD,
        "rare": RARE_WORD,
        "mentor": mentor,
        "mentor_reports": mentor_reports,
    }
    return secrets, values, sample["report"]


def built(app, path, endpoint):
    """Whether the app has a route that leads `path` to `endpoint` (asked of its
    url_map, so that a page that 404s for another reason is not taken as missing)."""
    adapter = app.url_map.bind("localhost")
    try:
        matched, _ = adapter.match(urlsplit(path).path, method="GET")
    except (HTTPException, RequestRedirect):
        return False
    return matched == endpoint


def shown(path, values):
    """The path as the table shows it: the run's values in, a report as <id>."""
    return path.replace("{report}", "<id>").format(**values)


def chosen(only):
    return [page for page in PAGES if only in page[0] or only in page[1]]


def measure(
    url, database, ids_file, reports, requests=200, warmup=20, only="", budget=BUDGET_MS,
    seconds=SECONDS_PER_PAGE,
):  # fmt: skip
    """Time every built page of PAGES against the server at `url`; the results."""
    secrets, values, report_ids = prepare(database, ids_file, reports)
    app = create_app({"DATABASE": str(database)})
    if (os.cpu_count() or 1) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {1})  # the server is on core 0
    draw = random.Random(13)
    browsers = {}
    results = {
        "reports": reports,
        "requests": requests,
        "warmup": warmup,
        "seconds_per_page": seconds,
        "budget_ms": budget,
        "mentor": {"id": values["mentor"], "reports": values["mentor_reports"]},
        "values": values,
        "load_before": os.getloadavg(),
        "pages": {},
        "not_built": [],
    }
    try:
        for name, path, role, endpoint in chosen(only):
            if not built(app, path.format(report=report_ids[0], **values), endpoint):
                results["not_built"].append(shown(path, values))
                print(f"*** not built: {shown(path, values)} (no route to {endpoint}) ***")
                continue
            if role not in browsers:
                browsers[role] = Browser(url)
                if role is not None:
                    browsers[role].sign_in(secrets[role])
            measured = time_page(
                browsers[role],
                lambda path=path: path.format(report=draw.choice(report_ids), **values),
                requests,
                warmup,
                seconds,
            )
            measured.update(path=shown(path, values), role=role or "-")
            measured["verdict"] = verdict(measured, budget)
            results["pages"][name] = measured
            print(f"  {name:32} p50 {measured['p50_ms']:7.2f} ms  {measured['verdict']}")
    finally:
        for browser in browsers.values():
            browser.close()
    results["load_after"] = os.getloadavg()
    return results


def time_page(browser, next_path, requests, warmup, seconds=SECONDS_PER_PAGE):
    """`warmup` requests, then `requests` timed ones, fewer where they would
    take over `seconds` in all."""
    started = time.monotonic()
    for _ in range(warmup):
        browser.request("GET", next_path())
        if time.monotonic() - started > seconds / 10:
            break
    times, statuses, size = [], {}, 0
    while len(times) < requests:
        if len(times) >= MIN_TIMED and time.monotonic() - started > seconds:
            break
        status, body, elapsed = browser.request("GET", next_path())
        times.append(elapsed * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        size = len(body)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[max(0, math.ceil(len(times) * 0.99) - 1)], 2),
        "max_ms": round(times[-1], 2),
        "kib": round(size / 1024, 1),
        "requests": len(times),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
    }


def verdict(measured, budget):
    """PASS when every answer was a 200 and the p50 is under the budget."""
    if set(measured["statuses"]) != {"200"}:
        return "FAIL (not all 200: " + ", ".join(
            f"{count} x {status}" for status, count in measured["statuses"].items()
        ) + ")"  # fmt: skip
    return "PASS" if measured["p50_ms"] < budget else "FAIL"


def passed(results):
    return all(page["verdict"] == "PASS" for page in results["pages"].values())


def print_table(results):
    load = " / ".join(f"{a:.2f}" for a in results["load_before"][:1] + results["load_after"][:1])
    print(f"\nPages at {results['reports']:,} reports, one client, up to {results['requests']} "
          f"requests each (n) after {results['warmup']} to warm up, at most "
          f"{results['seconds_per_page']} s a page; budget p50 < "
          f"{results['budget_ms']} ms; load average before / after {load}; "
          f"the mentor {results['mentor']['id']} has {results['mentor']['reports']:,} "
          "reports")  # fmt: skip
    width = max([len("path"), *(len(page["path"]) for page in results["pages"].values())])
    print(f"{'page':32} {'path':{width}} {'role':12} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'KiB':>7}  verdict")  # fmt: skip
    for name, page in results["pages"].items():
        print(f"{name:32} {page['path']:{width}} {page['role']:12} {page['requests']:4} "
              f"{page['p50_ms']:8.2f} {page['p99_ms']:8.2f} {page['kib']:7.1f}  "
              f"{page['verdict']}")  # fmt: skip
    for path in results["not_built"]:
        print(f"*** not built: {path} ***")


def profile(database, ids_file, reports, only, requests=20, warmup=3, top=30):
    """cProfile of the pages matching `only`, served in this process by the
    app's test client (no server, no network): where a page's time goes."""
    secrets, values, report_ids = prepare(database, ids_file, reports)
    app = create_app({"DATABASE": str(database), "SECRET_KEY": os.urandom(16).hex()})
    draw = random.Random(13)
    for name, path, role, endpoint in chosen(only):
        if not built(app, path.format(report=report_ids[0], **values), endpoint):
            print(f"*** not built: {shown(path, values)} ***")
            continue
        client = app.test_client()
        profiler, statuses = cProfile.Profile(), {}
        with contextlib.redirect_stderr(io.StringIO()):  # the request log
            if role is not None:
                page = client.get("/login").get_data(as_text=True)
                form = {"token": secrets[role], "csrf_token": CSRF_FIELD.search(page).group(1)}
                client.post("/login", data=form)
            for _ in range(warmup):
                client.get(path.format(report=draw.choice(report_ids), **values))
            started = time.perf_counter()
            for _ in range(requests):
                next_path = path.format(report=draw.choice(report_ids), **values)
                profiler.enable()
                status = client.get(next_path).status_code
                profiler.disable()
                statuses[status] = statuses.get(status, 0) + 1
            each = (time.perf_counter() - started) / requests * 1000
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top // 2)
        print(f"\n=== {name}: {shown(path, values)} as {role or 'no one'}, {requests} "
              f"requests ({statuses}), {each:.1f} ms each under the profiler ===")  # fmt: skip
        print(out.getvalue())
