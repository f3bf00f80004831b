"""XLSX workbooks of one sheet: written a row at a time with XlsxWriter in its
constant-memory mode, to a temporary file, and read back a row at a time with
openpyxl in its read-only mode.

Each column has a kind, which types its cells: `text` (always a text cell,
never run as a formula, however it starts), `integer` and `number`, `boolean`,
`date` (a YYYY-MM-DD string in the API, an Excel date here) and `time` (a UTC
YYYY-MM-DDTHH:MM:SSZ string in the API, an Excel date and time here, as Excel
has no time zones). An empty cell is None; an empty text is a text cell that
holds nothing.
"""

import re
import tempfile
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
import xlsxwriter
import xlsxwriter.exceptions
from openpyxl.utils.exceptions import InvalidFileException

# The rows of one sheet, its header included: Excel's own limit.
MAX_ROWS = 1_048_576
# Excel writes a character that XML cannot hold, and an underscore that would
# read as the start of one, as _xHHHH_; XlsxWriter does the same.
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
WIDEST = 60
WIDTHS = {"date": 12, "time": 20, "boolean": 8, "integer": 8, "number": 10}
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "yyyy-mm-dd hh:mm:ss"}
API_TIME = "%Y-%m-%dT%H:%M:%SZ"


class TooManyRows(Exception):
    """More rows than one sheet holds."""

    def __init__(self):
        super().__init__(f"An XLSX sheet holds at most {MAX_ROWS - 1:,} rows below its header.")


class NoRoom(Exception):
    """The temporary file of a workbook could not be written, such as on a full disk."""


class NotAWorkbook(ValueError):
    """A file that is not an XLSX workbook at all."""


def written_sheet(name, columns, kinds, rows):
    """A temporary file, open at its start, that holds the XLSX workbook of one
    sheet `name`: a bold, frozen header of `columns`, then each of `rows` (the
    values of a row, in the order of `columns`) in typed cells, columns as wide
    as their widest cell up to a limit, and an autofilter over them all. Raises
    TooManyRows past the rows a sheet holds, and NoRoom when the temporary file
    cannot be written; the file is gone then."""
    try:
        file = tempfile.TemporaryFile()
    except OSError as error:
        raise NoRoom(error) from None
    try:
        _write(file, name, columns, [kinds.get(column, "text") for column in columns], rows)
    except (OSError, xlsxwriter.exceptions.FileCreateError) as error:
        file.close()
        raise NoRoom(error) from None
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def _write(file, name, columns, kinds, rows):
    book = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet(name)
    formats = {kind: book.add_format({"num_format": form}) for kind, form in NUMBER_FORMATS.items()}
    sheet.write_row(0, 0, columns, book.add_format({"bold": True}))
    writers = [_cell_writer(sheet, kind, formats.get(kind)) for kind in kinds]
    # Room for the autofilter's button beside each column's name.
    widths = [
        max(len(column) + 3, WIDTHS.get(kind, 0))
        for column, kind in zip(columns, kinds, strict=True)
    ]
    texts = [number for number, kind in enumerate(kinds) if kind == "text"]
    last = 0
    for last, values in enumerate(rows, start=1):
        if last == MAX_ROWS:
            raise TooManyRows()
        for number, (write, value) in enumerate(zip(writers, values, strict=True)):
            if value is not None:
                write(last, number, value)
        for number in texts:
            value = values[number]
            if value is not None and len(value) > widths[number]:
                widths[number] = min(len(value), WIDEST)
    for number, width in enumerate(widths):
        sheet.set_column(number, number, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last, len(columns) - 1)
    book.close()


def _cell_writer(sheet, kind, style):
    """The function that writes a value of `kind` as the API has it into a cell."""
    if kind == "date":
        return lambda row, column, value: sheet.write_datetime(
            row, column, date.fromisoformat(value), style
        )
    if kind == "time":
        return lambda row, column, value: sheet.write_datetime(
            row, column, datetime.strptime(value, API_TIME), style
        )
    if kind == "boolean":
        return sheet.write_boolean
    if kind in ("integer", "number"):
        return sheet.write_number
    return sheet.write_string


def read_sheet(path, name, kinds):
    """(rows the sheet says it has, its header, its rows) of a workbook's sheet
    `name`, or of its first sheet when it has none of that name. The rows are
    (row number, values) under the header, empty rows left out; each value is
    in its column's API form where the cell has the column's type, else as the
    cell holds it, for validation to refuse."""
    file = open(path, "rb")  # a file, not a path: openpyxl would judge a path by its name
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        sheet = book[name] if name in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_api_value("text", cell) for cell in next(rows, ())]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        file.close()
        raise NotAWorkbook(f"not an XLSX workbook ({error})") from None
    while header and header[-1] is None:
        header.pop()
    column_kinds = [kinds.get(column, "text") for column in header]
    return sheet.max_row, header, _values(book, file, rows, column_kinds)


def _values(book, file, rows, kinds):
    try:
        for number, cells in enumerate(rows, start=2):
            values = [_api_value(kind, cell) for kind, cell in zip(kinds, cells, strict=False)]
            values += [None] * (len(kinds) - len(values))
            values += [cell for cell in cells[len(kinds) :] if cell is not None]
            if any(value is not None for value in values):
                yield number, values
    finally:
        book.close()
        file.close()


def _api_value(kind, cell):
    if isinstance(cell, str):
        return ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), cell)
    if isinstance(cell, datetime):
        if kind == "date" and cell.time() == datetime.min.time():
            return cell.date().isoformat()
        if kind in ("time", "text"):
            return _to_the_second(cell).strftime(API_TIME)
    if isinstance(cell, date) and not isinstance(cell, datetime) and kind in ("date", "text"):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer() and kind in ("integer", "text"):
        cell = int(cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool) and kind == "text":
        return str(cell)
    return cell


def _to_the_second(moment):
    """A time read from a cell's fraction of a day, to the nearest second."""
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
