"""Connections to the SQLite file, with the pragmas that make every acknowledged
write durable: one per request thread for reads, and one writer that runs every
write transaction (group commit)."""

import math
import os
import queue
import sqlite3
import sys
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from importlib import resources
from urllib.request import pathname2url

from flask import current_app

from reports import catalogue, queries, search
from reports.config import ConfigError
from reports.read_only import ReadOnlyCopy, is_read_only

BUSY_TIMEOUT_MS = 5000
READER_CACHE_KIB = 512
# How many of SQLite's steps a statement takes between looks at its budget.
PROGRESS_STEPS = 50_000

_thread = threading.local()


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

    def execute(self, sql, parameters=(), /):
        self.deadline = time.monotonic() + self.budget_ms / 1000 if self.budget_ms else math.inf
        return super().execute(sql, parameters)

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


def get_db():
    """This thread's connection to the configured database. It is opened on the
    thread's first request and kept: opening one costs more than most requests."""
    path = current_app.config["DATABASE"]
    mode = "ro" if is_read_only() else "rw"
    kept = getattr(_thread, "kept", None)
    if kept is None or kept[0] != (path, mode):
        if kept is not None:
            kept[1].close()
            _thread.kept = None
        reader = connect(path, mode=mode, factory=ReadConnection)
        reader.set_progress_handler(reader.over_budget, PROGRESS_STEPS)
        watch(path)
        # A small page cache per reading thread: the OS caches the file for all
        # of them, and sixteen of SQLite's default 2 MiB would be memory spent twice.
        reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
        _thread.kept = ((path, mode), reader)
    reader = _thread.kept[1]
    reader.budget_ms = current_app.config["QUERY_TIMEOUT_MS"]
    return reader


class DatabaseGone(Exception):
    """The file at the database's path is no longer the one the service opened:
    it was deleted or replaced. Until a restart nothing is read or written."""

    def __init__(self, path):
        super().__init__(
            f"The database file {path} was deleted or replaced while the service ran; "
            "restart the service once the right file is back."
        )


# (st_dev, st_ino) of the file first opened at each database path, and the
# paths whose file has since gone.
_identities = {}
_gone = set()
_watch_lock = threading.Lock()


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
    with _watch_lock:
        known = _identities.setdefault(path, identity)
    if identity is None or identity != known:
        _mark_gone(path)


def check_file(path):
    """Raise DatabaseGone unless the file at `path` is still the one opened
    first. One os.stat: cheap enough for every request."""
    if path in _gone:
        raise DatabaseGone(path)
    known = _identities.get(path)
    if known is not None and file_identity(path) != known:
        _mark_gone(path)
        raise DatabaseGone(path)


def _mark_gone(path):
    with _watch_lock:
        if path in _gone:
            return
        _gone.add(path)
    try:
        current_app.logger.error("%s", DatabaseGone(path))
    except RuntimeError:  # outside the app: the writer's thread
        print(DatabaseGone(path), file=sys.stderr, flush=True)


