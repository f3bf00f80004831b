"""`flask --app reports import` of files made to hurt it: zip bombs, a cell or a
row of gigabytes, too many shared strings, a CSV field past the csv module's
limit, a million bad rows, and text that would drive the terminal. Each ends in
one line, imports nothing, and is told small and fast: the tests build their
files of a few MB, or set the limits low."""

import json
import os
import re
import zipfile

import pytest
from exporting import every_report, import_file
from test_spreadsheets import rewritten

from reports import create_app, db, workbook
from reports.formats import COLUMNS, KINDS

from conftest import CONTRACT_REPORT

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
PLACEHOLDER = "PLACEHOLDER"


def app_with(tmp_path, **settings):
    """An instance with its own empty database and `settings`."""
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "target.sqlite"), **settings})
    db.init_db(app.config["DATABASE"])
    return app


def one_line_refusal(result):
    """The one line an import that failed ends with (and asserts it is the only one)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and line.endswith(" Nothing was imported."), line
    return line


def a_workbook(tmp_path, notes=PLACEHOLDER):
    """An export-like workbook of one report whose mentor_notes is `notes`, its
    strings inline in the sheet as XlsxWriter writes them."""
    report = {**CONTRACT_REPORT, **CONTRACT_REPORT["fields"], "mentor_notes": notes}
    values = [report.get(column) for column in COLUMNS]
    path = tmp_path / "reports.xlsx"
    with workbook.written_sheet("reports", COLUMNS, KINDS, [values], tmp_path) as file:
        path.write_bytes(file.read())
    return path


def with_notes_of(path, text):
    """The workbook at `path` with its placeholder's cell holding `text` (bytes of XML)."""
    rewritten(path, SHEET, lambda xml: xml.replace(PLACEHOLDER.encode(), text, 1))
    return path


def declaring(path, part, size):
    """The workbook at `path` with its zip directory declaring that `part` unzips to `size`."""
    data = bytearray(path.read_bytes())
    for entry in re.finditer(rb"PK\x01\x02", data):
        at = entry.start()
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length] == part.encode():
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
    path.write_bytes(data)
    return path


def test_the_workbook_made_here_imports(tmp_path):
    app = app_with(tmp_path)

    result = import_file(app, a_workbook(tmp_path, "Notes"))

    assert result.exit_code == 0, result.output
    assert [report["fields"]["mentor_notes"] for report in every_report(app)] == ["Notes"]


# Zip bombs ---------------------------------------------------------------------------


def test_a_workbook_that_says_it_unzips_to_gigabytes_is_refused_before_unzipping(tmp_path):
    path = declaring(a_workbook(tmp_path), SHEET, 4_000_000_000)

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert "unzips to 3,815 MiB, more than IMPORT_MAX_UNZIPPED_MB (2,048)" in line


def test_a_workbook_over_a_lower_unzipped_limit_is_refused(tmp_path):
    path = with_notes_of(a_workbook(tmp_path), os.urandom(2**20).hex().encode())  # 2 MiB

    line = one_line_refusal(import_file(app_with(tmp_path, IMPORT_MAX_UNZIPPED_MB=1), path))

    assert "more than IMPORT_MAX_UNZIPPED_MB (1)" in line
    assert every_report(app_with(tmp_path)) == []


def test_a_part_that_unzips_to_a_thousand_times_its_size_is_refused(tmp_path):
    path = with_notes_of(a_workbook(tmp_path), b"a" * 4 * 2**20)

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert f"its part {SHEET} unzips to " in line
    assert "times its zipped size, more than IMPORT_MAX_ZIP_RATIO (100)" in line


# A cell, a row, the shared strings ---------------------------------------------------

# The compression ratio is let be, so that what is read is what counts.
ANY_RATIO = {"IMPORT_MAX_ZIP_RATIO": 1_000_000}


def test_a_cell_of_more_than_a_row_may_hold_is_refused_while_reading(tmp_path):
    path = with_notes_of(a_workbook(tmp_path), b"a" * (workbook.ROW_BYTES + 1))

    line = one_line_refusal(import_file(app_with(tmp_path, **ANY_RATIO), path))

    assert "row 2 holds more than 16 MiB of XML" in line


def test_a_row_of_too_many_cells_is_refused_while_reading(tmp_path):
    cells = b"</t></is></c>" + b"<c/>" * workbook.ROW_MARKUP + b"<c><is><t>"
    path = with_notes_of(a_workbook(tmp_path), cells)

    line = one_line_refusal(import_file(app_with(tmp_path, **ANY_RATIO), path))

    assert "row 2 holds more than 200,000 tags" in line


def test_a_row_past_the_last_a_sheet_holds_is_refused(tmp_path):
    path = a_workbook(tmp_path)
    rewritten(path, SHEET, lambda xml: xml.replace(b'<row r="2"', b'<row r="1048577"'))

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert "row 1,048,577 is past the last row a sheet holds (1,048,576)" in line


