"""Every error the service answers, as an RFC 9457 problem details document."""

import sqlite3
from http import HTTPStatus

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from reports import requestlog
from reports.db import DatabaseGone
from reports.limits import Busy
from reports.read_only import ReadOnlyCopy
from reports.workbook import NoRoom

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# SQLite's errors that mean the disk or the file, not the request, is at fault.
STORAGE_FAULTS = {
    sqlite3.SQLITE_BUSY: "the database is busy with another write",
    sqlite3.SQLITE_LOCKED: "the database is busy with another write",
    sqlite3.SQLITE_READONLY: "the database file cannot be written",
    sqlite3.SQLITE_FULL: "the disk holding the database is full",
    sqlite3.SQLITE_IOERR: "the disk holding the database failed to read or write",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
}


class ReportNotFound(Exception):
    """No report has this id (or the id cannot be one)."""

    def __init__(self, report_id, where=""):
        super().__init__(f"No report {where + ' ' if where else ''}has the id {report_id!r}.")


class Conflict(Exception):
    """The request is valid but clashes with the report's current state."""


class PreconditionFailed(Exception):
    """If-Match named a version of the report that is no longer current."""


def wants_a_page():
    """Whether an error is answered as an HTML page rather than problem+json:
    on the web pages, and on a path that is no route when a browser asks for
    it (the API and every client that does not prefer HTML keep problem+json)."""
    if request.blueprint is not None:
        return request.blueprint == "web"
    if request.path.startswith("/api/") or request.path == "/healthz":
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def error_page(status, detail):
    """The HTML page of an error: its status phrase and its detail, which are
    the API's English, in the page's language."""
    # Imported here: the pages' package imports this module.
    from reports.web.messages import status_title, translated

    page = render_template(
        "web/error.html", status=status, title=status_title(status), detail=translated(detail)
    )
    return page, status


def problem(status, detail, **members):
    """A problem+json response, or on the web pages an HTML page that says the
    same. `title` is the status phrase, so `type` stays about:blank."""
    if wants_a_page():
        return current_app.make_response(error_page(status, detail))
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **members,
    }
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_JSON
    return response


def http_error(error):
    detail = error.description
    if isinstance(error, CSRFError):
        detail = (
            "This form has expired, or it was not sent from this service's own page. "
            "Go back, reload the page and try again."
        )
    elif error.code == 404 and detail == _werkzeug_default(error):
        detail = f"Nothing is at {request.path}."
    elif error.code == 405:
        detail = f"{request.method} is not allowed on {request.path}."
    elif error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        detail = f"The body is larger than the limit of {limit} bytes."
    response = problem(error.code, detail)
    # Keep the headers the error brings, such as Allow on a 405.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _werkzeug_default(error):
    return type(error).description


def validation_error(error):
    return problem(
        422, "The request is not valid; `errors` says what to fix.", errors=error.messages
    )


def report_not_found(error):
    return problem(404, str(error))


def conflict(error):
    return problem(409, str(error))


def precondition_failed(error):
    return problem(412, str(error))


def database_error(error):
    """A storage fault is a 503 that says what is wrong; anything else is a bug."""
    if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_INTERRUPT:
        return over_budget(error)
    fault = STORAGE_FAULTS.get(getattr(error, "sqlite_errorcode", 0) & 0xFF)
    if fault is None:
        return unexpected_error(error)
    # The SQLite error names the fault only; request bodies never reach the log.
    current_app.logger.error(
        "Storage fault on %s %s (request %s): %s (%s)",
        request.method,
        requestlog.logged_path(),
        requestlog.request_id(),
        error.sqlite_errorname,
        error,
    )
    return retry_later(
        f"The report store is unavailable: {fault}. Nothing was changed; try again later."
    )


def over_budget(error):
    """A read statement ran past QUERY_TIMEOUT_MS and was stopped (see db.ReadConnection)."""
    budget = current_app.config["QUERY_TIMEOUT_MS"]
    current_app.logger.warning(
        "Query over its budget of %d ms on %s %s (request %s)",
        budget,
        request.method,
        requestlog.logged_path(),
        requestlog.request_id(),
    )
    return retry_later(
        f"The query took longer than the server allows ({budget} ms) and was stopped: "
        "narrow it down (more filters, fewer or longer search words) and try again."
    )


def busy(error):
    return retry_later(str(error))


def no_room_for_a_workbook(error):
    current_app.logger.error(
        "No room for a workbook on %s %s (request %s): %s",
        request.method,
        requestlog.logged_path(),
        requestlog.request_id(),
        error,
    )
    return retry_later(
        "The server has too little free disk space to write the workbook now. "
        "Nothing was changed; try again later, or ask for csv."
    )


def database_gone(error):
    """The database file was deleted or replaced under the running service: its
    log says which; nothing is read or written until a restart."""
    return retry_later(
        "The report store is unavailable: its database file is gone or was replaced. "
        "Nothing was changed; the service must be restarted; see the server's log."
    )


def read_only_copy(error):
    """A write to a read-only copy: no Retry-After, since trying again here never helps."""
    return problem(503, str(error))


def retry_later(detail):
    response = problem(503, detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unexpected_error(error):
    current_app.logger.exception(
        "Unexpected error on %s %s (request %s)",
        request.method,
        requestlog.logged_path(),
        requestlog.request_id(),
    )
    return problem(500, "An unexpected error occurred. It has been logged on the server.")


def init_app(app):
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ValidationError, validation_error)
    app.register_error_handler(ReportNotFound, report_not_found)
    app.register_error_handler(Conflict, conflict)
    app.register_error_handler(PreconditionFailed, precondition_failed)
    app.register_error_handler(sqlite3.Error, database_error)
    app.register_error_handler(Busy, busy)
    app.register_error_handler(DatabaseGone, database_gone)
    app.register_error_handler(NoRoom, no_room_for_a_workbook)
    app.register_error_handler(ReadOnlyCopy, read_only_copy)
    app.register_error_handler(Exception, unexpected_error)
