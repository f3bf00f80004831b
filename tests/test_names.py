"""The directory's names beside the ids that reports carry (reports/service/names.py):
every export has `mentor_name` and `activity_name` right after the ids, and the
summary per mentor or per activity a `name` for each group. A removed person
and an archived activity keep their names; an id the directory does not know
has none; a mentor sees no other mentor's name; an import reads the names past."""

import csv
import io
import json

import openpyxl
import pytest
from exporting import REPORTS, every_report, import_file

from reports import queries, service

from conftest import CONTRACT_REPORT

PEOPLE = "/api/v1/people"
ACTIVITIES = "/api/v1/activities"
SUMMARY = f"{REPORTS}/summary"
MONA = CONTRACT_REPORT["peer_mentor_id"]  # the `tokens` fixture's mentor
JOB_CLUB = CONTRACT_REPORT["activity_id"]
OMAR, HOMEWORK = "usr_omar", "act_homework"
STRANGER, UNLISTED = "usr_stranger", "act_unlisted"  # ids the directory does not know
EXPORTS = ("csv", "ndjson", "xlsx")
IDS_THEN_NAMES = [
    "report_id", "activity_id", "peer_mentor_id", "org_id", "mentor_name", "activity_name",
]  # fmt: skip


def sent(client, method, path, headers, body=None):
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code in (200, 201), response.json
    return response.json


def person_id_of(client, headers, peer_mentor_id):
    people = sent(client, "GET", PEOPLE, headers)["data"]
    return next(
        person["person_id"] for person in people if person["peer_mentor_id"] == peer_mentor_id
    )


@pytest.fixture
def named(client, tokens):
    """Three reports, by what the directory knows of their ids: mona's ("Mona
    Hansen") at the job club; omar's at the homework café, omar removed and the
    café archived since; and one under ids it does not know. {which: report id}."""
    coordinator = tokens["coordinator"]
    mona = person_id_of(client, coordinator, MONA)
    sent(client, "PUT", f"{PEOPLE}/{mona}", coordinator, {"name": "Mona Hansen"})
    omar = sent(
        client, "POST", PEOPLE, coordinator,
        {"name": "Omar Haddad", "role": "mentor", "peer_mentor_id": OMAR},
    )  # fmt: skip
    for activity_id, name in ((JOB_CLUB, "Job club"), (HOMEWORK, "Homework café")):
        sent(client, "POST", ACTIVITIES, coordinator, {"name": name, "activity_id": activity_id})
    filed = {
        which: sent(
            client, "POST", REPORTS, coordinator,
            {**CONTRACT_REPORT, "peer_mentor_id": mentor, "activity_id": activity},
        )["report_id"]
        for which, mentor, activity in (
            ("known", MONA, JOB_CLUB),
            ("removed and archived", OMAR, HOMEWORK),
            ("unknown", STRANGER, UNLISTED),
        )
    }  # fmt: skip
    sent(client, "DELETE", f"{PEOPLE}/{omar['person_id']}", coordinator)
    sent(client, "DELETE", f"{ACTIVITIES}/{HOMEWORK}", coordinator)
    return filed


def exported_rows(client, export, headers):
    """{column or key: value} of each report of an export, an empty CSV cell as None."""
    with client.get(REPORTS, query_string={"format": export}, headers=headers) as response:
        assert response.status_code == 200, response.data[:300]
        data = response.get_data()
    if export == "ndjson":
        return [json.loads(line) for line in data.splitlines()]
    if export == "csv":
        rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        return [{column: cell or None for column, cell in row.items()} for row in rows]
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        header, *rows = book["reports"].iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in rows]
    finally:
        book.close()


def names_by_report(rows):
    return {row["report_id"]: (row["mentor_name"], row["activity_name"]) for row in rows}


def without(keys, items):
    """Each dict of `items` without `keys`."""
    return [{key: value for key, value in item.items() if key not in keys} for item in items]


# The exports ------------------------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS)
def test_every_export_names_the_mentor_and_the_activity_right_after_the_ids(
    client, tokens, named, export
):
    rows = exported_rows(client, export, tokens["coordinator"])

    assert list(rows[0])[: len(IDS_THEN_NAMES)] == IDS_THEN_NAMES
    names = names_by_report(rows)
    assert names[named["known"]] == ("Mona Hansen", "Job club")
    assert names[named["removed and archived"]] == ("Omar Haddad", "Homework café")
    assert names[named["unknown"]] == (None, None)


