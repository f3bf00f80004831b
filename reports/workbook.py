"""XLSX workbooks of one sheet: written a row at a time with XlsxWriter in its
constant-memory mode, to a temporary file, and read back a row at a time with
openpyxl in its read-only mode.

Each column has a kind, which types its cells: `text` (always a text cell,
never run as a formula, however it starts), `integer` and `number`, `boolean`,
`date` (a YYYY-MM-DD string in the API, an Excel date here), `time` (a UTC
YYYY-MM-DDTHH:MM:SSZ string in the API, an Excel date and time here, as Excel
has no time zones), a decimal kind of its places (see decimal_kind), and
`value`, for a column whose kind is not known: each cell typed by its value.
An empty cell is None; an empty text is a text cell that holds nothing.
"""

import itertools
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Context, Decimal

from reports import clock, internals
from reports.config import DEFAULTS

# The rows of one sheet, its header included: Excel's own limit.
MAX_ROWS = 1_048_576
ROOM_CHECKED_EVERY = 10_000
WIDEST = 60
WIDTHS = {
    "text": 8, "date": 12, "time": 20, "boolean": 8, "integer": 8, "number": 10, "decimal": 10,
    "value": 20,
}  # fmt: skip
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "yyyy-mm-dd hh:mm:ss"}
DECIMAL = "decimal:"
# The significant digits of Excel's numbers: a decimal of more is written as text,
# and a number cell is read as the decimal of its first 15 digits.
EXCEL_DIGITS = 15
EXCEL_PRECISION = Context(prec=EXCEL_DIGITS)
# What openpyxl raises on a file that is no workbook, or a broken one, but for
# its own InvalidFileException.
UNREADABLE = (SyntaxError, zipfile.BadZipFile, KeyError, OSError, ValueError)
MiB = 2**20
# What one row of a sheet being read may hold: its XML, and its tags (each some
# hundreds of bytes once parsed). An export's row takes well under 1 KiB and 100 tags.
ROW_BYTES = 16 * MiB
ROW_MARKUP = 200_000
# The most of a sheet's XML read at once (the XML parser asks for 16 KiB).
READ_BYTES = 64 * 2**10
# A part that unzips to less than this does no harm, however well it compresses.
RATIO_FROM_BYTES = MiB


class TooManyRows(Exception):
    """More rows than one sheet holds."""

    def __init__(self):
        super().__init__(f"An XLSX sheet holds at most {MAX_ROWS - 1:,} rows below its header.")


class NoRoom(Exception):
    """A workbook's temporary files could not be written, or would have left
    the disk with less free space than the service keeps."""


class NotAWorkbook(ValueError):
    """A file that is not an XLSX workbook at all."""


class TooLarge(Exception):
    """A workbook that would take more to read than an import allows."""


def decimal_kind(places):
    """The kind of a column of decimals with `places` places, given as Decimal: a
    number cell shown with that many places, or a text cell of the decimal where
    a number cell would not hold it exactly (more than EXCEL_DIGITS digits)."""
    return f"{DECIMAL}{places}"


def _places(kind):
    return int(kind[len(DECIMAL) :]) if kind.startswith(DECIMAL) else None


def _number_format(kind):
    places = _places(kind)
    if places is None:
        return NUMBER_FORMATS.get(kind)
    return "0." + "0" * places if places else "0"


