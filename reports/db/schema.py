"""The schema of a database: schema.sql, the numbered migrations and the
version they bring it to, and what the catalogue decides in it; the checks
at the server's start that the file is one this code reads."""

import os
import re
import sqlite3
import sys
from importlib import resources

from reports import catalogue, queries
from reports.config import ConfigError
from reports.db import connections


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


# A migration that a line of this form starts runs only where its query answers true;
# elsewhere the database is as it makes it already, or schema.sql makes it so.
NEEDED_WHERE = re.compile(r"^-- Needed where: (.+)$", re.MULTILINE)


def needed(db, sql):
    """Whether the migration `sql` has work to do in `db` (see NEEDED_WHERE)."""
    condition = NEEDED_WHERE.search(sql)
    return condition is None or bool(db.execute(condition[1]).fetchone()[0])


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
    connections.make_folder(folder)
    if (
        connections.create_file(path)
        and instance_path is not None
        and folder == os.path.abspath(instance_path)
    ):
        connections.make_folder(folder, private=True)
    return upgrade(path, form)


def upgrade(path, form=None, progress=None):
    """Bring an existing database up to SCHEMA_VERSION: each numbered migration
    it lacks, in order, each in one transaction, then whatever schema.sql has
    that it lacks (schema.sql only adds: tables, indexes, triggers), then the
    indexes the catalogue `form` decides (see fit_to_catalogue). Existing rows
    stay as they are. Returns the versions (before, after)."""
    connections.require_database(path)
    try:
        db = connections.connect(path)
        db.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as error:
        if error.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise connections.NotADatabase(path) from None
        raise
    try:
        before = schema_version(db)
        if before > SCHEMA_VERSION:
            raise NewerDatabase(newer_message(path, before))
        for version, sql in sorted(migrations().items()):
            if version > before:
                if not needed(db, sql):
                    sql = ""
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
        queries.remember_catalogue_fields(
            db, [(field.name, field.default_label) for field in form.fields]
        )
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
    except (
        OSError,
        sqlite3.Error,
        connections.DatabaseMissing,
        connections.NotADatabase,
    ) as error:
        raise ConfigError(f"DATABASE {path} cannot be opened or created: {error}") from error
    connections.watch(path)  # from now on, another file at the path is noticed
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
        db = connections.connect(path, mode="ro")
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
    connections.watch(path)
