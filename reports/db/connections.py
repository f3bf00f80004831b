"""Connections to the SQLite file, with the pragmas that make every acknowledged
write durable: each request thread's, kept per app, and the watch on the file."""

import math
import os
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from urllib.request import pathname2url

from flask import current_app

from reports import search
from reports.db.per_file import PER_FILE
from reports.read_only import is_read_only

BUSY_TIMEOUT_MS = 5000
READER_CACHE_KIB = 512
# How many of SQLite's steps a statement takes between looks at its budget.
PROGRESS_STEPS = 50_000


def connect(path, check_same_thread=True, mode="rw", factory=sqlite3.Connection):
    """Open a connection in autocommit mode; writes open their own transaction.
    `mode` rw: the file must exist (a missing one is an error, never a new
    database); ro: only read it."""
    db = sqlite3.connect(
        f"file:{pathname2url(os.path.abspath(path))}?mode={mode}",
        uri=True,
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
    # What is deleted is overwritten, so a purged report leaves no trace in free pages.
    db.execute("PRAGMA secure_delete = ON")
    return db


class ReadConnection(sqlite3.Connection):
    """A request thread's connection, whose every statement has a time budget
    (`budget_ms`, from QUERY_TIMEOUT_MS): SQLite stops one that runs past it,
    and it raises sqlite3.OperationalError with SQLITE_INTERRUPT."""

    budget_ms = None
    deadline = math.inf
    # The tokens found in force, and the data_version they were found at (auth.token_in_force).
    tokens = None
    tokens_version = None

    def execute(self, sql, parameters=(), /):
        self.deadline = time.monotonic() + self.budget_ms / 1000 if self.budget_ms else math.inf
        return super().execute(sql, parameters)

    def data_version(self):
        """A number that changes whenever another connection commits to the file."""
        return self.execute("PRAGMA data_version").fetchone()[0]

    def over_budget(self):
        return time.monotonic() > self.deadline


def add_functions(db):
    """The SQL functions that the schema's triggers call: every connection that
    writes reports needs them."""
    db.create_function("search_text", 1, search.segment, deterministic=True)


PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def create_file(path):
    """Create an empty database file that only its owner may read, whatever the
    umask; SQLite gives its -wal and -shm the same mode. True if it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return True


def make_folder(folder, private=False):
    """Create the folder (and its parents) if missing; a folder made here, or a
    `private` one, only its owner may enter."""
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
        private = True
    if private:
        os.chmod(folder, PRIVATE_FOLDER)


class DatabaseMissing(Exception):
    """No database file is at the configured path."""

    def __init__(self, path):
        super().__init__(
            f"No database at {path}: run it from the service's folder or set REPORTS_DATABASE."
        )


def require_database(path):
    """Raise DatabaseMissing unless a file is at `path`."""
    if not os.path.isfile(path):
        raise DatabaseMissing(path)


class NotADatabase(Exception):
    """The file is not an SQLite database."""

    def __init__(self, path):
        super().__init__(f"{path} is not an SQLite database.")


# Where an app keeps its ConnectionsOfApp.
EXTENSION = "reports.db"


class ConnectionsOfApp:
    """The connections an app keeps, one per thread (see get_db). They are the
    app's, in app.extensions[EXTENSION], so that two apps in one process never
    share a connection."""

    def __init__(self):
        self.thread = threading.local()


def connections_of(app):
    return app.extensions[EXTENSION]


def get_db():
    """This thread's connection to the configured database. It is opened on the
    thread's first request and kept by the app: opening one costs more than
    most requests."""
    app = current_app._get_current_object()
    path = app.config["DATABASE"]
    mode = "ro" if is_read_only(app) else "rw"
    thread = connections_of(app).thread
    kept = getattr(thread, "kept", None)
    if kept is None or kept[0] != (path, mode):
        if kept is not None:
            kept[1].close()
            thread.kept = None
        reader = connect(path, mode=mode, factory=ReadConnection)
        reader.set_progress_handler(reader.over_budget, PROGRESS_STEPS)
        watch(path)
        # A small page cache per reading thread: the OS caches the file for all
        # of them, and sixteen of SQLite's default 2 MiB would be memory spent twice.
        reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
        thread.kept = ((path, mode), reader)
    reader = thread.kept[1]
    reader.budget_ms = app.config["QUERY_TIMEOUT_MS"]
    return reader


class DatabaseGone(Exception):
    """The file at the database's path is no longer the one the service opened:
    it was deleted or replaced. Until a restart nothing is read or written."""

    def __init__(self, path):
        super().__init__(
            f"The database file {path} was deleted or replaced while the service ran; "
            "restart the service once the right file is back."
        )


def file_identity(path):
    """(st_dev, st_ino) of the file at `path`, or None if there is none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino)


def watch(path):
    """Note which file is at `path` when the process first opens it; a later
    open of another file there means the first one is gone."""
    identity = file_identity(path)
    with PER_FILE.watch_lock:
        known = PER_FILE.identities.setdefault(path, identity)
    if identity is None or identity != known:
        mark_gone(path)


def check_file(path):
    """Raise DatabaseGone unless the file at `path` is still the one opened
    first. One os.stat: cheap enough for every request."""
    if path in PER_FILE.gone:
        raise DatabaseGone(path)
    known = PER_FILE.identities.get(path)
    if known is not None and file_identity(path) != known:
        mark_gone(path)
        raise DatabaseGone(path)


def mark_gone(path):
    """Note that the file at `path` is gone, and say so once."""
    with PER_FILE.watch_lock:
        if path in PER_FILE.gone:
            return
        PER_FILE.gone.add(path)
    try:
        current_app.logger.error("%s", DatabaseGone(path))
    except RuntimeError:  # outside the app: the writer's thread
        print(DatabaseGone(path), file=sys.stderr, flush=True)


# How long the requests of a process trust the last look at the file. A write
# is checked by the writer before and after its commit (writer.GroupCommit), so
# none is acknowledged on a file gone; a read may be answered from the file
# opened first for this long after another took its place.
FILE_LOOK_SECONDS = 0.25


def check_request_file():
    """Before each request: DatabaseGone once the file is known gone, looking
    at it (one os.stat) at most once a FILE_LOOK_SECONDS."""
    path = current_app.config["DATABASE"]
    if path in PER_FILE.gone:
        raise DatabaseGone(path)
    now = time.monotonic()
    if now >= PER_FILE.looked_until.get(path, 0):
        check_file(path)
        PER_FILE.looked_until[path] = now + FILE_LOOK_SECONDS


def end_request(exception=None):
    """Leave no transaction open on a kept connection."""
    kept = getattr(connections_of(current_app).thread, "kept", None)
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
