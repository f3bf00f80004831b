"""The database file under the running service: deleted or replaced, the
service answers 503 until restarted and never acknowledges a lost write; on a
nearly full disk, /healthz says so."""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from reports import db

from conftest import CONTRACT_REPORT
from serving import Server

REPORTS = "/api/v1/reports"


def replace_the_file(client, database, tmp_path):
    """Store a report, then put another database file at the path; the report's URL."""
    created = client.post(REPORTS, json=CONTRACT_REPORT)
    assert created.status_code == 201
    other = str(tmp_path / "other.sqlite")
    db.init_db(other)
    os.replace(other, database)  # another file now at the path
    return created.headers["Location"]


def test_a_write_to_a_replaced_database_file_is_503_at_once_and_then_every_request(
    app, client, database, tmp_path
):
    location = replace_the_file(client, database, tmp_path)

    answers = [client.post(REPORTS, json=CONTRACT_REPORT), client.get(location)]
    answers.append(client.get("/healthz"))

    assert [answer.status_code for answer in answers] == [503, 503, 503]
    assert "restarted" in answers[0].json["detail"]


def test_health_sees_a_replaced_database_file_at_once(app, client, database, tmp_path):
    replace_the_file(client, database, tmp_path)

    assert client.get("/healthz").status_code == 503


def test_a_read_sees_a_replaced_database_file_within_the_look_interval(
    app, client, database, tmp_path
):
    """Requests look at the file at most once a FILE_LOOK_SECONDS (one os.stat
    less on each); a read after that is a 503 until restart."""
    location = replace_the_file(client, database, tmp_path)
    time.sleep(db.FILE_LOOK_SECONDS)

    answers = [client.get(location), client.get(REPORTS)]

    assert [answer.status_code for answer in answers] == [503, 503]
    assert "restarted" in answers[0].json["detail"]


def test_a_write_committed_to_a_deleted_file_is_never_acknowledged(app, client, database):
    client.post(REPORTS, json=CONTRACT_REPORT)
    writer = db.GroupCommit.for_database(database)

    def delete_then_write(connection):
        for suffix in ("", "-wal", "-shm"):
            os.remove(database + suffix)
        connection.execute("UPDATE report_count SET reports = reports")

    with pytest.raises(db.DatabaseGone):
        writer.run(delete_then_write)
    assert client.post(REPORTS, json=CONTRACT_REPORT).status_code == 503
    assert not os.path.exists(database)


def test_deleting_the_database_under_the_real_server(tmp_path):
    """Delete reports.sqlite, -wal and -shm while clients write: no 500, no 2xx
    for a write sent after the deletion, no new file, /healthz 503."""
    server = Server(tmp_path, REPORTS_THREADS="4").start()
    database = server.database
    deleted_at = []
    answers = []  # (time sent, method, status)
    stop = threading.Event()

    def keep_writing():
        with server.client() as client:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    status = client.request("POST", REPORTS, CONTRACT_REPORT).status
                except OSError:
                    continue
                answers.append((sent, status))

    try:
        threads = [threading.Thread(target=keep_writing) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        deleted_at.append(time.monotonic())
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(10)
        health = server.request("GET", "/healthz")
        read = server.request("GET", REPORTS)
    finally:
        stop.set()
        server.stop()

    before = [status for sent, status in answers if sent < deleted_at[0]]
    after = [status for sent, status in answers if sent > deleted_at[0]]
    assert 201 in before
    assert after and set(after) == {503}, server.output()
    assert 500 not in before + after
    assert (health.status, read.status) == (503, 503)
    assert not database.exists(), "no new database may be created at the path"
    assert f"Created a new database at {database}." in server.stdout()
    assert "deleted or replaced" in server.stderr()


def test_healthz_is_503_while_free_space_is_under_min_free_mb(app, client):
    app.config["MIN_FREE_MB"] = 2**30  # a petabyte: no disk here has that free

    answer = client.get("/healthz")

    assert answer.status_code == 503
    app.config["MIN_FREE_MB"] = 0
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def small_filesystem(tmp_path):
    """A 16 MiB tmpfs of the test's own, where the test may mount one (as root)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder):
    """Write a file until the filesystem is full."""
    with open(folder / "filler", "wb") as file:
        try:
            while True:
                file.write(b"\0" * 65536)
                file.flush()
        except OSError:
            pass


def test_on_a_full_disk_healthz_and_writes_are_503(small_filesystem, tmp_path):
    server = Server(tmp_path, database=small_filesystem / "reports.sqlite", REPORTS_MIN_FREE_MB="4")
    server.start()
    try:
        assert server.request("GET", "/healthz").status == 200
        assert server.request("POST", REPORTS, CONTRACT_REPORT).status == 201
        fill(small_filesystem)

        health = [server.request("GET", "/healthz").status for _ in range(3)]
        notes = {"mentor_notes": "x" * 10000}
        body = {**CONTRACT_REPORT, "fields": {**CONTRACT_REPORT["fields"], **notes}}
        writes = [server.request("POST", REPORTS, body).status for _ in range(40)]
    finally:
        server.stop()

    assert health == [503, 503, 503], server.output()
    assert 503 in writes and set(writes) <= {201, 503}, writes
