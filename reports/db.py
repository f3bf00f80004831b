"""Connections to the SQLite file: one per thread, with the pragmas that make
every acknowledged write durable, and the transaction that wraps each write."""

import os
import sqlite3
import threading
from contextlib import contextmanager
from importlib import resources

from flask import current_app

from reports.config import ConfigError

BUSY_TIMEOUT_MS = 5000

_thread = threading.local()


def connect(path):
    """Open a connection in autocommit mode; writes open their own transaction."""
    db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit has reached the disk before we answer 2xx.
    db.execute("PRAGMA synchronous = FULL")
    return db


def get_db():
    """This thread's connection to the configured database. It is opened on the
    thread's first request and kept: opening one costs more than most requests."""
    path = current_app.config["DATABASE"]
    kept = getattr(_thread, "kept", None)
    if kept is None or kept[0] != path:
        if kept is not None:
            kept[1].close()
        _thread.kept = (path, connect(path))
    return _thread.kept[1]


def end_request(exception=None):
    """Leave no transaction open on a kept connection."""
    kept = getattr(_thread, "kept", None)
    if kept is not None and kept[1].in_transaction:
        kept[1].execute("ROLLBACK")


@contextmanager
def transaction(mode="IMMEDIATE"):
    """One transaction. A write takes the write lock up front (IMMEDIATE), so it
    never fails half-way while upgrading from a read lock; a read that needs one
    consistent snapshot across statements asks for DEFERRED."""
    db = get_db()
    db.execute(f"BEGIN {mode}")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (e.g. on a full disk).
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def schema_sql():
    return resources.files("reports").joinpath("schema.sql").read_text(encoding="utf-8")


def init_db(path):
    """Create the database file and whatever the schema lacks; existing tables
    and rows stay as they are."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    db = connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(f"BEGIN IMMEDIATE;\n{schema_sql()}\nCOMMIT;")
    finally:
        db.close()


def open_or_create(path):
    """init_db at start-up, where a file that cannot be opened is a setting to fix."""
    try:
        init_db(path)
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(f"DATABASE {path} cannot be opened or created: {error}.") from error


def init_app(app):
    app.teardown_appcontext(end_request)
