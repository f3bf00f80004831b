"""The export formats, CSV and NDJSON: written a chunk at a time, and read
back, row by row, into what the importer validates.

In CSV, a cell that a spreadsheet would run as a formula (starting with = + -
@, tab or CR) is written with a leading apostrophe; so is a cell that starts
with an apostrophe already, and an empty string, so that reading strips
exactly one apostrophe and gets the text back as it was. An empty cell is a
field that is not set.
"""

import csv
import io
import json

from flask import Response, stream_with_context
from marshmallow import fields as ma

from reports.schemas import FIELD_NAMES, ReportFieldsSchema, dump_report

REPORT_COLUMNS = (
    "report_id", "activity_id", "peer_mentor_id", "org_id", "status",
    "submitted_at", "created_at", "updated_at",
)  # fmt: skip
CSV_COLUMNS = REPORT_COLUMNS + FIELD_NAMES
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
ROWS_PER_CHUNK = 500
MIMETYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}

CATALOGUE = ReportFieldsSchema().fields
INTEGER_FIELDS = {name for name, field in CATALOGUE.items() if isinstance(field, ma.Integer)}
BOOLEAN_FIELDS = {name for name, field in CATALOGUE.items() if isinstance(field, ma.Boolean)}


def neutralised(text):
    """Text as a CSV cell that no spreadsheet runs as a formula."""
    return f"'{text}" if text == "" or text.startswith(FORMULA_STARTS) else text


def restored(cell):
    """The text a `neutralised` cell was made from."""
    return cell[1:] if cell.startswith("'") else cell


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return neutralised(value)


def csv_row(report):
    fields = report["fields"]
    return [csv_cell(report[name]) for name in REPORT_COLUMNS] + [
        csv_cell(fields.get(name)) for name in FIELD_NAMES
    ]


def csv_chunks(reports):
    """The CSV of `reports`, header first, as UTF-8 chunks of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes where needed
    writer.writerow(CSV_COLUMNS)
    for count, report in enumerate(reports, start=1):
        writer.writerow(csv_row(report))
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def ndjson_chunks(reports):
    """One full report object per line, as UTF-8 chunks of a few hundred lines."""
    lines = []
    for report in reports:
        lines.append(json.dumps(dump_report(report), ensure_ascii=False, separators=(",", ":")))
        if len(lines) == ROWS_PER_CHUNK:
            yield ("\n".join(lines) + "\n").encode()
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode()


def export_response(export, reports, filename=None):
    """The response that streams `reports` (an Export of service.all_reports) as
    `export`, csv or ndjson, read as the client reads; the Export is closed, and
    its slot given back, also when the client goes away before the end. With a
    `filename`, a browser saves it as that file."""
    chunks = csv_chunks if export == "csv" else ndjson_chunks
    response = Response(stream_with_context(chunks(reports)), mimetype=MIMETYPES[export])
    response.call_on_close(reports.close)
    if export == "csv":
        response.mimetype_params["charset"] = "utf-8"
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise FormatError(f"line 1: unknown columns {', '.join(unknown)}")
    line = reader.line_num
    for cells in reader:
        number, line = line + 1, reader.line_num
        if len(cells) != len(header):
            raise FormatError(f"line {number}: {len(cells)} cells, the header has {len(header)}")
        row = dict(zip(header, cells, strict=True))
        report = {name: _typed(name, row[name]) for name in REPORT_COLUMNS if row.get(name)}
        report["fields"] = {name: _typed(name, row[name]) for name in FIELD_NAMES if row.get(name)}
        yield number, report


def _typed(name, cell):
    if name in INTEGER_FIELDS and cell.isascii() and cell.isdigit():
        return int(cell)
    if name in BOOLEAN_FIELDS and cell in ("true", "false"):
        return cell == "true"
    return restored(cell)


def read_ndjson(lines):
    """(line number, object) for each non-empty line of a JSON Lines file."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as error:
            raise FormatError(f"line {number}: not valid JSON: {error}") from None
