"""XLSX workbooks of the lists and the summary, and the summary as CSV: read back
with openpyxl (not the library that wrote them) and compared cell by cell with
the API's own reads; and `flask --app reports import` of a workbook."""

import io
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from exporting import AWKWARD, REPORTS, RIGHT_TO_LEFT, api_reports, every_report, import_file
from openpyxl.utils.escape import unescape

from reports import formats, limits, workbook

from conftest import CONTRACT_REPORT
from docs_pages import DOCS, code_blocks, text_of


def xlsx_of(client, path, **kwargs):
    """The workbook a GET answers, read by openpyxl, and the response."""
    with client.get(path, **kwargs) as response:
        assert response.status_code == 200, response.data[:300]
        book = openpyxl.load_workbook(io.BytesIO(response.data))
    return book, response


def sheet_rows(sheet):
    """{column name: cell} for each row under the header."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


@pytest.fixture
def odd_reports(client, awkward_reports):
    """Beside the awkward texts: ids with leading zeros, and notes as long as
    the catalogue allows."""
    limits = {"challenges_noted": 5000, "mentor_notes": 10000, "way_forward": 5000}
    long_fields = {name: ("Longest ✓ " * 1000)[:size] for name, size in limits.items()}
    created = [
        client.post(
            REPORTS,
            json={
                **CONTRACT_REPORT,
                "activity_id": "007",
                "peer_mentor_id": "0042",
                "org_id": "00",
            },
        ),
        client.post(
            REPORTS,
            json={**CONTRACT_REPORT, "fields": {**CONTRACT_REPORT["fields"], **long_fields}},
        ),
    ]
    assert [response.status_code for response in created] == [201, 201]
    return awkward_reports + [response.json["report_id"] for response in created]


def expected_cell(column, value):
    """The value openpyxl reads from the cell of an API value, by its column's kind."""
    kind = formats.KINDS.get(column, "text")
    if value is None:
        return None
    if kind == "date":
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    if kind == "time":
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return value


def test_every_cell_of_the_xlsx_is_what_the_api_reads(client, odd_reports, reviewed):
    book, response = xlsx_of(client, f"{REPORTS}?format=xlsx")

    assert response.mimetype == formats.XLSX
    assert book.sheetnames == ["reports"]
    rows = sheet_rows(book["reports"])
    assert [cell.value for cell in book["reports"][1]] == list(formats.COLUMNS)
    expected = api_reports(client, odd_reports)
    assert [row["report_id"].value for row in rows] == list(reversed(odd_reports))
    for row in rows:
        report = expected[row["report_id"].value]
        wanted = (
            report
            | report["fields"]
            | {column: report["review"][key] for column, key in formats.REVIEW_COLUMNS.items()}
        )
        for column, cell in row.items():
            value = unescape(cell.value) if isinstance(cell.value, str) else cell.value
            assert value == expected_cell(column, wanted.get(column)), (column, cell.value)


def test_cells_are_typed_and_no_text_is_a_formula(client, odd_reports, reviewed):
    book, _ = xlsx_of(client, f"{REPORTS}?format=xlsx")
    rows = {row["report_id"].value: row for row in sheet_rows(book["reports"])}

    row = rows[reviewed]
    assert row["session_date"].is_date and row["session_date"].number_format == "yyyy-mm-dd"
    assert row["created_at"].is_date and "hh:mm:ss" in row["created_at"].number_format
    assert row["attendance_count"].data_type == "n" and row["attendance_count"].value == 6
    assert row["follow_up_needed"].data_type == "b"
    assert row["review_comment"].data_type == "s"  # '=cmd|" /C calc"!A0, and "more"'
    formulas = [
        cell.coordinate for row in rows.values() for cell in row.values() if cell.data_type == "f"
    ]
    assert formulas == []
    texts = [cell.value for row in rows.values() for cell in row.values()]
    assert '=HYPERLINK("http://evil")' in texts and "+49 30 1234" in texts
    leading_zeros = next(row for row in rows.values() if row["activity_id"].value == "007")
    assert (leading_zeros["peer_mentor_id"].value, leading_zeros["org_id"].value) == ("0042", "00")
    assert leading_zeros["activity_id"].data_type == "s"


