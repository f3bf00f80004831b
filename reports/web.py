"""The web pages: server-rendered, for people in a browser. Thin like the API:
parse the form, call `auth` and `service`, render. No SQL and no rule here."""

import functools
import math
import os
import secrets
import socket
import threading

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import Forbidden

from reports import auth, service
from reports.db import make_folder
from reports.schemas import FIELD_NAMES, REQUIRED_TO_SUBMIT

bp = Blueprint("web", __name__)

PAGE_SIZE = 20
# Reports "My reports" shows of each status.
MINE_LIMIT = 100
TOKEN_FIELD = "token"

# How each catalogue field is shown on a report's page.
FIELD_LABELS = {
    "session_date": "Session date",
    "attendance_count": "Attendance",
    "session_topic": "Session topic",
    "participant_engagement": "Participant engagement",
    "challenges_noted": "Challenges noted",
    "mentor_notes": "Mentor's notes",
    "way_forward": "Way forward",
    "duration_minutes": "Duration (minutes)",
    "follow_up_needed": "Follow-up needed",
}
REVIEW_LABELS = {
    None: "Not reviewed",
    "approved": "Approved",
    "has_issues": "Has issues",
    "rejected": "Rejected",
}
ENGAGEMENT_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}

ACCESS_BANNERS = {
    "open here": "This service has no token yet, so anyone on this machine can use it "
    "as a coordinator, and no one else.",
    "open to all": "No token is in force and ALLOW_OPEN is set, so anyone who can reach "
    "this service can use it as a coordinator.",
}


# Who is asking ------------------------------------------------------------


@bp.before_request
def load_caller():
    """g.caller: the signed-in token (checked again on every request, so that
    revoking it ends the session), the anonymous coordinator while the pages
    are open, or None."""
    g.caller, g.access = None, None
    name = session.get("token")
    if name is not None:
        g.caller = auth.caller_by_name(name)
        if g.caller is None:
            session.clear()
            flash("Your sign-in has ended: its token was revoked. Sign in again.")
        return
    if auth.pages_open_to(request.environ):
        g.caller, g.access = auth.ANONYMOUS, auth.access_state()


@bp.after_request
def not_cached(response):
    """A page shows what its session may see: no cache keeps a copy, so that
    Back after signing out shows nothing."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.caller is None:
            return redirect(url_for("web.login"))
        return view(**kwargs)

    return wrapped


@bp.app_context_processor
def page_context():
    banner = ACCESS_BANNERS.get(g.get("access")) if g.get("caller") is auth.ANONYMOUS else None
    return {
        "caller": g.get("caller"),
        "signed_in": "token" in session,
        "access_banner": banner,
        "create_command": auth.CREATE_COMMAND,
    }


# Signing in and out ---------------------------------------------------------


@bp.route("/login", methods=("GET", "POST"))
def login():
    errors, typed = {}, ""
    if request.method == "POST":
        typed = request.form.get(TOKEN_FIELD, "")
        caller = auth.caller_by_secret(typed) if typed.strip() else None
        if caller is not None:
            return _sign_in(caller)
        errors[TOKEN_FIELD] = (
            "Enter your token"
            if not typed.strip()
            else "This token is not one in force: check that you pasted all of it, "
            "or ask your coordinator for a new one"
        )
    status = 400 if errors else 200
    return render_template("web/login.html", errors=errors, typed=typed), status


@bp.route("/login/<secret>", methods=("GET", "POST"))
def login_link(secret):
    """A sign-in link: GET asks for a click (so that a link preview cannot use
    it up), POST uses it."""
    if request.method == "POST":
        caller = auth.use_sign_in_link(secret)
        if caller is not None:
            return _sign_in(caller)
    elif auth.sign_in_link_caller(secret) is not None:
        return render_template("web/link.html")
    return render_template("web/link_used.html"), 400


def _sign_in(caller):
    session.clear()
    session["token"] = caller.name
    flash(f"Signed in as {caller.name}.")
    return redirect(url_for("web.index"))


@bp.post("/logout")
def logout():
    session.clear()
    flash("Signed out.")
    return redirect(url_for("web.login"))


# Pages ------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """Each role's start page."""
    if g.caller.role == "mentor":
        return redirect(url_for("web.my_reports"))
    return redirect(url_for("web.reports"))


