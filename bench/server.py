"""`python app.py`, for the benchmark: the same server, with features switched
off or a profiler on, without a line of the service edited.

    python bench/server.py [--without FEATURE ...] [--profile FILE]

--without takes the names of WITHOUT below. Each switch replaces one function
of the service (or one setting of it) before the app is made, so that the run
measures the service minus that one feature; no such server is fit to serve
anyone:

  request-log    requestlog.start_request and end_request do nothing: no line
                 is written, no X-Request-ID answered
  token-check    auth.authenticate answers a coordinator for every request,
                 token or none, and records no token's use
  change-record  service.lifecycle.record_change records nothing: no report_change row
  fts-triggers   db.upgrade drops the triggers that keep the search index, after
                 the schema made them again at the server's start
  counts         service.page_of_reports counts nothing (queries.count_reports
                 says "endless", so the page is read as usual): every total is 0
  group-commit   GroupCommit.MAX_BATCH is 1: each write commits and syncs alone

--profile FILE runs each request under cProfile (one profiler a thread,
merged at the end) and, when the server stops (SIGTERM), writes the pstats
data to FILE and its summary, the 40 costliest functions by their own time and
by their cumulative time, to FILE.txt.
"""

import argparse
import cProfile
import io
import pstats
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports import auth, create_app, db, queries, requestlog, service  # noqa: E402
from reports.serve import serve  # noqa: E402

# The triggers that keep the full-text index.
FTS_TRIGGERS = ("report_text_on_insert", "report_text_on_update", "report_text_on_delete")


def without_request_log():
    requestlog.start_request = lambda: None
    requestlog.end_request = lambda response: response


def without_token_check():
    bench = auth.Caller("bench", "coordinator")
    auth.authenticate = lambda request: bench


def without_change_record():
    # imports.py calls it as lifecycle.record_change too, so this reaches every write.
    service.lifecycle.record_change = lambda *args, **kwargs: None


def without_fts_triggers():
    """The search index's triggers are made again at every start: drop them after it."""
    upgrade = db.upgrade

    def upgrade_then_drop(path, *args, **kwargs):
        versions = upgrade(path, *args, **kwargs)
        connection = sqlite3.connect(path)
        for trigger in FTS_TRIGGERS:
            connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        connection.commit()
        connection.close()
        return versions

    # init_db (at the server's start) looks upgrade up in reports.db.schema; the CLI in reports.db.
    db.upgrade = db.schema.upgrade = upgrade_then_drop


def without_counts():
    """A total of 0 would make page_of_reports read no rows (page 1 is past the
    end of nothing): the count says "endless", and the total answered is 0."""
    queries.count_reports = lambda db, filters: sys.maxsize
    page_of_reports = service.page_of_reports

    def uncounted(*args, **kwargs):
        rows, _, after = page_of_reports(*args, **kwargs)
        return rows, 0, after

    # The API and the pages call service.page_of_reports, listed_reports its module's own.
    service.page_of_reports = service.lists.page_of_reports = uncounted


def without_group_commit():
    db.GroupCommit.MAX_BATCH = 1


WITHOUT = {
    "request-log": without_request_log,
    "token-check": without_token_check,
    "change-record": without_change_record,
    "fts-triggers": without_fts_triggers,
    "counts": without_counts,
    "group-commit": without_group_commit,
}


class Profiled:
    """A WSGI app that runs each request of `app` under its thread's profiler."""

    def __init__(self, app):
        self.app = app
        self.profilers = []
        self.local = threading.local()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        profiler = getattr(self.local, "profiler", None)
        if profiler is None:
            # CPU time of the thread, not the wall clock: 16 threads share one core,
            # and a wall clock would charge each function with the others' turns.
            profiler = self.local.profiler = cProfile.Profile(time.thread_time_ns, 1e-9)
            with self.lock:
                self.profilers.append(profiler)
        profiler.enable()
        try:
            # The body is made here too: every answer measured is a list of bytes.
            answer = self.app(environ, start_response)
            try:
                return list(answer)
            finally:
                # What a WSGI server must do, and now cannot: close the answer.
                if hasattr(answer, "close"):
                    answer.close()
        finally:
            profiler.disable()

    def write(self, path):
        with self.lock:
            stats = pstats.Stats(*self.profilers) if self.profilers else None
        if stats is None:
            return
        stats.dump_stats(path)
        summary = io.StringIO()
        stats.stream = summary
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(40)
        Path(f"{path}.txt").write_text(summary.getvalue())


def app_without(features, test_config=None):
    """The service's app, made once each feature of `features` is switched off."""
    for feature in features:
        WITHOUT[feature]()
    return create_app(test_config)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--without", nargs="*", default=[], choices=sorted(WITHOUT), metavar="FEATURE",
        help=f"switch these off: {', '.join(WITHOUT)}",
    )  # fmt: skip
    parser.add_argument("--profile", default=None, help="write the pstats of every request here")
    args = parser.parse_args()
    app = app_without(args.without)
    if args.profile:
        profiled = Profiled(app.wsgi_app)
        app.wsgi_app = profiled
    serve(app)
    if args.profile:
        profiled.write(args.profile)


if __name__ == "__main__":
    main()
