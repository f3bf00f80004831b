"""The export formats, CSV, NDJSON and XLSX (reports/workbook.py): their
columns, written a chunk at a time, and read back, row by row, into what the
importer validates.

The columns follow the live catalogue: the report's own (its ids, then the
directory's names of its mentor and activity, empty where the directory has
none; an import sets the names aside, as the directory keeps them, not the
reports), then the catalogue's fields in order, then the fields the database
remembers that the catalogue no longer has (reports keep their values, and the
exports show them; an import refuses them, as they cannot be written any
more), then the review's. A choices field is one cell of its values joined by
"; " (no value holds a ; or a space, so the importer splits them back
unambiguously). A decimal is the text it is stored as in CSV, and a number
cell shown with its places in XLSX.

An export may start with a row of the fields' labels in a language of the
catalogue (`labels`), above the columns' names, for people to read: empty
above the columns that are not the catalogue's fields. The importer reads past
such a row: the first row of a file that is not a row of columns' names, when
the second one is.

A CSV starts with a byte-order mark, so that a spreadsheet opened with a
double-click reads it as UTF-8; the importer reads it with or without one. In
CSV, a text that a spreadsheet could run as a formula is written with an
apostrophe in front (see csv_cells), and reading strips it: the text comes back
as it was. An empty cell is a field that is not set, or a report without a
review.
"""

import csv
import io
import itertools
import json
import os
import re
from contextlib import closing, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from flask import Response, current_app, has_app_context, send_file, stream_with_context
from marshmallow import ValidationError

from reports import catalogue, workbook
from reports.json_provider import ndjson_line
from reports.schemas import DECIMAL, dump_exported_report

REPORT_COLUMNS = (
    "report_id", "activity_id", "peer_mentor_id", "org_id", "mentor_name", "activity_name",
    "status", "submitted_at", "created_at", "updated_at",
)  # fmt: skip
# The review's columns, each with the key of the review object it holds.
REVIEW_COLUMNS = {
    "review_state": "review_state",
    "review_comment": "comment",
    "reviewed_by": "reviewed_by",
    "reviewed_at": "reviewed_at",
}
TIME_COLUMNS = ("submitted_at", "created_at", "updated_at", "reviewed_at")
# A text, or a part of it after a ; (where a spreadsheet of a locale that
# separates lists with ; splits the line), that starts with an apostrophe, a
# tab or a CR (OWASP's list), or whose first character that is not blank is one
# of = + - @ or their full-width forms. Blanks: white space, controls, and the
# characters that show nothing (zero-width spaces and joiners, bidi controls,
# the byte-order mark, the soft hyphen).
BLANKS = r"\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
RISKY = rf"['\t\r]|[{BLANKS}]*[=+\-@＝＋－＠]"
STARTS_RISKY = re.compile(RISKY)
RISKY_PARTS = re.compile(rf"(?:^|(?<=;))(?={RISKY})")
QUOTED_PARTS = re.compile(r"(?:^|(?<=;))'")
BYTE_ORDER_MARK = "\ufeff"
ROWS_PER_CHUNK = 500
SHEET = "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson", "xlsx": XLSX}

CHOICES_JOIN = "; "
CHOICES_SPLIT = ";"
INTEGER = re.compile(r"-?[0-9]+")


def field_kind(field):
    """The workbook kind of a catalogue field's column: what types its cells."""
    if field.kind in ("integer", "boolean", "date"):
        return field.kind
    if field.kind == "decimal":
        return workbook.decimal_kind(field.places)
    return "text"


def _decimal_cell(value):
    """A stored decimal as a Decimal, which a CSV writes as its digits and a
    workbook as a number; anything else as it is."""
    return Decimal(value) if isinstance(value, str) and DECIMAL.fullmatch(value) else value


def _joined(values):
    """A choices field's list as one cell; anything else as it is."""
    return CHOICES_JOIN.join(map(str, values)) if isinstance(values, list) else values


def _split(cell):
    """A choices cell back into its list: the values between the ; without the
    spaces around them (an empty text is an empty list); anything else as it is,
    for validation to refuse."""
    if not isinstance(cell, str):
        return cell
    return [value.strip() for value in cell.split(CHOICES_SPLIT)] if cell.strip() else []


