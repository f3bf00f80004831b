"""Signing in: a pasted token, or a one-time link; and signing out."""

import socket

from flask import current_app, flash, redirect, render_template, request, session, url_for

from reports import auth
from reports.web import bp

TOKEN_FIELD = "token"


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
