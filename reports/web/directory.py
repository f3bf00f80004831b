"""A coordinator's pages of the directory: people (adding, changing, removing,
revoking a token, and a one-time sign-in link with its QR code) and activities
(adding, renaming, their mentors, archiving). Only a coordinator has them: the
pages ask the service's own rule before anything else, so that a mentor or a
viewer, who may read the directory through the API, gets the 403 page the
trash gives."""

import segno
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from reports import auth, service
from reports.errors import Conflict
from reports.schemas import (
    activity_changes_schema,
    new_activity_schema,
    new_person_schema,
    person_changes_schema,
)
from reports.web import bp, display, login_required
from reports.web.messages import _l, translated

ROLES = (
    ("mentor", _l("Mentor"), _l("files reports for its own peer mentor id")),
    ("coordinator", _l("Coordinator"), _l("reads, reviews and manages everything")),
    ("viewer", _l("Viewer"), _l("reads every report, changes nothing")),
)
PERSON_FIELDS = ("name", "role", "email", "language", "notify", "peer_mentor_id")
# Optional text fields: left empty, they say "none".
CLEARED_WHEN_EMPTY = ("email", "language")


# People ----------------------------------------------------------------------------------


@bp.route("/people", methods=("GET", "POST"))
@login_required
def people():
    """The people, and a form to add one; a form that fails shows them again."""
    service.require_may("manage people", g.caller)
    typed, errors, status = {}, {}, 200
    if request.method == "POST":
        typed = _typed(PERSON_FIELDS)
        try:
            new = new_person_schema.load(_person_form(typed))
            person = service.create_person(new, caller=g.caller)
        except ValidationError as error:
            errors, status = display.first_messages(error.messages), 422
        except Conflict as error:
            errors, status = {"peer_mentor_id": translated(error)}, 409
        else:
            flash(
                _(
                    "%(name)s is added. Make a sign-in link for them on this page.",
                    name=person["name"],
                )
            )
            return redirect(url_for("web.person", person_id=person["person_id"]), 303)
    everyone = service.list_people(caller=g.caller)
    page = render_template(
        "web/people.html", people=everyone, roles=ROLES, typed=typed, errors=errors
    )
    return page, status


@bp.route("/people/<person_id>", methods=("GET", "POST"))
@login_required
def person(person_id):
    """A person's page: change them; a form that fails shows what was typed."""
    service.require_may("manage people", g.caller)
    shown = service.get_person(person_id, caller=g.caller)
    typed, errors, status = {}, {}, 200
    if request.method == "POST":
        typed = _typed(PERSON_FIELDS[:-1])
        try:
            changes = person_changes_schema.load(_person_form(typed))
            changed = service.update_person(person_id, changes, caller=g.caller)
        except ValidationError as error:
            errors, status = display.first_messages(error.messages), 422
        except Conflict as error:  # the last coordinator
            errors, status = {"role": translated(error)}, 409
        else:
            flash(_("%(name)s is changed.", name=changed["name"]))
            return redirect(url_for("web.person", person_id=person_id), 303)
    values = {name: shown[name] or "" for name in PERSON_FIELDS} | typed
    page = render_template(
        "web/person.html",
        person=shown,
        tokens=service.list_tokens(person_id, caller=g.caller),
        values=values,
        roles=ROLES,
        errors=errors,
    )
    return page, status


@bp.route("/people/<person_id>/remove", methods=("GET", "POST"))
@login_required
def remove_person(person_id):
    """GET asks to confirm; POST removes the person."""
    service.require_may("manage people", g.caller)
    shown = service.get_person(person_id, caller=g.caller)
    if request.method == "GET":
        return render_template("web/person_remove.html", person=shown)
    try:
        service.remove_person(person_id, caller=g.caller)
    except Conflict as error:  # the last coordinator
        page = render_template("web/person_remove.html", person=shown, refusal=translated(error))
        return page, 409
    flash(
        _(
            "%(name)s is removed: their tokens no longer work. Their reports stay.",
            name=shown["name"],
        )
    )
    return redirect(url_for("web.people"), 303)


@bp.post("/people/<person_id>/tokens/<token_name>/revoke")
@login_required
def revoke_token(person_id, token_name):
    """Revoke one of the person's tokens, at once (a new sign-in link gives another)."""
    service.require_may("manage people", g.caller)
    shown = service.revoke_token_of_person(person_id, token_name, caller=g.caller)
    flash(
        _(
            "%(name)s's token %(token)s is revoked: it no longer works, the browsers signed "
            "in with it are signed out, and its unused sign-in links are deleted.",
            name=shown["name"],
            token=token_name,
        )
    )
    return redirect(url_for("web.person", person_id=person_id), 303)


