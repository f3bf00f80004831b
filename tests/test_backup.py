"""`flask --app reports backup` taken while the service writes, and
`flask --app reports check`, the integrity check."""

import sqlite3
import threading

import pytest

from reports import create_app

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"


def stored(database):
    connection = sqlite3.connect(database)
    try:
        return [tuple(row) for row in connection.execute("SELECT * FROM report ORDER BY seq")]
    finally:
        connection.close()


def test_backup_copies_every_report_while_writes_go_on(app, client, runner, database, tmp_path):
    for _ in range(20):
        client.post(REPORTS, json=CONTRACT_REPORT)
    writing, stop = [], threading.Event()

    def keep_writing():
        writer = app.test_client()
        while not stop.is_set():
            writing.append(writer.post(REPORTS, json=CONTRACT_REPORT).status_code)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    finally:
        stop.set()
        thread.join()

    assert result.exit_code == 0, result.output
    assert "checked" in result.output
    copy = stored(str(tmp_path / "copy.sqlite"))
    assert len(copy) >= 20
    assert copy == stored(database)[: len(copy)]  # a moment of the database, whole
    assert writing and set(writing) == {201}
    assert not (tmp_path / "copy.sqlite.partial").exists()


def test_a_backup_can_be_served(client, runner, tmp_path):
    report_id = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])

    restored = create_app({"DATABASE": str(tmp_path / "copy.sqlite")}).test_client()
    assert restored.get(f"{REPORTS}/{report_id}").status_code == 200
    assert restored.get(f"{REPORTS}?q=CV").json["pagination"]["total"] == 1


def test_backup_to_a_folder_that_does_not_exist_fails_cleanly(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "no" / "such" / "copy.sqlite")])

    assert result.exit_code == 1
    assert "Cannot back up to" in result.output


def test_check_passes_a_sound_database(client, runner, database):
    client.post(REPORTS, json=CONTRACT_REPORT)

    result = runner.invoke(args=["check"])

    assert result.exit_code == 0
    assert f"{database} is sound." in result.output


@pytest.mark.parametrize("offset", [0, 12, 100])
def test_check_fails_a_damaged_database(client, runner, database, offset):
    for _ in range(50):
        client.post(REPORTS, json=CONTRACT_REPORT)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = connection.execute(
        "SELECT rootpage FROM sqlite_schema WHERE name = 'report_by_created'"
    ).fetchone()[0]
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(database, "r+b") as file:  # scribble over the index's first page
        file.seek((root - 1) * page_size + offset)
        file.write(b"\xff" * 200)

    result = runner.invoke(args=["check"])

    assert result.exit_code == 1
    assert "problems" in result.output
