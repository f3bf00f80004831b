"""The exports as LibreOffice Calc reads them: each file converted headless by
`soffice` to a CSV of what its cells show, with every text cell quoted, so that
a test sees both what a cell shows and whether it is text or a number, date or
boolean.

What it needs: Debian's `libreoffice-calc-nogui` (`soffice` on PATH). Without
it these tests are skipped with the reason, except under CI=true, where that is
a failure: CI installs it (.ci/run).

The CSV export is converted with its character set named (UTF-8). Without the
Text Import dialog that a double-click opens, LibreOffice 7.4 (Debian 12) reads
a CSV in its language's Windows code page (Windows-1252) and does not look at
the byte-order mark at all: "Møte" comes out as "MÃ¸te", the mark as "ï»¿" in
the first column's name. What the mark does for a person opening the file is
therefore not something a headless conversion can show; what it can show is
that, read as UTF-8, the mark stays out of the cells.
"""

import os
import re
import shutil
import signal
import subprocess
from typing import NamedTuple

import pytest

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
INSTALL_HINT = "apt-get install --no-install-recommends libreoffice-calc-nogui (as .ci/run does)"
# LibreOffice's first start, which makes its profile, can take 10-20 s.
CONVERT_SECONDS = 120
CSV_FILTER = "Text - txt - csv (StarCalc)"
# Comma, double quote, UTF-8 (76).
READ_UTF8_CSV = "44,34,76"
# Comma, double quote, UTF-8; then (tokens 4-9) first line 1, no column
# formats, the default language, every text cell quoted, special numbers
# detected, each cell written as it is shown.
WRITE_SHOWN_CSV = "44,34,76,1,,0,true,true,true"

# One cell with the three scripts, then each on its own.
TEXTS = [
    "Møte på biblioteket — مرحبا 🎉",
    "Blåbærsyltetøy og én kaffe på Årstad",
    "مرحبا، هذا نص من اليمين إلى اليسار",
    "Feiret med kake 🎉 og en lærer 👩🏽‍🏫",
]


def notes_of(text):
    return f"{text}\nNeste gang: ✓"


class Cell(NamedTuple):
    """A cell as LibreOffice shows it, and whether it holds text (rather than a
    number, a date or a boolean)."""

    shown: str
    text: bool


def text(shown):
    return Cell(shown, text=True)


def value(shown):
    return Cell(shown, text=False)


# A cell of a CSV in which every text cell is quoted: "text" with its quotes
# doubled, or a bare number, date or boolean, or nothing.
CELL = re.compile(r'"((?:[^"]|"")*)"|([^,\n]*)')


def shown_rows(csv_text):
    """The rows of a CSV that LibreOffice wrote with WRITE_SHOWN_CSV, as
    {column name: Cell}."""
    rows, row, at = [], [], 0
    while at < len(csv_text):
        match = CELL.match(csv_text, at)
        quoted, bare = match.groups()
        row.append(text(quoted.replace('""', '"')) if quoted is not None else value(bare))
        at = match.end() + 1
        if csv_text[match.end() : at] != ",":
            rows.append(row)
            row = []
    header, *rows = rows
    return [dict(zip((cell.shown for cell in header), row, strict=True)) for row in rows]


def skip_or_fail(reason):
    """Skip the test; under CI=true, where LibreOffice must be there, fail it."""
    reason = f"LibreOffice tests cannot run: {reason}. Install with: {INSTALL_HINT}."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} CI=true, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def shown_by_libreoffice(tmp_path_factory):
    """A function that converts a file with headless LibreOffice, reading it
    with the filter options `reading` if given, and returns the rows of what
    its cells show (see shown_rows). LibreOffice runs with a profile of this
    module's own, so that it works as root and beside any other LibreOffice."""
    soffice = shutil.which("soffice")
    if soffice is None:
        skip_or_fail("soffice (Debian package libreoffice-calc-nogui) not found")
    profile = tmp_path_factory.mktemp("libreoffice-profile")

    def convert(source, reading=None):
        converted = source.parent / "libreoffice"
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            *([f"--infilter={CSV_FILTER}:{reading}"] if reading else []),
            "--convert-to",
            f"csv:{CSV_FILTER}:{WRITE_SHOWN_CSV}",
            "--outdir",
            str(converted),
            str(source),
        ]
        output = run(command)
        result = converted / f"{source.stem}.csv"
        # soffice exits with 0 also when it could not load the file.
        assert result.is_file(), f"LibreOffice did not convert {source.name}:\n{output}"
        return shown_rows(result.read_text(encoding="utf-8"))

    return convert