def test_an_empty_text_and_an_unset_field_stay_apart(client):
    fields = {"session_topic": "Empty notes", "mentor_notes": ""}
    assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201

    book, _ = xlsx_of(client, f"{REPORTS}?format=xlsx")
    (row,) = sheet_rows(book["reports"])

    assert row["mentor_notes"].value == "" and row["mentor_notes"].data_type == "s"
    assert row["challenges_noted"].value is None


def test_a_day_before_excel_s_calendar_stays_text_and_reads_back(client, second_app, tmp_path):
    fields = {"session_topic": "An old record", "session_date": "1899-12-31"}
    assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201

    book, _ = xlsx_of(client, f"{REPORTS}?format=xlsx")
    (row,) = sheet_rows(book["reports"])
    result = import_file(second_app, exported_xlsx(client, tmp_path))

    assert row["session_date"].value == "1899-12-31" and row["session_date"].data_type == "s"
    assert result.exit_code == 0, result.output
    assert every_report(second_app)[0]["fields"]["session_date"] == "1899-12-31"


def test_the_header_is_bold_frozen_filtered_and_the_columns_fit(client, odd_reports):
    book, _ = xlsx_of(client, f"{REPORTS}?format=xlsx")
    sheet = book["reports"]

    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    last = openpyxl.utils.get_column_letter(len(formats.COLUMNS))
    assert sheet.auto_filter.ref == f"A1:{last}{len(odd_reports) + 1}"
    widths = {
        formats.COLUMNS[number - 1]: dimension.width
        for dimension in sheet.column_dimensions.values()
        for number in range(dimension.min, dimension.max + 1)
    }
    assert list(widths) == list(formats.COLUMNS)
    assert all(width >= len(name) + 3 for name, width in widths.items())
    assert widths["created_at"] >= len("2026-03-20 14:10:00")
    assert widths["mentor_notes"] <= workbook.WIDEST + 1  # the longest notes do not fill a screen
    assert widths["session_topic"] > len("session_topic") + 3  # as wide as "Topic 12 ..."


def test_every_filter_and_list_exports_as_xlsx(client, awkward_reports):
    filtered, _ = xlsx_of(client, f"{REPORTS}?format=xlsx&follow_up_needed=true&sort=created_at")
    listed = client.get(f"{REPORTS}?follow_up_needed=true&sort=created_at&limit=100").json["data"]
    by_activity, _ = xlsx_of(client, f"{REPORTS}/by-activity/act_7b4e9f2a?format=xlsx")
    by_mentor, _ = xlsx_of(client, f"{REPORTS}/by-mentor/someone_else?format=xlsx")

    ids = [row["report_id"].value for row in sheet_rows(filtered["reports"])]
    assert ids == [item["report_id"] for item in listed] and len(ids) == 7
    assert len(sheet_rows(by_activity["reports"])) == len(AWKWARD)
    assert sheet_rows(by_mentor["reports"]) == []
    assert [cell.value for cell in by_mentor["reports"][1]] == list(formats.COLUMNS)


def test_an_xlsx_export_takes_a_slot_and_gives_it_back(app, client, awkward_reports):
    with app.app_context():
        held = [limits.take("export") for _ in range(app.config["MAX_EXPORTS"])]
        refused = client.get(f"{REPORTS}?format=xlsx")
        for slot in held:
            slot.release()
        assert refused.status_code == 503 and "exports" in refused.json["detail"]
        assert refused.headers["Retry-After"]
        xlsx_of(client, f"{REPORTS}?format=xlsx")
        assert limits.slots("export").taken == 0


def test_more_reports_than_a_sheet_holds_is_a_422_that_says_so(
    client, awkward_reports, monkeypatch
):
    monkeypatch.setattr(workbook, "MAX_ROWS", 5)

    response = client.get(f"{REPORTS}?format=xlsx")

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "at most 4 rows" in response.json["errors"]["format"][0]
    assert "csv" in response.json["errors"]["format"][0]


