"""CSV and NDJSON exports, read back and compared with the API's own reads, and
`flask --app reports import`: all or nothing, and export-then-import round trips.
The XLSX workbooks have tests/test_spreadsheets.py."""

import csv
import io
import json
import sqlite3

import pytest
from exporting import AWKWARD, REPORTS, api_reports, every_report, import_file
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import formats
from reports.db import get_db

from conftest import CONTRACT_REPORT


def parsed_csv(data):
    """The rows of an export CSV as the API's report objects."""
    lines = io.StringIO(data.decode("utf-8-sig"), newline="")
    return {report["report_id"]: report for _, report in formats.read_csv(lines)}


def csv_rows(data):
    """The header of a CSV, then its rows in the order of their ids: an import
    keeps every report but not which of those made in the same second came first."""
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [header, *sorted(rows)]


def as_api_form(report):
    """An imported row with the keys a full read has (submitted_at null on a draft,
    a review of nulls on a report without one)."""
    review = dict.fromkeys(("review_state", "comment", "reviewed_by", "reviewed_at"))
    return {"submitted_at": None, **report, "review": review | report.get("review", {})}


def test_the_csv_export_reads_back_as_the_api_reads(client, awkward_reports, reviewed):
    response = client.get(f"{REPORTS}?format=csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    header = response.data.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.split(",") == list(formats.COLUMNS)
    exported = parsed_csv(response.data)
    assert {key: as_api_form(value) for key, value in exported.items()} == api_reports(
        client, awkward_reports
    )


def test_a_csv_starts_with_a_byte_order_mark_for_spreadsheets(client, awkward_reports):
    data = client.get(f"{REPORTS}?format=csv").data

    assert data.startswith(b"\xef\xbb\xbfreport_id,")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    notes = {row["mentor_notes"] for row in rows}
    assert {"emoji 🎉 and ünïcödé", "مرحبا، هذا نص من اليمين إلى اليسار"} <= notes


def test_every_export_holds_the_review(client, awkward_reports, reviewed):
    csv_rows = parsed_csv(client.get(f"{REPORTS}?format=csv").data)
    lines = client.get(f"{REPORTS}?format=ndjson").data.decode().splitlines()
    ndjson_rows = {report["report_id"]: report for report in map(json.loads, lines)}
    review = client.get(f"{REPORTS}/{reviewed}/review").json
    del review["report_id"]

    assert csv_rows[reviewed]["review"] == review
    assert ndjson_rows[reviewed]["review"] == review
    assert review["review_state"] == "has_issues" and review["reviewed_by"] == "anonymous"
    unreviewed = awkward_reports[0]
    assert "review" not in csv_rows[unreviewed]
    assert set(ndjson_rows[unreviewed]["review"].values()) == {None}


def test_an_export_filtered_by_review_state_holds_those_reviews(client, awkward_reports, reviewed):
    exported = parsed_csv(client.get(f"{REPORTS}?format=csv&review_state=has_issues").data)

    assert list(exported) == [reviewed]
    assert exported[reviewed]["review"]["review_state"] == "has_issues"


def test_an_export_is_a_file_named_for_its_list_and_the_day(client, clock):
    disposition = {
        f"{REPORTS}?format=csv": "reports-2026-03-20.csv",
        f"{REPORTS}?format=ndjson&status=draft": "reports-2026-03-20.ndjson",
        f"{REPORTS}/by-activity/act_7b4e9f2a?format=xlsx": (
            "reports-by-activity-act_7b4e9f2a-2026-03-20.xlsx"
        ),
        f"{REPORTS}/by-mentor/usr_042?format=csv": "reports-by-mentor-usr_042-2026-03-20.csv",
        f"{REPORTS}/summary?group_by=month&format=csv": "summary-by-month-2026-03-20.csv",
        f"{REPORTS}/summary?group_by=org&format=xlsx": "summary-by-org-2026-03-20.xlsx",
    }
    for path, filename in disposition.items():
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_no_csv_cell_starts_like_a_formula(client, awkward_reports):
    data = client.get(f"{REPORTS}?format=csv").data.decode()

    cells = [cell for row in csv.reader(io.StringIO(data, newline="")) for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


# Cells a spreadsheet could still take for a formula, beyond OWASP's list: after
# blanks (a line break, a space, a no-break or zero-width space, a byte-order
# mark, a word joiner), in full-width forms, or after a ; that a spreadsheet of a
# locale whose list separator is ; splits the line at.
FORMULA_LIKE = [
    "\n=1+1",
    " =1+1",
    "\u00a0=1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "\u2060+1",
    "\u202e=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "x;=1+1",
    "x; =1+1",
    "x;\u00a0＝1+1",
    ";@a",
    "rock;'n roll",
    "a;;'",
]
FORMULA_CHARACTERS = "=+-@＝＋－＠"
BLANKS = " \t\r\n\u00a0\u200b\u200c\u200d\u2060\ufeff\u202e"


def could_run_as_formula(cell):
    """Whether a spreadsheet could take `cell`, or a part of it after a ;, for a
    formula: one that starts, after blanks, with = + - @ or their full-width forms."""
    return any(part.lstrip(BLANKS)[:1] in tuple(FORMULA_CHARACTERS) for part in cell.split(";"))


@pytest.fixture
def formula_like_reports(client):
    ids = []
    for text in FORMULA_LIKE:
        fields = {**CONTRACT_REPORT["fields"], "challenges_noted": text, "mentor_notes": text}
        created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
        assert created.status_code == 201, created.json
        ids.append(created.json["report_id"])
    return ids


def test_no_csv_cell_could_run_as_a_formula_after_blanks_or_a_semicolon(
    client, formula_like_reports
):
    data = client.get(f"{REPORTS}?format=csv").data.decode("utf-8-sig")

    cells = [cell for row in csv.reader(io.StringIO(data, newline="")) for cell in row]
    assert {"x;'=1+1", "' =1+1", "'＝1+1", ";'@a", "rock;''n roll"} <= set(cells)
    assert [cell for cell in cells if could_run_as_formula(cell)] == []


def test_formula_like_cells_come_back_as_they_were(
    app, client, formula_like_reports, second_app, tmp_path
):
    path = tmp_path / "reports.csv"
    path.write_bytes(client.get(f"{REPORTS}?format=csv").data)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert every_report(second_app) == every_report(app)
    notes = {report["fields"]["mentor_notes"] for report in every_report(second_app)}
    assert notes == set(FORMULA_LIKE)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(FORMULA_CHARACTERS + BLANKS + "';x ")) | st.text())
