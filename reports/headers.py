"""Cache-Control on every answer: nothing that holds reports is kept by a
browser or a proxy (Back after signing out shows nothing, a shared computer
keeps no export). Only the files that are the same for everyone (styles,
scripts, Swagger UI's assets) may be cached."""

from flask import request

# The endpoints of files that hold nothing of any report.
STATIC_FILES = frozenset({"static", "docs.asset", "favicon"})


def not_stored(response):
    if request.endpoint not in STATIC_FILES:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    app.after_request(not_stored)
