"""Signing in: a pasted token, or a one-time link, given by a coordinator or
asked for by e-mail; and signing out."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound, TooManyRequests

from reports import auth, human, service, throttle
from reports.schemas import emailed_link_schema
from reports.web import FORGET_KEPT, bp, display, sessions
from reports.web.messages import translated

TOKEN_FIELD = "token"
EMAIL_FIELD = "email"
# "Keep me signed in on this device": a checkbox, on by default for a link
# (opened on one's own phone), off for a pasted token (perhaps a shared computer).
KEEP_FIELD = "keep"


def _kept():
    return request.form.get(KEEP_FIELD) == "yes"


@bp.route("/login", methods=("GET", "POST"))
def login():
    errors, typed, headers, keep = {}, "", {}, False
    if request.method == "POST":
        typed, keep = request.form.get(TOKEN_FIELD, ""), _kept()
        caller = auth.caller_by_secret(typed) if typed.strip() else None
        if caller is not None:
            return _sign_in(caller, keep)
        if not typed.strip():
            errors[TOKEN_FIELD] = _("Enter your token")
        else:
            errors[TOKEN_FIELD] = _(
                "This token is not one in force: check that you pasted all of it, "
                "or ask your coordinator for a new one"
            )
            refused = _counted_wrong(throttle.AT_LOGIN)
            if refused is not None:
                errors[TOKEN_FIELD] = translated(refused.description)
                headers = refused.get_headers()
    status = (429 if headers else 400) if errors else 200
    return _login_page(errors, typed=typed, keep=keep), status, headers


@bp.route("/login/email", methods=("GET", "POST"))
def login_email():
    """A sign-in link asked for by e-mail (GET: /login's page). The answer is
    the same whether a person has the address or not."""
    if not service.offers_links_by_email():
        raise NotFound()
    errors, typed, headers = {}, "", {}
    if request.method == "POST":
        typed = request.form.get(EMAIL_FIELD, "").strip()
        try:
            address = emailed_link_schema.load({EMAIL_FIELD: typed} if typed else {})[EMAIL_FIELD]
            throttle.link_asked_by_email(sessions.counted_key())
        except ValidationError as error:
            errors = display.first_messages(error.messages)
        except TooManyRequests as refused:
            errors = {EMAIL_FIELD: translated(refused.description)}
            headers = refused.get_headers()
        else:
            service.ask_for_sign_in_link_by_email(address)
            return render_template(
                "web/link_emailed.html",
                email=address,
                minutes=human.minutes(current_app.config["LINK_MINUTES"]),
                pause=human.minutes(service.emailed_links.PAUSE_MINUTES),
            )
    status = (429 if headers else 422) if errors else 200
    return _login_page(errors, email=typed), status, headers


def _login_page(errors, typed="", keep=False, email=""):
    return render_template(
        "web/login.html",
        errors=errors,
        typed=typed,
        keep=keep,
        email=email,
        emails_links=service.offers_links_by_email(),
    )


@bp.route("/login/<secret>", methods=("GET", "POST"))
def login_link(secret):
    """A sign-in link: GET asks for a click (so that a link preview cannot use
    it up), POST uses it."""
    if request.method == "POST":
        caller = auth.use_sign_in_link(secret)
        if caller is not None:
            return _sign_in(caller, _kept())
    elif auth.sign_in_link_caller(secret) is not None:
        return render_template("web/link.html")
    refused = _counted_wrong(throttle.BY_LINK)
    if refused is not None:
        page = render_template("web/link_used.html", refused=translated(refused.description))
        return page, 429, refused.get_headers()
    return render_template("web/link_used.html"), 400


def _counted_wrong(where):
    """Count a wrong token of this browser; the TooManyRequests to answer
    instead of the usual page, if it has given too many."""
    try:
        throttle.wrong_token(where, sessions.counted_key())
    except TooManyRequests as refused:
        return refused
    return None


def _sign_in(caller, keep):
    sessions.begin(caller.name, kept=keep)
    flash(_("Signed in as %(name)s.", name=caller.name))
    return redirect(url_for("web.index"))


@bp.post("/logout")
def logout():
    if sessions.end():
        flash(_("Signed out."))
        flash("everything", FORGET_KEPT)
    return redirect(url_for("web.login"))
