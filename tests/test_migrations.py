"""Schema migrations: a database made by an older version of the service is
brought up to date at start-up, one numbered step at a time, and every report
in it reads back as it was; a database newer than the code is refused."""

import sqlite3

import pytest

from reports import auth, create_app, db
from reports.config import ConfigError

REPORTS = "/api/v1/reports"

# The schema of the first release, version 1: reports had no version yet.
VERSION_1 = """
CREATE TABLE report (
    seq             INTEGER PRIMARY KEY,
    report_id       TEXT    NOT NULL UNIQUE,
    activity_id     TEXT    NOT NULL,
    peer_mentor_id  TEXT    NOT NULL,
    org_id          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'submitted')),
    fields          TEXT    NOT NULL DEFAULT '{}',
    field_count     INTEGER NOT NULL,
    has_way_forward INTEGER NOT NULL,
    submitted_at    TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK (updated_at >= created_at)
);
CREATE INDEX report_by_created  ON report (created_at);
CREATE INDEX report_by_status   ON report (status, created_at);
CREATE INDEX report_by_activity ON report (activity_id, created_at);
CREATE INDEX report_by_mentor   ON report (peer_mentor_id, created_at);
"""

ROWS = [
    ("rpt_0000000a", "act_1", "usr_mentor_042", "org_a", "draft",
     '{"session_topic":"Budgeting","mentor_notes":"Tenancy questions"}', 2, 0, None,
     "2025-01-02T10:00:00Z", "2025-01-02T10:00:00Z"),
    ("rpt_0000000b", "act_2", "usr_mentor_007", "org_a", "submitted",
     '{"session_date":"2025-01-03","attendance_count":4,"session_topic":"CV writing",'
     '"way_forward":"Letters by Friday","follow_up_needed":true}', 5, 1,
     "2025-01-03T12:00:00Z", "2025-01-03T11:00:00Z", "2025-01-03T12:00:00Z"),
]  # fmt: skip

EXPECTED = {
    "rpt_0000000a": {
        "report_id": "rpt_0000000a", "activity_id": "act_1", "peer_mentor_id": "usr_mentor_042",
        "org_id": "org_a", "status": "draft",
        "fields": {"session_topic": "Budgeting", "mentor_notes": "Tenancy questions"},
        "submitted_at": None, "created_at": "2025-01-02T10:00:00Z",
        "updated_at": "2025-01-02T10:00:00Z",
    },
    "rpt_0000000b": {
        "report_id": "rpt_0000000b", "activity_id": "act_2", "peer_mentor_id": "usr_mentor_007",
        "org_id": "org_a", "status": "submitted",
        "fields": {"session_date": "2025-01-03", "attendance_count": 4,
                   "session_topic": "CV writing", "way_forward": "Letters by Friday",
                   "follow_up_needed": True},
        "submitted_at": "2025-01-03T12:00:00Z", "created_at": "2025-01-03T11:00:00Z",
        "updated_at": "2025-01-03T12:00:00Z",
    },
}  # fmt: skip


@pytest.fixture
def version_1(tmp_path):
    """A database as the first release left it, with two reports."""
    path = str(tmp_path / "old.sqlite")
    connection = sqlite3.connect(path)
    connection.executescript(VERSION_1)
    connection.executemany(
        "INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, fields, "
        "field_count, has_way_forward, submitted_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ROWS,
    )
    connection.commit()
    connection.close()
    return path


def started(path):
    """The app as the server's start leaves it: the database created or migrated."""
    app = create_app({"DATABASE": path})
    db.open_or_create(path)
    return app


def user_version(path):
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()


def test_a_version_1_database_is_upgraded_and_every_report_reads_back_unchanged(version_1):
    client = started(version_1).test_client()

    assert user_version(version_1) == db.SCHEMA_VERSION
    for report_id, expected in EXPECTED.items():
        response = client.get(f"{REPORTS}/{report_id}")
        assert response.status_code == 200
        assert response.json == expected
        assert response.headers["ETag"] == '"1"'
    listed = client.get(REPORTS).json
    assert [item["report_id"] for item in listed["data"]] == ["rpt_0000000b", "rpt_0000000a"]
    assert listed["pagination"]["total"] == 2
    assert client.get(f"{REPORTS}?q=tenancy").json["data"][0]["report_id"] == "rpt_0000000a"
    assert client.get(f"{REPORTS}?status=submitted").json["pagination"]["total"] == 1


