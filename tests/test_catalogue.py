"""The field catalogue: the report form read from a TOML file. The built-in one
is today's form; a bad file stops the start with one line; a catalogue changed
under an existing database keeps every stored value and rebuilds its indexes;
and a form of every kind works through the whole API."""

import os
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from reports import catalogue, create_app, db, queries, service
from reports.auth import ANONYMOUS
from reports.catalogue import CatalogueError
from reports.schemas import requests

from conftest import CLUB_REPORT, CONTRACT_REPORT, YOUTH_CLUB, started_with_catalogue
from docs_pages import DOCS, code_blocks, table_rows, text_of
from serving import REPO, server_env

REPORTS = "/api/v1/reports"
BUILT_IN_TEXT = catalogue.built_in_text()
CLUB_TEXT = Path(YOUTH_CLUB).read_text(encoding="utf-8")
# The built-in catalogue with mentor_notes no longer searchable.
QUIET = BUILT_IN_TEXT.replace("max_length = 10000\nsearchable = true", "max_length = 10000")


def edited(text, *replacements):
    """`text` with each (old, new) replaced once; each old must be there."""
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def without_field(text, name):
    """`text` without the [[fields]] table of `name`."""
    block = re.compile(rf'\[\[fields\]\]\nname = "{name}"\n.*?(?=\[\[fields\]\]|\Z)', re.DOTALL)
    assert block.search(text), name
    return block.sub("", text, count=1)


def written(tmp_path, text, name="catalogue.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def check(app):
    """`flask --app reports catalogue check` on `app`: (exit code, output lines)."""
    result = app.test_cli_runner().invoke(args=["catalogue", "check"])
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    # Its warnings of texts that lack a language: tests/test_catalogue_languages.py.
    return result.exit_code, [line for line in lines if not line.startswith("Warning: field ")]


def search(client, words):
    answer = client.get(REPORTS, query_string={"q": words})
    assert answer.status_code == 200, answer.json
    return [report["report_id"] for report in answer.json["data"]]


def listed(client, **query):
    answer = client.get(REPORTS, query_string=query)
    assert answer.status_code == 200, answer.json
    return [report["report_id"] for report in answer.json["data"]]


def sql_of(database, name):
    connection = sqlite3.connect(database)
    try:
        found = connection.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (name,))
        return found.fetchone()[0]
    finally:
        connection.close()


# Loading ----------------------------------------------------------------------


def test_the_built_in_catalogue_is_today_s_form():
    form = catalogue.built_in()

    assert form.names == (
        "session_date", "attendance_count", "session_topic", "participant_engagement",
        "challenges_noted", "mentor_notes", "way_forward", "duration_minutes", "follow_up_needed",
    )  # fmt: skip
    assert form.version == "1"
    assert form.required == ("session_date", "attendance_count", "session_topic")
    assert form.searchable == ("session_topic", "challenges_noted", "mentor_notes", "way_forward")
    assert (form.session_date, form.way_forward, form.title) == (
        "session_date", "way_forward", "session_topic",
    )  # fmt: skip
    field = form.by_name
    assert field["session_date"].kind == "date" and field["session_date"].not_after_tomorrow
    assert (field["attendance_count"].kind, field["attendance_count"].min) == ("integer", 0)
    assert field["attendance_count"].max == 1000
    assert (field["session_topic"].min_length, field["session_topic"].max_length) == (1, 200)
    assert [choice.value for choice in field["participant_engagement"].values] == [
        "low", "medium", "high", "very_high",
    ]  # fmt: skip
    assert field["challenges_noted"].max_length == 5000
    assert field["mentor_notes"].max_length == 10000
    assert field["way_forward"].max_length == 5000
    assert (field["duration_minutes"].min, field["duration_minutes"].max) == (1, 1440)
    assert field["follow_up_needed"].kind == "boolean"
    assert [figure.name for figure in form.figures] == [
        "attendance_total", "attendance_average", "duration_minutes_total", "engagement",
        "follow_ups_needed",
    ]  # fmt: skip


def test_the_youth_club_catalogue_loads():
    form = catalogue.load(YOUTH_CLUB)

    assert form.version == "2026-12" and form.session_date == "held_on"
    assert form.by_name["snack_cost"].places == 2
    assert form.by_name["snack_cost"].max == Decimal("500.00")


