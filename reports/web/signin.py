"""Signing in: a pasted token, or a one-time link; and signing out."""

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import TooManyRequests

from reports import auth, throttle
from reports.web import bp, sessions

TOKEN_FIELD = "token"
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
            errors[TOKEN_FIELD] = "Enter your token"
        else:
            errors[TOKEN_FIELD] = (
                "This token is not one in force: check that you pasted all of it, "
                "or ask your coordinator for a new one"
            )
            refused = _counted_wrong(throttle.AT_LOGIN)
            if refused is not None:
                errors[TOKEN_FIELD], headers = refused.description, refused.get_headers()
    status = (429 if headers else 400) if errors else 200
    page = render_template("web/login.html", errors=errors, typed=typed, keep=keep)
    return page, status, headers


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
        page = render_template("web/link_used.html", refused=refused.description)
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
    flash(f"Signed in as {caller.name}.")
    return redirect(url_for("web.index"))


@bp.post("/logout")
def logout():
    if sessions.end():
        flash("Signed out.")
    return redirect(url_for("web.login"))
