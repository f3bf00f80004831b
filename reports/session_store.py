"""Where the pages' sessions are kept (reports/web/sessions.py is what they
mean): their records in the database, written by the group-commit writer, or
a read-only copy's memory; and the instance's own key that signs their cookies."""

import os
import secrets
import threading

from flask import current_app

from reports import queries
from reports.db import get_db, make_folder, write
from reports.read_only import is_read_only

SECRET_KEY_FILE = "secret_key"
_secret_key_lock = threading.Lock()


def secret_key(app):
    """The key that signs the app's session cookies and the forms' CSRF tokens:
    SECRET_KEY if it is configured; else the instance's own key, read or made
    the first time a request needs it, and set as SECRET_KEY then, once, under
    a lock, for Flask and Flask-WTF to read as `app.secret_key`.

    It is not set when the app is built: building it (for a `flask` command,
    a test, a read-only copy's start) must not make the file, and the API,
    which has no session, never needs it."""
    key = app.config["SECRET_KEY"]
    if key:
        return key
    with _secret_key_lock:
        if not app.config["SECRET_KEY"]:
            app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
        return app.config["SECRET_KEY"]


def _instance_secret_key(instance_path):
    """The key in instance/secret_key, made there (readable by its owner only)
    the first time it is needed, and reused on every start after."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    try:
        with open(path, encoding="ascii") as file:
            key = file.read().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    make_folder(instance_path)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.encode("ascii"))
    finally:
        os.close(fd)
    return key


class DatabaseSessions:
    """The sessions in the database, written by the group-commit writer: each
    change is on disk before the answer."""

    def find(self, id_hash):
        return queries.web_session(get_db(), id_hash)

    def create(self, record, replacing=None):
        def create(db):
            if replacing is not None:
                queries.delete_web_session(db, replacing)
            queries.insert_web_session(db, record)

        write(create)

    def update(self, id_hash, token_name, data):
        write(lambda db: queries.update_web_session(db, id_hash, token_name, data))

    def touch(self, id_hash, seen_at, idle_until, not_since):
        write(lambda db: queries.touch_web_session(db, id_hash, seen_at, idle_until, not_since))

    def delete(self, id_hash):
        write(lambda db: queries.delete_web_session(db, id_hash))


class MemorySessions:
    """The sessions of a read-only copy, in its memory. Those that have ended
    go whenever one is made, so that what is kept is what is in use."""

    def __init__(self):
        self.records = {}
        self.lock = threading.Lock()

    def find(self, id_hash):
        with self.lock:
            record = self.records.get(id_hash)
            return None if record is None else dict(record)

    def create(self, record, replacing=None):
        now = record["created_at"]
        with self.lock:
            for id_hash, kept in list(self.records.items()):
                if _why_ended_by(kept, now):
                    del self.records[id_hash]
            self.records.pop(replacing, None)
            self.records[record["id_hash"]] = dict(record)

    def update(self, id_hash, token_name, data):
        with self.lock:
            if id_hash in self.records:
                self.records[id_hash].update(token_name=token_name, data=data)

    def touch(self, id_hash, seen_at, idle_until, not_since):
        with self.lock:
            record = self.records.get(id_hash)
            if record is not None and record["seen_at"] <= not_since:
                record.update(seen_at=seen_at, idle_until=idle_until)

    def delete(self, id_hash):
        with self.lock:
            self.records.pop(id_hash, None)


def _why_ended_by(record, now):
    return record["ends_at"] <= now or record["idle_until"] <= now


_DATABASE_SESSIONS = DatabaseSessions()
MEMORY_SESSIONS = "reports.sessions"


def store():
    """Where this app's sessions are kept: the database, or a read-only copy's memory."""
    if not is_read_only():
        return _DATABASE_SESSIONS
    extensions = current_app.extensions
    return extensions.get(MEMORY_SESSIONS) or extensions.setdefault(
        MEMORY_SESSIONS, MemorySessions()
    )
