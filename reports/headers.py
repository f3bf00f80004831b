"""Cache-Control on every answer: nothing that holds reports is kept by a
browser or a proxy (Back after signing out shows nothing, a shared computer
keeps no export). Only the files that are the same for everyone (styles,
scripts, Swagger UI's assets) may be cached. (The report form and My reports
are kept by the service worker instead, for a phone without a signal:
reports/installable.py.)"""

from flask import request

# The endpoints of files that hold nothing of any report (the service worker
# says itself how it may be cached).
STATIC_FILES = frozenset({"static", "docs.asset", "favicon", "installable.service_worker"})


def not_stored(response):
    if request.endpoint not in STATIC_FILES:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    app.after_request(not_stored)
