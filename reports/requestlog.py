"""One line per request on stderr: when, which request, what was asked, how it
ended, how long it took, and which token asked. Never a body, a query string
or a field value: those may say what participants said.

Each request has an id: the client's `X-Request-ID` when it is well formed, or
a new one. It is answered in `X-Request-ID` and named in every log line about
the request, error lines included.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request

from reports import clock

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
FORMATS = ("text", "json")

logger = logging.getLogger("reports.requests")


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
    logger.info(
        "request",
        extra={
            "request": {
                "time": clock.timestamp(),
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                "token": None if caller is None or caller.name == "anonymous" else caller.name,
            }
        },
    )
    return response


class RequestFormatter(logging.Formatter):
    def __init__(self, log_format):
        super().__init__()
        self.log_format = log_format

    def format(self, record):
        line = record.request
        if self.log_format == "json":
            return json.dumps(line, separators=(",", ":"))
        return (
            f"{line['time']} {line['request_id']} {line['method']} {line['path']} "
            f"{line['status']} {line['duration_ms']}ms {line['token'] or '-'}"
        )


def init_app(app):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RequestFormatter(app.config["LOG_FORMAT"]))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    app.before_request(start_request)
    app.after_request(end_request)