@bp.get("/reports")
@login_required
def reports():
    """The newest reports, a page at a time (a mentor sees its own only)."""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1
    listed, total = service.listed_reports({"owner": g.caller.owner}, page=page, limit=PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return render_template("web/reports.html", reports=listed, total=total, page=page, pages=pages)


@bp.get("/reports/mine")
@login_required
def my_reports():
    """A mentor's reports: drafts first, then submitted ones with their review."""
    if g.caller.role != "mentor":
        raise Forbidden(
            "“My reports” is a mentor's page: your token is a "
            f"{g.caller.role} token. All reports are under Reports."
        )
    drafts, draft_total = service.listed_reports(
        {"owner": g.caller.owner, "status": "draft"}, limit=MINE_LIMIT
    )
    submitted, submitted_total = service.listed_reports(
        {"owner": g.caller.owner, "status": "submitted"}, limit=MINE_LIMIT
    )
    return render_template(
        "web/mine.html",
        drafts=drafts,
        draft_total=draft_total,
        submitted=submitted,
        submitted_total=submitted_total,
    )


@bp.get("/reports/<report_id>")
@login_required
def report(report_id):
    """Every field of one report, and its review; another mentor's is a 404."""
    shown = service.get_report(report_id, g.caller)
    review = service.review_of(report_id, g.caller)
    fields = [
        (name, FIELD_LABELS[name], _shown_value(name, shown["fields"].get(name)))
        for name in FIELD_NAMES
    ]
    return render_template(
        "web/report.html",
        report=shown,
        review=review,
        fields=fields,
        required=REQUIRED_TO_SUBMIT,
    )


def _shown_value(name, value):
    if value is None:
        return None
    if name == "follow_up_needed":
        return "Yes" if value else "No"
    if name == "participant_engagement":
        return ENGAGEMENT_LABELS.get(value, value)
    return str(value)


# The app around the pages -------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def security_headers(response):
    """On every answer, the API's too: no inline script, no framing, no sniffing."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


SECRET_KEY_FILE = "secret_key"
_secret_key_lock = threading.Lock()


def instance_secret_key(instance_path):
    """The key in instance/secret_key, made there (readable by its owner only)
    the first time it is needed, and reused on every start after."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    with _secret_key_lock:
        try:
            with open(path, encoding="ascii") as file:
                key = file.read().strip()
        except FileNotFoundError:
            key = ""
        if key:
            return key
        make_folder(instance_path)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, key.encode("ascii"))
        finally:
            os.close(fd)
        return key


# The paths that never use a session: the API (bearer tokens) and /healthz.
NO_SESSION = ("/api/", "/healthz")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; without a configured SECRET_KEY, the
    instance folder's one, made on the first request that may need it (never
    for the API, which has no session, nor when the app is only built)."""

    def open_session(self, app, request):
        if request.path.startswith(NO_SESSION):
            return None  # Flask's null session: nothing to read, sign or set
        if not app.secret_key:
            app.secret_key = instance_secret_key(app.instance_path)
        return super().open_session(app, request)


def sign_in_url(secret):
    """The one-time sign-in link of a secret, at PUBLIC_URL, or at HOST:PORT."""
    config = current_app.config
    base = config["PUBLIC_URL"]
    if base is None:
        host = config["HOST"]
        if host in ("0.0.0.0", "::", ""):
            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        base = f"http://{host}:{config['PORT']}"
    return f"{base.rstrip('/')}/login/{secret}"


def init_app(app):
    app.session_interface = SessionInterface()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        # A form's CSRF token lasts as long as its session: a long report may
        # take more than Flask-WTF's default hour to write.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.jinja_env.globals["review_labels"] = REVIEW_LABELS
    app.after_request(security_headers)
    app.register_blueprint(bp)