@bp.post("/people/<person_id>/sign-in-link")
@login_required
def new_sign_in_link(person_id):
    """Make a one-time sign-in link and show it, as text and as a QR code, in the
    answer to this POST: its secret is in no address the browser keeps."""
    service.require_may("manage people", g.caller)
    shown = service.get_person(person_id, caller=g.caller)
    minutes = current_app.config["LINK_MINUTES"]
    secret, expires_at = service.create_sign_in_link(person_id, minutes, caller=g.caller)
    url = auth.sign_in_url(secret, shown["language"])
    page = render_template(
        "web/sign_in_link.html",
        person=shown,
        url=url,
        qr_code=qr_code(url),
        expires_at=expires_at,
    )
    return page, 200, {"Cache-Control": "no-store"}


def qr_code(url):
    """The link as a QR code, an inline SVG drawn here (no script, no request)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=4, border=4, title=_("QR code of the sign-in link"), dark="#000", omitsize=True
    )
    return Markup(svg)  # noqa: S704 - made by segno from the link, not from user text


def _person_form(typed):
    """The form's values as the schema reads them: an empty e-mail address or
    language is none; an empty choice of e-mails or peer mentor id is not given."""
    form = {name: value for name, value in typed.items() if value is not None}
    for name in CLEARED_WHEN_EMPTY:
        if form.get(name) == "":
            form[name] = None
    for name in ("notify", "peer_mentor_id"):
        if form.get(name) == "":
            del form[name]
    return form


def _typed(names):
    return {name: request.form.get(name, "").strip() for name in names}


# Activities ------------------------------------------------------------------------------


@bp.route("/activities", methods=("GET", "POST"))
@login_required
def activities():
    """The activities, and a form to add one; a form that fails shows them again."""
    service.require_may("manage activities", g.caller)
    typed, errors, status = {"mentors": []}, {}, 200
    if request.method == "POST":
        typed = {**_typed(("name", "activity_id", "org_id")), "mentors": _mentors()}
        form = {name: value for name, value in typed.items() if value not in ("", None)}
        form["mentors"] = typed["mentors"]
        try:
            new = new_activity_schema.load(form)
            activity = service.create_activity(
                new, current_app.config["DEFAULT_ORG_ID"], caller=g.caller
            )
        except ValidationError as error:
            errors, status = display.first_messages(error.messages), 422
        except Conflict as error:
            errors, status = {"activity_id": translated(error)}, 409
        else:
            flash(_("%(name)s is added.", name=activity["name"]))
            return redirect(url_for("web.activities"), 303)
    page = render_template(
        "web/activities.html",
        activities=service.list_activities(caller=g.caller),
        mentors=_mentor_names(),
        typed=typed,
        errors=errors,
    )
    return page, status


@bp.route("/activities/<activity_id>", methods=("GET", "POST"))
@login_required
def activity(activity_id):
    """An activity's page: rename it and choose its mentors."""
    service.require_may("manage activities", g.caller)
    shown = service.get_activity(activity_id, caller=g.caller)
    typed, errors, status = {}, {}, 200
    if request.method == "POST":
        typed = {**_typed(("name", "org_id")), "mentors": _mentors()}
        form = {**typed, "org_id": typed["org_id"] or None}
        try:
            changes = activity_changes_schema.load(form)
            changed = service.update_activity(activity_id, changes, caller=g.caller)
        except ValidationError as error:
            errors, status = display.first_messages(error.messages), 422
        else:
            flash(_("%(name)s is changed.", name=changed["name"]))
            return redirect(url_for("web.activity", activity_id=activity_id), 303)
    values = {"name": shown["name"], "org_id": shown["org_id"] or ""}
    values["mentors"] = shown["mentors"]
    values |= typed
    page = render_template(
        "web/activity.html",
        activity=shown,
        values=values,
        mentors=_mentor_names(shown["mentors"]),
        errors=errors,
    )
    return page, status


@bp.post("/activities/<activity_id>/archive")
@login_required
def archive_activity(activity_id):
    """Archive the activity, or with archived=no bring it back."""
    service.require_may("manage activities", g.caller)
    archived = request.form.get("archived") != "no"
    changed = service.update_activity(activity_id, {"archived": archived}, caller=g.caller)
    if archived:
        flash(_("%(name)s is archived: its reports stay.", name=changed["name"]))
    else:
        flash(_("%(name)s is back among the activities in use.", name=changed["name"]))
    return redirect(url_for("web.activity", activity_id=activity_id), 303)


def _mentors():
    return [value for value in request.form.getlist("mentors") if value]


def _mentor_names(leading=()):
    """{peer mentor id: name} of the directory's mentors, and of the ids in
    `leading` that are no longer a mentor's, by their id."""
    names = {
        each["peer_mentor_id"]: each["name"]
        for each in service.list_people(caller=g.caller)
        if each["role"] == "mentor"
    }
    return names | {each: each for each in leading if each not in names}