def test_an_upgraded_database_takes_writes(version_1):
    client = started(version_1).test_client()

    changed = client.put(f"{REPORTS}/rpt_0000000a", json={"fields": {"attendance_count": 3}})
    created = client.post(REPORTS, json={"activity_id": "a", "peer_mentor_id": "m", "org_id": "o"})

    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert created.status_code == 201


def test_migrate_says_what_it_did_and_is_safe_to_run_again(version_1):
    runner = create_app({"DATABASE": version_1}).test_cli_runner()

    first = runner.invoke(args=["migrate"])
    again = runner.invoke(args=["migrate"])

    assert first.exit_code == 0 and f"from schema version 1 to {db.SCHEMA_VERSION}" in first.output
    assert again.exit_code == 0 and "the current one" in again.output
    assert (
        started(version_1).test_client().get(f"{REPORTS}/rpt_0000000b").json
        == EXPECTED["rpt_0000000b"]
    )


def test_a_new_database_starts_at_the_current_version(database):
    started(database)

    assert user_version(database) == db.SCHEMA_VERSION


def test_a_database_newer_than_the_code_is_refused(database):
    started(database)
    connection = sqlite3.connect(database)
    connection.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()

    with pytest.raises(ConfigError, match="newer service"):
        started(database)
    assert user_version(database) == db.SCHEMA_VERSION + 1


def test_every_migration_is_numbered_in_order_from_2():
    assert sorted(db.migrations()) == list(range(2, db.SCHEMA_VERSION + 1))


# The search index of version 4: unicode61 on the raw text, which finds no word
# inside Chinese or Japanese text and drops emoji.
SEARCH_OF_VERSION_4 = """
DROP TRIGGER report_text_on_insert;
DROP TRIGGER report_text_on_update;
DROP TRIGGER report_text_on_delete;
DROP TABLE report_text;
CREATE VIRTUAL TABLE report_text USING fts5 (
    session_topic, challenges_noted, mentor_notes, way_forward,
    content = '', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER report_text_on_insert AFTER INSERT ON report
BEGIN
    INSERT INTO report_text (rowid, session_topic, challenges_noted, mentor_notes, way_forward)
    VALUES (NEW.seq,
            json_extract(NEW.fields, '$.session_topic'),
            json_extract(NEW.fields, '$.challenges_noted'),
            json_extract(NEW.fields, '$.mentor_notes'),
            json_extract(NEW.fields, '$.way_forward'));
END;
"""


