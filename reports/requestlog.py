"""One line per request on stderr: when, which request, what was asked, how it
ended, how long it took, and which token asked. Never a body, a query string
or a field value: those may say what participants said.

Each request has an id: the client's `X-Request-ID` when it is well formed, or
a new one. It is answered in `X-Request-ID` and named in every log line about
the request, error lines included.

No value of a request can forge a log line or drive a terminal: control
characters (line breaks, ANSI escapes, NUL, DEL, the C1 controls, Unicode's
line separators and bidi controls) and the backslash are written escaped, as
`\\x0a` or `\\u2028`; in a text line the space too, so that each field stays
one field. JSON lines are escaped by JSON itself.
"""

import itertools
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid

from flask import current_app, g, has_request_context, request

from reports import clock

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
FORMATS = ("text", "json")

# C0 controls, DEL, C1 controls, line and paragraph separators, bidi controls.
CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(rf"[{CONTROLS}\\]")
UNSAFE_IN_FIELD = re.compile(rf"[{CONTROLS}\\ ]")


def escape(value, unsafe=UNSAFE):
    r"""`value` as text that holds no control character: each is written \xNN
    (or \uNNNN above U+00FF), and so is a backslash."""
    return unsafe.sub(_escaped, str(value))


def _escaped(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


class RequestLog:
    """Writes each request's line to a stream (stderr), text or JSON, whole
    lines only, flushed at once so that journald or a log shipper sees it."""

    def __init__(self, log_format="text", stream=None):
        self.log_format = log_format
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, line):
        text = format_line(line, self.log_format) + "\n"
        stream = self.stream or sys.stderr
        with self.lock:
            stream.write(text)
            stream.flush()


def format_line(line, log_format):
    if log_format == "json":
        return json.dumps(line, separators=(",", ":"))
    # The time, the id (well formed or made here), the status, the duration and a
    # token's name (an entity id) hold no character to escape: only what the
    # client sent as it was does.
    token = "-" if line["token"] is None else line["token"]
    method = line["method"]
    return (
        f"{line['time']} {line['request_id']} "
        f"{method if method in METHODS else _field(method)} {_field(line['path'])} "
        f"{line['status']} {line['duration_ms']}ms {token}"
    )


# The methods a line most often has, which hold nothing to escape.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _field(value):
    return escape(value, UNSAFE_IN_FIELD) if UNSAFE_IN_FIELD.search(value) else value


class EscapeControls(logging.Filter):
    """Escapes the control characters of every value in a log record, and of
    the message of an exception it carries, so that each record keeps the
    lines it was meant to have."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = escape(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _escaped_arg(arg) for name, arg in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = escaped_traceback(record.exc_info)
        return True


def _escaped_arg(arg):
    return arg if isinstance(arg, int | float) else escape(arg)


def escaped_traceback(exc_info):
    """A traceback as logging writes it, with the message of each exception in
    it escaped (its frames are the service's own code)."""
    text = "".join(traceback.format_exception(*exc_info))
    for error in _chain(exc_info[1]):
        own = "".join(traceback.format_exception_only(type(error), error))
        text = text.replace(own, escape(own.removesuffix("\n")) + "\n")
    return text.removesuffix("\n")


def _chain(error):
    seen = []
    while error is not None and not any(error is other for other in seen):
        seen.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return seen


ESCAPE_CONTROLS = EscapeControls()


def request_id():
    """This request's id as the log writes it, or '-' outside a request."""
    return g.get("logged_request_id", "-") if has_request_context() else "-"


# A request id made here: 16 hex digits drawn at the start, and a count, so
# that no two requests of a process, nor of two processes, share one.
_MADE_ID_PREFIX = uuid.uuid4().hex[:16]
_made_ids = itertools.count()


# A client's own id is logged after this prefix, which no id made here has, so
# that a client cannot pass its requests off as others' by sending their ids.
CLIENT_ID_PREFIX = "client:"


def start_request():
    # Each name of flask's is looked up once: a lookup costs more than the rest.
    state = g._get_current_object()
    state.request_started = time.perf_counter()
    incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
    if incoming and REQUEST_ID.fullmatch(incoming):
        state.request_id, state.logged_request_id = incoming, f"{CLIENT_ID_PREFIX}{incoming}"
    else:
        state.request_id = state.logged_request_id = f"{_MADE_ID_PREFIX}{next(_made_ids):016x}"


# A sign-in link's path holds its secret, which must not be readable in a log
# before the link is used; so does the link of a person's choice of e-mails,
# which changes it.
SIGN_IN_LINK = re.compile(r"^/login/.+")
NOTIFICATIONS_LINK = re.compile(r"^/notifications/[^/]+")


def logged_path(path=None):
    """The request's path (or `path`) as the logs write it: a link's secret left out."""
    path = request.path if path is None else path
    if path.startswith("/login/"):
        return SIGN_IN_LINK.sub("/login/…", path)
    if path.startswith("/notifications/"):
        return NOTIFICATIONS_LINK.sub("/notifications/…", path)
    return path


def end_request(response):
    state, asked = g._get_current_object(), request._get_current_object()
    took_ms = round((time.perf_counter() - state.request_started) * 1000, 1)
    # No other part of the service sets it: add, rather than look for one to replace.
    response.headers.add("X-Request-ID", state.request_id)
    caller = state.get("caller")
    current_app.extensions["request_log"].write(
        {
            "time": clock.timestamp(),
            "request_id": state.logged_request_id,
            "method": asked.method,
            "path": logged_path(asked.path),
            "status": response.status_code,
            "duration_ms": took_ms,
            "token": None if caller is None or caller.name == "anonymous" else caller.name,
        }
    )
    return response


def init_app(app):
    app.extensions["request_log"] = RequestLog(app.config["LOG_FORMAT"])
    # The error lines of the service, and waitress's, which name the path.
    for logger in (app.logger, logging.getLogger("waitress")):
        logger.addFilter(ESCAPE_CONTROLS)
    app.before_request(start_request)
    app.after_request(end_request)
