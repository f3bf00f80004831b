"""/docs: the API's OpenAPI document, rendered in the browser by Swagger UI.

Swagger UI's files come from the `swagger_ui_bundle` package and are served by
the app itself, so the page works on a network without the internet. Like
/api/v1/openapi.json, the page is open to anyone: it shows what the API is, not
what it holds.
"""

from flask import Blueprint, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

bp = Blueprint("docs", __name__, url_prefix="/docs")

# The bundle's files that the page uses; the others (its demo index.html, the
# template it ships, source maps) are not served.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})


@bp.get("")
def page():
    return render_template("docs.html")


@bp.get("/assets/<path:filename>")
def asset(filename):
    if filename not in ASSETS:
        raise NotFound(f"No asset of the API documentation is named {filename!r}.")
    return send_from_directory(str(swagger_ui_path), filename)