def test_no_room_for_the_workbook_is_a_503_that_says_so(client, awkward_reports, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workbook.tempfile, "TemporaryFile", full_disk)

    response = client.get(f"{REPORTS}?format=xlsx")

    assert response.status_code == 503
    assert "too little free disk space" in response.json["detail"]
    assert response.headers["Retry-After"]


def test_a_workbook_that_would_leave_too_little_disk_free_is_refused(
    app, client, awkward_reports, database
):
    app.config["MIN_FREE_MB"] = 2**30  # a petabyte: more than any disk here has free

    response = client.get(f"{REPORTS}/by-activity/act_7b4e9f2a?format=xlsx")

    assert response.status_code == 503
    assert "too little free disk space" in response.json["detail"]
    assert database not in response.json["detail"]
    folder = Path(database).parent
    assert [path.name for path in folder.iterdir() if path.name.startswith(".xlsx-")] == []


# The summary ----------------------------------------------------------------------


@pytest.fixture
def summarised(client):
    """Reports in two months, with attendance, engagement and follow-ups."""
    for day, attendance, engagement in (
        ("2026-02-10", 4, "low"),
        ("2026-03-02", 7, "high"),
        ("2026-03-09", 8, "high"),
    ):
        fields = {
            **CONTRACT_REPORT["fields"],
            "session_date": day,
            "attendance_count": attendance,
            "participant_engagement": engagement,
        }
        assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201
    fields = {"session_topic": "Møte på biblioteket"}
    assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201


def summary_as_rows(summary, group_by):
    """The JSON summary's groups as a spreadsheet's rows: {column: value}."""
    rows = []
    for group in summary["groups"]:
        figures = {name: value for name, value in group.items() if name != "engagement"}
        engagement = {f"engagement_{level}": count for level, count in group["engagement"].items()}
        row = {
            **figures,
            **engagement,
            group_by: group["group"],
            f"{group_by}_name": group.get("name"),
        }
        rows.append({column: row[column] for column in formats.summary_columns(group_by)})
    return rows


@pytest.mark.parametrize("group_by", ["month", "mentor", "activity", "org"])
def test_the_summary_as_xlsx_holds_every_figure_of_the_json(client, summarised, group_by):
    summary = client.get(f"{REPORTS}/summary?group_by={group_by}").json
    book, response = xlsx_of(client, f"{REPORTS}/summary?group_by={group_by}&format=xlsx")

    sheet = book["summary"]
    assert [cell.value for cell in sheet[1]] == list(formats.summary_columns(group_by))
    rows = [{name: cell.value for name, cell in row.items()} for row in sheet_rows(sheet)]
    assert rows == summary_as_rows(summary, group_by)
    assert all(
        cell.data_type == "n"
        for cell in list(sheet.iter_rows(min_row=2))[0][1:]
        if cell.value is not None
    )


def test_the_summary_as_csv_holds_every_figure_of_the_json(client, summarised):
    summary = client.get(f"{REPORTS}/summary?group_by=month&status=draft").json
    response = client.get(f"{REPORTS}/summary?group_by=month&status=draft&format=csv")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbfmonth,reports,")
    header, *lines = response.data.decode("utf-8-sig").splitlines()
    expected = summary_as_rows(summary, "month")
    assert header.split(",") == list(formats.summary_columns("month"))
    assert [line.split(",") for line in lines] == [
        formats.csv_cells(row.values()) for row in expected
    ]
    assert ["2026-02", "2026-03", ""] == [line.split(",")[0] for line in lines]
    assert "6.33" not in response.data.decode() and "7.5" in response.data.decode()


