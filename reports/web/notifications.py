"""The pages of the link every e-mail carries, to choose which e-mails one
gets: `/notifications/<token>` shows the person's choice and saves another;
`/notifications/<token>/off` is the e-mail's List-Unsubscribe address, where a
GET only shows the page with "none" picked (mail scanners open links) and a
one-click POST (RFC 8058) turns e-mail off. The signed token is the
credential: no sign-in is asked, and the one-click POST, sent by a mail
provider rather than by a page of this service, carries no CSRF token.

Each page is in the person's language, unless its address chooses another."""

import contextlib

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from reports import languages, service
from reports.errors import error_page
from reports.web import NOTIFY_LABELS, bp
from reports.web.messages import _l

NOTIFY_FIELD = "notify"
# RFC 8058: the body of a one-click unsubscribe.
ONE_CLICK = ("List-Unsubscribe", "One-Click")
# What a choice means to the person who makes it, by their role (None: any role).
NOTIFY_HINTS = {
    ("coordinator", "each"): _l(
        "An e-mail for each report a mentor submits, and one when a webhook fails."
    ),
    ("coordinator", "digest"): _l(
        "One e-mail a day, after midnight, with the reports submitted that day; "
        "a failing webhook at once."
    ),
    ("mentor", "each"): _l(
        "An e-mail when a coordinator marks one of your reports as having issues, "
        "or rejects it, with their comment."
    ),
    (None, "off"): _l(
        "No e-mail from Post-Session Reports. A sign-in link you ask for on the "
        "sign-in page still comes."
    ),
}

# What the page says once a choice is saved.
SAVED = {
    "each": _l("Saved: you get each e-mail as it happens."),
    "digest": _l("Saved: you get a daily digest."),
    "off": _l("Saved: you get no more e-mails."),
}


@bp.route("/notifications/<token>", methods=("GET", "POST"))
def notifications(token):
    """The person's choice of e-mails, as radios; POST saves another."""
    person = _person_of(token)
    with _in_their_language(person):
        errors, chosen, status = {}, person["notify"], 200
        if request.method == "POST":
            chosen = request.form.get(NOTIFY_FIELD, "")
            if chosen in choices_of(person):
                service.set_notify_choice(person["person_id"], chosen)
                flash(str(SAVED[chosen]))
                return redirect(
                    url_for("web.notifications", token=token, **_chosen_language()), 303
                )
            errors, status = {NOTIFY_FIELD: _("Choose which e-mails you get")}, 422
        return _page(person, token, chosen, errors), status


@bp.route("/notifications/<token>/off", methods=("GET", "POST"))
def notifications_off(token):
    """GET: the choice page with "none" picked, to save with its button. POST
    with the body `List-Unsubscribe=One-Click`: no more e-mail, at once."""
    person = _person_of(token)
    with _in_their_language(person):
        if request.method == "GET":
            return _page(person, token, "off", {})
        if request.form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
            body = "=".join(ONE_CLICK)
            return error_page(
                400, _("A POST here turns e-mail off with the body %(body)s only.", body=body)
            )
        service.set_notify_choice(person["person_id"], "off")
        return render_template("web/notifications_off.html", person=person, token=token)


def choices_of(person):
    """The choices the person's page offers: a digest to a coordinator only
    (or to whoever has it already)."""
    return [
        value
        for value in NOTIFY_LABELS
        if value != "digest" or person["role"] == "coordinator" or person["notify"] == value
    ]


def _page(person, token, chosen, errors):
    choices = [
        (
            value,
            NOTIFY_LABELS[value],
            NOTIFY_HINTS.get((person["role"], value), NOTIFY_HINTS.get((None, value))),
        )
        for value in choices_of(person)
    ]
    return render_template(
        "web/notifications.html",
        person=person,
        token=token,
        choices=choices,
        chosen=chosen,
        errors=errors,
        action=url_for("web.notifications", token=token, **_chosen_language()),
    )


def _person_of(token):
    person = service.person_of_link(token)
    if person is None:
        raise NotFound(
            _(
                "This link to choose your e-mails is not one of this service's, or its "
                "person is no longer in the directory."
            )
        )
    return person


def _chosen_language():
    code = languages.known(request.args.get(languages.CHOOSE))
    return {} if code is None else {languages.CHOOSE: code}


def _in_their_language(person):
    """The person's language for what follows, where they have one and the
    address chooses none (then the pages choose as they always do)."""
    code = languages.known(person["language"])
    if code is None or _chosen_language():
        return contextlib.nullcontext()
    return force_locale(code)