def written_sheet(name, columns, kinds, rows, folder, min_free_mb=0, labels=None):
    """A temporary file, open at its start, that holds the XLSX workbook of one
    sheet `name`: a bold, frozen header of `columns` (under a bold row of
    `labels`, a text or None above each column, if given), then each of `rows`
    (the values of a row, in the order of `columns`) in typed cells, columns as
    wide as their widest cell up to a limit, and an autofilter over them all.

    The workbook and its parts are written in `folder` (the database's, on
    disk, so that a large one takes disk, not memory), the parts in a hidden
    temporary folder removed once the workbook is whole. Raises TooManyRows
    past the rows a sheet holds, and NoRoom when a file cannot be written or
    the disk would be left with less than `min_free_mb` MiB free; nothing of
    the workbook is left then."""
    # XlsxWriter and openpyxl are imported where they are used: each adds some
    # 10 MiB to a process, which a server that never writes a workbook, and
    # never reads one, need not hold.
    import xlsxwriter.exceptions

    try:
        file = tempfile.TemporaryFile(dir=folder)
    except OSError as error:
        raise NoRoom(error) from None
    try:
        with tempfile.TemporaryDirectory(prefix=".xlsx-", dir=folder) as parts:
            kinds = [kinds.get(column, "text") for column in columns]
            _write(file, parts, name, columns, kinds, rows, min_free_mb, labels)
    except (OSError, xlsxwriter.exceptions.FileCreateError) as error:
        file.close()
        raise NoRoom(error) from None
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def _write(file, parts, name, columns, kinds, rows, min_free_mb, labels):
    import xlsxwriter

    book = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,
            "tmpdir": parts,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet(name)
    formats = {
        kind: book.add_format({"num_format": _number_format(kind)})
        for kind in set(kinds)
        if _number_format(kind)
    }
    bold = book.add_format({"bold": True})
    header = 0 if labels is None else 1
    for number, label in enumerate(labels or ()):
        if label is not None:
            sheet.write_string(0, number, label, bold)
    sheet.write_row(header, 0, columns, bold)
    writers = [_cell_writer(sheet, kind, formats.get(kind)) for kind in kinds]
    # Room for the autofilter's button beside each column's name.
    widths = [
        max(len(column) + 3, WIDTHS.get("decimal" if kind.startswith(DECIMAL) else kind, 0))
        for column, kind in zip(columns, kinds, strict=True)
    ]
    for number, label in enumerate(labels or ()):
        if label is not None:
            widths[number] = max(widths[number], min(len(label), WIDEST))
    texts = [number for number, kind in enumerate(kinds) if kind == "text"]
    try:
        last = _write_rows(sheet, writers, widths, texts, rows, parts, min_free_mb, header)
        # Closing writes the sheet's XML out of its rows, then zips it: room
        # for about twice the rows written.
        _keep_room(parts, min_free_mb, 2 * _size_of(parts))
    except BaseException:
        internals.close_rows_file(sheet)  # book.close() would first write out every row
        raise
    for number, width in enumerate(widths):
        sheet.set_column(number, number, width)
    sheet.freeze_panes(header + 1, 0)
    sheet.autofilter(header, 0, last, len(columns) - 1)
    book.close()


def _write_rows(sheet, writers, widths, texts, rows, parts, min_free_mb, header=0):
    """Write the rows under the header (the row numbered `header`), widening
    the text columns to fit them; returns the number of the last row."""
    last = header
    for last, values in enumerate(rows, start=header + 1):
        if last == MAX_ROWS:
            raise TooManyRows()
        if last % ROOM_CHECKED_EVERY == 0:
            _keep_room(parts, min_free_mb, 0)
        for number, (write, value) in enumerate(zip(writers, values, strict=True)):
            if value is not None:
                try:
                    write(last, number, value)
                except (TypeError, ValueError):
                    # Stored under an earlier catalogue, where its field was of another kind.
                    _write_value(sheet, last, number, value)
        for number in texts:
            value = values[number]
            if value.__class__ is str and len(value) > widths[number]:
                widths[number] = min(len(value), WIDEST)
    return last


def _keep_room(folder, min_free_mb, needed_bytes):
    free_mb = (shutil.disk_usage(folder).free - needed_bytes) / 2**20
    if free_mb < min_free_mb:
        raise NoRoom(
            f"writing the workbook would leave {max(free_mb, 0):.0f} MiB free on the disk "
            f"of {folder}, under {min_free_mb} MiB"
        )


def _size_of(folder):
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


def _cell_writer(sheet, kind, style):
    """The function that writes a value of `kind` as the API has it into a cell."""
    if kind in ("date", "time"):
        serial = _date_serial if kind == "date" else _time_serial

        def write_moment(row, column, value):
            number = serial(value)
            if number < FIRST_SAFE_SERIAL:
                sheet.write_string(row, column, value)
            else:
                sheet.write_number(row, column, number, style)

        return write_moment
    if kind == "boolean":
        return sheet.write_boolean
    if kind in ("integer", "number"):
        return sheet.write_number
    if kind.startswith(DECIMAL):

        def write_decimal(row, column, value):
            if isinstance(value, Decimal) and len(value.as_tuple().digits) <= EXCEL_DIGITS:
                sheet.write_number(row, column, float(value), style)
            else:
                sheet.write_string(row, column, str(value))

        return write_decimal
    if kind == "value":
        return lambda row, column, value: _write_value(sheet, row, column, value)
    return sheet.write_string


def _write_value(sheet, row, column, value):
    """A value of a column of no known kind, in the cell its type makes."""
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    else:
        sheet.write_string(row, column, str(value))


