"""READ_ONLY: the service as a read-only copy of the reports, such as one
served from a Litestream replica. Every read is served; every request that
would write is refused here, in one place, with a 503 that says where to write."""

import click
from flask import current_app, request

# The methods that only read (HTTP's safe methods): the one list of them, which
# the API's role check and the cross-site check use too.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The pages' POSTs that write nothing to the database: signing in with a pasted
# token (only read) and signing out (only the session cookie). A sign-in link is
# used up by a write, so it is refused like every other write.
WRITES_NOTHING = ("web.login", "web.logout")
DETAIL = "This is a read-only copy of the reports: write to the primary service."
# A link made for the primary cannot be used up here; a pasted token can sign in.
LINK_DETAIL = (
    f"{DETAIL} A sign-in link cannot be used on it: sign in with your token at /login, "
    "or use the link on the primary service."
)


class ReadOnlyCopy(click.ClickException):
    """A write was asked of a service that serves a read-only copy. A flask
    command that would write says so in one line, as click says its errors."""

    def __init__(self, detail=DETAIL):
        super().__init__(detail)


def refuse_if_read_only():
    """For a command that changes the database outside db.write (init-db, migrate)."""
    if is_read_only():
        raise ReadOnlyCopy()


def is_read_only(app=None):
    return bool((app or current_app).config["READ_ONLY"])


def writes(method, endpoint):
    """Whether a request of `method` to the route `endpoint` may write."""
    return method not in SAFE_METHODS and endpoint not in WRITES_NOTHING


def refuse_writes():
    """Before every request: on a read-only copy, one to a route that writes is
    a 503. A request that matches no route keeps its 404 or 405."""
    if not is_read_only() or request.url_rule is None:
        return
    if writes(request.method, request.endpoint):
        raise ReadOnlyCopy(LINK_DETAIL if request.endpoint == "web.login_link" else DETAIL)


def init_app(app):
    app.before_request(refuse_writes)