def test_the_search_index_is_made_anew_so_that_cjk_and_emoji_are_found(database):
    db.init_db(database)
    connection = sqlite3.connect(database)
    connection.executescript(SEARCH_OF_VERSION_4)
    with connection:
        connection.execute(
            "INSERT INTO report (report_id, activity_id, peer_mentor_id, org_id, status, fields, "
            "field_count, has_way_forward, created_at, updated_at) VALUES ('rpt_0000abcd', 'a', "
            """'m', 'o', 'draft', '{"mentor_notes": "今天讨论了住房问题 party🎉"}', 1, 0, """
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        connection.execute("PRAGMA user_version = 4")
    connection.close()

    db.init_db(database)
    client = create_app({"DATABASE": database}).test_client()

    for q in ("住房", "🎉", "party"):
        found = client.get(REPORTS, query_string={"q": q}).json["data"]
        assert [report["report_id"] for report in found] == ["rpt_0000abcd"], q
    # The remade triggers keep the index in step with writes.
    client.put(f"{REPORTS}/rpt_0000abcd", json={"fields": {"mentor_notes": "会議"}})
    assert client.get(REPORTS, query_string={"q": "住房"}).json["data"] == []
    assert client.get(REPORTS, query_string={"q": "会議"}).json["pagination"]["total"] == 1
    connection = db.connect(database)
    try:
        assert db.integrity_problems(connection) == []
    finally:
        connection.close()


# The idempotency keys of version 2, from before a key was its caller's own.
VERSION_2_IDEMPOTENCY_KEY = """
DROP TABLE idempotency_key;
CREATE TABLE idempotency_key (
    key          TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    request_hash TEXT NOT NULL,
    report       TEXT NOT NULL CHECK (json_valid(report)),
    created_at   TEXT NOT NULL
);
CREATE INDEX idempotency_key_by_age ON idempotency_key (created_at);
PRAGMA user_version = 2;
"""


def test_keys_of_version_2_become_the_keys_of_the_token_that_created_the_report(database):
    db.init_db(database)
    connection = sqlite3.connect(database)
    connection.executescript(VERSION_2_IDEMPOTENCY_KEY)
    with connection:
        for key, report_id, actor in (("k-mona", "rpt_0000000a", "mona"),
                                      ("k-none", "rpt_0000000b", None)):  # fmt: skip
            connection.execute(
                "INSERT INTO idempotency_key VALUES (?, 'hash', json_object('report_id', ?), "
                "'2026-01-01T00:00:00Z')",
                (key, report_id),
            )
            if actor:
                connection.execute(
                    "INSERT INTO report_change (report_id, peer_mentor_id, version, action, "
                    "actor, changed_at) VALUES (?, 'm', 1, 'create', ?, '2026-01-01T00:00:00Z')",
                    (report_id, actor),
                )
    connection.close()

    db.init_db(database)

    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT caller, key, json_extract(report, '$.report_id') FROM idempotency_key "
            "ORDER BY key"
        ).fetchall()
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(idempotency_key)")}
    finally:
        connection.close()
    assert rows == [("mona", "k-mona", "rpt_0000000a"), ("anonymous", "k-none", "rpt_0000000b")]
    assert "idempotency_key_by_age" in indexes
    assert user_version(database) == db.SCHEMA_VERSION


def objects(path):
    """Every index and trigger of the database, with its SQL."""
    connection = sqlite3.connect(path)
    try:
        return sorted(
            connection.execute(
                "SELECT type, name, tbl_name FROM sqlite_schema WHERE type IN ('index', 'trigger') "
                "AND name NOT LIKE 'sqlite_%'"
            )
        )
    finally:
        connection.close()


def test_the_times_migration_keeps_every_report_index_trigger_and_the_search(version_1, tmp_path):
    fresh = str(tmp_path / "fresh.sqlite")
    started(fresh)
    connection = sqlite3.connect(version_1)
    # A time with a line break after it, as imports let through before.
    connection.execute(
        "UPDATE report SET created_at = created_at || char(10), updated_at = updated_at || char(10)"
        " WHERE report_id = 'rpt_0000000a'"
    )
    connection.commit()
    connection.close()
    seqs = dict(sqlite3.connect(version_1).execute("SELECT report_id, seq FROM report"))

    client = started(version_1).test_client()

    assert objects(version_1) == objects(fresh)
    assert dict(sqlite3.connect(version_1).execute("SELECT report_id, seq FROM report")) == seqs
    assert client.get(f"{REPORTS}/rpt_0000000a").json == EXPECTED["rpt_0000000a"]
    assert client.get(f"{REPORTS}?q=tenancy").json["data"][0]["report_id"] == "rpt_0000000a"
    changed = client.put(f"{REPORTS}/rpt_0000000b", json={"fields": {"session_topic": "Rent"}})
    assert changed.status_code == 200
    assert client.get(f"{REPORTS}?q=rent").json["pagination"]["total"] == 1
    assert client.get(f"{REPORTS}?q=writing").json["pagination"]["total"] == 0
    assert client.get(f"{REPORTS}?status=submitted").json["pagination"]["total"] == 1
    with pytest.raises(sqlite3.IntegrityError):
        with sqlite3.connect(version_1) as connection:
            connection.execute("UPDATE report SET updated_at = '2025-99-99T99:99:99Z'")


def test_a_report_with_a_time_that_is_not_real_stops_the_migration_in_one_line(version_1):
    connection = sqlite3.connect(version_1)
    connection.execute(
        "UPDATE report SET created_at = '2025-99-99T99:99:99Z', updated_at = '2025-99-99T99:99:99Z'"
        " WHERE report_id = 'rpt_0000000a'"
    )
    connection.commit()
    connection.close()

    result = create_app({"DATABASE": version_1}).test_cli_runner().invoke(args=["migrate"])

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "not a real UTC time" in result.output
    assert user_version(version_1) < 4  # the migrations before it are done, not this one
    created = sqlite3.connect(version_1).execute("SELECT created_at FROM report").fetchall()
    assert ("2025-99-99T99:99:99Z",) in created