# Excel counts days from 1899-12-30, and believes 1900 was a leap year: a day
# before 1900-03-01 stays text. (A serial of our own is twice as fast as
# XlsxWriter's write_datetime, which counts for a million rows.)
EXCEL_EPOCH = date(1899, 12, 30).toordinal()
FIRST_SAFE_SERIAL = 61


def _date_serial(value):
    """Excel's number for a YYYY-MM-DD day."""
    return date.fromisoformat(value).toordinal() - EXCEL_EPOCH


def _time_serial(value):
    """Excel's number for a YYYY-MM-DDTHH:MM:SSZ time: its day and the part of it gone."""
    seconds = int(value[11:13]) * 3600 + int(value[14:16]) * 60 + int(value[17:19])
    return _date_serial(value[:10]) + seconds / 86400


@contextmanager
def read_sheet(path, name, kinds, limits=None, is_header=None):
    """The sheet `name` of a workbook, or its first sheet when it has none of
    that name, open as a Sheet while the block runs. `limits` holds the
    IMPORT_MAX_* settings (their defaults when None): a workbook past them, or a
    row past ROW_BYTES or ROW_MARKUP, is refused with TooLarge. Its header is
    its first row; with `is_header` (which tells a header's cells), the second
    when the first is not one and the second is: a row of labels above it."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    file = open(path, "rb")  # a file, not a path: openpyxl would judge a path by its name
    book = xml = None
    try:
        try:
            with zipfile.ZipFile(file) as archive:
                check_sizes(archive, limits or DEFAULTS)
            book = openpyxl.load_workbook(file, read_only=True, data_only=True)
            sheet = book[name] if name in book.sheetnames else book.worksheets[0]
            size = sheet.max_row or 0
            # The sheet's <dimension> says which rows and columns openpyxl reads,
            # and some programs write it wrong: read every row, each to its last cell.
            sheet.reset_dimensions()
            # openpyxl reads the sheet's XML through _RowLimits, which refuses a
            # row too large before it is parsed.
            xml = internals.read_sheet_through(sheet, _RowLimits)
        except (InvalidFileException, *UNREADABLE) as error:
            raise NotAWorkbook(f"not an XLSX workbook ({error})") from None
        rows = _numbered(sheet.iter_rows(values_only=True), xml)
        header_row, first = next(rows, (1, ()))
        header = _header(first)
        if is_header is not None and not is_header(header):
            second = next(rows, None)
            if second is not None and is_header(_header(second[1])):
                header_row, header = second[0], _header(second[1])
            elif second is not None:
                rows = itertools.chain([second], rows)
        column_kinds = [kinds.get(column, "text") for column in header]
        yield Sheet(size, header, _values(rows, column_kinds), header_row)
    finally:
        if xml is not None:
            xml.close()
        if book is not None:
            book.close()
        file.close()


def _header(cells):
    """A header row's cells as texts, without the empty cells at its end."""
    header = [_api_value("text", cell) for cell in cells]
    while header and header[-1] is None:
        header.pop()
    return header


def check_sizes(archive, limits):
    """Refuse with TooLarge a workbook (an open ZipFile) that would unzip to more
    than `limits` allow, before any of it is unzipped: zipfile never unzips a
    part to more than the size the zip's directory gives it."""
    parts = archive.infolist()
    unzipped = sum(part.file_size for part in parts)
    most = limits["IMPORT_MAX_UNZIPPED_MB"]
    if unzipped > most * MiB:
        raise TooLarge(
            f"it unzips to {_mib(unzipped)} MiB, more than IMPORT_MAX_UNZIPPED_MB ({most:,})"
        )
    ratio = limits["IMPORT_MAX_ZIP_RATIO"]
    for part in parts:
        if part.file_size > max(RATIO_FROM_BYTES, ratio * part.compress_size):
            raise TooLarge(
                f"its part {part.filename} unzips to "
                f"{part.file_size / max(part.compress_size, 1):,.0f} times its zipped size, "
                f"more than IMPORT_MAX_ZIP_RATIO ({ratio:,})"
            )
    strings = _shared_strings(archive)
    most = limits["IMPORT_MAX_SHARED_STRINGS_MB"]
    if strings is not None and strings.file_size > most * MiB:
        raise TooLarge(
            f"its shared strings ({strings.filename}) unzip to {_mib(strings.file_size)} MiB, "
            f"more than IMPORT_MAX_SHARED_STRINGS_MB ({most:,})"
        )


