"""The benchmark, run at a tiny size so that it cannot rot: its seed makes the
history a real database has, its pages' run signs in and times every page
the app has, naming those it has not, and its exports' run streams each export
whole. Its endpoints are the ones it says, and each switch of bench/server.py
takes away the one feature it names (wrk itself is not in CI)."""

import base64
import contextlib
import importlib.util
import io
import json
import pstats
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
# Enough reports for a trash of two.
REPORTS = 2000


def bench_module(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pages = bench_module("pages")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The folder of the seeded database that every run of this module shares."""
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def pages_run(data):
    """`bench/run.py --pages --check` at REPORTS reports, a few requests a page,
    with a budget any page meets: its output, its results and its folder."""
    command = [
        sys.executable, "bench/run.py", "--reports", str(REPORTS), "--pages", "--check",
        "--requests", "3", "--warmup", "1", "--budget-ms", "10000",
        "--data", str(data), "--output", str(data / "results.json"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, json.loads((data / "results.json").read_text()), data


@pytest.fixture(scope="module")
def exports_run(data):
    """`bench/run.py --exports` at REPORTS reports: its output and its results."""
    command = [
        sys.executable, "bench/run.py", "--reports", str(REPORTS), "--exports",
        "--data", str(data), "--output", str(data / "exports.json"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, json.loads((data / "exports.json").read_text())


def test_each_export_is_streamed_whole_and_its_memory_measured(exports_run):
    output, results = exports_run
    assert list(results["exports"]) == ["csv", "ndjson", "xlsx"]
    for export, measured in results["exports"].items():
        # Every report: lines under the header, or the rows the sheet says it has.
        assert measured["rows"] == REPORTS, export
        assert measured["mib"] > 0 and measured["seconds"] >= measured["first_byte_seconds"]
        assert measured["peak_rss_mib"] >= measured["peak_rss_at_start_mib"]
        assert measured["peak_rss_at_start_mib"] >= measured["rss_at_start_mib"] > 0
        assert (
            f"{export:8} {REPORTS:10,} {measured['mib']:8.1f} {measured['seconds']:8.2f} "
            f"{measured['peak_rss_mib']:13.1f} {measured['rss_at_start_mib']:13.1f}"
        ) in output
    assert "lines" not in results["exports"]["xlsx"]


def test_every_page_is_timed_or_named_as_not_built(pages_run):
    output, results, _ = pages_run
    for name, path, _role, _endpoint in pages.PAGES:
        if name in results["pages"]:
            timed = results["pages"][name]
            assert timed["statuses"] == {"200": 3}, (name, timed)
            assert timed["verdict"] == "PASS"
            assert f"{name:32} {timed['path']}" in output
        else:
            assert pages.shown(path, {**results["values"]}) in results["not_built"], name
            assert f"not built: {pages.shown(path, results['values'])}" in output
    # The pages main has had since the first slice: both roles signed in.
    assert {"sign-in", "reports", "my reports", "a report"} <= set(results["pages"])


def test_the_mentor_is_the_one_with_the_most_reports(pages_run):
    _, results, _ = pages_run
    assert results["mentor"]["id"] == "usr_mentor_00000"
    assert results["mentor"]["reports"] > REPORTS / 40


def test_a_page_over_its_budget_or_not_all_200_fails():
    assert pages.verdict({"p50_ms": 49.9, "statuses": {"200": 5}}, 50) == "PASS"
    assert pages.verdict({"p50_ms": 50.0, "statuses": {"200": 5}}, 50) == "FAIL"
    assert pages.verdict({"p50_ms": 1.0, "statuses": {"200": 4, "404": 1}}, 50).startswith("FAIL")
    assert not pages.passed({"pages": {"a": {"verdict": "PASS"}, "b": {"verdict": "FAIL"}}})


def test_a_page_is_built_only_where_a_route_leads_its_path_to_its_endpoint():
    from reports import create_app

    app = create_app({"DATABASE": "unused.sqlite"})
    assert pages.built(app, "/reports/rpt_0000abcd", "web.report")
    assert pages.built(app, "/reports?page=3", "web.reports")
    assert not pages.built(app, "/no-such-page", "web.report")
    # /reports/new is a report id to web.report until the new-report page exists.
    assert not pages.built(app, "/reports/rpt_0000abcd", "web.new_report")


def test_the_seed_gives_each_report_the_history_the_service_would(pages_run):
    _, _, folder = pages_run
    (seeded,) = folder.glob(f"reports-{REPORTS}-*.sqlite")
    db = sqlite3.connect(seeded)
    one = db.execute
    assert one("SELECT count(*) FROM report").fetchone() == (REPORTS,)
    # Every report was created; its versions are its changes, one after another.
    assert one(
        """SELECT count(*) FROM report
            WHERE version IS NOT (SELECT count(*) FROM report_change AS change
                                   WHERE change.report_id = report.report_id)
               OR NOT EXISTS (SELECT 1 FROM report_change AS change
                               WHERE change.report_id = report.report_id
                                 AND change.version = 1 AND action = 'create')"""
    ).fetchone() == (0,)
    # Only submitted reports are reviewed; most of them are.
    reviews = one(
        "SELECT count(*), sum(status = 'submitted') "
        "FROM report_review JOIN report USING (report_id)"
    ).fetchone()
    submitted = one("SELECT count(*) FROM report WHERE status = 'submitted'").fetchone()[0]
    assert reviews[0] == reviews[1] > submitted / 2
    # The trash holds reports that are no longer in the table, deleted in its days.
    trash = one("SELECT report_id, deleted_at FROM report_trash").fetchall()
    assert trash
    for report_id, deleted_at in trash:
        assert one("SELECT 1 FROM report WHERE report_id = ?", (report_id,)).fetchone() is None
        assert one(
            "SELECT action, changed_at FROM report_change WHERE report_id = ? "
            "ORDER BY change_id DESC LIMIT 1",
            (report_id,),
        ).fetchone() == ("delete", deleted_at)
    db.close()


# In a process of its own, since a switch patches the service for good: makes a
# database as `flask --app reports init-db` does, applies the switch named by
# argv[1] (none if empty) as bench/server.py does, starts as the server does,
# and prints what it then sees of each feature.
PROBE = """
import contextlib, io, json, sqlite3, sys
sys.path.insert(0, "bench")
import server
from reports import auth, db

feature, path = sys.argv[1], sys.argv[2]
db.init_db(path)
app = server.app_without([feature] if feature else [], {"TESTING": True, "DATABASE": path})
db.open_or_create(path)
with app.app_context():
    bearer = {"Authorization": "Bearer " + auth.create_token("probe", "coordinator")}
client = app.test_client()
new = {"activity_id": "act_probe", "peer_mentor_id": "usr_probe", "org_id": "org_probe",
       "fields": {"session_date": "2026-03-20", "session_topic": "Zanzibar budgeting"}}
log = io.StringIO()
with contextlib.redirect_stderr(log):
    created = client.post("/api/v1/reports", headers=bearer, json=new)
with contextlib.redirect_stderr(io.StringIO()):
    listed = client.get("/api/v1/reports", headers=bearer).get_json()
    found = client.get("/api/v1/reports?q=zanzibar", headers=bearer).get_json()
    without_token = client.get("/api/v1/reports").status_code
changes = sqlite3.connect(path).execute(
    "SELECT count(*) FROM report_change WHERE report_id = ?", (created.get_json()["report_id"],)
).fetchone()[0]
print(json.dumps({
    "created": created.status_code, "log_lines": log.getvalue().count(chr(10)),
    "without_token": without_token, "changes": changes, "found": len(found["data"]),
    "total": listed["pagination"]["total"], "listed": len(listed["data"]),
    "max_batch": db.GroupCommit.MAX_BATCH,
}))
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """What PROBE sees with each switch of bench/server.py, and with none ("")."""
    seen = {}

    def probe(feature):
        if feature not in seen:
            database = tmp_path_factory.mktemp("probe") / "reports.sqlite"
            command = [sys.executable, "-c", PROBE, feature, str(database)]
            run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stdout + run.stderr
            seen[feature] = json.loads(run.stdout.splitlines()[-1])
            assert seen[feature]["created"] == 201, seen[feature]
        return seen[feature]

    return probe


def test_without_the_request_log_no_line_is_written(probed):
    assert probed("")["log_lines"] == 1
    assert probed("request-log")["log_lines"] == 0


def test_without_the_token_check_a_request_without_a_token_is_served(probed):
    assert probed("")["without_token"] == 401
    assert probed("token-check")["without_token"] == 200


def test_without_the_change_record_a_new_report_has_no_change(probed):
    assert probed("")["changes"] == 1
    assert probed("change-record")["changes"] == 0


def test_without_the_search_triggers_a_new_report_is_not_found(probed):
    assert probed("")["found"] == 1
    assert probed("fts-triggers")["found"] == 0


def test_without_counts_a_list_says_a_total_of_0_but_still_lists(probed):
    assert probed("")["total"] == probed("")["listed"] == 1
    assert probed("counts")["total"] == 0
    assert probed("counts")["listed"] == 1


def test_without_group_commit_each_write_commits_alone(probed):
    assert probed("")["max_batch"] > 1
    assert probed("group-commit")["max_batch"] == 1


def test_every_switch_is_probed():
    server = bench_module("server")
    assert set(server.WITHOUT) == {
        "request-log", "token-check", "change-record", "fts-triggers", "counts", "group-commit"
    }  # fmt: skip
    assert set(bench_run().FEATURES) == set(server.WITHOUT)


def test_the_profiler_writes_pstats_and_a_summary_that_names_the_app(tmp_path):
    from reports import create_app, db

    server = bench_module("server")
    database = str(tmp_path / "reports.sqlite")
    db.init_db(database)
    app = create_app({"TESTING": True, "DATABASE": database})
    profiled = server.Profiled(app.wsgi_app)
    app.wsgi_app = profiled
    with contextlib.redirect_stderr(io.StringIO()):  # the request log
        for _ in range(3):
            assert app.test_client().get("/api/v1/reports").status_code == 200
    profile = tmp_path / "profile"
    profiled.write(str(profile))
    functions = {function for _, _, function in pstats.Stats(str(profile)).stats}
    assert "page_of_reports" in functions
    assert re.search(r"/reports/\w+\.py:\d+\(\w+\)", Path(f"{profile}.txt").read_text())


def bench_run():
    """bench/run.py as a module (it imports bench/pages.py as `pages`)."""
    if str(REPO / "bench") not in sys.path:
        sys.path.insert(0, str(REPO / "bench"))
    return bench_module("run")


def test_each_list_has_page_1_a_deep_page_and_a_cursor_page_and_the_mentor_asks(data):
    run = bench_run()
    database, _ = run.seeded_database(REPORTS, data, "endpoints.sqlite")
    rows = {row.name: row for row in run.endpoints(REPORTS, database)}
    for name in ("GET /reports", "GET /by-activity", "GET /by-mentor"):
        assert f"{name} page 1" in rows
        (deep,) = [n for n in rows if re.fullmatch(rf"{name} page ([2-9]|[1-9][0-9]+)", n)]
        assert f"{name} cursor {deep.removeprefix(name + ' ')}" in rows
    for name in ("GET /reports filtered page 1", "GET /reports search page 1"):
        coordinator, mentor = rows[name], rows[f"{name}, mentor"]
        assert (coordinator.role, mentor.role) == ("coordinator", "mentor")
        assert coordinator.query == mentor.query and coordinator.kind == mentor.kind == "list"
    assert "q=eviction" in rows["GET /reports search page 1"].query
    # Every kind of row is one that requests.lua knows.
    lua = (REPO / "bench" / "requests.lua").read_text()
    for row in rows.values():
        assert f'kind == "{row.kind}"' in lua, row


def test_the_mentors_cursor_page_starts_after_the_last_report_of_the_page_before(data):
    from reports import create_app

    run = bench_run()
    database, _ = run.seeded_database(REPORTS, data, "cursor.sqlite")
    rows = {row.name: row for row in run.endpoints(REPORTS, database)}
    (cursor_row,) = [row for name, row in rows.items() if name.startswith("GET /by-mentor cursor")]
    path = urlsplit(cursor_row.query)
    mentor = path.path.rsplit("/", 1)[1]
    cursor = parse_qs(path.query)["cursor"][0]
    sort, key, report_id, page = json.loads(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    )
    connection = sqlite3.connect(database)
    assert connection.execute(
        "SELECT peer_mentor_id, created_at FROM report WHERE report_id = ?", (report_id,)
    ).fetchone() == (mentor, key)
    # The mentor with the most reports, and the page the row's name says.
    busiest = connection.execute(
        "SELECT peer_mentor_id FROM report GROUP BY peer_mentor_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    assert busiest == (mentor,)
    assert (sort, cursor_row.name) == ("-created_at", f"GET /by-mentor cursor page {page}")
    # The API answers it with the page by number (the database has no token).
    client = create_app({"TESTING": True, "DATABASE": str(database)}).test_client()
    with contextlib.redirect_stderr(io.StringIO()):
        by_cursor = client.get(cursor_row.query).get_json()["data"]
        by_number = client.get(rows[f"GET /by-mentor page {page}"].query).get_json()["data"]
    listed = [report["report_id"] for report in by_cursor]
    assert listed and listed == [report["report_id"] for report in by_number]
    marks = ", ".join("?" * len(listed))
    mentors = connection.execute(
        f"SELECT DISTINCT peer_mentor_id FROM report WHERE report_id IN ({marks})", listed
    ).fetchall()
    assert mentors == [(mentor,)]
    connection.close()


def test_a_row_with_answers_not_2xx_is_said_loudly(capsys):
    run = bench_run()
    fine = {"non_2xx": 0, "socket_errors": 0, "requests": 10}
    results = {
        "baseline": fine, "endpoints": {"GET /reports/<id>": fine, "POST /reports": {
            "non_2xx": 3, "socket_errors": 0, "requests": 10}},
        "peer": None, "feature_costs": {}, "scaling": None,
    }  # fmt: skip
    assert run.print_failures(results)
    assert "*** endpoints: POST /reports: 3 answers not 2xx" in capsys.readouterr().out
    results["endpoints"]["POST /reports"] = fine
    assert not run.print_failures(results)


def test_each_flood_of_the_contention_run_is_a_request_the_service_answers(data):
    """Every flood's path, its page numbers drawn from the ids file it runs
    with, asked once as its client asks (a session for a page, the token for
    the API): a page too deep for the table is its 422, any other a 200."""
    from reports import auth, create_app

    run = bench_run()
    contention = bench_module("contention")
    database, ids = run.seeded_database(REPORTS, data, "contention.sqlite")
    flood_ids = contention.flood_ids(ids, data / "contention.ids")
    groups = {}
    for line in flood_ids.read_text().splitlines():
        group, value = line.split(" ", 1)
        assert re.fullmatch(r"[A-Za-z]+", group), line  # as requests.lua reads a group
        groups.setdefault(group, []).append(value)
    app = create_app({"TESTING": True, "DATABASE": str(database), "SECRET_KEY": "x" * 32})
    with app.app_context():
        secret = auth.create_token("bench_contention", "coordinator")
    browser = app.test_client()
    with contextlib.redirect_stderr(io.StringIO()):
        page = browser.get("/login").get_data(as_text=True)
        form = {"token": secret, "csrf_token": pages.CSRF_FIELD.search(page).group(1)}
        assert browser.post("/login", data=form).status_code == 302
        api = {"Authorization": f"Bearer {secret}"}
        for name, path, who, _ in contention.FLOODS:
            for value in groups.get(next(iter(re.findall(r"{(\w+)}", path)), None), [None]):
                asked = re.sub(r"{\w+}", str(value), path)
                answer = browser.get(asked, headers=api if who == "api" else {})
                expected = 422 if "page=" in asked and who == "page" else 200
                assert answer.status_code == expected, (name, asked, answer.status_code)
    assert {name for name, *_ in contention.FLOODS} >= {
        "summary page by mentor", "summary page by activity", "table, deep filtered pages",
        "API, deep filtered pages", "API, heaviest search",
    }  # fmt: skip
    # A page's flood sends the session as wrk's Cookie header.
    lua = (REPO / "bench" / "requests.lua").read_text()
    assert 'wrk.headers["Cookie"] = args[5]' in lua


def test_a_contention_run_fails_when_the_probe_by_id_misses_a_flood_s_goal(capsys):
    contention = bench_module("contention")

    def measured(by_id_p99):
        probes = {
            "GET /reports/<id>": {"p50_ms": 1.0, "p99_ms": by_id_p99, "p99_ratio": by_id_p99 / 5},
            "GET /healthz": {"p50_ms": 1.0, "p99_ms": 6.0, "p99_ratio": 1.2},
        }
        return {"flood": {"req_per_s": 900.0, "non_2xx": 12}, "probes": probes}

    flood = {"path": "/x", "who": "api", "goal_ms": 100, "runs": [measured(60), measured(99.9)]}
    assert contention.verdict(flood) == "PASS"
    flood["runs"].append(measured(100.0))
    assert contention.verdict(flood) == "FAIL"
    assert contention.verdict({**flood, "goal_ms": None}) is None
    results = {
        "reports": REPORTS, "connections": 16, "duration_s": 10,
        "quiet": {"GET /reports/<id>": {"p50_ms": 0.7, "p99_ms": 5.0},
                  "GET /healthz": {"p50_ms": 1.1, "p99_ms": 6.0}},
        "floods": {"search": {**flood, "verdict": contention.verdict(flood)}},
    }  # fmt: skip
    assert not contention.passed(results)
    contention.print_table(results)
    output = capsys.readouterr().out
    assert "search                         3     900       12" in output
    assert output.count("FAIL") == 3 and "20.0x" in output


def test_the_outbox_run_s_dead_peer_accepts_and_never_answers():
    """The endpoint and the SMTP port of `--outbox`: a connection is taken,
    and nothing ever comes back (no HTTP answer, no SMTP greeting)."""
    outbox = bench_run().outbox
    silent = outbox.Silent()
    try:
        with socket.create_connection(("127.0.0.1", silent.port), timeout=5) as client:
            client.sendall(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            client.settimeout(1)
            with pytest.raises(TimeoutError):
                client.recv(1)
        assert silent.accepted == 1
    finally:
        silent.close()


def test_the_outbox_run_s_dead_row_starts_with_the_webhook_the_e_mail_and_events_waiting(data):
    """`--outbox`'s row with events pending: the webhook (to this machine) has
    had none of them, and each report submitted is e-mail to the coordinator
    once the dispatcher makes it."""
    from reports import create_app, db, service
    from reports.cli import OPERATOR
    from reports.service import notifications

    outbox = bench_run().outbox
    database, ids = bench_run().seeded_database(REPORTS, data, "outbox.sqlite")
    setup = outbox.Setup("dead", webhook=True, smtp=True, pending=20)
    settings = outbox.prepare(database, ids, setup, webhook_port=9, smtp_port=2525)
    assert outbox.dispatcher_state(database) == {
        "webhook_tries": 0, "longest_try_ms": None, "last_error": None,
        "undelivered_events": 20, "mail_waiting": 0, "mail_failed": 0,
    }  # fmt: skip
    app = create_app({"DATABASE": str(database), **settings})
    with app.app_context():
        (webhook,) = service.all_webhooks(caller=OPERATOR)
        assert (webhook["url"], webhook["allow_private"]) == ("http://127.0.0.1:9/hook", True)
        assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"]) == ("127.0.0.1", 2525)
        notifications.make_mail(100)
    db.close_database(str(database))
    # Each report was created submitted: two events, one e-mail.
    assert outbox.dispatcher_state(database)["mail_waiting"] == 10


@pytest.fixture(scope="module")
def inprocess_run(data):
    """`bench/run.py --inprocess` at REPORTS reports, a few calls a round: its
    output and its results."""
    command = [
        sys.executable, "bench/run.py", "--reports", str(REPORTS), "--inprocess",
        "--calls", "3", "--data", str(data), "--output", str(data / "inprocess.json"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, json.loads((data / "inprocess.json").read_text())


def test_the_budget_times_every_contract_endpoint_beside_the_bare_route(inprocess_run):
    output, results = inprocess_run

    assert results["bare_us"] > 0
    assert list(results["endpoints"]) == [
        "GET /reports/<id>", "GET /reports page 1", "GET /reports cursor page",
        "GET /by-activity page 1", "GET /by-mentor page 1", "GET /reports filtered page 1",
        "GET /reports search page 1", "POST /reports", "PUT /reports/<id>",
    ]  # fmt: skip
    for name, row in results["endpoints"].items():
        # Each endpoint against the bare route timed beside it.
        assert row["bare_us"] >= results["bare_us"]
        assert row["us"] > 0 and row["above_bare"] == pytest.approx(row["us"] - row["bare_us"])
        assert name in output
    stages = inprocess_module().STAGES
    # The statements are a stage of the reads, the commit's sync of the writes.
    assert set(results["endpoints"]["GET /reports/<id>"]["stages"]) == set(stages) - {
        "the commit's sync"
    }
    assert set(results["endpoints"]["POST /reports"]["stages"]) == set(stages) - {"the statements"}


@pytest.mark.parametrize(
    "stage",
    [
        "authentication", "the log line", "the headers", "the answer's JSON", "the statements",
        "the view",
    ],
)  # fmt: skip
def test_each_stage_s_switch_takes_its_stage_away_and_gives_it_back(data, stage):
    """A switch of bench/inprocess.py, on an app made within it and switched on
    for its calls: the stage is gone (no token needed, no log line, no
    Cache-Control, a body of {}, a report read again from memory once deleted
    from the file); and an app made after it has the stage again."""
    from reports import auth

    inprocess = inprocess_module()
    # A name of its own: a file copied again where this process opened one is a database gone.
    name = "stages-" + "".join(c for c in stage if c.isalpha()) + ".sqlite"
    database, ids = bench_run().seeded_database(REPORTS, data, name)
    with sqlite3.connect(database) as connection:
        report_id = connection.execute("SELECT report_id FROM report LIMIT 1").fetchone()[0]
    secret = create_token_in(database)
    path = f"/api/v1/reports/{report_id}"

    def answer(app, log, token):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if stage == "the statements":
            client.get(path, headers=headers)
            from reports import db

            connection = db.connect(database)
            connection.execute("DELETE FROM report WHERE report_id = ?", (report_id,))
            connection.close()
        return client.get(path, headers=headers), log.getvalue()

    def lacks_stage(response, line):
        return {
            "authentication": response.status_code == 200,  # with no token at all
            "the log line": response.status_code == 200 and line == "",
            "the headers": "Cache-Control" not in response.headers,
            "the answer's JSON": response.get_data() == b"{}",
            "the statements": response.status_code == 200,  # of a report deleted
            "the view": response.get_data() == b"{}" and "Cache-Control" in response.headers,
        }[stage]

    token = None if stage == "authentication" else secret
    switch, _ = inprocess.STAGES[stage]
    with inprocess.switched(switch):
        log = io.StringIO()
        without = answer(inprocess.make_app(database, log), log, token)
    if stage == "the statements":
        database, ids = bench_run().seeded_database(REPORTS, data, f"again-{name}")
    log = io.StringIO()
    again = answer(inprocess.make_app(database, log), log, token)

    assert lacks_stage(*without)
    assert not lacks_stage(*again)
    assert auth.authenticate.__module__ == "reports.auth"


def test_the_commit_s_sync_switch_commits_without_a_sync_and_gives_it_back(data):
    from reports import db

    inprocess = inprocess_module()
    database, _ = bench_run().seeded_database(REPORTS, data, "stages-commit.sqlite")
    synchronous = lambda connection: connection.execute("PRAGMA synchronous").fetchone()[0]  # noqa: E731

    with inprocess.make_app(database, io.StringIO()).app_context():
        with inprocess.switched(inprocess.without_the_commit_s_sync):
            without = db.write(synchronous)
        again = db.write(synchronous)
    db.close_database(str(database))

    assert (without, again) == (0, 2)  # OFF, then FULL


def test_a_write_is_held_to_its_budget_before_its_commit():
    budget = budget_module()
    measured = {"endpoints": {
        "GET /reports/<id>": {"above_bare": 61, "stages": {}},
        "POST /reports": {"above_bare": 1000, "stages": {"the commit's sync": 900}},
    }}  # fmt: skip

    assert budget.in_process_verdicts(measured) == {
        "GET /reports/<id>": {"us": 61, "budget_us": 60, "met": False},
        "POST /reports": {"us": 100, "budget_us": 150, "met": True},
    }


def test_the_wire_is_held_to_shares_of_bare_flask_and_multiples_of_datasette(capsys):
    budget = budget_module()
    ours = {
        "GET /reports/<id>": {"req_per_s": 3000, "p50_ms": 4.0},
        "GET /by-mentor page 1": {"req_per_s": 1000, "p50_ms": 9.0},
    }
    peer = {
        "Datasette row by primary key": {"req_per_s": 1000, "p50_ms": 9.0},
        "Datasette mentor's 20, no facets": {"req_per_s": 500, "p50_ms": 20.0},
    }

    verdicts = budget.wire_verdicts(ours, 4000, peer)
    budget.print_wire({
        "reports": 100, "connections": 16, "duration_s": 1,
        "wire": {"bare_req_per_s": 4000, "ours": ours, "peer_rows": peer, "verdicts": verdicts},
    })  # fmt: skip

    assert verdicts["shares"] == {
        "GET /reports/<id>": {"figure": 0.75, "goal": 0.75, "met": True},
        "GET /by-mentor page 1": {"figure": 0.25, "goal": 0.5, "met": False},
    }
    assert verdicts["peer"] == {
        "GET /reports/<id> / Datasette row by primary key": {
            "figure": 3.0, "goal": 3.0, "met": True,
        },
        "GET /by-mentor page 1 / Datasette mentor's 20, no facets": {
            "figure": 2.0, "goal": 5.0, "met": False,
        },
    }  # fmt: skip
    printed = capsys.readouterr().out
    assert "75%" in printed and "25%" in printed and "missed" in printed and "3.0x" in printed


def budget_module():
    bench_run()
    return bench_module("budget")


def inprocess_module():
    bench_run()  # bench/ on sys.path: inprocess.py imports server.py and baseline.py
    return bench_module("inprocess")


def create_token_in(database):
    from reports import auth, create_app

    with create_app({"DATABASE": str(database)}).app_context():
        return auth.create_token("stages", "coordinator")
