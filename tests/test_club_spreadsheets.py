"""The spreadsheets follow the live catalogue: the youth club's exports (CSV,
XLSX, NDJSON) and summary have its fields and figures as columns, its decimals
and lists as cells, and read back through `flask --app reports import`; and a
field that a catalogue no longer has keeps its column in the exports."""

import csv
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from exporting import REPORTS, every_report, import_file

from reports import catalogue, create_app, db, formats, workbook
from reports.schemas import FIELD_NAMES

from conftest import CLUB_REPORT, CONTRACT_REPORT, YOUTH_CLUB

CLUB_FIELDS = (
    "held_on", "theme", "young_people", "activities", "mood", "snack_cost", "incident",
    "next_steps", "notes",
)  # fmt: skip
CLUB_COLUMNS = formats.REPORT_COLUMNS + CLUB_FIELDS + tuple(formats.REVIEW_COLUMNS)
CLUB_FIGURES = (
    "reports", "submitted", "drafts", "young_people_total", "young_people_average",
    "snack_cost_total", "snack_cost_average", "activities_sport", "activities_music",
    "activities_cooking", "activities_homework", "moods_calm", "moods_lively", "moods_tense",
    "incidents",
)  # fmt: skip


def club_report(status="submitted", **fields):
    return {**CLUB_REPORT, "status": status, "fields": {**CLUB_REPORT["fields"], **fields}}


@pytest.fixture
def club_reports(club_client):
    """The club's report; one with every activity and the dearest snacks; a
    draft with an empty list of activities and an incident; a draft of a theme
    alone; and one in February, reviewed."""
    bodies = [
        club_report(),
        club_report(activities=["sport", "music", "cooking", "homework"], snack_cost=500),
        club_report("draft", activities=[], snack_cost="0.10", notes="=1+1", incident=True),
        {**CLUB_REPORT, "fields": {"theme": "Just a theme"}},
        club_report(held_on="2026-02-27", young_people=3, snack_cost=7.5, mood="calm"),
    ]
    ids = []
    for body in bodies:
        created = club_client.post(REPORTS, json=body)
        assert created.status_code == 201, created.json
        ids.append(created.json["report_id"])
    review = {"review_state": "approved", "comment": "Good evening"}
    assert club_client.put(f"{REPORTS}/{ids[-1]}/review", json=review).status_code == 200
    return ids


@pytest.fixture
def second_club_app(tmp_path):
    """Another club instance with its own empty database, to import into."""
    app = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / "second.sqlite"), "CATALOGUE": YOUTH_CLUB}
    )
    db.init_db(app.config["DATABASE"], form=app.extensions["catalogue"])
    return app


def csv_of(client, path=f"{REPORTS}?format=csv"):
    """The header of an export CSV, and its rows as {column: cell}."""
    response = client.get(path)
    assert response.status_code == 200, response.data[:300]
    header, *rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def xlsx_of(client, path=f"{REPORTS}?format=xlsx"):
    """The header of a workbook's one sheet, and its rows as {column: cell}."""
    with client.get(path) as response:
        assert response.status_code == 200, response.data[:300]
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    return header, [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def exported(client, tmp_path, export, name="reports"):
    path = tmp_path / f"{name}.{export}"
    with client.get(f"{REPORTS}?format={export}") as response:
        path.write_bytes(response.data)
    return path


def sorted_rows(path):
    """The header and rows of an export file, rows in the order of their ids."""
    if path.suffix == ".xlsx":
        header, *rows = openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True)
    else:
        text = path.read_text(encoding="utf-8-sig")
        header, *rows = csv.reader(io.StringIO(text, newline=""))
    return [list(header), *sorted(rows)]


# Exports -------------------------------------------------------------------------


def test_the_csv_has_the_club_s_fields_as_columns_and_its_cells_as_stored(
    club_client, club_reports
):
    header, rows = csv_of(club_client)
    by_id = {row["report_id"]: row for row in rows}

    assert header == list(CLUB_COLUMNS)
    first, every, draft, *_ = (by_id[report_id] for report_id in club_reports)
    assert first["snack_cost"] == "23.50" and every["snack_cost"] == "500.00"
    assert first["activities"] == "cooking; music"
    assert every["activities"] == "sport; music; cooking; homework"
    assert first["young_people"] == "14" and first["held_on"] == "2026-03-20"
    assert (first["incident"], draft["incident"]) == ("false", "true")
    assert draft["activities"] == "'"  # an empty list, not an unset field
    assert draft["notes"] == "'=1+1"
    assert by_id[club_reports[3]]["activities"] == by_id[club_reports[3]]["snack_cost"] == ""