def _shared_strings(archive):
    """The part that openpyxl reads the shared strings from, all at once: the
    first that [Content_Types].xml names, as openpyxl finds it. None if none."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    found = manifest.find(SHARED_STRINGS)
    return None if found is None else archive.getinfo(found.PartName[1:])


def _mib(size):
    mib = size / MiB
    return f"{mib:,.1f}" if mib < 10 else f"{mib:,.0f}"


class _RowLimits:
    """A sheet's XML as openpyxl reads it (READ_BYTES at most at a time), refused
    with TooLarge as soon as what was read since the last whole row holds more than
    a row may: ROW_BYTES of XML or ROW_MARKUP tags (told by their <). The chunk
    a row ends in counts for the next row too: no row past a limit gets through,
    though one less than a chunk under it may be refused."""

    def __init__(self, source):
        self.source = source
        self.row = 1
        self.size = self.tags = self.chunk_size = self.chunk_tags = 0

    def read(self, size=-1):
        chunk = self.source.read(READ_BYTES if size < 0 else min(size, READ_BYTES))
        self.chunk_size, self.chunk_tags = len(chunk), chunk.count(b"<")
        self.size += self.chunk_size
        self.tags += self.chunk_tags
        if self.size > ROW_BYTES:
            raise TooLarge(f"row {self.row:,} holds more than {ROW_BYTES // MiB} MiB of XML")
        if self.tags > ROW_MARKUP:
            raise TooLarge(f"row {self.row:,} holds more than {ROW_MARKUP:,} tags")
        return chunk

    def next_row(self):
        self.row += 1
        self.size, self.tags = self.chunk_size, self.chunk_tags

    def close(self):
        self.source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


@dataclass
class Sheet:
    """A sheet being read: how many rows it says it has (0 when it does not
    say; only a hint, as every row is read), its header, and (row number,
    values) for each row under the header, empty rows left out, and the
    header's row number. Each value is in its column's API form where the cell
    has the column's type, else as the cell holds it, for validation to refuse."""

    size: int
    header: list
    rows: Iterator
    header_row: int = 1


def _values(rows, kinds):
    for number, cells in rows:
        values = [_api_value(kind, cell) for kind, cell in zip(kinds, cells, strict=False)]
        values += [None] * (len(kinds) - len(values))
        values += [cell for cell in cells[len(kinds) :] if cell is not None]
        if any(value is not None for value in values):
            yield number, values


def _numbered(rows, xml):
    """(row number, cells) of each row of a sheet from its first: NotAWorkbook
    where its XML breaks off, TooLarge past the last row a sheet holds."""
    while True:
        number = xml.row
        try:
            cells = next(rows)
        except StopIteration:
            return
        except UNREADABLE as error:
            raise NotAWorkbook(f"row {number:,} cannot be read ({error})") from None
        if number > MAX_ROWS:
            raise TooLarge(f"row {number:,} is past the last row a sheet holds ({MAX_ROWS:,})")
        xml.next_row()
        yield number, cells


def _api_value(kind, cell):
    if isinstance(cell, str):
        if "_x" not in cell:
            return cell
        # Excel and XlsxWriter write a character that XML cannot hold, and an
        # underscore that would read as the start of one, as _xHHHH_; openpyxl
        # reads it as written.
        from openpyxl.utils.escape import unescape

        return unescape(cell)
    if isinstance(cell, datetime):
        if kind == "date" and cell.time() == datetime.min.time():
            return cell.date().isoformat()
        if kind in ("time", "text"):
            return clock.stamp(_to_the_second(cell))
    if isinstance(cell, date) and not isinstance(cell, datetime) and kind in ("date", "text"):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool) and kind.startswith(DECIMAL):
        return _decimal_text(cell, _places(kind))
    if isinstance(cell, float) and cell.is_integer() and kind in ("integer", "text"):
        cell = int(cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool) and kind == "text":
        return str(cell)
    return cell


def _decimal_text(number, places):
    """The API's text of a number cell of a decimal column: the decimal of its
    first EXCEL_DIGITS digits (what Excel shows; never the binary float's tail),
    with `places` places, or, where it has more, as it is, for validation to refuse."""
    if isinstance(number, int):
        decimal = Decimal(number)
    else:
        decimal = EXCEL_PRECISION.create_decimal_from_float(number)
    if decimal == round(decimal, places):
        return f"{decimal:.{places}f}"
    return format(decimal.normalize(), "f")


def _to_the_second(moment):
    """A time read from a cell's fraction of a day, to the nearest second."""
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