# The tokens of version 7, which held their role and peer mentor id themselves.
VERSION_7_TOKENS = """
DROP TABLE activity_mentor;
DROP TABLE activity;
DROP TABLE api_token;
DROP TABLE person;
CREATE TABLE api_token (
    name           TEXT PRIMARY KEY
                   CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9_.:-]*'
                          AND name <> 'anonymous'),
    role           TEXT NOT NULL CHECK (role IN ('coordinator', 'viewer', 'mentor')),
    peer_mentor_id TEXT CHECK ((role = 'mentor') = (peer_mentor_id IS NOT NULL))
                   CHECK (length(peer_mentor_id) BETWEEN 1 AND 64
                          AND peer_mentor_id NOT GLOB '*[^A-Za-z0-9_.:-]*'),
    secret_hash    TEXT NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
);
CREATE INDEX api_token_in_force ON api_token (name) WHERE revoked_at IS NULL;
INSERT INTO api_token (name, role, peer_mentor_id, secret_hash, created_at, revoked_at) VALUES
    ('carla', 'coordinator', NULL, printf('%064d', 1), '2026-01-01T00:00:00Z', NULL),
    ('mona', 'mentor', 'usr_mentor_042', printf('%064d', 2), '2026-01-02T00:00:00Z', NULL),
    ('mona-phone', 'mentor', 'usr_mentor_042', printf('%064d', 3), '2026-01-03T00:00:00Z',
     '2026-01-04T00:00:00Z'),
    ('omar', 'mentor', 'usr_mentor_007', printf('%064d', 4), '2026-01-05T00:00:00Z', NULL);
INSERT INTO web_session VALUES (printf('%064d', 5), 'mona', '{}', '2026-01-02T00:00:00Z',
    '2026-01-02T00:00:00Z', '2099-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
PRAGMA user_version = 7;
"""


def shape(path):
    """Every table's columns, and every index and trigger: what a database is made of."""
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        )]  # fmt: skip
        columns = {table: connection.execute(f"PRAGMA table_info({table})").fetchall()
                   for table in tables}  # fmt: skip
    finally:
        connection.close()
    return columns, objects(path)


def test_each_token_of_version_7_gets_a_person_and_acts_as_it(database, tmp_path):
    db.init_db(database)
    connection = sqlite3.connect(database)
    connection.executescript(VERSION_7_TOKENS)
    connection.close()

    db.init_db(database)

    connection = sqlite3.connect(database)
    try:
        people = connection.execute(
            "SELECT person.name, person.role, person.peer_mentor_id, person.created_at, "
            "group_concat(token.name) FROM person JOIN api_token AS token USING (person_id) "
            "GROUP BY person.person_id ORDER BY person.created_at"
        ).fetchall()
        sessions = connection.execute("SELECT token_name FROM web_session").fetchall()
    finally:
        connection.close()
    # The mentor tokens of one peer mentor share a person, named after the first.
    assert people == [
        ("carla", "coordinator", None, "2026-01-01T00:00:00Z", "carla"),
        ("mona", "mentor", "usr_mentor_042", "2026-01-02T00:00:00Z", "mona,mona-phone"),
        ("omar", "mentor", "usr_mentor_007", "2026-01-05T00:00:00Z", "omar"),
    ]
    assert sessions == [("mona",)]
    assert user_version(database) == db.SCHEMA_VERSION
    # A migrated database is made of what a new one is.
    new = str(tmp_path / "new.sqlite")
    db.init_db(new)
    assert shape(database) == shape(new)
    app = create_app({"DATABASE": database})
    with app.app_context():
        assert auth.caller_by_name("mona-phone") is None  # revoked, as it was
        assert auth.caller_by_name("mona") == auth.Caller("mona", "mentor", "usr_mentor_042")


def test_a_database_of_version_1_gets_the_tables_of_people_and_activities(version_1, tmp_path):
    db.init_db(version_1)

    new = str(tmp_path / "new.sqlite")
    db.init_db(new)
    assert shape(version_1) == shape(new)