def test_the_xlsx_types_the_club_s_cells_a_decimal_as_a_number_of_its_places(
    club_client, club_reports
):
    header, rows = xlsx_of(club_client)
    by_id = {row["report_id"].value: row for row in rows}
    first = by_id[club_reports[0]]

    assert header == list(CLUB_COLUMNS)
    assert first["snack_cost"].data_type == "n" and first["snack_cost"].value == 23.5
    assert first["snack_cost"].number_format == "0.00"
    assert by_id[club_reports[2]]["snack_cost"].value == 0.1
    assert first["activities"].data_type == "s" and first["activities"].value == "cooking; music"
    assert first["young_people"].data_type == "n" and first["young_people"].value == 14
    assert first["incident"].data_type == "b" and first["incident"].value is False
    assert first["held_on"].is_date and first["held_on"].number_format == "yyyy-mm-dd"
    assert first["mood"].value == "lively" and first["theme"].value == "Cooking night"
    assert by_id[club_reports[2]]["activities"].value == ""
    assert by_id[club_reports[3]]["snack_cost"].value is None
    assert by_id[club_reports[4]]["review_state"].value == "approved"


def test_the_ndjson_is_each_club_report_as_the_api_reads_it(club_client, club_reports):
    lines = club_client.get(f"{REPORTS}?format=ndjson").data.decode().splitlines()
    exported = {report["report_id"]: report for report in map(json.loads, lines)}

    assert sorted(exported) == sorted(club_reports)
    for report_id in club_reports:
        read = club_client.get(f"{REPORTS}/{report_id}").json
        assert {key: exported[report_id][key] for key in read} == read
    assert exported[club_reports[0]]["fields"]["snack_cost"] == "23.50"
    assert exported[club_reports[0]]["fields"]["activities"] == ["cooking", "music"]
    assert exported[club_reports[4]]["review"]["review_state"] == "approved"


# The summary ---------------------------------------------------------------------


def summary_as_rows(summary, group_by):
    """The JSON summary's groups as a spreadsheet's rows: {column: value}, a
    group's name under the grouping's, each count of values a column, decimals
    as their strings."""
    rows = []
    for group in summary["groups"]:
        row = {group_by: group["group"]}
        for name, value in group.items():
            if isinstance(value, dict):
                row.update({f"{name}_{key}": count for key, count in value.items()})
            elif name == "name":
                row[f"{group_by}_name"] = value
            elif name != "group":
                row[name] = value
        rows.append(row)
    return rows


def test_the_club_s_summary_csv_has_a_column_per_figure_and_per_value(club_client, club_reports):
    summary = club_client.get(f"{REPORTS}/summary?group_by=month").json
    header, rows = csv_of(club_client, f"{REPORTS}/summary?group_by=month&format=csv")

    assert header == ["month", *CLUB_FIGURES]
    assert header == list(
        formats.summary_columns("month", club_client.application.extensions["catalogue"])
    )
    assert rows == [
        dict(zip(header, formats.csv_cells(row.values()), strict=True))
        for row in summary_as_rows(summary, "month")
    ]
    march = next(row for row in rows if row["month"] == "2026-03")
    assert march["snack_cost_total"] == "523.60" and march["activities_cooking"] == "2"
    assert march["incidents"] == "1"


def test_the_club_s_summary_xlsx_has_typed_figures(club_client, club_reports):
    summary = club_client.get(f"{REPORTS}/summary?group_by=mentor").json
    header, rows = xlsx_of(club_client, f"{REPORTS}/summary?group_by=mentor&format=xlsx")

    assert header == ["mentor", "mentor_name", *CLUB_FIGURES]
    (row,) = rows
    (expected,) = summary_as_rows(summary, "mentor")
    assert {name: cell.value for name, cell in row.items()} == expected | {
        "snack_cost_total": 531.1,
        "snack_cost_average": 132.78,
    }
    assert expected["snack_cost_total"] == "531.10" and expected["snack_cost_average"] == "132.78"
    assert row["snack_cost_total"].data_type == "n"
    assert row["snack_cost_total"].number_format == "0.00"
    assert row["activities_music"].value == 3 and row["moods_lively"].value == 3


# Import --------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_export_then_import_then_export_gives_the_same_club_file(
    club_app, club_client, club_reports, second_club_app, tmp_path, export
):
    path = exported(club_client, tmp_path, export)

    result = import_file(second_club_app, path)

    assert result.exit_code == 0, result.output
    assert f"Imported {len(club_reports)} reports" in result.output
    assert every_report(second_club_app) == every_report(club_app)
    again = exported(second_club_app.test_client(), tmp_path, export, "again")
    assert sorted_rows(again) == sorted_rows(path)


