"""The web pages: server-rendered, for people in a browser. Thin like the API:
parse the form, call `auth` and `service`, render. No SQL and no rule here.

One blueprint, `web`, at `/`; each module of this package adds the pages of
one part of the service to it."""

import dataclasses
import functools
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for

from reports import auth, catalogue, human, languages, read_only, service
from reports.web import script_texts, sessions
from reports.web.messages import _l

bp = Blueprint("web", __name__)
# The flash category that tells the next page what the browser is to forget of
# what it kept (static/offline.js): "new:FORM_KEY" or "edit:REPORT_ID", a form
# the service saved; "everything", at sign-out.
FORGET_KEPT = "forget"

ACCESS_BANNERS = {
    "open here": _l(
        "This service has no token yet, so anyone on this machine can use it "
        "as a coordinator, and no one else."
    ),
    "open to all": _l(
        "No token is in force and ALLOW_OPEN is set, so anyone who can reach "
        "this service can use it as a coordinator."
    ),
}
# A role and a status in the middle of a sentence ("Signed in as Mona (mentor)").
ROLE_WORDS = {
    "coordinator": _l("coordinator"),
    "mentor": _l("mentor"),
    "viewer": _l("viewer"),
}
STATUS_WORDS = {"draft": _l("draft"), "submitted": _l("submitted")}
# A person's choice of e-mails (person.notify), in the forms' order.
NOTIFY_LABELS = {
    "each": _l("Each e-mail, as it happens"),
    "digest": _l("A daily digest"),
    "off": _l("None"),
}
REVIEW_LABELS = {
    None: _l("Not reviewed"),
    "approved": _l("Approved"),
    "has_issues": _l("Has issues"),
    "rejected": _l("Rejected"),
}


# Who is asking ------------------------------------------------------------


@bp.before_request
def load_caller():
    """g.caller: the token the session signed in (checked again on every
    request: a token revoked since signs nobody in), the anonymous coordinator
    while the pages are open, or None."""
    g.caller, g.access = None, None
    sessions.load()
    name = session.get(sessions.TOKEN_KEY)
    if name is not None:
        g.caller = auth.caller_by_name(name)
        if g.caller is None:
            sessions.end()
            flash(str(sessions.REVOKED))
        else:
            keep_language_chosen()
        return
    if auth.pages_open_to(request.environ):
        g.caller, g.access = auth.ANONYMOUS, auth.access_state()


def keep_language_chosen():
    """A person who chooses a language in the menu prefers it from then on, on
    every device they sign in on (not on a read-only copy, which writes nothing)."""
    code = languages.known(request.args.get(languages.CHOOSE))
    if code is None or code == g.caller.language or read_only.is_read_only():
        return
    service.set_own_language(code, caller=g.caller)
    g.caller = dataclasses.replace(g.caller, language=code)


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.caller is None:
            return redirect(url_for("web.login"))
        return view(**kwargs)

    return wrapped


@bp.app_context_processor
def page_context():
    # A page outside the blueprint (an error page) shows the session's messages too.
    sessions.load()
    banner = ACCESS_BANNERS.get(g.get("access")) if g.get("caller") is auth.ANONYMOUS else None
    return {
        "caller": g.get("caller"),
        "signed_in": sessions.TOKEN_KEY in session,
        "access_banner": banner,
        "create_command": auth.CREATE_COMMAND,
        # The field whose value names a report kept on the phone (static/offline.js).
        "title_field": catalogue.live().title,
        "page_language": languages.current(),
        "language_links": language_links(),
        # The texts the scripts write, in the page's language (called by base.html only).
        "script_texts": script_texts.translated,
    }


def language_links():
    """The language menu: each offered language with this page's address, its
    query kept, choosing that language."""
    query = [
        (name, value) for name, value in request.args.items(multi=True) if name != languages.CHOOSE
    ]
    return [
        (code, f"{request.path}?{urlencode([*query, (languages.CHOOSE, code)])}")
        for code in languages.offered()
    ]


# The app around the pages -------------------------------------------------------

FAVICON, FAVICON_ENDPOINT = "favicon.ico", "favicon"


def favicon():
    """/favicon.ico, which browsers ask for whatever the page says: a static
    file like the others (cached; no session, no database)."""
    return current_app.send_static_file(FAVICON)


def init_app(app):
    from reports.web import display
    from reports.web.sessions import SessionInterface

    app.session_interface = SessionInterface()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        # A form's CSRF token lasts as long as its session: a long report may
        # take more than Flask-WTF's default hour to write.
        WTF_CSRF_TIME_LIMIT=None,
    )
    # The words of a stored value; one they lack is shown as it is: roles.get(role, role).
    app.jinja_env.globals.update(
        review_labels=REVIEW_LABELS,
        status_labels=display.STATUS_LABELS,
        status_words=STATUS_WORDS,
        role_words=ROLE_WORDS,
        notify_labels=NOTIFY_LABELS,
    )
    # Every time and date a page shows, for people: {{ report.created_at | when }}.
    app.jinja_env.filters["when"] = display.when
    app.jinja_env.filters["day"] = display.day
    # Counts as the page's language writes them: {{ row.reports | number }}.
    app.jinja_env.filters["number"] = human.number
    # Ids by the directory's names: {{ report.peer_mentor_id | mentor }}.
    app.jinja_env.filters["mentor"] = display.mentor_name
    app.jinja_env.filters["activity"] = display.activity_name
    app.jinja_env.filters["person"] = display.person_name
    app.add_url_rule("/" + FAVICON, FAVICON_ENDPOINT, favicon)
    app.register_blueprint(bp)


# The pages, each module adding its own to `bp`.
from reports.web import (  # noqa: E402,F401
    directory,
    forms,
    integrations,
    notifications,
    pages,
    reviewing,
    signin,
    summary,
    table,
)
