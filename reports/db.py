"""Connections to the SQLite file, with the pragmas that make every acknowledged
write durable: one per request thread for reads, and one writer that runs every
write transaction (group commit)."""

import math
import os
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from importlib import resources

from flask import current_app

from reports import search
from reports.config import ConfigError

BUSY_TIMEOUT_MS = 5000
READER_CACHE_KIB = 512
# How many of SQLite's steps a statement takes between looks at its budget.
PROGRESS_STEPS = 50_000

_thread = threading.local()


def connect(path, check_same_thread=True, factory=sqlite3.Connection):
    """Open a connection in autocommit mode; writes open their own transaction."""
    db = sqlite3.connect(
        path,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=check_same_thread,
        factory=factory,
    )
    db.row_factory = sqlite3.Row
    add_functions(db)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit has reached the disk before we answer 2xx.
    db.execute("PRAGMA synchronous = FULL")
    return db


class ReadConnection(sqlite3.Connection):
    """A request thread's connection, whose every statement has a time budget
    (`budget_ms`, from QUERY_TIMEOUT_MS): SQLite stops one that runs past it,
    and it raises sqlite3.OperationalError with SQLITE_INTERRUPT."""

    budget_ms = None
    deadline = math.inf

    def execute(self, sql, parameters=(), /):
        self.deadline = time.monotonic() + self.budget_ms / 1000 if self.budget_ms else math.inf
        return super().execute(sql, parameters)

    def over_budget(self):
        return time.monotonic() > self.deadline


def add_functions(db):
    """The SQL functions that the schema's triggers call: every connection that
    writes reports needs them."""
    db.create_function("search_text", 1, search.segment, deterministic=True)


def get_db():
    """This thread's connection to the configured database. It is opened on the
    thread's first request and kept: opening one costs more than most requests."""
    path = current_app.config["DATABASE"]
    kept = getattr(_thread, "kept", None)
    if kept is None or kept[0] != path:
        if kept is not None:
            kept[1].close()
        reader = connect(path, factory=ReadConnection)
        reader.set_progress_handler(reader.over_budget, PROGRESS_STEPS)
        # A small page cache per reading thread: the OS caches the file for all
        # of them, and sixteen of SQLite's default 2 MiB would be memory spent twice.
        reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
        _thread.kept = (path, reader)
    reader = _thread.kept[1]
    reader.budget_ms = current_app.config["QUERY_TIMEOUT_MS"]
    return reader


def end_request(exception=None):
    """Leave no transaction open on a kept connection."""
    kept = getattr(_thread, "kept", None)
    if kept is not None and kept[1].in_transaction:
        kept[1].execute("ROLLBACK")


@contextmanager
def snapshot():
    """A read transaction: the statements inside see the database as of one moment."""
    db = get_db()
    db.execute("BEGIN")
    try:
        yield db
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def write(work):
    """Run `work(db)` in a write transaction and return what it returns, once
    the transaction is on disk. What it raises is raised here, and then nothing
    of it was written."""
    return submit(work).result()


def submit(work):
    """Queue `work(db)` for a write transaction and return its Future at once,
    for writes nobody waits on (such as noting when a token was last used)."""
    return GroupCommit.for_database(current_app.config["DATABASE"]).submit(work)