# Each bad file: (the built-in or the club's text, its edits, what the one line says).
BAD_FILES = {
    "unknown kind": (
        BUILT_IN_TEXT,
        [('kind = "boolean"', 'kind = "yes_no"')],
        "field 'follow_up_needed': unknown kind 'yes_no'; a kind is one of text, integer,",
    ),
    "duplicate name": (
        BUILT_IN_TEXT,
        [('name = "mentor_notes"', 'name = "challenges_noted"')],
        "field 'challenges_noted': the name is used by another field.",
    ),
    "bad name": (
        BUILT_IN_TEXT,
        [('name = "mentor_notes"', 'name = "Mentor notes"')],
        "[[fields]] number 6 needs a `name` of 1 to 40 characters",
    ),
    "min above max": (
        BUILT_IN_TEXT,
        [("min = 1\nmax = 1440", "min = 100\nmax = 10")],
        "field 'duration_minutes': `min` must not be more than `max`.",
    ),
    "min_length above max_length": (
        BUILT_IN_TEXT,
        [("min_length = 1\nmax_length = 200", "min_length = 300\nmax_length = 200")],
        "field 'session_topic': `min_length` must not be more than `max_length`.",
    ),
    "more places than places": (
        CLUB_TEXT,
        [('min = "0.00"', 'min = "0.001"')],
        "field 'snack_cost': `min` has more than `places` (2) decimal places.",
    ),
    "a role naming no field": (
        BUILT_IN_TEXT,
        [('way_forward = "way_forward"', 'way_forward = "next_steps"')],
        "the role way_forward names 'next_steps', which is not a field.",
    ),
    "a role naming a field of the wrong kind": (
        BUILT_IN_TEXT,
        [('title = "session_topic"', 'title = "attendance_count"')],
        "field 'attendance_count': the role title needs a text field.",
    ),
    "a session date that is no date": (
        BUILT_IN_TEXT,
        [('session_date = "session_date"', 'session_date = "session_topic"')],
        "field 'session_topic': the role session_date needs a date field.",
    ),
    "an unknown key": (
        BUILT_IN_TEXT,
        [('label.en = "Mentor\'s notes"', 'label.en = "Mentor\'s notes"\ncolour = "red"')],
        "field 'mentor_notes': unknown key 'colour' in a text field; allowed:",
    ),
    "a key of another kind": (
        BUILT_IN_TEXT,
        [("max_length = 10000", "max_length = 10000\nplaces = 2")],
        "field 'mentor_notes': unknown key 'places' in a text field; allowed:",
    ),
    "a filter named like a query parameter": (
        BUILT_IN_TEXT,
        [('name = "follow_up_needed"', 'name = "status"')],
        "field 'status': a boolean field is a filter of its own name, and 'status' is a query "
        "parameter already.",
    ),
    "a figure name taken twice": (
        BUILT_IN_TEXT,
        [('total = "duration_minutes_total"', 'total = "attendance_total"')],
        "field 'duration_minutes': the summary figure name 'attendance_total' is taken.",
    ),
    "no version": (BUILT_IN_TEXT, [('version = "1"', "")], "`version` must be a string"),
    "invalid TOML": (BUILT_IN_TEXT, [('version = "1"', "version = ")], "not valid TOML:"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_in_one_line_naming_the_file_the_field_and_why(tmp_path, case):
    text, edits, reason = BAD_FILES[case]
    path = written(tmp_path, edited(text, *edits), "bad.toml")

    with pytest.raises(CatalogueError) as refused:
        catalogue.load(path)

    message = str(refused.value)
    assert message.startswith(f"{path}: ") and reason in message, message
    assert "\n" not in message


def test_a_file_that_cannot_be_read_is_refused_in_one_line(tmp_path):
    with pytest.raises(CatalogueError, match=r"missing\.toml: cannot be read"):
        catalogue.load(str(tmp_path / "missing.toml"))


def test_create_app_turns_a_bad_catalogue_into_a_config_error(tmp_path):
    path = written(tmp_path, edited(BUILT_IN_TEXT, ('kind = "boolean"', 'kind = "yes_no"')))

    from reports.config import ConfigError

    with pytest.raises(ConfigError, match="unknown kind 'yes_no'"):
        create_app({"DATABASE": str(tmp_path / "r.sqlite"), "CATALOGUE": path})


def refused_start(tmp_path, command):
    """Run `command` from tmp_path with REPORTS_CATALOGUE naming a bad file; it
    must fail with one line naming the file, the field and why, and create nothing."""
    path = written(tmp_path, edited(BUILT_IN_TEXT, ('kind = "boolean"', 'kind = "yes_no"')))
    database = tmp_path / "reports.sqlite"
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=server_env(database, REPORTS_CATALOGUE=path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert f"{path}: field 'follow_up_needed': unknown kind 'yes_no'" in lines[0], result
    assert "Serving" not in result.stdout and not database.exists(), result
    return lines[0]


def test_app_py_with_a_bad_catalogue_says_so_in_one_line_and_stops(tmp_path):
    line = refused_start(tmp_path, [sys.executable, str(REPO / "app.py")])

    assert line.startswith("Cannot start: ")


def test_init_db_with_a_bad_catalogue_says_so_in_one_line_and_stops(tmp_path):
    line = refused_start(tmp_path, [sys.executable, "-m", "flask", "--app", "reports", "init-db"])

    assert line.startswith("Error: ")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Start the app from an empty folder, with no REPORTS_* setting."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("REPORTS_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_without_a_file_of_its_own_the_instance_uses_the_built_in_catalogue(workdir):
    app = create_app()

    assert app.extensions["catalogue"] is catalogue.built_in()


def test_instance_catalogue_toml_is_used_when_present(workdir):
    (workdir / "instance").mkdir()
    (workdir / "instance" / "catalogue.toml").write_text(CLUB_TEXT, encoding="utf-8")

    app = create_app()

    form = app.extensions["catalogue"]
    assert form.version == "2026-12" and form.source == str(workdir / "instance" / "catalogue.toml")


def test_the_catalogue_setting_wins_over_instance_catalogue_toml(workdir, monkeypatch):
    (workdir / "instance").mkdir()
    (workdir / "instance" / "catalogue.toml").write_text(CLUB_TEXT, encoding="utf-8")
    own = written(workdir, edited(BUILT_IN_TEXT, ('version = "1"', 'version = "ours"')), "our.toml")
    monkeypatch.setenv("REPORTS_CATALOGUE", own)

    assert create_app().extensions["catalogue"].version == "ours"
    assert create_app({"CATALOGUE": YOUTH_CLUB}).extensions["catalogue"].version == "2026-12"


def test_catalogue_show_names_the_live_file_and_its_fields(club_app):
    result = club_app.test_cli_runner().invoke(args=["catalogue", "show"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Catalogue: {YOUTH_CLUB}, version 2026-12, 9 fields."
    assert lines[2].split()[:2] == ["held_on", "date"] and "session_date, required" in lines[2]


# The catalogue changed under an existing database ------------------------------------


def test_catalogue_check_says_every_report_fits_when_they_do(app, make_report):
    make_report()

    assert check(app) == (0, ["Every report fits the catalogue (version 1)."])


def test_catalogue_check_without_a_database_is_one_line(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "none.sqlite")})
    result = app.test_cli_runner().invoke(args=["catalogue", "check"])

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: No database at {tmp_path / 'none.sqlite'}: run it from the service's folder "
        "or set REPORTS_DATABASE."
    ]


def test_a_field_removed_keeps_its_values_everywhere(
    app, client, make_report, database, tmp_path, clock
):
    report_id = make_report()["report_id"]
    clock.advance(minutes=1)
    changed = client.put(f"{REPORTS}/{report_id}", json={"fields": {"mentor_notes": "Kept."}})
    assert changed.status_code == 200, changed.json
    plain = make_report({"mentor_notes": None})["report_id"]

    removed = without_field(BUILT_IN_TEXT, "mentor_notes")
    later = started_with_catalogue(database, written(tmp_path, removed))
    client = later.test_client()
    clock.advance(minutes=1)

    assert client.get(f"{REPORTS}/{report_id}").json["fields"]["mentor_notes"] == "Kept."
    updated = client.put(f"{REPORTS}/{report_id}", json={"fields": {"attendance_count": 9}})
    assert updated.status_code == 200, updated.json
    fields = client.get(f"{REPORTS}/{report_id}").json["fields"]
    assert fields["mentor_notes"] == "Kept." and fields["attendance_count"] == 9
    assert list(fields)[-1] == "mentor_notes"  # after the catalogue's fields
    revisions = client.get(f"{REPORTS}/{report_id}/history").json["revisions"]
    assert revisions[1]["changes"]["fields"]["mentor_notes"]["after"] == "Kept."
    assert revisions[2]["changes"] == {"fields": {"attendance_count": {"before": 6, "after": 9}}}
    refused = client.put(f"{REPORTS}/{report_id}", json={"fields": {"mentor_notes": "New."}})
    assert refused.status_code == 422

    code, lines = check(later)
    assert code == 1
    assert lines == [
        f"{report_id}  mentor_notes: no longer in the catalogue (value kept)",
        "Error: 1 report does not fit the catalogue (version 1): 1 problem, listed above. "
        "Nothing was changed.",
    ]
    assert plain not in "".join(lines)


def test_a_limit_narrowed_keeps_the_value_and_check_names_it(app, make_report, database, tmp_path):
    over = make_report({"attendance_count": 45})["report_id"]
    within = make_report({"attendance_count": 40})["report_id"]
    narrowed = edited(BUILT_IN_TEXT, ("min = 0\nmax = 1000", "min = 0\nmax = 40"))

    later = started_with_catalogue(database, written(tmp_path, narrowed))
    client = later.test_client()

    assert client.get(f"{REPORTS}/{over}").json["fields"]["attendance_count"] == 45
    updated = client.put(f"{REPORTS}/{over}", json={"fields": {"duration_minutes": 60}})
    assert updated.status_code == 200, updated.json
    assert client.get(f"{REPORTS}/{over}").json["fields"]["attendance_count"] == 45
    refused = client.put(f"{REPORTS}/{within}", json={"fields": {"attendance_count": 41}})
    assert refused.status_code == 422
    code, lines = check(later)
    assert code == 1
    assert lines[:-1] == [
        f"{over}  attendance_count: Must be greater than or equal to 0 and less than or "
        "equal to 40."
    ]


def test_check_lists_each_problem_of_each_report_in_one_line(
    club_app, club_client, database, tmp_path, clock
):
    first = club_client.post(REPORTS, json={**CLUB_REPORT, "status": "submitted"})
    second = club_client.post(
        REPORTS,
        json={**CLUB_REPORT, "fields": {"held_on": "2026-03-01", "activities": ["homework"]}},
    )
    narrowed = edited(
        CLUB_TEXT,
        ('version = "2026-12"', 'version = "2027-01"'),
        ('    { value = "homework", label = "Homework help" },\n', ""),
        ('max = "500.00"', 'max = "20.00"'),
        ("max_length = 2000\n", "max_length = 2000\nrequired = true\n"),
    )
    later = started_with_catalogue(database, written(tmp_path, without_field(narrowed, "notes")))

    code, lines = check(later)

    first, second = first.json["report_id"], second.json["report_id"]
    assert code == 1
    assert lines == [
        f"{first}  snack_cost: Must be greater than or equal to 0.00 and less than or equal "
        "to 20.00.",
        f"{first}  notes: no longer in the catalogue (value kept)",
        f"{second}  activities: value 1: Must be one of: sport, music, cooking.",
        "Error: 2 reports do not fit the catalogue (version 2027-01): 3 problems, listed above. "
        "Nothing was changed.",
    ]
    # A field now required is a problem of a submitted report that lacks it only.
    connection = sqlite3.connect(database)
    db.add_functions(connection)
    with connection:
        connection.execute(
            "UPDATE report SET fields = json_remove(fields, '$.next_steps') WHERE report_id = ?",
            (first,),
        )
    connection.close()
    assert (
        f"{first}  next_steps: Required to submit the report, and this submitted report has none."
        in check(later)[1]
    )


def test_check_does_not_hold_an_old_report_to_not_after_tomorrow(
    club_app, club_client, database, tmp_path, clock
):
    """The rule is about the day a date is written: a session planned ahead and
    stored while the rule was off is not wrong once the rule is on."""
    relaxed = edited(CLUB_TEXT, ("not_after_tomorrow = true\n", ""))
    before = started_with_catalogue(database, written(tmp_path, relaxed, "relaxed.toml"))
    planned = {**CLUB_REPORT, "fields": {**CLUB_REPORT["fields"], "held_on": "2026-09-01"}}
    assert before.test_client().post(REPORTS, json=planned).status_code == 201

    assert check(club_app) == (0, ["Every report fits the catalogue (version 2026-12)."])
    refused = club_client.post(REPORTS, json=planned)
    assert refused.json["errors"]["fields"]["held_on"] == [
        "Must not be after tomorrow (2026-03-21, UTC)."
    ]


def test_check_reads_the_reports_in_chunks(app, make_report, database, tmp_path, monkeypatch):
    reports = [make_report({"attendance_count": 41 + n})["report_id"] for n in range(5)]
    narrowed = edited(BUILT_IN_TEXT, ("min = 0\nmax = 1000", "min = 0\nmax = 40"))
    later = started_with_catalogue(database, written(tmp_path, narrowed))
    chunks = []
    original = queries.fields_of_reports_after

    def counted(db, after_seq, limit):
        rows = original(db, after_seq, limit)
        chunks.append(len(rows))
        return rows

    monkeypatch.setattr("reports.service.health.CHECK_CHUNK", 2)
    monkeypatch.setattr(queries, "fields_of_reports_after", counted)

    code, lines = check(later)

    assert code == 1 and chunks == [2, 2, 1]
    assert [line.split()[0] for line in lines[:-1]] == reports


def test_renaming_the_session_date_field_rebuilds_its_index(
    app, make_report, database, tmp_path, clock
):
    old = make_report()["report_id"]
    renamed = edited(
        BUILT_IN_TEXT,
        ('session_date = "session_date"', 'session_date = "held_on"'),
        ('name = "session_date"', 'name = "held_on"'),
    )
    assert "$.session_date" in sql_of(database, "report_by_session_date")

    later = started_with_catalogue(database, written(tmp_path, renamed))
    client = later.test_client()

    index = sql_of(database, "report_by_session_date")
    assert "$.held_on" in index and "$.session_date" not in index
    ids = {}
    for day in ("2026-03-10", "2026-01-05", "2026-02-20"):
        fields = {**CONTRACT_REPORT["fields"], "held_on": day}
        del fields["session_date"]
        created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
        assert created.status_code == 201, created.json
        ids[day] = created.json["report_id"]

    assert set(listed(client, session_date_from="2026-02-01")) == {
        ids["2026-02-20"], ids["2026-03-10"],
    }  # fmt: skip
    assert set(listed(client, session_date_to="2026-02-01")) == {ids["2026-01-05"]}
    by_day = listed(client, sort="session_date", limit=10)
    # The old report has no held_on: it sorts first, as a report without a session date does.
    assert by_day == [old, ids["2026-01-05"], ids["2026-02-20"], ids["2026-03-10"]]
    months = client.get(f"{REPORTS}/summary", query_string={"group_by": "month"}).json["groups"]
    assert {group["group"] for group in months} == {None, "2026-01", "2026-02", "2026-03"}
    assert f"{old}  session_date: no longer in the catalogue (value kept)" in check(later)[1]


def test_changing_the_searchable_fields_rebuilds_the_search_index(
    app, make_report, database, tmp_path
):
    stored = make_report({"mentor_notes": "zebras", "challenges_noted": "giraffes"})["report_id"]
    client = app.test_client()
    assert search(client, "zebras") == [stored] and search(client, "giraffes") == [stored]

    later = started_with_catalogue(database, written(tmp_path, QUIET))
    client = later.test_client()

    assert search(client, "zebras") == [] and search(client, "giraffes") == [stored]
    changed = client.put(f"{REPORTS}/{stored}", json={"fields": {"mentor_notes": "lions"}})
    assert changed.status_code == 200
    assert search(client, "lions") == [] and search(client, "giraffes") == [stored]
    columns = sql_of(database, "report_text")
    assert "mentor_notes" not in columns and "challenges_noted" in columns

    # And back: mentor_notes searchable again finds what was written meanwhile.
    again = started_with_catalogue(database, written(tmp_path, BUILT_IN_TEXT, "again.toml"))
    assert search(again.test_client(), "lions") == [stored]


def test_a_new_searchable_field_finds_the_reports_stored_before(
    app, make_report, database, tmp_path
):
    hidden = edited(BUILT_IN_TEXT, ("max_length = 5000\nsearchable = true", "max_length = 5000"))
    before = started_with_catalogue(database, written(tmp_path, hidden, "before.toml"))
    client = before.test_client()
    created = client.post(
        REPORTS,
        json={
            **CONTRACT_REPORT,
            "fields": {**CONTRACT_REPORT["fields"], "challenges_noted": "okapis"},
        },
    )
    stored = created.json["report_id"]
    assert search(client, "okapis") == []

    later = started_with_catalogue(database, written(tmp_path, BUILT_IN_TEXT, "after.toml"))

    assert search(later.test_client(), "okapis") == [stored]


@pytest.fixture
def many_reports(make_report):
    """Five reports, each of its own mentor_notes word."""
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    return {word: make_report({"mentor_notes": f"{word} notes"})["report_id"] for word in words}


def test_a_rebuild_of_many_reports_says_how_far_it_has_come(
    many_reports, database, monkeypatch, tmp_path
):
    quiet = catalogue.load(written(tmp_path, QUIET))
    monkeypatch.setattr(db.schema, "PROGRESS_FROM", 3)
    monkeypatch.setattr(db.schema, "FILL_CHUNK", 2)
    lines = []

    db.upgrade(database, quiet, progress=lines.append)

    assert lines == [f"Building the search index: {n} of 5 reports." for n in (2, 4, 5)]
    lines.clear()
    db.upgrade(database, quiet, progress=lines.append)
    assert lines == []  # nothing to rebuild
    renamed = edited(
        QUIET,
        ('session_date = "session_date"', 'session_date = "held_on"'),
        ('name = "session_date"', 'name = "held_on"'),
    )
    db.upgrade(database, catalogue.load(written(tmp_path, renamed, "renamed.toml")), lines.append)
    assert lines == ["Building the index of the session date for 5 reports."]


def test_a_rebuild_of_few_reports_says_nothing(many_reports, database, tmp_path):
    quiet = catalogue.load(written(tmp_path, QUIET))
    lines = []

    db.upgrade(database, quiet, progress=lines.append)

    assert lines == []


def test_a_rebuild_that_fails_midway_leaves_the_old_index(
    app, many_reports, database, monkeypatch, tmp_path
):
    quiet = catalogue.load(written(tmp_path, QUIET))
    original = queries.fill_search_index
    calls = []

    def fails_after_the_first_chunk(*args):
        calls.append(args)
        if len(calls) > 1:
            raise RuntimeError("the disk is full")
        return original(*args)

    monkeypatch.setattr(db.schema, "FILL_CHUNK", 2)
    monkeypatch.setattr(queries, "fill_search_index", fails_after_the_first_chunk)

    with pytest.raises(RuntimeError, match="the disk is full"):
        db.upgrade(database, quiet)

    assert len(calls) == 2
    assert "mentor_notes" in sql_of(database, "report_text")
    client = app.test_client()
    assert search(client, "echo") == [many_reports["echo"]]
    assert search(client, "alpha") == [many_reports["alpha"]]
    fields = {**CONTRACT_REPORT["fields"], "mentor_notes": "foxtrot"}
    written_after = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
    assert search(client, "foxtrot") == [written_after.json["report_id"]]
    connection = sqlite3.connect(database)
    try:
        layout = queries.catalogue_layout(connection)
    finally:
        connection.close()
    assert "mentor_notes" in layout["searchable"]


def test_each_write_records_the_catalogue_version(
    app, client, make_report, database, tmp_path, clock
):
    report_id = make_report()["report_id"]
    history = f"{REPORTS}/{report_id}/history"
    assert client.get(history).json["catalogue_version"] == "1"
    second = edited(BUILT_IN_TEXT, ('version = "1"', 'version = "2"'))

    later = started_with_catalogue(database, written(tmp_path, second))
    client = later.test_client()
    clock.advance(minutes=1)
    assert client.get(history).json["catalogue_version"] == "1"  # not written since
    updated = client.put(f"{REPORTS}/{report_id}", json={"fields": {"attendance_count": 8}})
    assert updated.status_code == 200, updated.json

    assert client.get(history).json["catalogue_version"] == "2"
    with later.app_context():
        revisions = service.history(report_id, caller=ANONYMOUS)
    assert [(r["action"], r["catalogue_version"]) for r in revisions] == [
        ("create", "1"),
        ("update", "2"),
    ]
    connection = sqlite3.connect(database)
    try:
        row = connection.execute(
            "SELECT catalogue_version FROM report WHERE report_id = ?", (report_id,)
        ).fetchone()
    finally:
        connection.close()
    assert row == ("2",)


# The youth club's form, through the whole API ------------------------------------------


def club_fields(**changes):
    return {**CLUB_REPORT["fields"], **changes}


CLUB_REFUSALS = [
    ("young_people", 0, "Must be greater than or equal to 1 and less than or equal to 60."),
    ("young_people", 61, "Must be greater than or equal to 1 and less than or equal to 60."),
    ("young_people", 14.0, "Not a valid integer."),
    ("young_people", True, "Not a valid integer."),
    ("theme", "ab", "Length must be between 3 and 80."),
    ("theme", "x" * 81, "Length must be between 3 and 80."),
    ("theme", "   ", "Must not be blank."),
    ("snack_cost", "1.234", "At most 2 decimal places."),
    ("snack_cost", -1, "Must be greater than or equal to 0.00 and less than or equal to 500.00."),
    (
        "snack_cost",
        "500.01",
        "Must be greater than or equal to 0.00 and less than or equal to 500.00.",
    ),
    ("snack_cost", "abc", "Not a valid number: write it as digits, such as 12.50."),
    ("activities", ["sport", "sport"], "Give each value once."),
    ("mood", "angry", "Must be one of: calm, lively, tense."),
    ("incident", "yes", "Not a valid boolean."),
    ("held_on", "2026-02-30", "Not a real calendar date."),
    ("held_on", "20.03.2026", "Not a valid date: write it as YYYY-MM-DD."),
    ("held_on", "2026-03-22", "Must not be after tomorrow (2026-03-21, UTC)."),
]


@pytest.mark.parametrize(("name", "value", "message"), CLUB_REFUSALS)
def test_the_club_form_refuses_a_value_beyond_its_limits(club_client, clock, name, value, message):
    body = {**CLUB_REPORT, "fields": club_fields(**{name: value})}

    refused = club_client.post(REPORTS, json=body)

    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] == {"fields": {name: [message]}}


def test_the_club_form_refuses_a_value_not_among_the_choices(club_client, clock):
    body = {**CLUB_REPORT, "fields": club_fields(activities=["sport", "flying"])}

    refused = club_client.post(REPORTS, json=body)

    assert refused.json["errors"] == {
        "fields": {"activities": {"1": ["Must be one of: sport, music, cooking, homework."]}}
    }


def test_the_club_form_refuses_another_form_s_field_and_names_its_own(club_client, clock):
    body = {**CLUB_REPORT, "fields": club_fields(mentor_notes="Went well.")}

    refused = club_client.post(REPORTS, json=body)

    assert refused.json["errors"] == {
        "fields": {
            "mentor_notes": [
                "Unknown field. Allowed fields: held_on, theme, young_people, activities, mood, "
                "snack_cost, incident, next_steps, notes."
            ]
        }
    }


CLUB_LIMITS_TAKEN = [
    ("young_people", 1), ("young_people", 60), ("theme", "abc"), ("theme", "x" * 80),
    ("snack_cost", "0.00"), ("snack_cost", 500), ("snack_cost", "499.9"), ("activities", []),
    ("held_on", "2026-03-21"), ("held_on", "2024-02-29"), ("incident", True),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), CLUB_LIMITS_TAKEN)
