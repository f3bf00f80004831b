"""The pages as an app a phone installs: the web app manifest, and the service
worker that keeps the app's shell (styles, scripts, icons) and the two pages a
mentor files with, the report form and My reports, as last seen, for a phone
without a signal. What the worker does is in reports/static/sw.js; this module
serves it at the root, so that its scope is every page, with the constants it
needs written before it.

The worker's cache is named after the release and a hash of the files it keeps
(its own source included), worked out when the app starts: a new release, or
any change to one of those files, gives a new /sw.js, which browsers install in
place of the old one, deleting the old cache."""

import hashlib
import json
from importlib import metadata
from pathlib import Path

from flask import Blueprint, current_app, url_for

bp = Blueprint("installable", __name__)

DISTRIBUTION = "post-session-reports"
NAME, SHORT_NAME = "Post-Session Reports", "Reports"
THEME_COLOUR = "#0b0c0c"  # the header's
MANIFEST_TYPE = "application/manifest+json"
# The icons the manifest names: (file in static/, sizes, type).
ICONS = (
    ("icons/icon-192.png", "192x192", "image/png"),
    ("icons/icon-512.png", "512x512", "image/png"),
    ("icons/icon.svg", "any", "image/svg+xml"),
)
# The app's shell: the files of static/ that the pages kept offline use, kept by
# the worker from its install on. A script or stylesheet those pages link must
# be here (tests/test_installable.py checks it).
SHELL = (
    "style.css",
    "form.js",
    "table.js",
    "register.js",
    "offline.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/apple-touch-icon.png",
)
WORKER_SOURCE = "sw.js"


def release():
    """The installed package's version; a checkout that is not installed has none."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unreleased"


def shell_version(static_folder, release_name):
    """The version of what the worker keeps: the release and a hash of the
    shell's files and of the worker's own source, as they are in `static_folder`."""
    digest = hashlib.sha256()
    for name in (*SHELL, WORKER_SOURCE):
        content = (Path(static_folder) / name).read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return f"{release_name}-{digest.hexdigest()[:16]}"


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": NAME,
        "short_name": SHORT_NAME,
        "start_url": url_for("web.index"),
        "scope": url_for("web.index"),
        "display": "standalone",
        "background_color": THEME_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": url_for("static", filename=name), "sizes": sizes, "type": kind}
            for name, sizes, kind in ICONS
        ],
    }
    return current_app.response_class(json.dumps(body, indent=2), mimetype=MANIFEST_TYPE)


@bp.get("/sw.js")
def service_worker():
    """The worker, with its constants before its source. Checked by browsers on
    every visit (no-cache), so that a new release is seen at once."""
    worker = current_app.extensions["installable"]
    constants = {
        "VERSION": worker["version"],
        "SHELL": [url_for("static", filename=name) for name in SHELL],
        "FORM": url_for("web.new_report"),
        "MY_REPORTS": url_for("web.my_reports"),
        "START": url_for("web.index"),
    }
    lines = [f"const {name} = {json.dumps(value)};" for name, value in constants.items()]
    body = "// Written by reports/installable.py.\n" + "\n".join(lines) + "\n\n" + worker["source"]
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app):
    source = Path(app.static_folder) / WORKER_SOURCE
    app.extensions["installable"] = {
        "version": shell_version(app.static_folder, release()),
        "source": source.read_text(encoding="utf-8"),
    }
    app.jinja_env.globals["theme_colour"] = THEME_COLOUR
    app.register_blueprint(bp)