class GroupCommit:
    """The one writer of a database. Writes queue here; the writer runs those
    waiting in one transaction, each in a savepoint of its own, commits once,
    and only then answers each. Concurrent writes so share one sync to disk,
    and wait in line instead of polling SQLite's lock."""

    MAX_BATCH = 64
    _writers = {}
    _writers_lock = threading.Lock()

    @classmethod
    def for_database(cls, path):
        """The writer of `path`. A process serves one database at a time, so a
        writer for another one (left by an earlier app, as in tests) retires."""
        with cls._writers_lock:
            if path not in cls._writers:
                for other in cls._writers.values():
                    other.retire()
                cls._writers = {path: cls(path)}
            return cls._writers[path]

    def __init__(self, path):
        # Only the writer thread uses it; tests may reach in while it is idle.
        self.connection = connect(path, check_same_thread=False)
        self.jobs = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._write_forever, name=f"writer {path}", daemon=True
        )
        self.thread.start()

    def submit(self, work):
        done = Future()
        self.jobs.put((work, done))
        return done

    def run(self, work):
        return self.submit(work).result()

    def retire(self):
        """Stop once the writes already queued are done."""
        self.jobs.put(None)

    @classmethod
    def close(cls, path, timeout=30):
        """Finish the writes queued for `path` and close its writer."""
        with cls._writers_lock:
            writer = cls._writers.pop(path, None)
        if writer is not None:
            writer.retire()
            writer.thread.join(timeout)

    def _write_forever(self):
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.MAX_BATCH and not self.jobs.empty():
                batch.append(self.jobs.get())
            retired = None in batch
            self._write([job for job in batch if job is not None])
            if retired:
                self.connection.close()
                return

    def _write(self, batch):
        if not batch:
            return
        db = self.connection
        outcomes = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for work, done in batch:
                outcomes.append((done, *self._in_savepoint(db, work)))
            db.execute("COMMIT")
        except Exception as error:
            # The disk or the lock failed the whole batch: none of it is written.
            self._roll_back()
            for _, done in batch:
                done.set_exception(error)
            return
        for done, result, error in outcomes:
            if error is None:
                done.set_result(result)
            else:
                done.set_exception(error)

    def _roll_back(self):
        try:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the writer must go on; the next BEGIN starts afresh

    @staticmethod
    def _in_savepoint(db, work):
        """(result, None), or (None, what it raised) with its writes undone. If
        SQLite gave up the whole transaction, the error is the batch's."""
        db.execute("SAVEPOINT job")
        try:
            result = work(db)
        except Exception as error:
            if not db.in_transaction:
                raise
            db.execute("ROLLBACK TO job")
            db.execute("RELEASE job")
            return None, error
        db.execute("RELEASE job")
        return result, None


def close_database(path):
    """At shutdown: finish the queued writes, then fold the WAL back into the
    database file, so that what is left on disk is one file, whole."""
    GroupCommit.close(path)
    db = connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def backup(path, target):
    """Copy the database at `path` to `target` with SQLite's online backup: a
    consistent copy as of one moment, taken while writes go on. The copy is
    written next to `target` and renamed into place, so `target` is never half
    written. Returns the problems a check of the copy finds (none: [])."""
    partial = f"{target}.partial"
    source = connect(path)
    try:
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(copy)
            # A backup is one file: no WAL beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = integrity_problems(copy)
        finally:
            copy.close()
        os.replace(partial, target)
    except BaseException:
        for leftover in (partial, f"{partial}-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    finally:
        source.close()
    return problems


def integrity_problems(db):
    """What SQLite's own checks find wrong with a database: [] when nothing."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [
        f"foreign key: {table} row {rowid} points to a missing {parent}"
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check")
    ]
    try:
        db.execute("INSERT INTO report_text (report_text) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as error:
        problems.append(f"search index: {error}")
    return problems


def schema_sql():
    return resources.files("reports").joinpath("schema.sql").read_text(encoding="utf-8")


def migrations():
    """{version: SQL} of every numbered file in reports/migrations."""
    folder = resources.files("reports").joinpath("migrations")
    return {
        int(entry.name.split("_", 1)[0]): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    }


# The version of the schema this code reads and writes: PRAGMA user_version.
SCHEMA_VERSION = max(migrations(), default=1)


class NewerDatabase(Exception):
    """The database was made by a newer version of the service."""


def init_db(path):
    """Create the database, or bring an existing one up to SCHEMA_VERSION:
    each numbered migration it lacks, in order, each in one transaction, then
    whatever schema.sql has that it lacks (schema.sql only adds: tables,
    indexes, triggers). Existing rows stay as they are. Returns the versions
    (before, after)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    db = connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        before = schema_version(db)
        if before > SCHEMA_VERSION:
            raise NewerDatabase(
                f"The database {path} is at schema version {before}, and this version of "
                f"the service knows versions up to {SCHEMA_VERSION}: run the newer service, "
                "or restore a backup made for this one."
            )
        for version, sql in sorted(migrations().items()):
            if version > before:
                db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
        db.executescript(
            f"BEGIN IMMEDIATE;\n{schema_sql()}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
        return before, SCHEMA_VERSION
    finally:
        db.close()


def schema_version(db):
    """The schema version of a database: its user_version, or for one from
    before versions were kept, 1 or 2 by whether reports have a version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version:
        return version
    columns = {row[1] for row in db.execute("PRAGMA table_info(report)")}
    if not columns:
        return SCHEMA_VERSION  # a new database: schema.sql makes it whole
    return 2 if "version" in columns else 1


def open_or_create(path):
    """init_db at start-up, where a file that cannot be opened is a setting to fix."""
    try:
        init_db(path)
    except NewerDatabase as error:
        raise ConfigError(str(error)) from error
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(f"DATABASE {path} cannot be opened or created: {error}.") from error


def init_app(app):
    app.teardown_appcontext(end_request)