def test_the_club_form_takes_a_value_at_its_limits(club_client, clock, name, value):
    created = club_client.post(
        REPORTS, json={**CLUB_REPORT, "fields": club_fields(**{name: value})}
    )

    assert created.status_code == 201, created.json
    shown = club_client.get(created.headers["Location"]).json["fields"][name]
    if name == "snack_cost":
        assert shown == f"{Decimal(str(value)):.2f}"
    else:
        assert shown == value


def test_a_club_report_needs_held_on_theme_and_young_people_to_be_submitted(club_client, clock):
    draft = {"held_on": "2026-03-20", "mood": "calm"}
    created = club_client.post(REPORTS, json={**CLUB_REPORT, "fields": draft})
    assert created.status_code == 201, created.json
    report = f"{REPORTS}/{created.json['report_id']}"

    refused = club_client.put(report, json={"status": "submitted"})

    assert refused.status_code == 422
    assert refused.json["errors"] == {
        "fields": {
            "theme": ["Required to submit the report."],
            "young_people": ["Required to submit the report."],
        }
    }
    submitted = club_client.put(
        report, json={"status": "submitted", "fields": {"theme": "Quiz", "young_people": 5}}
    )
    assert submitted.status_code == 200, submitted.json
    assert club_client.get(report).json["fields"] == {
        "held_on": "2026-03-20", "theme": "Quiz", "young_people": 5, "mood": "calm",
    }  # fmt: skip