def test_the_summary_s_accept_chooses_the_spreadsheet(client, summarised):
    with client.get(
        f"{REPORTS}/summary?group_by=org", headers={"Accept": formats.XLSX}
    ) as response:
        assert response.mimetype == formats.XLSX
    assert (
        client.get(f"{REPORTS}/summary?group_by=org", headers={"Accept": "text/csv"}).mimetype
        == "text/csv"
    )
    assert (
        client.get(
            f"{REPORTS}/summary?group_by=org", headers={"Accept": "application/x-ndjson"}
        ).mimetype
        == "application/json"
    )
    refused = client.get(f"{REPORTS}/summary?group_by=org&format=ndjson")
    assert refused.status_code == 422 and "format" in refused.json["errors"]


# Import ------------------------------------------------------------------------------


def exported_xlsx(client, tmp_path, name="reports.xlsx", path=f"{REPORTS}?format=xlsx"):
    with client.get(path) as response:
        target = tmp_path / name
        target.write_bytes(response.data)
    return target


def workbook_rows(path):
    """The header and rows of a workbook's first sheet, as values, rows in id order."""
    header, *rows = openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True)
    return [header, *sorted(rows)]


def test_export_then_import_then_export_gives_the_same_workbook(
    app, client, odd_reports, reviewed, second_app, tmp_path
):
    path = exported_xlsx(client, tmp_path)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert f"Imported {len(odd_reports)} reports" in result.output
    assert every_report(second_app) == every_report(app)
    again = exported_xlsx(second_app.test_client(), tmp_path, "again.xlsx")
    assert workbook_rows(again) == workbook_rows(path)


def test_an_imported_review_is_in_the_report_s_history(
    client, awkward_reports, reviewed, second_app, tmp_path
):
    result = import_file(second_app, exported_xlsx(client, tmp_path))

    assert result.exit_code == 0, result.output
    history = second_app.test_client().get(f"{REPORTS}/{reviewed}/history").json["revisions"]
    assert [(entry["action"], entry["actor"]) for entry in history] == [
        ("create", "flask import"),
        ("review", "anonymous"),
    ]


def test_a_workbook_edited_in_a_spreadsheet_imports(client, awkward_reports, second_app, tmp_path):
    path = exported_xlsx(client, tmp_path)
    book = openpyxl.load_workbook(path)  # saved again with shared strings, as Excel does
    sheet = book["reports"]
    columns = [cell.value for cell in sheet[1]]
    sheet.cell(2, columns.index("attendance_count") + 1, 11.0)  # typed in as a number
    sheet.cell(2, columns.index("session_date") + 1, date(2026, 3, 1))
    sheet.cell(2, columns.index("session_topic") + 1, "Møte 🎉 " + RIGHT_TO_LEFT)
    for column in ("report_id", "submitted_at", "created_at", "updated_at"):
        sheet.cell(2, columns.index(column) + 1).value = None  # a new report, as by a POST
    sheet.append([None] * len(columns))  # an empty row, as spreadsheets leave them
    book.save(path)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    new = next(
        report for report in every_report(second_app) if report["report_id"] not in awkward_reports
    )
    assert new["fields"]["attendance_count"] == 11
    assert new["fields"]["session_date"] == "2026-03-01"
    assert new["fields"]["session_topic"] == "Møte 🎉 " + RIGHT_TO_LEFT