@pytest.mark.parametrize("export", EXPORTS)
def test_a_mentor_s_export_holds_its_own_name_only(client, tokens, named, export):
    rows = exported_rows(client, export, tokens["mentor"])

    assert [(row["peer_mentor_id"], row["mentor_name"], row["activity_name"]) for row in rows] == [
        (MONA, "Mona Hansen", "Job club")
    ]


def test_the_reports_table_downloads_carry_the_names_too(browsers, named):
    with browsers["viewer"].get("/reports.csv") as download:
        rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))

    assert names_by_report(rows)[named["known"]] == ("Mona Hansen", "Job club")


def test_an_export_reads_the_names_once_however_many_reports_it_holds(
    client, tokens, named, monkeypatch
):
    reads = []
    real = queries.mentor_names
    monkeypatch.setattr(queries, "mentor_names", lambda db: reads.append(1) or real(db))
    monkeypatch.setattr(service.lists, "EXPORT_CHUNK", 1)

    rows = exported_rows(client, "csv", tokens["coordinator"])

    assert len(rows) == 3 and len(reads) == 1


# Importing an export -----------------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_with_names_imports_and_the_names_come_from_the_directory(
    app, client, tokens, named, second_app, tmp_path, export
):
    path = tmp_path / f"reports.{export}"
    with client.get(REPORTS, query_string={"format": export}, headers=tokens["coordinator"]) as got:
        path.write_bytes(got.get_data())

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    imported = every_report(second_app)
    names = ("mentor_name", "activity_name")
    assert without(names, imported) == without(names, every_report(app, tokens["coordinator"]))
    # The second installation's directory is empty: it knows no one's name.
    assert {(report["mentor_name"], report["activity_name"]) for report in imported} == {
        (None, None)
    }


def test_an_import_reads_past_whatever_the_names_hold(client, tokens, named, second_app, tmp_path):
    path = tmp_path / "edited.jsonl"
    row = {**CONTRACT_REPORT, "mentor_name": {"not": "a name"}, "activity_name": 42}
    path.write_text(json.dumps(row) + "\n")

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    (imported,) = every_report(second_app)
    assert (imported["mentor_name"], imported["activity_name"]) == (None, None)


# The summary ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group_by", "names"),
    [
        ("mentor", {MONA: "Mona Hansen", OMAR: "Omar Haddad", STRANGER: None}),
        ("activity", {JOB_CLUB: "Job club", HOMEWORK: "Homework café", UNLISTED: None}),
    ],
)
def test_the_summary_per_mentor_or_activity_names_each_group_after_its_id(
    client, tokens, named, group_by, names
):
    groups = sent(client, "GET", f"{SUMMARY}?group_by={group_by}", tokens["viewer"])["groups"]

    assert {group["group"]: group["name"] for group in groups} == names
    assert [list(group)[:3] for group in groups] == [["group", "name", "reports"]] * 3


@pytest.mark.parametrize("group_by", ["month", "org"])
def test_the_summary_per_month_or_organisation_has_no_names(client, tokens, named, group_by):
    groups = sent(client, "GET", f"{SUMMARY}?group_by={group_by}", tokens["viewer"])["groups"]

    assert groups and not [group for group in groups if "name" in group]


def test_a_mentor_s_summary_names_its_own_mentor_and_activities_only(client, tokens, named):
    mine = tokens["mentor"]

    by_mentor = sent(client, "GET", f"{SUMMARY}?group_by=mentor", mine)["groups"]
    by_activity = sent(client, "GET", f"{SUMMARY}?group_by=activity", mine)["groups"]

    assert [(group["group"], group["name"]) for group in by_mentor] == [(MONA, "Mona Hansen")]
    assert [(group["group"], group["name"]) for group in by_activity] == [(JOB_CLUB, "Job club")]


def test_a_kept_summary_says_the_name_a_mentor_has_now(client, tokens, named):
    coordinator = tokens["coordinator"]
    before = sent(client, "GET", f"{SUMMARY}?group_by=mentor", coordinator)["groups"]
    mona = person_id_of(client, coordinator, MONA)

    sent(client, "PUT", f"{PEOPLE}/{mona}", coordinator, {"name": "Mona Berg"})

    after = sent(client, "GET", f"{SUMMARY}?group_by=mentor", coordinator)["groups"]
    assert [group["name"] for group in after if group["group"] == MONA] == ["Mona Berg"]
    assert without(["name"], after) == without(["name"], before)
