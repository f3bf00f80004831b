"""The export formats, CSV, NDJSON and XLSX (reports/workbook.py): their
columns, written a chunk at a time, and read back, row by row, into what the
importer validates.

A CSV starts with a byte-order mark, so that a spreadsheet opened with a
double-click reads it as UTF-8; the importer reads it with or without one. In
CSV, a cell that a spreadsheet would run as a formula (starting with = + - @,
tab or CR) is written with a leading apostrophe; so is a cell that starts with
an apostrophe already, and an empty string, so that reading strips exactly one
apostrophe and gets the text back as it was. An empty cell is a field that is
not set, or a report without a review.
"""

import csv
import io
import json
import os
from contextlib import closing, contextmanager

from flask import Response, current_app, send_file, stream_with_context
from marshmallow import ValidationError
from marshmallow import fields as ma

from reports import workbook
from reports.answers import ndjson_line
from reports.schemas import (
    ENGAGEMENT_LEVELS,
    FIELD_NAMES,
    ReportFieldsSchema,
    SessionDate,
    dump_exported_report,
)

REPORT_COLUMNS = (
    "report_id", "activity_id", "peer_mentor_id", "org_id", "status",
    "submitted_at", "created_at", "updated_at",
)  # fmt: skip
# The review's columns, each with the key of the review object it holds.
REVIEW_COLUMNS = {
    "review_state": "review_state",
    "review_comment": "comment",
    "reviewed_by": "reviewed_by",
    "reviewed_at": "reviewed_at",
}
COLUMNS = REPORT_COLUMNS + FIELD_NAMES + tuple(REVIEW_COLUMNS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
BYTE_ORDER_MARK = "\ufeff"
ROWS_PER_CHUNK = 500
SHEET = "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson", "xlsx": XLSX}

CATALOGUE = ReportFieldsSchema().fields
INTEGER_FIELDS = {name for name, field in CATALOGUE.items() if isinstance(field, ma.Integer)}
BOOLEAN_FIELDS = {name for name, field in CATALOGUE.items() if isinstance(field, ma.Boolean)}
# What each column holds, for a spreadsheet's typed cells: text unless named here.
KINDS = {
    **dict.fromkeys(("submitted_at", "created_at", "updated_at", "reviewed_at"), "time"),
    **{name: "date" for name, field in CATALOGUE.items() if isinstance(field, SessionDate)},
    **dict.fromkeys(INTEGER_FIELDS, "integer"),
    **dict.fromkeys(BOOLEAN_FIELDS, "boolean"),
}


# A summary's figures, as columns; engagement is a column per level.
ENGAGEMENT_COLUMNS = {f"engagement_{level}": level for level in ENGAGEMENT_LEVELS}
SUMMARY_FIGURES = (
    "reports", "submitted", "drafts", "attendance_total", "attendance_average",
    "duration_minutes_total", *ENGAGEMENT_COLUMNS, "follow_ups_needed",
)  # fmt: skip
SUMMARY_KINDS = {**dict.fromkeys(SUMMARY_FIGURES, "integer"), "attendance_average": "number"}


def export_values(report):
    """The cells of a report's row, in COLUMNS order, as the API writes them:
    None where a field is not set or the report has no review."""
    fields, review = report["fields"], report["review"]
    return (
        [report[name] for name in REPORT_COLUMNS]
        + [fields.get(name) for name in FIELD_NAMES]
        + [review[key] for key in REVIEW_COLUMNS.values()]
    )


def report_from_cells(row):
    """The report an import row of {column: cell} stands for, in the API's form:
    the cells that are set, the catalogue's under `fields`, the review's under
    `review`."""
    report = {name: row[name] for name in REPORT_COLUMNS if row.get(name) is not None}
    report["fields"] = {name: row[name] for name in FIELD_NAMES if row.get(name) is not None}
    review = {key: row[name] for name, key in REVIEW_COLUMNS.items() if row.get(name) is not None}
    if review:
        report["review"] = review
    return report


def unknown_columns(header):
    """The message that refuses a header naming columns no export has, or None."""
    unknown = [str(name) for name in header if name not in COLUMNS]
    return f"unknown columns {', '.join(unknown)}" if unknown else None


def csv_cells(values):
    """The CSV cells of a row's values: None as an empty cell, text as itself
    unless a spreadsheet would run it as a formula (then with a leading
    apostrophe), numbers as digits, booleans as true and false. Text and None,
    most cells of a row, are told in the loop itself: a million rows of twenty
    cells each make the cost of a call per cell count."""
    return [
        ""
        if value is None
        else (value if value and not value.startswith(FORMULA_STARTS) else f"'{value}")
        if value.__class__ is str
        else _scalar_cell(value)
        for value in values
    ]


def _scalar_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def restored(cell):
    """The text a cell of csv_cells was made from: one leading apostrophe less."""
    return cell[1:] if cell.startswith("'") else cell


