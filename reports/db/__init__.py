"""The database: each request thread's connection (kept per app), the one
writer of every write transaction (group commit), the file's upkeep, and its
schema and migrations. Its modules re-export here, so that a caller writes
`db.get_db()` or `db.write(work)` whichever module holds it."""

# Every name but init_app is imported to be re-exported.
# ruff: noqa: F401

from reports.db.connections import (
    BUSY_TIMEOUT_MS,
    EXTENSION,
    FILE_LOOK_SECONDS,
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    PROGRESS_STEPS,
    READER_CACHE_KIB,
    ConnectionsOfApp,
    DatabaseGone,
    DatabaseMissing,
    NotADatabase,
    ReadConnection,
    add_functions,
    check_file,
    check_request_file,
    connect,
    connections_of,
    create_file,
    end_request,
    file_identity,
    get_db,
    make_folder,
    mark_gone,
    require_database,
    snapshot,
    watch,
)
from reports.db.files import (
    backup,
    check,
    free_megabytes,
    integrity_problems,
)
from reports.db.schema import (
    FIRST_LAYOUT,
    SCHEMA_VERSION,
    NewerDatabase,
    fit_to_catalogue,
    init_db,
    migrations,
    newer_message,
    open_or_create,
    open_read_only,
    print_progress,
    schema_sql,
    schema_version,
    upgrade,
)
from reports.db.writer import (
    GroupCommit,
    checkpoint,
    close_database,
    submit,
    write,
)


def init_app(app):
    app.extensions[EXTENSION] = ConnectionsOfApp()
    app.before_request(check_request_file)
    app.teardown_appcontext(end_request)