def test_a_club_workbook_edited_in_a_spreadsheet_imports_its_numbers_as_decimals(
    club_client, second_club_app, tmp_path
):
    assert club_client.post(REPORTS, json=club_report()).status_code == 201
    path = exported(club_client, tmp_path, "xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["reports"]
    columns = [cell.value for cell in sheet[1]]
    for snack_cost, activities in (
        (7.1, "sport;homework"),
        (3, " music "),
        (0.1 + 0.2, "homework"),
    ):
        row = [None] * len(columns)
        row[columns.index("activity_id")] = "act_club"
        row[columns.index("peer_mentor_id")] = "usr_mentor_042"
        row[columns.index("org_id")] = "org_youth"
        row[columns.index("status")] = "draft"
        row[columns.index("snack_cost")] = snack_cost  # typed in as a number
        row[columns.index("activities")] = activities
        sheet.append(row)
    book.save(path)

    result = import_file(second_club_app, path)

    assert result.exit_code == 0, result.output
    imported = {
        report["fields"]["snack_cost"]: report["fields"].get("activities")
        for report in every_report(second_club_app)
    }
    assert imported == {
        "23.50": ["cooking", "music"],
        "7.10": ["sport", "homework"],
        "3.00": ["music"],
        "0.30": ["homework"],
    }


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_club_file_with_a_bad_decimal_or_activity_imports_nothing_and_names_its_row(
    club_client, club_reports, second_club_app, tmp_path, export
):
    path = exported(club_client, tmp_path, export)
    if export == "xlsx":
        book = openpyxl.load_workbook(path)
        sheet = book["reports"]
        columns = [cell.value for cell in sheet[1]]
        sheet.cell(3, columns.index("snack_cost") + 1, 12.345)
        sheet.cell(5, columns.index("activities") + 1, "cooking; knitting")
        book.save(path)
    else:
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
        header = lines[0]
        lines[2][header.index("snack_cost")] = "12.345"
        lines[4][header.index("activities")] = "cooking; knitting"
        with open(path, "w", encoding="utf-8", newline="") as file:
            csv.writer(file).writerows(lines)

    result = import_file(second_club_app, path)

    assert result.exit_code == 1
    bad = dict(re.findall(rf"^{re.escape(str(path))}:(\d+): (.*)$", result.stderr, re.M))
    assert sorted(bad) == ["3", "5"]
    assert json.loads(bad["3"]) == {"fields": {"snack_cost": ["At most 2 decimal places."]}}
    assert json.loads(bad["5"]) == {
        "fields": {"activities": {"1": ["Must be one of: sport, music, cooking, homework."]}}
    }
    assert "2 of the rows are not valid. Nothing was imported." in result.stderr
    assert every_report(second_club_app) == []


# A field the catalogue no longer has ---------------------------------------------


@pytest.fixture
def without_mentor_notes(app, client, database, tmp_path):
    """The built-in app's database, with a report with mentor's notes, opened by
    an app whose catalogue no longer has them; and the report's id."""
    fields = {**CONTRACT_REPORT["fields"], "mentor_notes": "Bring the chess set"}
    created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
    assert created.status_code == 201, created.json
    tables = catalogue.built_in_text().split("[[fields]]")
    kept = [table for table in tables if 'name = "mentor_notes"' not in table]
    assert len(kept) == len(tables) - 1
    path = tmp_path / "catalogue.toml"
    path.write_text("[[fields]]".join(kept), encoding="utf-8")
    later = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "a-test-secret-key",
            "CATALOGUE": str(path),
        }
    )
    db.init_db(database, form=later.extensions["catalogue"])
    return later, created.json["report_id"]


def test_a_field_gone_from_the_catalogue_keeps_its_column_after_the_others(
    without_mentor_notes,
):
    later, report_id = without_mentor_notes
    wanted = [
        *formats.REPORT_COLUMNS,
        *(name for name in FIELD_NAMES if name != "mentor_notes"),
        "mentor_notes",
        *formats.REVIEW_COLUMNS,
    ]

    header, (row,) = csv_of(later.test_client())
    xlsx_header, (cells,) = xlsx_of(later.test_client())
    (line,) = later.test_client().get(f"{REPORTS}?format=ndjson").data.decode().splitlines()

    assert header == xlsx_header == wanted
    assert row["mentor_notes"] == cells["mentor_notes"].value == "Bring the chess set"
    assert row["session_topic"] == CONTRACT_REPORT["fields"]["session_topic"]
    assert json.loads(line)["fields"]["mentor_notes"] == "Bring the chess set"
    assert cells["attendance_count"].data_type == "n"


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_the_column_of_a_gone_field_is_refused_by_the_import_saying_why(
    without_mentor_notes, tmp_path, export
):
    later, _ = without_mentor_notes
    path = exported(later.test_client(), tmp_path, export)

    result = import_file(later, path)

    assert result.exit_code == 1
    assert "no longer in the report form" in result.stderr
    assert "mentor_notes (delete them to import the rest)" in result.stderr
    assert "Nothing was imported." in result.stderr


def test_a_decimal_a_number_cell_would_not_hold_exactly_stays_text(tmp_path):
    kinds = {"amount": workbook.decimal_kind(6)}
    values = ("123456789012.123456", "0.000001", "-7.250000")
    rows = [[Decimal(value)] for value in values]

    with workbook.written_sheet("reports", ["amount"], kinds, rows, tmp_path) as file:
        path = tmp_path / "decimals.xlsx"
        path.write_bytes(file.read())
    cells = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(min_row=2)]
    with workbook.read_sheet(path, "reports", kinds) as sheet:
        read = [value for _, (value,) in sheet.rows]

    assert [cell.data_type for cell in cells] == ["s", "n", "n"]  # 18 digits; Excel holds 15
    assert cells[1].number_format == "0.000000"
    assert read == list(values)