@dataclass(frozen=True, eq=False)
class ReportColumns:
    """The columns of a reports export, and of the import files read back.

    `names` every column in order; `fields` the field columns, the catalogue's
    then `kept` (fields the database remembers that the catalogue has not);
    `kinds` the workbook kind of each typed column; `cells` (position in a row,
    function) for the fields whose stored value is not a cell as it is;
    `choices` the columns that hold a list."""

    names: tuple
    fields: tuple
    kept: tuple
    kinds: dict
    cells: tuple
    choices: frozenset


@lru_cache(maxsize=32)
def report_columns(form, kept=()):
    """The ReportColumns of the catalogue `form`, with the column of each of the
    `kept` field names after its own fields."""
    fields = form.names + tuple(kept)
    kinds = {
        **dict.fromkeys(TIME_COLUMNS, "time"),
        **{field.name: field_kind(field) for field in form.fields},
        **dict.fromkeys(kept, "value"),
    }
    by_kind = {"decimal": _decimal_cell, "choices": _joined}
    converters = [by_kind.get(field.kind) for field in form.fields]
    # A field no longer in the catalogue may hold a list: one cell too.
    converters += [_joined] * len(kept)
    cells = tuple(
        (len(REPORT_COLUMNS) + position, convert)
        for position, convert in enumerate(converters)
        if convert is not None
    )
    return ReportColumns(
        names=REPORT_COLUMNS + fields + tuple(REVIEW_COLUMNS),
        fields=fields,
        kept=tuple(kept),
        kinds=kinds,
        cells=cells,
        choices=frozenset(field.name for field in form.fields if field.kind == "choices"),
    )


def current_catalogue():
    """The catalogue of the app at work; outside one (a script or a test reading
    an export), the built-in catalogue."""
    return catalogue.live() if has_app_context() else catalogue.built_in()


def export_columns(reports):
    """The columns of an export of `reports` (an Export of service.all_reports):
    the live catalogue's, and the fields it no longer has that the reports keep."""
    return report_columns(catalogue.live(), reports.kept_fields)


# The built-in catalogue's columns.
COLUMNS = report_columns(catalogue.built_in()).names
KINDS = report_columns(catalogue.built_in()).kinds


def export_values(report, columns):
    """The cells of a report's row, in the order of `columns` (ReportColumns), as
    the API writes them, a choices field's list joined and a decimal a Decimal:
    None where a field is not set or the report has no review."""
    fields, review = report["fields"], report["review"]
    values = [report[name] for name in REPORT_COLUMNS]
    values += [fields.get(name) for name in columns.fields]
    for position, cell in columns.cells:
        if values[position] is not None:
            values[position] = cell(values[position])
    values += [review[key] for key in REVIEW_COLUMNS.values()]
    return values


def report_from_cells(row, columns):
    """The report an import row of {column: cell} stands for, in the API's form:
    the cells that are set, the catalogue's under `fields` (a choices cell split
    into its list), the review's under `review`."""
    report = {name: row[name] for name in REPORT_COLUMNS if row.get(name) is not None}
    report["fields"] = {
        name: _split(row[name]) if name in columns.choices else row[name]
        for name in columns.fields
        if row.get(name) is not None
    }
    review = {key: row[name] for name, key in REVIEW_COLUMNS.items() if row.get(name) is not None}
    if review:
        report["review"] = review
    return report


def unknown_columns(header, columns):
    """The message that refuses a header naming columns an import cannot take,
    or None: those no export has, and those of fields the catalogue no longer
    has, whose values cannot be written any more."""
    kept = [str(name) for name in header if name in columns.kept]
    unknown = [str(name) for name in header if name not in columns.names]
    reasons = [f"unknown columns {', '.join(unknown)}"] if unknown else []
    if kept:
        reasons.append(
            f"columns of fields no longer in the report form, which cannot be imported: "
            f"{', '.join(kept)} (delete them to import the rest)"
        )
    return "; ".join(reasons) or None


def labels_row(columns, form, language):
    """The cells of the row of labels above the columns' names of an export:
    each of the catalogue `form`'s fields' label in `language` (its default
    language's where it has none); None above any other column."""
    fields = form.by_name
    return [fields[name].label_in(language) if name in fields else None for name in columns.names]


def is_header(cells, columns):
    """Whether a row's `cells` name columns of `columns` (ReportColumns), each of
    them: the row of the columns' names, not a row of labels above it."""
    return bool(cells) and all(cell in columns.names for cell in cells)


