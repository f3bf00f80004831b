"""The database file as a whole: the room left for it, its backups, and the
checks of what SQLite finds wrong with it."""

import os
import sqlite3

from reports.db import connections, schema


def free_megabytes(path):
    """MiB free for this process on the filesystem that holds the database."""
    found = os.statvfs(os.path.dirname(os.path.abspath(path)))
    return found.f_bavail * found.f_frsize / 2**20


def backup(path, target):
    """Copy the database at `path` to `target` with SQLite's online backup: a
    consistent copy as of one moment, taken while writes go on. The copy is
    written next to `target` and renamed into place, so `target` is never half
    written. Returns the problems a check of the copy finds (none: [])."""
    partial = f"{target}.partial"
    source = connections.connect(path)
    try:
        # The copy holds what the database holds: only its owner may read it.
        if not connections.create_file(partial):
            os.chmod(partial, connections.PRIVATE_FILE)
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


def integrity_problems(db, read_only=False):
    """What SQLite's own checks find wrong with a database: [] when nothing.
    Each check runs even if one before it could not finish."""
    problems = []
    try:
        problems += [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
    except sqlite3.DatabaseError as error:
        problems.append(f"integrity check: {error}")
    try:
        problems += [
            f"foreign key: {table} row {rowid} points to a missing {parent}"
            for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check")
        ]
    except sqlite3.DatabaseError as error:
        problems.append(f"foreign key check: {error}")
    try:
        if read_only:
            # FTS5's integrity-check is a write statement: read every term of the
            # index instead, through a view of it kept in the connection's memory.
            db.execute(
                "CREATE VIRTUAL TABLE temp.report_text_terms "
                "USING fts5vocab(main, 'report_text', 'row')"
            )
            db.execute("SELECT count(*), sum(cnt) FROM temp.report_text_terms").fetchone()
        else:
            db.execute("INSERT INTO report_text (report_text) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as error:
        problems.append(f"search index: {error}")
    return problems


def check(path):
    """Every problem of the database at `path`, found by reading it only (it is
    opened read-only: nothing of it changes): [] when none. Raises
    DatabaseMissing, NotADatabase, or NewerDatabase."""
    connections.require_database(path)
    try:
        db = connections.connect(path, mode="ro")
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise connections.NotADatabase(path) from None
        return [f"SQLite cannot open it: {error}"]
    try:
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
                raise connections.NotADatabase(path) from None
            return [f"SQLite cannot read it: {error}"]
        if version > schema.SCHEMA_VERSION:
            raise schema.NewerDatabase(schema.newer_message(path, version))
        return integrity_problems(db, read_only=True)
    finally:
        db.close()