@pytest.fixture
def club_reports(club_client, clock):
    """Three club evenings: two in March (one submitted), one in February."""
    evenings = {
        "cooking": club_fields(snack_cost="0.10", young_people=14),
        "football": club_fields(
            held_on="2026-03-05", theme="Football and homework", young_people=9,
            activities=["sport", "homework"], mood="calm", snack_cost="0.20", incident=True,
            next_steps="   ", notes="A sprained ankle, written up.",
        ),
        "quiz": club_fields(
            held_on="2026-02-11", theme="Quiz night", young_people=20, activities=["cooking"],
            mood="tense", snack_cost=None, incident=False, next_steps="Bring the buzzers",
            notes="Loud.",
        ),
    }  # fmt: skip
    ids = {}
    for name, fields in evenings.items():
        fields = {key: value for key, value in fields.items() if value is not None}
        created = club_client.post(REPORTS, json={**CLUB_REPORT, "fields": fields})
        assert created.status_code == 201, created.json
        ids[name] = created.json["report_id"]
    submitted = club_client.put(f"{REPORTS}/{ids['cooking']}", json={"status": "submitted"})
    assert submitted.status_code == 200, submitted.json
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"mood": "lively"}, {"cooking"}),
        ({"mood": "tense"}, {"quiz"}),
        ({"activities": "cooking"}, {"cooking", "quiz"}),
        ({"activities": "homework"}, {"football"}),
        ({"incident": "false"}, {"cooking", "quiz"}),
        ({"incident": "true"}, {"football"}),
        ({"session_date_from": "2026-03-01"}, {"cooking", "football"}),
        ({"session_date_to": "2026-03-05"}, {"quiz"}),
        ({"has_way_forward": "true"}, {"cooking", "quiz"}),
        ({"has_way_forward": "false"}, {"football"}),
        ({"q": "quiz"}, {"quiz"}),  # theme
        ({"q": "parents"}, {"cooking"}),  # next_steps
        ({"q": "ankle"}, {"football"}),  # notes
        ({"q": "lively"}, set()),  # a choice is no text
        ({"status": "submitted", "mood": "lively", "activities": "music"}, {"cooking"}),
    ],
)
def test_club_reports_are_filtered_by_their_own_fields(club_client, club_reports, query, expected):
    found = listed(club_client, **query)

    assert set(found) == {club_reports[name] for name in expected}


