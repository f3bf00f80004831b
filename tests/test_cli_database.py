"""Which commands create, change or only read the database: `init-db` and the
server's start create it, `migrate` migrates it, `check` only reads it, and
every other command on a missing database says so and creates nothing."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reports import create_app, db

from conftest import CONTRACT_REPORT

REPO = Path(__file__).resolve().parent.parent
REPORTS = "/api/v1/reports"
NO_DATABASE = "No database at {}: run it from the service's folder or set REPORTS_DATABASE"


def flask(*args, cwd, **settings):
    """The real `flask --app reports ...`, as an operator types it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPORTS_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "reports", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def everything_in(folder):
    return sorted(str(path.relative_to(folder)) for path in Path(folder).rglob("*"))


@pytest.fixture
def missing(tmp_path):
    """An app whose database does not exist."""
    path = tmp_path / "nothing-here" / "reports.sqlite"
    return create_app({"TESTING": True, "DATABASE": str(path)})


def fingerprint(path):
    """The file's bytes and modification time, and its user_version."""
    stat = os.stat(path)
    data = Path(path).read_bytes()
    return data, stat.st_mtime_ns, int.from_bytes(data[60:64], "big")


def test_flask_help_in_an_empty_folder_creates_nothing(tmp_path):
    result = flask("--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "init-db" in result.stdout
    assert everything_in(tmp_path) == []


def test_a_command_from_the_wrong_folder_says_so_and_creates_nothing(tmp_path):
    result = flask("token", "list", cwd=tmp_path)

    assert result.returncode == 1
    database = tmp_path / "instance" / "reports.sqlite"
    assert NO_DATABASE.format(database) in result.stderr
    assert "Traceback" not in result.stderr and "open" not in result.stdout
    assert everything_in(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["token", "list"],
        ["token", "create", "--name", "carla", "--role", "coordinator"],
        ["token", "revoke", "carla"],
        ["trash", "list"],
        ["trash", "purge"],
        ["check"],
        ["migrate"],
        ["backup", "copy.sqlite"],
        ["import", "rows.jsonl"],
    ],
)
def test_every_command_but_init_db_refuses_a_missing_database(missing, tmp_path, args):
    (tmp_path / "rows.jsonl").write_text("")
    os.chdir(tmp_path)

    result = missing.test_cli_runner().invoke(args=args)

    assert result.exit_code == 1, result.output
    assert NO_DATABASE.format(missing.config["DATABASE"]) in result.output
    assert not (tmp_path / "nothing-here").exists()
    assert not (tmp_path / "copy.sqlite").exists()


def test_a_request_on_a_missing_database_is_a_503_and_creates_nothing(missing, tmp_path):
    answer = missing.test_client().get(REPORTS)

    assert answer.status_code == 503
    assert not (tmp_path / "nothing-here").exists()


def test_init_db_says_that_it_created_a_database_and_where(missing):
    result = missing.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert f"Created a new database at {missing.config['DATABASE']}." in result.output
    again = missing.test_cli_runner().invoke(args=["init-db"])
    assert "Created" not in again.output and missing.config["DATABASE"] in again.output


def test_check_only_reads(client, database, tmp_path):
    client.post(REPORTS, json=CONTRACT_REPORT)
    db.close_database(database)  # the WAL folded in: the file holds everything
    before = fingerprint(database)

    result = flask("check", cwd=tmp_path, REPORTS_DATABASE=database)

    assert result.returncode == 0, result.stderr
    assert "is sound" in result.stdout
    assert fingerprint(database) == before


def test_check_of_a_backup_changes_nothing_in_it(client, runner, tmp_path):
    client.post(REPORTS, json=CONTRACT_REPORT)
    copy = str(tmp_path / "copy.sqlite")
    assert runner.invoke(args=["backup", copy]).exit_code == 0
    with sqlite3.connect(copy) as connection:
        connection.execute("PRAGMA user_version = 0")  # as a copy of an old release has
    connection.close()
    before = fingerprint(copy)

    result = create_app({"DATABASE": copy}).test_cli_runner().invoke(args=["check"])

    assert result.exit_code == 0, result.output
    assert fingerprint(copy) == before
    assert sorted(os.listdir(tmp_path)) == ["copy.sqlite", "reports.sqlite"] + [
        name for name in sorted(os.listdir(tmp_path)) if name.startswith("reports.sqlite-")
    ]