def test_any_text_reads_back_from_its_csv_cell_as_it_was(text):
    (cell,) = formats.csv_cells([text])

    assert formats.restored(cell) == text
    assert not could_run_as_formula(cell)


def test_the_ndjson_export_is_the_full_reports_one_per_line(client, awkward_reports):
    response = client.get(REPORTS, headers={"Accept": "application/x-ndjson"})

    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.data.decode().splitlines()
    exported = {report["report_id"]: report for report in map(json.loads, lines)}
    # The directory knows none of their ids: no names (tests/test_names.py).
    no_names = {"mentor_name": None, "activity_name": None}
    assert exported == {
        report_id: {**report, **no_names}
        for report_id, report in api_reports(client, awkward_reports).items()
    }
    read = list(client.get(REPORTS + "/" + awkward_reports[0]).json)
    ids = read.index("org_id") + 1
    assert list(exported[awkward_reports[0]]) == [*read[:ids], *no_names, *read[ids:], "review"]


@pytest.mark.parametrize(
    ("how", "mimetype"),
    [
        ({"query_string": "format=csv"}, "text/csv"),
        ({"headers": {"Accept": "text/csv"}}, "text/csv"),
        ({"query_string": "format=ndjson"}, "application/x-ndjson"),
        ({"query_string": "format=xlsx"}, formats.XLSX),
        ({"headers": {"Accept": formats.XLSX}}, formats.XLSX),
        ({"headers": {"Accept": "text/html,*/*;q=0.8"}}, "application/json"),
        ({"headers": {"Accept": "text/csv"}, "query_string": "format=json"}, "application/json"),
        ({"headers": {"Accept": "*/*"}}, "application/json"),
        ({"headers": {"Accept": "application/json"}}, "application/json"),
        ({}, "application/json"),
    ],
)
def test_format_or_accept_chooses_the_answer(client, awkward_reports, how, mimetype):
    with client.get(REPORTS, **how) as response:
        assert response.mimetype == mimetype
        assert "Accept" in response.vary


def test_an_export_holds_every_match_in_the_list_order_with_the_filters(client, awkward_reports):
    exported = parsed_csv(client.get(f"{REPORTS}?format=csv&follow_up_needed=true").data)
    listed = client.get(f"{REPORTS}?follow_up_needed=true&limit=100").json["data"]

    assert list(exported) == [item["report_id"] for item in listed]
    assert len(exported) == 7


def test_the_activity_and_mentor_lists_export_too(client, awkward_reports):
    for path in ("by-activity/act_7b4e9f2a", "by-mentor/usr_mentor_042"):
        response = client.get(f"{REPORTS}/{path}?format=ndjson")
        assert len(response.data.decode().splitlines()) == len(AWKWARD), path
    assert client.get(f"{REPORTS}/by-mentor/someone_else?format=csv").data.count(b"\r\n") == 1


@pytest.mark.parametrize("paging", ["page=2", "limit=5", "cursor=abc"])
def test_an_export_is_not_paged(client, paging):
    response = client.get(f"{REPORTS}?format=csv&{paging}")

    assert response.status_code == 422
    assert paging.split("=")[0] in response.json["errors"]


# Import -----------------------------------------------------------------------


@pytest.mark.parametrize("export", ["csv", "ndjson"])
def test_export_then_import_gives_the_same_reports(
    app, client, awkward_reports, second_app, tmp_path, export
):
    path = tmp_path / f"reports.{export}"
    path.write_bytes(client.get(f"{REPORTS}?format={export}").data)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert f"Imported {len(AWKWARD)} reports" in result.output
    assert every_report(second_app) == every_report(app)