def csv_chunks(columns, rows):
    """The CSV of `rows` (the values of each row, in the order of `columns`), a
    byte-order mark and the header first, as UTF-8 chunks of a few hundred rows."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes where needed
    writer.writerow(columns)
    for count, values in enumerate(rows, start=1):
        writer.writerow(csv_cells(values))
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def ndjson_chunks(reports):
    """One full report object with its review per line, as UTF-8 chunks of a
    few hundred lines."""
    lines = []
    for report in reports:
        lines.append(ndjson_line(dump_exported_report(report)))
        if len(lines) == ROWS_PER_CHUNK:
            yield b"".join(lines)
            lines = []
    if lines:
        yield b"".join(lines)


def export_response(export, reports, filename):
    """The response that holds `reports` (an Export of service.all_reports) as
    `export`, saved by a browser as `filename`. CSV and NDJSON stream as the
    client reads; the Export is closed, and its slot given back, also when the
    client goes away before the end. An XLSX workbook is a zip that is whole
    only once its last row is in, so it is written to a temporary file first
    (the Export's slot is given back when its last report is read) and then
    sent."""
    if export == "xlsx":
        with closing(reports):
            rows = (export_values(report) for report in reports)
            try:
                file = workbook.written_sheet(SHEET, COLUMNS, KINDS, rows, *_room())
            except workbook.TooManyRows as error:
                raise ValidationError(
                    {"format": [f"{error} Narrow the export with filters, or ask for csv."]}
                ) from None
        return file_response(file, filename)
    if export == "csv":
        chunks = csv_chunks(COLUMNS, (export_values(report) for report in reports))
    else:
        chunks = ndjson_chunks(reports)
    response = Response(stream_with_context(chunks), mimetype=MIMETYPES[export])
    response.call_on_close(reports.close)
    return attachment(response, filename)


def summary_columns(group_by):
    """The columns of a summary's spreadsheet: the group, named by what it is
    (month, mentor, activity or org), then every figure of the JSON answer, with
    each engagement level's count as a column of its own."""
    return (group_by, *SUMMARY_FIGURES)


def summary_response(export, group_by, groups, filename):
    """A summary's groups as a CSV or XLSX file, `filename`."""
    columns = summary_columns(group_by)
    rows = [_summary_values(group) for group in groups]
    if export == "xlsx":
        file = workbook.written_sheet("summary", columns, SUMMARY_KINDS, rows, *_room())
        return file_response(file, filename)
    return attachment(Response(b"".join(csv_chunks(columns, rows)), mimetype="text/csv"), filename)


def _summary_values(group):
    engagement = group["engagement"]
    return [
        group[name] if name not in ENGAGEMENT_COLUMNS else engagement[ENGAGEMENT_COLUMNS[name]]
        for name in ("group", *SUMMARY_FIGURES)
    ]


def file_response(file, filename):
    """The response that sends the open temporary XLSX `file`, then closes it."""
    response = send_file(file, XLSX, etag=False, conditional=False)
    response.content_length = os.fstat(file.fileno()).st_size
    return attachment(response, filename)


def attachment(response, filename):
    if response.mimetype == "text/csv":
        response.mimetype_params["charset"] = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _room():
    """Where a workbook's temporary files go, and the free MiB they must leave:
    the database's folder, and the free space /healthz asks of it."""
    config = current_app.config
    return os.path.dirname(os.path.abspath(config["DATABASE"])), config["MIN_FREE_MB"]


def _drain(buffer):
    chunk = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return chunk


class FormatError(ValueError):
    """A line of an import file that is not a row of the format at all."""


def read_csv(lines):
    """(line number, report as the API writes it) for each row of an export CSV.
    Cells keep their text; integer and boolean fields become numbers and
    booleans where they read as such, or stay text for validation to refuse."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    unknown = unknown_columns(header)
    if unknown:
        raise FormatError(f"line 1: {unknown}")
    line = reader.line_num
    for cells in reader:
        number, line = line + 1, reader.line_num
        if len(cells) != len(header):
            raise FormatError(f"line {number}: {len(cells)} cells, the header has {len(header)}")
        row = {name: _typed(name, cell) for name, cell in zip(header, cells, strict=True)}
        yield number, report_from_cells(row)


def _typed(name, cell):
    if cell == "":
        return None
    if name in INTEGER_FIELDS and cell.isascii() and cell.isdigit():
        return int(cell)
    if name in BOOLEAN_FIELDS and cell in ("true", "false"):
        return cell == "true"
    return restored(cell)


@contextmanager
def read_xlsx(path):
    """While the block runs: how many rows the sheet of an export's workbook says
    it has, and (row number, report as the API writes it) for each of them."""
    with workbook.read_sheet(path, SHEET, KINDS) as sheet:
        unknown = unknown_columns(sheet.header)
        if unknown:
            raise FormatError(f"row 1: {unknown}")
        yield sheet.size, _xlsx_reports(sheet.header, sheet.rows)


def _xlsx_reports(header, rows):
    for number, values in rows:
        if len(values) > len(header):
            raise FormatError(f"row {number}: {len(values)} cells, the header has {len(header)}")
        yield number, report_from_cells(dict(zip(header, values, strict=True)))


def read_ndjson(lines):
    """(line number, object) for each non-empty line of a JSON Lines file."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as error:
            raise FormatError(f"line {number}: not valid JSON: {error}") from None
