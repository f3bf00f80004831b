"""The benchmark, run at a tiny size so that it cannot rot: its seed makes the
history a real database has, its pages' run signs in and times every page
the app has, naming those it has not, and its exports' run streams each export
whole."""

import importlib.util
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

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
