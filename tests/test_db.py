"""The SQLite file: pragmas that make writes durable, and the schema's own guards."""

import sqlite3
import threading
import time

import pytest

from reports import create_app
from reports.db import GroupCommit, add_functions, get_db, init_db

VALID_ROW = {
    "report_id": "rpt_0000abcd",
    "activity_id": "act_1",
    "peer_mentor_id": "usr_1",
    "org_id": "org_1",
    "status": "draft",
    "fields": "{}",
    "field_count": 0,
    "has_way_forward": 0,
    "submitted_at": None,
    "created_at": "2026-03-20T14:10:00Z",
    "updated_at": "2026-03-20T14:10:00Z",
}


def insert(database, **changes):
    db = sqlite3.connect(database)
    add_functions(db)  # the search index's triggers call them
    row = {**VALID_ROW, **changes}
    try:
        with db:
            db.execute(
                f"INSERT INTO report ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})",
                row,
            )
    finally:
        db.close()


def test_a_request_connection_is_durable_and_waits_for_locks(app):
    with app.app_context():
        db = get_db()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert db.execute("PRAGMA cache_size").fetchone()[0] == -512  # KiB, per thread


def test_a_thread_keeps_its_connection_from_request_to_request(app):
    with app.app_context():
        first = get_db()
    with app.app_context():
        assert get_db() is first


def test_a_request_leaves_no_transaction_open(app):
    with app.app_context():
        db = get_db()
        db.execute("BEGIN")
    assert not db.in_transaction


def test_another_database_gets_another_connection(app, tmp_path):
    with app.app_context():
        first = get_db()
    app.config["DATABASE"] = str(tmp_path / "other.sqlite")
    init_db(app.config["DATABASE"])
    with app.app_context():
        assert get_db() is not first
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")


def test_two_apps_never_share_a_connection(app, database):
    with app.app_context():
        first = get_db()
    other = create_app({"TESTING": True, "DATABASE": database})
    with other.app_context():
        assert get_db() is not first
    with app.app_context():
        assert get_db() is first
        assert first.execute("SELECT 1").fetchone()[0] == 1


def test_init_db_keeps_what_is_there(app, database):
    insert(database)

    init_db(database)

    assert sqlite3.connect(database).execute("SELECT count(*) FROM report").fetchone()[0] == 1


def test_the_schema_accepts_a_valid_row(app, database):
    insert(database)


@pytest.mark.parametrize(
    "changes",
    [
        {"report_id": "rpt_0000ABCD"},
        {"report_id": "rpt_123"},
        {"activity_id": ""},
        {"activity_id": "a" * 65},
        {"peer_mentor_id": "usr 1"},
        {"org_id": "org/1"},
        {"org_id": None},
        {"status": "archived"},
        {"status": "submitted", "submitted_at": None},
        {"status": "draft", "submitted_at": "2026-03-20T14:10:00Z"},
        {"fields": "[]"},
        {"fields": "not json"},
        {"field_count": 10},
        {"has_way_forward": 2},
        {"updated_at": "2026-03-20T14:09:59Z"},
        {"created_at": "2026-03-20T14:10:00Z\n", "updated_at": "2026-03-20T14:10:00Z\n"},
        {"created_at": "2025-99-99T99:99:99Z", "updated_at": "2026-03-20T14:10:00Z"},
        {"created_at": "2025-02-30T10:00:00Z"},
        {"updated_at": "2026-03-21 14:10:00"},
        {"status": "submitted", "submitted_at": "0000-00-00T00:00:00Z"},
        {"status": "submitted", "submitted_at": "2026-03-20T24:00:00Z"},
    ],
)
def test_the_schema_refuses_rows_that_break_the_rules(app, database, changes):
    with pytest.raises(sqlite3.IntegrityError):
        insert(database, **changes)


def test_report_ids_are_unique(app, database):
    insert(database)
    with pytest.raises(sqlite3.IntegrityError):
        insert(database)


class HeldWriter:
    """Holds the writer busy with one job, so that the next ones queue behind it."""

    def __init__(self, database):
        self.writer = GroupCommit.for_database(database)
        self.release = threading.Event()
        self.held = threading.Event()
        self.results = {}
        self.first = threading.Thread(target=self.writer.run, args=(self._hold,))
        self.first.start()

    def _hold(self, db):
        db.execute("CREATE TABLE IF NOT EXISTS probe (name TEXT)")
        self.held.set()
        self.release.wait(5)

    def queue(self, name, work):
        def run():
            try:
                self.results[name] = self.writer.run(work)
            except Exception as error:  # noqa: BLE001 - the test looks at it
                self.results[name] = error

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def finish(self, threads):
        time.sleep(0.2)  # let every queued job reach the queue
        self.release.set()
        for thread in [self.first, *threads]:
            thread.join(5)


def test_writes_queued_together_commit_in_one_transaction(app, database):
    held = HeldWriter(database)
    held.held.wait(5)
    commits = []
    held.writer.connection.set_trace_callback(
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )

    def insert(name):
        return lambda db: (db.execute("INSERT INTO probe VALUES (?)", (name,)), len(commits))[1]

    threads = [held.queue(name, insert(name)) for name in "abcde"]
    held.finish(threads)

    assert {held.results[name] for name in "abcde"} == {1}  # all saw the same one commit
    assert len(commits) == 2


def test_a_failing_write_is_undone_alone_and_the_rest_of_its_batch_commits(app, database):
    held = HeldWriter(database)
    held.held.wait(5)

    def insert(name, fail=False):
        def work(db):
            db.execute("INSERT INTO probe VALUES (?)", (name,))
            if fail:
                raise ValueError(name)
            return name

        return work

    threads = [held.queue("a", insert("a")), held.queue("b", insert("b", fail=True))]
    threads.append(held.queue("c", insert("c")))
    held.finish(threads)

    stored = sqlite3.connect(database).execute("SELECT name FROM probe ORDER BY name").fetchall()
    assert stored == [("a",), ("c",)]
    assert isinstance(held.results["b"], ValueError)
    assert (held.results["a"], held.results["c"]) == ("a", "c")