def root_page(connection, name):
    query = "SELECT rootpage FROM sqlite_schema WHERE name = ?"
    return connection.execute(query, (name,)).fetchone()[0]


def damage(database, how):
    """Damage the database file as a failing disk might."""
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    index_root, table_root = (
        root_page(connection, name) for name in ("report_by_created", "report_change")
    )
    connection.close()
    with open(database, "r+b") as file:
        if how == "bad page header":
            file.seek((index_root - 1) * page_size)
            file.write(b"\xff" * 12)
        elif how == "zeroed page":
            file.seek((table_root - 1) * page_size)
            file.write(b"\0" * page_size)
        else:  # truncated
            file.truncate(os.path.getsize(database) // 2)


@pytest.mark.parametrize("how", ["bad page header", "zeroed page", "truncated"])
def test_check_reports_the_problems_of_a_damaged_file(client, database, tmp_path, how):
    for _ in range(300):
        client.post(REPORTS, json={**CONTRACT_REPORT, "fields": {"mentor_notes": "x" * 400}})
    db.close_database(database)
    damage(database, how)
    before = fingerprint(database)

    result = flask("check", cwd=tmp_path, REPORTS_DATABASE=database)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{database} has" in result.stderr and "problems" in result.stderr
    assert len(result.stderr.splitlines()) >= 2  # each problem, then the count
    assert fingerprint(database) == before


def test_check_and_migrate_answer_a_file_that_is_not_a_database_in_one_line(missing):
    path = Path(missing.config["DATABASE"])
    path.parent.mkdir()
    path.write_bytes(b"Dear diary, " * 1000)
    runner = missing.test_cli_runner()

    for command in ("check", "migrate"):
        result = runner.invoke(args=[command])
        assert result.exit_code == 1
        assert result.output.strip() == f"Error: {path} is not an SQLite database."
    assert path.read_bytes() == b"Dear diary, " * 1000


def test_check_and_migrate_answer_a_newer_database_in_one_line(app, runner, database):
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    connection.close()

    for command in ("check", "migrate"):
        result = runner.invoke(args=[command])
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "newer service" in result.output
    assert fingerprint(database)[2] == db.SCHEMA_VERSION + 1


@pytest.mark.parametrize("args", [["--help"], ["token", "list"], ["init-db"]])
def test_a_bad_setting_gives_the_flask_command_one_line(tmp_path, args):
    result = flask(*args, cwd=tmp_path, REPORTS_TRASH_DAYS="0")

    assert result.returncode != 0 or args == ["--help"]
    assert "Traceback" not in result.stderr
    assert "Error: TRASH_DAYS must be a whole number from 1 to 36500, not 0." in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert everything_in(tmp_path) == []


def mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_the_database_its_wal_and_shm_and_backups_are_private(umask, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "instance").mkdir()  # as the repository ships it
    (tmp_path / "instance" / ".gitkeep").touch()
    os.chmod(tmp_path / "instance", 0o755)
    app = create_app({"TESTING": True})
    database = app.config["DATABASE"]
    runner = app.test_cli_runner()

    assert runner.invoke(args=["init-db"]).exit_code == 0
    app.test_client().post(REPORTS, json=CONTRACT_REPORT)  # the writer keeps the WAL open
    backup = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])

    assert backup.exit_code == 0, backup.output
    assert mode(tmp_path / "instance") == 0o700
    for path in (database, f"{database}-wal", f"{database}-shm", tmp_path / "copy.sqlite"):
        assert mode(path) == 0o600, path


def test_the_server_start_makes_the_database_folder_private(umask, tmp_path):
    database = tmp_path / "data" / "reports.sqlite"

    created = db.open_or_create(str(database))

    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600
    assert created is True
