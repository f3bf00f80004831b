"""Writes that another site's page sends are refused before any view runs.

A browser says where a request comes from: `Sec-Fetch-Site`, and `Origin` on a
write. The pages' forms carry CSRF tokens, but the API takes none: while it is
open (no token yet, or ALLOW_OPEN), a page elsewhere could otherwise change
reports through a visitor's browser. Scripts and programs send neither header
and are not concerned."""

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import Forbidden

from reports.read_only import SAFE_METHODS

# What Sec-Fetch-Site says of a request this service's own pages made, or that
# the person made by hand (a typed address, a bookmark).
OWN = frozenset({"same-origin", "none"})

REFUSED = (
    "A write sent by another site's page is refused: use this service's own pages, "
    "or send the request from a program rather than a browser."
)


def refuse_writes_from_other_sites():
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site in OWN:
        return
    if site == "cross-site":
        raise Forbidden(REFUSED)
    origin = request.headers.get("Origin")
    if origin is not None and origin_of(origin) not in own_origins():
        raise Forbidden(REFUSED)


def origin_of(url):
    """`scheme://host[:port]` of an Origin header, lower case; "null" stays "null"."""
    parts = urlsplit(url.strip().lower())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def own_origins():
    """The origins the service's pages are served from: the address the request
    names (its Host, over http or https) and PUBLIC_URL's."""
    host = request.host.lower()
    origins = {f"http://{host}", f"https://{host}"}
    public_url = current_app.config["PUBLIC_URL"]
    if public_url:
        origins.add(origin_of(public_url))
    return origins


def init_app(app):
    app.before_request(refuse_writes_from_other_sites)