def test_the_club_form_refuses_a_filter_value_not_among_the_choices(club_client, club_reports):
    refused = club_client.get(REPORTS, query_string={"mood": "angry"})

    assert refused.status_code == 422
    assert refused.json["errors"] == {"mood": ["Must be one of: calm, lively, tense."]}
    assert club_client.get(REPORTS, query_string={"follow_up_needed": "true"}).status_code == 422


def test_club_reports_sort_by_held_on(club_client, club_reports):
    ascending = listed(club_client, sort="session_date")
    descending = listed(club_client, sort="-session_date")

    assert ascending == [club_reports[name] for name in ("quiz", "football", "cooking")]
    assert descending == ascending[::-1]


def test_the_club_summary_counts_its_own_figures(club_client, club_reports):
    answer = club_client.get(f"{REPORTS}/summary", query_string={"group_by": "month"})

    assert answer.status_code == 200, answer.json
    groups = {group["group"]: group for group in answer.json["groups"]}
    assert groups["2026-03"] == {
        "group": "2026-03", "reports": 2, "submitted": 1, "drafts": 1,
        "young_people_total": 23, "young_people_average": 11.5,
        "snack_cost_total": "0.30", "snack_cost_average": "0.15",
        "activities": {"sport": 1, "music": 1, "cooking": 1, "homework": 1},
        "moods": {"calm": 1, "lively": 1, "tense": 0},
        "incidents": 1,
    }  # fmt: skip
    february = groups["2026-02"]
    assert (february["young_people_total"], february["young_people_average"]) == (20, 20.0)
    assert february["snack_cost_average"] is None
    assert february["activities"] == {"sport": 0, "music": 0, "cooking": 1, "homework": 0}
    assert (february["moods"]["tense"], february["incidents"]) == (1, 0)
    lively = club_client.get(
        f"{REPORTS}/summary", query_string={"group_by": "month", "mood": "lively"}
    ).json["groups"]
    assert [(group["group"], group["reports"]) for group in lively] == [("2026-03", 1)]