def check_request_file():
    check_file(current_app.config["DATABASE"])


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
    for writes nobody waits on (such as noting when a token was last used).
    A read-only copy writes nothing: ReadOnlyCopy, whatever asked."""
    if is_read_only():
        raise ReadOnlyCopy()
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
        self.path = path
        self.connection = connect(path, check_same_thread=False)
        watch(path)
        self.in_wal_mode = self.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        self.wal_identity = None
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
            check_file(self.path)
            db.execute("BEGIN IMMEDIATE")
            for work, done in batch:
                outcomes.append((done, *self._in_savepoint(db, work)))
            db.execute("COMMIT")
            # A commit to a file deleted or replaced meanwhile is lost: never a 2xx for it.
            self._check_files()
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

    def _check_files(self):
        """Raise DatabaseGone if the database file, or the WAL that the writer
        commits to, is not the one it opened."""
        check_file(self.path)
        if not self.in_wal_mode:
            return
        wal = file_identity(f"{self.path}-wal")
        if self.wal_identity is None:
            self.wal_identity = wal
        if wal is None or wal != self.wal_identity:
            _mark_gone(self.path)
            raise DatabaseGone(self.path)

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


def free_megabytes(path):
    """MiB free for this process on the filesystem that holds the database."""
    found = os.statvfs(os.path.dirname(os.path.abspath(path)))
    return found.f_bavail * found.f_frsize / 2**20


# Under Litestream (REPLICATED), Litestream owns the WAL: it keeps a read
# transaction open on it, copies every frame, and checkpoints itself. A TRUNCATE
# or RESTART from the service would wait on that read transaction for
# BUSY_TIMEOUT_MS and, were it to win, reset the WAL under Litestream's feet;
# PASSIVE ones are allowed.


def checkpoint():
    """Copy the WAL into the database file and empty it (TRUNCATE), so that no
    old page image of deleted content stays in the -wal. Readers in a
    transaction can hold it up to BUSY_TIMEOUT_MS; what it could not do, the
    next checkpoint does. Under Litestream only PASSIVE: it copies what it can
    and never blocks, and Litestream empties the WAL."""
    mode = "PASSIVE" if current_app.config["REPLICATED"] else "TRUNCATE"
    db = connect(current_app.config["DATABASE"])
    try:
        db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        db.close()


def close_database(path, replicated=False):
    """At shutdown: finish the queued writes, then fold the WAL back into the
    database file, so that what is left on disk is one file, whole. Under
    Litestream (`replicated`) the WAL is left to it: it replicates the last
    frames and checkpoints when it stops."""
    GroupCommit.close(path)
    if replicated:
        return
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
        # The copy holds what the database holds: only its owner may read it.
        if not create_file(partial):
            os.chmod(partial, PRIVATE_FILE)
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


class NotADatabase(Exception):
    """The file is not an SQLite database."""

    def __init__(self, path):
        super().__init__(f"{path} is not an SQLite database.")


def check(path):
    """Every problem of the database at `path`, found by reading it only (it is
    opened read-only: nothing of it changes): [] when none. Raises
    DatabaseMissing, NotADatabase, or NewerDatabase."""
    require_database(path)
    try:
        db = connect(path, mode="ro")
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise NotADatabase(path) from None
        return [f"SQLite cannot open it: {error}"]
    try:
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
                raise NotADatabase(path) from None
            return [f"SQLite cannot read it: {error}"]
        if version > SCHEMA_VERSION:
            raise NewerDatabase(newer_message(path, version))
        return integrity_problems(db, read_only=True)
    finally:
        db.close()


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


def init_db(path, instance_path=None, form=None):
    """Create the database if there is none, with its folder (the folder only
    its owner may enter if made here, or if it is `instance_path`), then
    `upgrade` it for the catalogue `form` (the built-in one by default).
    Returns the versions (before, after)."""
    folder = os.path.dirname(os.path.abspath(path))
    make_folder(folder)
    if create_file(path) and instance_path is not None and folder == os.path.abspath(instance_path):
        make_folder(folder, private=True)
    return upgrade(path, form)


def upgrade(path, form=None, progress=None):
    """Bring an existing database up to SCHEMA_VERSION: each numbered migration
    it lacks, in order, each in one transaction, then whatever schema.sql has
    that it lacks (schema.sql only adds: tables, indexes, triggers), then the
    indexes the catalogue `form` decides (see fit_to_catalogue). Existing rows
    stay as they are. Returns the versions (before, after)."""
    require_database(path)
    try:
        db = connect(path)
        db.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise NotADatabase(path) from None
        raise
    try:
        before = schema_version(db)
        if before > SCHEMA_VERSION:
            raise NewerDatabase(newer_message(path, before))
        for version, sql in sorted(migrations().items()):
            if version > before:
                db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
        db.executescript(
            f"BEGIN IMMEDIATE;\n{schema_sql()}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
        fit_to_catalogue(db, form or catalogue.built_in(), progress or print_progress)
        return before, SCHEMA_VERSION
    finally:
        db.close()


# The layout of the indexes that schema.sql made before they were built from
# the catalogue: the built-in catalogue's.
FIRST_LAYOUT = {
    "session_date": "session_date",
    "indexed_filters": ["follow_up_needed", "participant_engagement"],
    "searchable": ["session_topic", "challenges_noted", "mentor_notes", "way_forward"],
}
# From how many reports a rebuild says how far it has come, and how often.
PROGRESS_FROM = 10_000
FILL_CHUNK = 50_000


def print_progress(line):
    print(line, file=sys.stderr, flush=True)


def fit_to_catalogue(db, form, progress=print_progress):
    """Make what depends on the catalogue fit it, in one transaction: the index
    of the session date and the filters, the search index of the searchable
    fields (both built again when what they are built from changed), the limit
    of field_count, and the list of every field the database has known. No
    stored value is changed: a field gone from the catalogue keeps its values."""
    db.execute("BEGIN IMMEDIATE")
    try:
        built = queries.catalogue_layout(db)
        if built is None and queries.table_exists(db, "report_text"):
            built = FIRST_LAYOUT
        wanted = form.layout
        reports = queries.count_all_reports(db)
        loud = reports >= PROGRESS_FROM
        if (
            built is None
            or built["session_date"] != wanted["session_date"]
            or built["indexed_filters"] != wanted["indexed_filters"]
        ):
            if loud and built is not None:
                progress(f"Building the index of the session date for {reports:,} reports.")
            queries.drop_session_date_index(db)
        queries.create_session_date_index(db, form.session_date, form.indexed_filters)
        if (
            not queries.table_exists(db, "report_text")
            or built["searchable"] != wanted["searchable"]
        ):
            queries.drop_search_index(db)
            queries.create_search_index(db, form.searchable)
            _fill_search_index(db, form.searchable, reports, progress if loud else None)
        else:
            # Its triggers, if a migration dropped them.
            queries.create_search_index(db, form.searchable)
        queries.limit_field_count(db, len(form.fields))
        queries.remember_catalogue_fields(db, [(field.name, field.label) for field in form.fields])
        queries.save_catalogue_layout(db, wanted)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _fill_search_index(db, searchable, reports, progress):
    if not searchable or not reports:
        return
    done, last = 0, 0
    while True:
        last = queries.fill_search_index(db, searchable, last, FILL_CHUNK)
        if last is None:
            return  # the chunk before was the last: said already
        done = min(done + FILL_CHUNK, reports)
        if progress is not None:
            progress(f"Building the search index: {done:,} of {reports:,} reports.")


def newer_message(path, version):
    return (
        f"The database {path} is at schema version {version}, and this version of "
        f"the service knows versions up to {SCHEMA_VERSION}: run the newer service, "
        "or restore a backup made for this one."
    )


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


def open_or_create(path, instance_path=None, form=None):
    """init_db at the server's start, where a file that cannot be opened is a
    setting to fix. True if it created a new database."""
    existed = os.path.exists(path)
    try:
        init_db(path, instance_path, form)
    except NewerDatabase as error:
        raise ConfigError(str(error)) from error
    except (OSError, sqlite3.Error, DatabaseMissing, NotADatabase) as error:
        raise ConfigError(f"DATABASE {path} cannot be opened or created: {error}") from error
    watch(path)  # from now on, another file at the path is noticed
    return not existed


def open_read_only(path):
    """At the start of a read-only copy: check that the database at `path` is
    one this code reads as it is, without creating, migrating or writing it.
    What is wrong is a ConfigError of one line."""
    if not os.path.isfile(path):
        raise ConfigError(
            f"DATABASE {path} does not exist, and a read-only copy never creates one: "
            "restore the replica there first, or set REPORTS_DATABASE."
        )
    try:
        db = connect(path, mode="ro")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as error:
        raise ConfigError(f"DATABASE {path} cannot be opened to read: {error}") from error
    if version > SCHEMA_VERSION:
        raise ConfigError(newer_message(path, version))
    if version < SCHEMA_VERSION:
        raise ConfigError(
            f"The database {path} is at schema version {version}, older than this version of "
            f"the service ({SCHEMA_VERSION}), and a read-only copy does not migrate it: "
            "upgrade the primary service first, or run the version it runs."
        )
    watch(path)


def init_app(app):
    app.before_request(check_request_file)
    app.teardown_appcontext(end_request)