def csv_cells(values):
    """The CSV cells of a row's values: None as an empty cell, text as itself
    unless a spreadsheet could run it as a formula (see _neutralised), numbers
    as digits, booleans as true and false. Text and None, most cells of a row,
    are told in the loop itself: a million rows of twenty cells each make the
    cost of a call per cell count (so, too, a text that starts with a letter or
    digit, as most do, is not matched against RISKY)."""
    return [
        ""
        if value is None
        else (
            value
            if value and ";" not in value and (value[0].isalnum() or not STARTS_RISKY.match(value))
            else _neutralised(value)
        )
        if value.__class__ is str
        else _scalar_cell(value)
        for value in values
    ]


def _neutralised(text):
    """`text` with an apostrophe in front of each part (the whole, and each
    after a ;) that is RISKY; an empty text as a lone apostrophe, told from an
    empty cell. As every part that starts with an apostrophe gets one more,
    restored() takes one from each such part and has the text back."""
    return RISKY_PARTS.sub("'", text) if text else "'"


def _scalar_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # a field no longer in the catalogue: see report_columns
        return _joined(value)
    return str(value)


def restored(cell):
    """The text a cell of csv_cells was made from: one apostrophe less at the
    start of the cell and of each part after a ;."""
    return QUOTED_PARTS.sub("", cell) if "'" in cell else cell