def spreadsheet_saved(tmp_path, strings):
    """A workbook as a spreadsheet saves it, its texts shared: one report, and
    `strings` more shared strings that no cell uses. (XlsxWriter shares texts as
    Excel does, but for its constant-memory mode; openpyxl 3.1 writes them inline.)"""
    import xlsxwriter

    path = tmp_path / "saved.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("reports")
    sheet.write_row(0, 0, ["activity_id", "peer_mentor_id", "org_id"])
    sheet.write_row(
        1, 0, [CONTRACT_REPORT[name] for name in ("activity_id", "peer_mentor_id", "org_id")]
    )
    book.close()
    more = b"".join(b"<si><t>%d</t></si>" % number for number in range(strings))
    rewritten(path, STRINGS, lambda xml: xml.replace(b"</sst>", more + b"</sst>"))
    assert zipfile.ZipFile(path).getinfo(STRINGS).file_size > len(more)
    return path


def test_shared_strings_over_their_limit_are_refused_before_they_are_read(tmp_path):
    path = spreadsheet_saved(tmp_path, 100_000)  # 1.7 MiB of them

    line = one_line_refusal(import_file(app_with(tmp_path, IMPORT_MAX_SHARED_STRINGS_MB=1), path))

    assert f"its shared strings ({STRINGS}) unzip to " in line
    assert "more than IMPORT_MAX_SHARED_STRINGS_MB (1)" in line


def test_shared_strings_within_their_limit_import(tmp_path):
    app = app_with(tmp_path)

    result = import_file(app, spreadsheet_saved(tmp_path, 100_000))

    assert result.exit_code == 0, result.output
    assert len(every_report(app)) == 1


def test_running_out_of_memory_anyway_is_one_line(tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr("reports.service.import_reports", exhausted)

    line = one_line_refusal(import_file(app_with(tmp_path), a_workbook(tmp_path, "Notes")))

    assert "ran out of memory" in line


# CSV -------------------------------------------------------------------------------


def test_a_csv_cell_past_the_csv_field_limit_is_one_line(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"activity_id,mentor_notes\r\nact_1,{'a' * 131_073}\r\n")

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert f"{path}: line 2: field larger than field limit (131072)" in line


# Many bad rows ------------------------------------------------------------------------


def test_only_the_first_hundred_bad_rows_are_listed_and_the_rest_counted(tmp_path):
    path = tmp_path / "bad.jsonl"
    bad = {**CONTRACT_REPORT, "activity_id": None}
    path.write_text("".join(json.dumps(bad) + "\n" for _ in range(250)))

    result = import_file(app_with(tmp_path), path)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    listed = [line for line in lines if line.startswith(f"{path}:")]
    assert [line.split(":")[1] for line in listed] == [str(number) for number in range(1, 101)]
    assert lines[-2:] == [
        "… and 150 more rows that are not valid.",
        "Error: 250 of the rows are not valid. Nothing was imported.",
    ]


# What reaches the terminal --------------------------------------------------------------

OSC = "\x1b]0;pwned\x07"  # sets the terminal's title
CSI = "\u009b31m"  # the one-character Control Sequence Introducer
RIGHT_TO_LEFT_OVERRIDE = "\u202e"
ESCAPED = ("\\x1b]0;pwned\\x07", "\\x9b31m", "\\u202e")


def raw_controls(text):
    return re.findall(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


@pytest.mark.parametrize("name", ["evil.csv", f"evil{OSC}.csv"])
def test_a_csv_header_is_escaped_on_the_terminal(tmp_path, name):
    path = tmp_path / name
    path.write_text(f"activity_id,{OSC},{CSI},{RIGHT_TO_LEFT_OVERRIDE}x\r\nact_1,,,\r\n")

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert raw_controls(line) == []
    assert all(escaped in line for escaped in ESCAPED)


def test_a_workbook_header_is_escaped_on_the_terminal(tmp_path):
    path = tmp_path / "evil.xlsx"
    header = ["activity_id", OSC, CSI, RIGHT_TO_LEFT_OVERRIDE]
    with workbook.written_sheet("reports", header, {}, [], tmp_path) as file:
        path.write_bytes(file.read())  # XlsxWriter keeps the controls, as _x001B_

    line = one_line_refusal(import_file(app_with(tmp_path), path))

    assert raw_controls(line) == []
    assert all(escaped in line for escaped in ESCAPED)


def test_the_problems_of_a_row_are_escaped_on_the_terminal(tmp_path):
    path = tmp_path / "evil.jsonl"
    fields = {OSC: 1, CSI: 2, RIGHT_TO_LEFT_OVERRIDE: 3}
    path.write_text(json.dumps({**CONTRACT_REPORT, "fields": fields}, ensure_ascii=False) + "\n")

    result = import_file(app_with(tmp_path), path)

    assert result.exit_code == 1
    assert raw_controls(result.stderr) == []
    problem = result.stderr.splitlines()[0]
    assert "\\u001b]0;pwned\\u0007" in problem  # JSON's own escapes
    assert "\\x9b31m" in problem and "\\u202e" in problem