# docs/catalogue.md's example ------------------------------------------------------


CATALOGUE_PAGE = DOCS / "catalogue.md"


def page_example():
    """The page's first catalogue file, the youth club's; the other is a small
    form in several languages (tests/test_catalogue_languages.py)."""
    blocks = code_blocks(text_of(CATALOGUE_PAGE), "toml")
    assert len(blocks) == 2, "docs/catalogue.md shows two catalogue files"
    return blocks[0]


def test_the_page_s_example_file_is_a_valid_catalogue():
    form = catalogue.parse(page_example(), "docs/catalogue.md's example")

    assert form.names == catalogue.load(YOUTH_CLUB).names


def test_the_page_s_table_of_keys_names_every_key_a_file_may_have():
    rows = table_rows(text_of(CATALOGUE_PAGE), "| key |")
    listed_keys = {key for row in rows for key in re.findall(r"`([^`]+)`", row[0])}

    kinds = {key for keys in catalogue.KIND_KEYS.values() for key in keys}
    roles = {f"[roles] {role}" for role in catalogue.ROLES}
    assert listed_keys == {"version", "default_language", *roles, *catalogue.COMMON_KEYS, *kinds}


def test_a_field_whose_kind_changed_keeps_its_values_readable_exported_and_checked(
    app, make_report, database, tmp_path
):
    """attendance_count, a number, becomes a searchable text: the numbers stay
    numbers, the search index reads them as words, every export still writes
    them, and `catalogue check` names them. (The API shows them as stored,
    which is not the type the document now gives the field.)"""
    report_id = make_report({"attendance_count": 6})["report_id"]
    as_text = edited(
        BUILT_IN_TEXT,
        ('name = "attendance_count"\nkind = "integer"', 'name = "attendance_count"\nkind = "text"'),
        (
            "min = 0\nmax = 1000\nrequired = true\n"
            'summary = { total = "attendance_total", average = "attendance_average" }\n',
            "max_length = 500\nrequired = true\nsearchable = true\n",
        ),
    )
    later = create_app(
        {"TESTING": True, "DATABASE": database, "CATALOGUE": written(tmp_path, as_text)}
    )
    db.init_db(database, form=later.extensions["catalogue"])
    client = later.test_client()

    assert client.get(f"{REPORTS}/{report_id}").json["fields"]["attendance_count"] == 6
    assert client.get(f"{REPORTS}?q=6").json["pagination"]["total"] == 1
    for export in ("ndjson", "xlsx"):
        with client.get(f"{REPORTS}?format={export}") as answer:
            assert answer.status_code == 200 and answer.get_data(), export
    with client.get(f"{REPORTS}?format=csv") as answer:
        csv_rows = answer.get_data(as_text=True).splitlines()
    header = csv_rows[0].lstrip("\ufeff").split(",")
    assert csv_rows[1].split(",")[header.index("attendance_count")] == "6"
    updated = client.put(f"{REPORTS}/{report_id}", json={"fields": {"duration_minutes": 45}})
    assert updated.status_code == 200, updated.json
    assert client.get(f"{REPORTS}/{report_id}").json["fields"]["attendance_count"] == 6
    code, lines = check(later)
    assert code == 1
    assert lines[0] == f"{report_id}  attendance_count: Not a valid string."


def test_the_query_names_a_field_may_not_take_are_the_api_s():
    """catalogue.py names the API's query parameters once: the query schemas
    take exactly those, and their filters are its filter names."""
    query_schemas = (
        requests.ListQuerySchema,
        requests.SummaryQuerySchema,
        requests.DeletedQuerySchema,
    )
    taken = {name for each in query_schemas for name in each().fields}
    filters = set(requests.FilterSchema().fields)

    assert sorted(taken) == sorted(catalogue.QUERY_NAMES)
    assert len(set(catalogue.QUERY_NAMES)) == len(catalogue.QUERY_NAMES)
    assert filters == {*catalogue.FILTER_NAMES, *catalogue.LAST_FILTER_NAMES}