def csv_chunks(columns, rows, labels=None):
    """The CSV of `rows` (the values of each row, in the order of `columns`), a
    byte-order mark and the header first (under the row of `labels`, if given),
    as UTF-8 chunks of a few hundred rows."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes where needed
    if labels is not None:
        writer.writerow(csv_cells(labels))
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


def export_response(export, reports, filename, language=None):
    """The response that holds `reports` (an Export of service.all_reports) as
    `export`, saved by a browser as `filename`; a CSV or XLSX file with a first
    row of the fields' labels in `language`, if given. CSV and NDJSON stream as the
    client reads; the Export is closed, and its slot given back, also when the
    client goes away before the end. An XLSX workbook is a zip that is whole
    only once its last row is in, so it is written to a temporary file first
    (the Export's slot is given back when its last report is read) and then
    sent."""
    columns = export_columns(reports)
    labels = None if language is None else labels_row(columns, catalogue.live(), language)
    if export == "xlsx":
        with closing(reports):
            rows = (export_values(report, columns) for report in reports)
            try:
                file = workbook.written_sheet(
                    SHEET, columns.names, columns.kinds, rows, *_room(), labels=labels
                )
            except workbook.TooManyRows as error:
                raise ValidationError(
                    {"format": [f"{error} Narrow the export with filters, or ask for csv."]}
                ) from None
        return file_response(file, filename)
    if export == "csv":
        rows = (export_values(report, columns) for report in reports)
        chunks = csv_chunks(columns.names, rows, labels)
    else:
        chunks = ndjson_chunks(reports)
    response = Response(stream_with_context(chunks), mimetype=MIMETYPES[export])
    response.call_on_close(reports.close)
    return attachment(response, filename)


SUMMARY_COUNTS = ("reports", "submitted", "drafts")
# The column of a group's name (service.summary's `name`), by the groupings that have one.
SUMMARY_NAMES = {"mentor": "mentor_name", "activity": "activity_name"}


@dataclass(frozen=True, eq=False)
class SummaryColumns:
    """The figures' columns of a summary's spreadsheet: `names` in order, the
    workbook `kinds` of each, and for each the function that reads its value
    from a group of service.summary."""

    names: tuple
    kinds: dict
    values: tuple


@lru_cache(maxsize=16)
def summary_figures(form):
    """The SummaryColumns of the catalogue `form`: the counts of reports, then
    each figure in the catalogue's order: a total, average or count as a column
    named as the figure, and counts as one column per value, `{figure}_{value}`."""
    names, kinds = list(SUMMARY_COUNTS), dict.fromkeys(SUMMARY_COUNTS, "integer")
    values = [_member(name) for name in SUMMARY_COUNTS]
    for figure in form.figures:
        field = figure.field
        if figure.what == "counts":
            for choice in field.values:
                name = f"{figure.name}_{choice.value}"
                names.append(name)
                kinds[name] = "integer"
                values.append(_count_of(figure.name, choice.value))
            continue
        names.append(figure.name)
        if field.kind == "decimal":
            kinds[figure.name] = workbook.decimal_kind(field.places)
            values.append(_decimal_member(figure.name))
        else:
            kinds[figure.name] = "number" if figure.what == "average" else "integer"
            values.append(_member(figure.name))
    return SummaryColumns(tuple(names), kinds, tuple(values))


def _member(name):
    return lambda group: group[name]


def _decimal_member(name):
    return lambda group: _decimal_cell(group[name])


def _count_of(name, value):
    return lambda group: group[name][value]


def summary_columns(group_by, form=None):
    """The columns of a summary's spreadsheet: the group, named by what it is
    (month, mentor, activity or org), a mentor's or an activity's name (empty
    where the directory has none), then every figure of the JSON answer of the
    catalogue `form` (the live one by default), each count of values as a
    column of its own."""
    named = (SUMMARY_NAMES[group_by],) if group_by in SUMMARY_NAMES else ()
    return (group_by, *named, *summary_figures(form or current_catalogue()).names)


def summary_response(export, group_by, groups, filename):
    """A summary's groups (of the live catalogue) as a CSV or XLSX file, `filename`."""
    figures = summary_figures(catalogue.live())
    columns = summary_columns(group_by, catalogue.live())
    keys = ("group", "name") if group_by in SUMMARY_NAMES else ("group",)
    rows = [
        [*(group[key] for key in keys), *(value(group) for value in figures.values)]
        for group in groups
    ]
    if export == "xlsx":
        file = workbook.written_sheet("summary", columns, figures.kinds, rows, *_room())
        return file_response(file, filename)
    return attachment(Response(b"".join(csv_chunks(columns, rows)), mimetype="text/csv"), filename)


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


def read_csv(lines, columns=None):
    """(line number, report as the API writes it) for each row of an export CSV
    of `columns` (ReportColumns; the live catalogue's by default), read past a
    row of labels above its header. Cells keep their text; integer and boolean
    fields become numbers and booleans where they read as such, or stay text
    for validation to refuse."""
    columns = columns or report_columns(current_catalogue())
    rows = _csv_rows(lines)
    line, header = next(rows, (1, None))
    if header is None:
        return
    if not is_header(header, columns):
        second = next(rows, None)
        if second is not None and is_header(second[1], columns):
            line, header = second
        elif second is not None:
            rows = itertools.chain([second], rows)
    unknown = unknown_columns(header, columns)
    if unknown:
        raise FormatError(f"line {line}: {unknown}")
    kinds = [columns.kinds.get(name, "text") for name in header]
    for number, cells in rows:
        if len(cells) != len(header):
            raise FormatError(f"line {number}: {len(cells)} cells, the header has {len(header)}")
        row = {
            name: _typed(kind, cell) for name, kind, cell in zip(header, kinds, cells, strict=True)
        }
        yield number, report_from_cells(row, columns)


def _csv_rows(lines):
    """(number of the line it starts on, cells) for each row of a CSV file; a
    row the csv module cannot read (a field past its limit, say) is a FormatError."""
    reader = csv.reader(lines)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FormatError(f"line {line + 1}: {error}") from None
        number, line = line + 1, reader.line_num
        yield number, cells


def _typed(kind, cell):
    if cell == "":
        return None
    if kind == "integer" and INTEGER.fullmatch(cell):
        return int(cell)
    if kind == "boolean" and cell in ("true", "false"):
        return cell == "true"
    return restored(cell)


@contextmanager
def read_xlsx(path, columns=None):
    """While the block runs: how many rows the sheet of an export's workbook of
    `columns` (ReportColumns; the live catalogue's by default) says it has, and
    (row number, report as the API writes it) for each of them, read past a row
    of labels above its header."""
    columns = columns or report_columns(current_catalogue())
    limits = current_app.config if has_app_context() else None

    def names_columns(cells):
        return is_header(cells, columns)

    with workbook.read_sheet(path, SHEET, columns.kinds, limits, names_columns) as sheet:
        unknown = unknown_columns(sheet.header, columns)
        if unknown:
            raise FormatError(f"row {sheet.header_row}: {unknown}")
        yield sheet.size, _xlsx_reports(sheet.header, sheet.rows, columns)


def _xlsx_reports(header, rows, columns):
    for number, values in rows:
        if len(values) > len(header):
            raise FormatError(f"row {number}: {len(values)} cells, the header has {len(header)}")
        yield number, report_from_cells(dict(zip(header, values, strict=True)), columns)


def read_ndjson(lines):
    """(line number, object) for each non-empty line of a JSON Lines file."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as error:
            raise FormatError(f"line {number}: not valid JSON: {error}") from None
