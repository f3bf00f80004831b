"""One line per request on stderr: when, which request, what was asked, how it
ended, how long it took, and which token asked. Never a body, a query string
or a field value: those may say what participants said.

Each request has an id: the client's `X-Request-ID` when it is well formed, or
a new one. It is answered in `X-Request-ID` and named in every log line about
the request, error lines included.
"""

import json
import re
import sys
import threading
import time
import uuid

from flask import current_app, g, has_request_context, request

from reports import clock

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
FORMATS = ("text", "json")


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
    return (
        f"{line['time']} {line['request_id']} {line['method']} {line['path']} "
        f"{line['status']} {line['duration_ms']}ms {line['token'] or '-'}"
    )


def request_id():
    """This request's id, or '-' outside a request."""
    return g.get("request_id", "-") if has_request_context() else "-"


def start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def end_request(response):
    response.headers["X-Request-ID"] = g.request_id
    caller = g.get("caller")
    current_app.extensions["request_log"].write(
        {
            "time": clock.timestamp(),
            "request_id": g.request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            "token": None if caller is None or caller.name == "anonymous" else caller.name,
        }
    )
    return response


def init_app(app):
    app.extensions["request_log"] = RequestLog(app.config["LOG_FORMAT"])
    app.before_request(start_request)
    app.after_request(end_request)