def test_a_workbook_with_a_bad_row_imports_nothing_and_names_its_row(
    client, awkward_reports, second_app, tmp_path
):
    path = exported_xlsx(client, tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["reports"]
    columns = [cell.value for cell in sheet[1]]
    sheet.cell(4, columns.index("attendance_count") + 1, "six")
    sheet.cell(6, columns.index("review_state") + 1, "approved")  # a draft's review
    book.save(path)

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert f"{path}:4: " in result.stderr and "attendance_count" in result.stderr
    assert (
        f"{path}:6: " in result.stderr and "Only a submitted report has a review" in result.stderr
    )
    assert "2 of the rows are not valid. Nothing was imported." in result.stderr
    assert every_report(second_app) == []


def rewritten(path, part, change):
    """Rewrite the part `part` of the workbook at `path` as change(its bytes)."""
    with zipfile.ZipFile(path) as old:
        parts = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts:
            new.writestr(name, change(data) if name == part else data)


@pytest.mark.parametrize(
    "dimension",
    [
        b'<dimension ref="A1"/>',  # the header's first cell only
        b'<dimension ref="A1:U2"/>',  # a row short
        b'<dimension ref="A1:B3"/>',  # every row, two columns
        b"",  # none at all
    ],
)
def test_a_workbook_whose_dimension_is_wrong_imports_every_row_and_cell(
    app, client, second_app, tmp_path, dimension
):
    for topic in ("First", "Second"):
        fields = {**CONTRACT_REPORT["fields"], "session_topic": topic}
        assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201
    path = exported_xlsx(client, tmp_path)
    rewritten(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<dimension [^>]*/>", dimension, xml, count=1),
    )

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert "Imported 2 reports" in result.stdout
    assert every_report(second_app) == every_report(app)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "Excel 97-2003 workbook (.xls)"),
        (b"PK\x03\x04 not really a zip", "not an XLSX workbook"),
    ],
)
def test_a_file_that_is_no_workbook_imports_nothing(second_app, tmp_path, content, message):
    path = tmp_path / "reports.xlsx"
    path.write_bytes(content)

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert message in result.stderr and "Nothing was imported." in result.stderr
    assert "Traceback" not in result.output
    assert every_report(second_app) == []


def test_a_workbook_of_unknown_columns_imports_nothing(second_app, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["report_id", "mood"])
    book.active.append(["rpt_00000001", "good"])
    path = tmp_path / "other.xlsx"
    book.save(path)

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert "row 1: unknown columns mood" in result.stderr
    assert every_report(second_app) == []


def test_a_workbook_is_read_by_what_it_is_not_by_its_name(
    client, awkward_reports, second_app, tmp_path
):
    path = exported_xlsx(client, tmp_path, name="reports.jsonl")

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert len(every_report(second_app)) == len(AWKWARD)


def test_an_ndjson_export_with_reviews_imports_them(
    app, client, awkward_reports, reviewed, second_app, tmp_path
):
    path = tmp_path / "reports.ndjson"
    path.write_bytes(client.get(f"{REPORTS}?format=ndjson").data)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    review = second_app.test_client().get(f"{REPORTS}/{reviewed}/review").json
    assert review == client.get(f"{REPORTS}/{reviewed}/review").json
    assert json.loads(path.read_text().splitlines()[0])["review"]["review_state"] == "has_issues"


def test_the_import_error_the_docs_show_is_what_import_prints(client, second_app, tmp_path):
    for number in range(7):
        fields = {"session_topic": f"Session {number}", "attendance_count": number}
        assert client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields}).status_code == 201
    path = exported_xlsx(client, tmp_path, "reports-2026-12-01.xlsx")
    book = openpyxl.load_workbook(path)
    book["reports"].cell(7, formats.COLUMNS.index("attendance_count") + 1).value = "six"
    book.save(path)
    (command,) = [
        block for block in code_blocks(text_of(DOCS / "api.md"), "sh") if "import" in block
    ]
    (shown,) = [
        block for block in code_blocks(text_of(DOCS / "api.md"), "text") if "xlsx:7" in block
    ]

    result = import_file(second_app, path)

    assert command.split()[-1] == path.name
    assert result.stderr.replace(str(path), path.name) == shown


@pytest.mark.parametrize(
    ("export", "setting"), [("xlsx", "PROGRESS_FROM_ROWS"), ("csv", "PROGRESS_FROM_BYTES")]
)
def test_a_large_file_shows_a_progress_bar_and_a_small_one_none(
    client, awkward_reports, second_app, tmp_path, monkeypatch, export, setting
):
    path = exported_xlsx(client, tmp_path, f"reports.{export}", f"{REPORTS}?format={export}")
    quiet = import_file(second_app, path, "--dry-run")
    monkeypatch.setattr(f"reports.cli.{setting}", 1)  # every file is large now

    shown = import_file(second_app, path, "--dry-run")

    assert quiet.exit_code == shown.exit_code == 0, shown.output
    assert "Reading" not in quiet.stderr
    assert "Reading" in shown.stderr