def run(command):
    """What `command` printed; the command and what it started are killed if it
    takes longer than CONVERT_SECONDS."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # soffice starts soffice.bin: kill the group
    ) as process:
        try:
            return process.communicate(timeout=CONVERT_SECONDS)[0]
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"LibreOffice took more than {CONVERT_SECONDS} s: {' '.join(command)}")


@pytest.fixture
def reports_in_many_scripts(client, clock):
    """A report per text of TEXTS, in its topic and its notes (on two lines),
    with 6, 7, 8 and 9 participants; returns {report id: text}."""
    made = {}
    for number, words in enumerate(TEXTS):
        fields = {
            **CONTRACT_REPORT["fields"],
            "session_topic": words,
            "mentor_notes": notes_of(words),
            "attendance_count": 6 + number,
            "follow_up_needed": True,
        }
        created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
        assert created.status_code == 201, created.json
        made[created.json["report_id"]] = words
    return made


def saved(client, path, file):
    """The body that GET `path` answers, saved as `file`."""
    with client.get(path) as response:
        assert response.status_code == 200, response.data[:300]
        file.write_bytes(response.data)
    return file


def assert_shows_the_reports(shown, reports, created_at):
    """Each report of `reports` ({id: text}) is a row that shows its text as it
    was written, its date, number and boolean as values, and `created_at`."""
    rows = {row["report_id"].shown: row for row in shown}
    assert set(rows) == set(reports)
    for report_id, words in reports.items():
        row = rows[report_id]
        assert row["session_topic"] == text(words)
        assert row["mentor_notes"] == text(notes_of(words))
        assert row["session_date"] == value(CONTRACT_REPORT["fields"]["session_date"])
        assert row["created_at"] == created_at
        assert row["follow_up_needed"] == value("TRUE")
    attendance = sorted(row["attendance_count"] for row in rows.values())
    assert attendance == [value("6"), value("7"), value("8"), value("9")]


def test_libreoffice_shows_every_script_of_the_xlsx_export_and_its_typed_cells(
    client, reports_in_many_scripts, shown_by_libreoffice, tmp_path
):
    workbook = saved(client, f"{REPORTS}?format=xlsx", tmp_path / "reports.xlsx")

    shown = shown_by_libreoffice(workbook)

    assert_shows_the_reports(
        shown, reports_in_many_scripts, created_at=value("2026-03-20 14:10:00")
    )


def test_libreoffice_reads_every_script_of_the_csv_export_with_the_mark_outside_its_cells(
    client, reports_in_many_scripts, shown_by_libreoffice, tmp_path
):
    export = saved(client, f"{REPORTS}?format=csv", tmp_path / "reports.csv")
    assert export.read_bytes().startswith(b"\xef\xbb\xbfreport_id,")

    shown = shown_by_libreoffice(export, reading=READ_UTF8_CSV)

    assert list(shown[0])[0] == "report_id"
    # A CSV has no types: LibreOffice finds the date, the number and the
    # boolean in the text; a time ending in Z stays text.
    assert_shows_the_reports(
        shown, reports_in_many_scripts, created_at=text("2026-03-20T14:10:00Z")
    )


def test_libreoffice_shows_the_summary_xlsx_figures_as_numbers(
    client, reports_in_many_scripts, shown_by_libreoffice, tmp_path
):
    path = f"{REPORTS}/summary?group_by=month&format=xlsx"
    workbook = saved(client, path, tmp_path / "summary.xlsx")

    [month] = shown_by_libreoffice(workbook)

    assert month["month"] == text(CONTRACT_REPORT["fields"]["session_date"][:7])
    assert month["reports"] == value("4")
    assert month["drafts"] == value("4")
    assert month["attendance_total"] == value("30")
    assert month["attendance_average"] == value("7.5")
    assert month["follow_ups_needed"] == value("4")