def test_import_of_new_reports_gives_them_ids_and_times(second_app, tmp_path):
    path = tmp_path / "new.jsonl"
    rows = [CONTRACT_REPORT, {**CONTRACT_REPORT, "status": "submitted"}]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    imported = every_report(second_app)
    assert sorted(report["status"] for report in imported) == ["draft", "submitted"]
    assert all(report["report_id"].startswith("rpt_") for report in imported)


BAD_ROWS = [
    json.dumps(CONTRACT_REPORT),
    json.dumps({**CONTRACT_REPORT, "peer_mentor_id": "not an id"}),
    json.dumps(CONTRACT_REPORT),
    json.dumps({**CONTRACT_REPORT, "fields": {"attendance_count": "six"}}),
    "[1, 2]",
    json.dumps({**CONTRACT_REPORT, "status": "submitted", "fields": {}}),
]


def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_line(second_app, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD_ROWS) + "\n")

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert f"{path}:2: " in result.stderr and "peer_mentor_id" in result.stderr
    assert f"{path}:4: " in result.stderr and "attendance_count" in result.stderr
    assert f"{path}:5: " in result.stderr
    assert f"{path}:6: " in result.stderr and "Required to submit" in result.stderr
    assert f"{path}:1: " not in result.stderr and f"{path}:3: " not in result.stderr
    assert "4 of the rows are not valid. Nothing was imported." in result.stderr
    assert every_report(second_app) == []


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("created_at", "2025-01-01T00:00:00Z\n"),
        ("created_at", "2025-99-99T99:99:99Z"),
        ("submitted_at", "0000-00-00T00:00:00Z"),
        ("created_at", "2025-02-30T10:00:00Z"),
        ("report_id", "rpt_12345678\n"),
    ],
)
def test_import_refuses_what_the_api_would_refuse_in_one_line(second_app, tmp_path, member, value):
    row = {**CONTRACT_REPORT, "status": "submitted", member: value}
    path = tmp_path / "sly.jsonl"
    path.write_text(json.dumps(row) + "\n")

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{path}:1: " in result.stderr and member in result.stderr
    assert "Nothing was imported." in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # the row, then the outcome
    assert every_report(second_app) == []


def test_a_storage_error_of_an_import_is_one_line(second_app, tmp_path, monkeypatch):
    def refused(db, row):
        raise sqlite3.IntegrityError("CHECK constraint failed: report")

    monkeypatch.setattr("reports.queries.insert_report", refused)
    row = {**CONTRACT_REPORT, "report_id": "rpt_0000abcd"}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"Error: {path}: the database refused a row (CHECK constraint failed: report). "
        "Nothing was imported."
    ]


def test_importing_ids_that_exist_imports_nothing(app, client, awkward_reports, tmp_path):
    path = tmp_path / "again.csv"
    path.write_bytes(client.get(f"{REPORTS}?format=csv").data)
    before = every_report(app)

    result = import_file(app, path)

    assert result.exit_code == 1
    assert "A report with this id exists already." in result.stderr
    assert every_report(app) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.jsonl", '{"activity_id": \n', "line 1: not valid JSON"),
        ("columns.csv", "report_id,mood\r\nrpt_00000001,good\r\n", "unknown columns mood"),
        ("short.csv", "activity_id,peer_mentor_id\r\nact_1\r\n", "line 2: 1 cells"),
    ],
)
def test_a_file_that_is_not_of_its_format_imports_nothing(
    second_app, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_text(content)

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert message in result.output
    assert every_report(second_app) == []


def test_dry_run_validates_and_imports_nothing(client, awkward_reports, second_app, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_bytes(client.get(f"{REPORTS}?format=csv").data)

    result = import_file(second_app, path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert f"All {len(AWKWARD)} reports" in result.output and "--dry-run" in result.output
    assert every_report(second_app) == []


def test_import_records_who_made_the_reports(second_app, tmp_path, database):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(CONTRACT_REPORT) + "\n")

    import_file(second_app, path)

    report_id = every_report(second_app)[0]["report_id"]
    with second_app.app_context():
        actors = (
            get_db()
            .execute("SELECT action, actor FROM report_change WHERE report_id = ?", (report_id,))
            .fetchall()
        )
    assert [tuple(row) for row in actors] == [("create", "flask import")]


@pytest.mark.parametrize("byte_order_mark", [True, False])
def test_a_csv_with_or_without_a_byte_order_mark_imports(
    app, client, awkward_reports, reviewed, second_app, tmp_path, byte_order_mark
):
    exported = client.get(f"{REPORTS}?format=csv").data
    assert exported.startswith(b"\xef\xbb\xbf")
    path = tmp_path / "from-a-spreadsheet.csv"
    path.write_bytes(exported if byte_order_mark else exported.removeprefix(b"\xef\xbb\xbf"))

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert every_report(second_app) == every_report(app)
    exported_again = second_app.test_client().get(f"{REPORTS}?format=csv").data
    assert csv_rows(exported_again) == csv_rows(exported)
