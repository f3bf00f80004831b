"""Continuous replication with Litestream, for real: the service served under
`litestream replicate` with the config that `flask --app reports replica config`
writes, a file replica in the test's folder, and restores from it (the latest,
after a kill -9 of both, and to a point in time).

The Litestream binary comes with the `.[replica]` extra; without it these tests
skip, loudly, except under CI=true, where they fail."""

import http.client
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports import create_app, db
from reports.config import ConfigError

from conftest import CONTRACT_REPORT
from serving import READY, REPO, REPORTS, START_TIMEOUT, Client, Server, server_env

SYNC_INTERVAL_S = 1
# What a write acknowledged more than SYNC_INTERVAL_S + MARGIN_S before the
# machine is lost may not miss from the replica: Litestream's sync interval, plus
# the time to ship one interval's frames to the replica (measured here, on a
# file replica, at well under 0.1 s; the margin leaves room for a slow CI disk).
MARGIN_S = 1
STOP_TIMEOUT = 30
COMMAND_TIMEOUT = 60


def litestream():
    """The binary's path: the venv's (pip install -e '.[replica]') or the PATH's."""
    beside_python = Path(sys.executable).with_name("litestream")
    found = str(beside_python) if beside_python.exists() else shutil.which("litestream")
    if found is None:
        reason = (
            "NO LITESTREAM BINARY: the replication tests did not run. "
            "Install it with pip install -e '.[replica]'."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def flask(*args, database, cwd):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "reports", *args],
        cwd=cwd,
        env=server_env(database),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def run_litestream(*args):
    return subprocess.run(
        [litestream(), *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )


class InItsOwnGroup:
    """A Litestream process, with what it starts, in a process group of its own,
    its output in `log`."""

    def output(self):
        return self.log.read_text(errors="replace")

    def kill(self):
        """SIGKILL to the whole group: for `litestream replicate`, Litestream and
        the service together, as when the machine is lost."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)


class Replicated(InItsOwnGroup):
    """`litestream replicate -config litestream.yml`, started in a session of its
    own, and `python app.py` (the config's exec), its child, in the same one: so
    that both can be killed at once."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.database = self.folder / "reports.sqlite"
        self.replica = self.folder / "replica"
        self.url = f"file://{self.replica}"
        self.config = self.folder / "litestream.yml"
        command = f"'{sys.executable}' '{REPO / 'app.py'}'"
        made = flask(
            "replica", "config", "--to", self.url, "--sync-interval", f"{SYNC_INTERVAL_S}s",
            "--exec", command, "--output", str(self.config),
            database=self.database, cwd=self.folder,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        self.log = self.folder / "litestream.out"
        self.process = None

    def start(self):
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [litestream(), "replicate", "-config", str(self.config)],
                cwd=self.folder,
                env=server_env(self.database),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not (found := READY.search(self.output())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"The service under Litestream did not start.\n{self.output()}")
            time.sleep(0.02)
        self.port = int(re.search(r":(\d+)/", found.group(1)).group(1))
        return self

    def client(self):
        return Client("127.0.0.1", self.port)

    def stop(self):
        """SIGTERM to the group: the service gets it, and Litestream, which passes
        its own on to the service and waits for it (the service takes the two;
        see serve.Stopping). One that has not stopped in STOP_TIMEOUT is killed,
        and the test fails with what it printed."""
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"litestream replicate did not stop in {STOP_TIMEOUT} s:\n{self.output()}")

    def restore(self, target, *options):
        started = time.monotonic()
        restored = run_litestream("restore", *options, "-o", str(target), self.url)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        return time.monotonic() - started


def create(client):
    answer = client.request("POST", REPORTS, CONTRACT_REPORT)
    assert answer.status == 201, answer
    return answer.json["report_id"]


def report_ids(database):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT report_id FROM report")}


def wait_for_sync():
    time.sleep(3 * SYNC_INTERVAL_S)


def test_the_config_names_the_database_the_replica_and_the_setting(runner, app):
    result = runner.invoke(args=["replica", "config", "--to", "s3://bucket/reports"])

    assert result.exit_code == 0, result.output
    assert f'path: "{os.path.abspath(app.config["DATABASE"])}"' in result.output
    assert 'url: "s3://bucket/reports"' in result.output
    assert "sync-interval: 1s" in result.output
    assert 'exec: "env REPORTS_REPLICATED=1 python app.py"' in result.output


def test_the_config_refuses_what_is_not_a_url_or_a_duration(runner):
    assert runner.invoke(args=["replica", "config", "--to", "/srv/replica"]).exit_code == 2
    bad_interval = ["replica", "config", "--to", "file:///r", "--sync-interval", "soon"]
    assert runner.invoke(args=bad_interval).exit_code == 2


def wal_size(database):
    wal = Path(f"{database}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_under_litestream_closing_leaves_the_wal_to_it(client, database):
    assert client.post(REPORTS, json=CONTRACT_REPORT).status_code == 201

    db.close_database(database, replicated=True)

    assert wal_size(database) > 0


@pytest.mark.parametrize("replicated, emptied", [(True, False), (False, True)])
def test_the_housekeeping_checkpoint_empties_the_wal_only_when_alone(
    app, client, database, replicated, emptied
):
    app.config["REPLICATED"] = replicated
    assert client.post(REPORTS, json=CONTRACT_REPORT).status_code == 201
    db.GroupCommit.close(database)

    with app.app_context():
        db.checkpoint()

    assert (wal_size(database) == 0) is emptied


def test_replicated_is_1_or_0(database):
    with pytest.raises(ConfigError, match="REPLICATED must be 1 or 0"):
        create_app({"DATABASE": database, "REPLICATED": 2})


def test_alone_closing_folds_the_wal_in(client, database):
    assert client.post(REPORTS, json=CONTRACT_REPORT).status_code == 201

    db.close_database(database, replicated=False)

    assert wal_size(database) == 0


def test_a_restored_replica_is_sound_and_serves_the_reports(tmp_path):
    replicated = Replicated(tmp_path).start()
    try:
        with replicated.client() as client:
            created = [create(client) for _ in range(5)]
        wait_for_sync()
    finally:
        replicated.stop()
    assert "Stopped." in replicated.output()

    restored = tmp_path / "restored" / "reports.sqlite"
    restored.parent.mkdir()
    replicated.restore(restored)

    checked = flask("check", database=restored, cwd=restored.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "is sound" in checked.stdout
    with Server(restored.parent, database=restored) as server:
        for report_id in created:
            assert server.request("GET", f"{REPORTS}/{report_id}").status == 200


def test_a_kill_loses_at_most_the_last_sync_interval(tmp_path):
    replicated = Replicated(tmp_path).start()
    acknowledged = []  # (time.time() of the 201, report_id)
    stop = threading.Event()

    def write():
        with replicated.client() as client:
            while not stop.is_set():
                try:
                    report_id = create(client)
                except (OSError, http.client.HTTPException):  # killed before it answered
                    return
                acknowledged.append((time.time(), report_id))

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(3)
        killed_at = time.time()
        replicated.kill()
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=STOP_TIMEOUT)

    restored = tmp_path / "restored.sqlite"
    replicated.restore(restored)
    kept = report_ids(restored)

    must_survive = [rid for at, rid in acknowledged if at < killed_at - SYNC_INTERVAL_S - MARGIN_S]
    missing = [rid for at, rid in acknowledged if rid not in kept]
    newest_kept = max(at for at, rid in acknowledged if rid in kept)
    oldest_lost = min((at for at, rid in acknowledged if rid not in kept), default=killed_at)
    print(
        f"\nLitestream loss window: {len(acknowledged)} writes acknowledged in 3 s from 4 "
        f"threads; {len(missing)} of the last were not in the replica; the newest that was, "
        f"acknowledged {killed_at - newest_kept:.2f} s before the kill -9; the oldest lost, "
        f"{killed_at - oldest_lost:.2f} s before it (sync interval {SYNC_INTERVAL_S} s)."
    )
    assert len(must_survive) > 0 and set(must_survive) <= kept


def test_a_restore_to_a_point_in_time_has_only_what_came_before(tmp_path):
    replicated = Replicated(tmp_path).start()
    try:
        with replicated.client() as client:
            first = {create(client) for _ in range(3)}
            wait_for_sync()
            between = datetime.now(UTC)
            time.sleep(2 * SYNC_INTERVAL_S)
            second = {create(client) for _ in range(3)}
        wait_for_sync()
    finally:
        replicated.stop()

    then = tmp_path / "then.sqlite"
    replicated.restore(then, "-timestamp", between.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    latest = tmp_path / "latest.sqlite"
    replicated.restore(latest)

    assert first <= report_ids(then) and not second & report_ids(then)
    assert first | second <= report_ids(latest)


FOLLOW_TIMEOUT = 15


class Following(InItsOwnGroup):
    """`litestream restore -f -o COPY REPLICA_URL`: a copy of the replica, kept up
    to date by polling it (every second), in a session of its own."""

    def __init__(self, folder, url):
        self.folder = Path(folder)
        self.database = self.folder / "reports.sqlite"
        self.log = self.folder / "restore.out"
        self.url = url
        self.process = None

    def start(self):
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [litestream(), "restore", "-f", "-o", str(self.database), self.url],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.is_database():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"litestream restore -f made no database.\n{self.output()}")
            time.sleep(0.05)
        return self

    def is_database(self):
        try:
            with open(self.database, "rb") as file:
                if file.read(16) != b"SQLite format 3\x00":
                    return False
            connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
            try:
                connection.execute("SELECT count(*) FROM report").fetchone()
            finally:
                connection.close()
            return True
        except (OSError, sqlite3.Error):
            return False


def listed(server):
    answer = server.request("GET", f"{REPORTS}?limit=100")
    assert answer.status == 200, answer
    return {report["report_id"] for report in answer.json["data"]}


def wait_for_reports(database, wanted, timeout=FOLLOW_TIMEOUT):
    """Seconds until the file at `database` holds every report of `wanted`."""
    started = time.monotonic()
    while not wanted <= report_ids(database):
        assert time.monotonic() - started < timeout, f"{wanted - report_ids(database)}"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_read_only_copy_of_a_following_restore_serves_what_it_had_at_its_start(tmp_path):
    """`litestream restore -f` writes the copy in place (same inode), but Litestream
    0.5.17 applies an update only under an exclusive fcntl lock (F_SETLKW) on
    SQLite's shared-lock bytes, which every open WAL-mode connection holds: while
    the service runs on the copy, the copy does not move. Once it stops, the
    update lands within the follow interval, and a restart serves it."""
    replicated = Replicated(tmp_path).start()
    copy_folder = tmp_path / "copy"
    copy_folder.mkdir()
    following = Following(copy_folder, replicated.url)
    copy = Server(copy_folder, database=following.database, REPORTS_READ_ONLY="1")
    try:
        with replicated.client() as client:
            first = {create(client) for _ in range(3)}
            wait_for_sync()
            following.start()
            inode = os.stat(following.database).st_ino
            copy.start()
            assert listed(copy) == first
            refused = copy.request("POST", REPORTS, CONTRACT_REPORT)
            assert refused.status == 503, refused
            assert refused.content_type == "application/problem+json"

            second = {create(client) for _ in range(2)}
        time.sleep(3 * SYNC_INTERVAL_S)
        print(f"\nWhile the copy is served: it lists {len(listed(copy))} of 5 reports.")
        copy.stop()
        stopped = time.monotonic()
        lag = wait_for_reports(following.database, first | second)
        print(f"Stopped, the copy had the 2 new reports {lag:.2f} s later.")
        assert os.stat(following.database).st_ino == inode  # written in place

        copy.start()
        assert listed(copy) == first | second
        assert time.monotonic() - stopped < FOLLOW_TIMEOUT
    finally:
        copy.stop()
        if following.process is not None:
            following.kill()
        replicated.stop()
