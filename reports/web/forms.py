"""The report form: a new report, and editing a draft or correcting a submitted
report. Its inputs are built from the live field catalogue (each field's label,
help, kind and limits), the definition the API validates with; what is posted
is loaded with the API's own schemas and handed to the same service calls,
which keep every rule."""

import re
import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from reports import catalogue, human, service
from reports.errors import Conflict, PreconditionFailed
from reports.schemas import (
    QUERY_INTEGER,
    CalendarDate,
    NewReportSchema,
    load_new_report,
    shapes,
)
from reports.web import FORGET_KEPT, bp, login_required
from reports.web.display import (
    activity_name,
    first_messages,
    mentor_name,
    told_apart,
    zone_in_words,
)
from reports.web.messages import N_, _l, later, translated

# What each button of the form does to the report's status (None: leaves it).
ACTIONS = {"draft": "draft", "submit": "submitted", "correct": None}
DRAFT_BUTTONS = (("draft", _l("Save draft"), False), ("submit", _l("Submit"), True))
CORRECTION_BUTTONS = (("correct", _l("Save correction"), True),)
CANNOT_CHANGE = _l("This report cannot be changed")
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
# What a form's key stands for: the form, whatever it held when it was sent.
FORM_FINGERPRINT = "the new-report form"
STALE = _l(
    "Someone changed this report after you opened this form, so it was not saved. "
    "What is saved now is below; the form keeps what you typed. Check it, then save again."
)
NEEDED = _l("Needed to submit the report.")
# The header with which the pages' script sends a form (no cross-site form can
# send a header; the form's CSRF token is checked all the same).
SENT_BY_SCRIPT = "X-Reports-Script"
# An activity is picked with radio buttons from at most this many, else with a select.
RADIOS_AT_MOST = 6
NOT_LISTED = _l(
    "None of the directory's activities lists you as its mentor yet: type the activity's id, "
    "or ask your coordinator to add you to it."
)
# The titles and descriptions of the ids in the API's schema (NewReportSchema),
# which the form shows as the inputs' labels and hints: marked here for translation.
ID_WORDS = (
    N_("Activity id"),
    N_("The id of the activity the session was part of."),
    N_("Peer mentor id"),
    N_("The peer mentor who led the session."),
    N_("Organisation id"),
    N_("The organisation the report belongs to."),
)


@dataclass(frozen=True)
class Input:
    """One input of the form, as the template draws it."""

    name: str
    label: str
    hint: str
    # date, number, text, textarea, select, checkbox, radios (one value of a
    # group), or checkboxes (a group of them, one per value, that posts each
    # ticked value under the one name)
    kind: str
    attrs: dict = field(default_factory=dict)
    options: tuple = ()  # a select's or a group's (value, label) pairs
    # The catalogue field's kind (text, integer, decimal, ...), or "id".
    field_kind: str = "id"
    # A date that may not be after tomorrow (UTC).
    until_tomorrow: bool = False
    # A select's first option, which chooses nothing.
    nothing: str = _l("Not given")

    def shown_hint(self):
        """The hint as the page shows it: a date's "(UTC)" (as the built-in
        catalogue's help says "not after tomorrow (UTC)") in the organisation's
        zone, in words."""
        if self.kind == "date" and "(UTC)" in self.hint:
            return self.hint.replace("(UTC)", f"({zone_in_words()})")
        return self.hint

    def attributes(self):
        """The input's HTML attributes; a date's latest day is today's tomorrow."""
        if self.until_tomorrow:
            return {**self.attrs, "max": CalendarDate.latest().isoformat()}
        return self.attrs


def input_of(each, required=False):
    """The input that asks for a catalogue field: its kind and limits from the
    field's kind and limits, its label and help from the field."""
    attrs, options, kind = {}, (), each.kind
    if each.kind == "date":
        kind = "date"
    elif each.kind == "boolean":
        kind = "checkbox"
    elif each.kind == "integer":
        kind = "number"
        attrs = _limits(each) | {"step": 1}
    elif each.kind == "decimal":
        kind = "number"
        attrs = {"inputmode": "decimal", **_limits(each), "step": _step(each.places)}
    elif each.kind in ("choice", "choices"):
        kind = "select" if each.kind == "choice" else "checkboxes"
        options = tuple((choice.value, choice.label) for choice in each.values)
    else:
        kind = "textarea" if each.multiline else "text"
        attrs = {"maxlength": each.max_length, "data-counter": ""}
    return Input(
        each.name,
        each.label,
        later(hint_of, each, required),
        kind,
        attrs,
        options,
        field_kind=each.kind,
        until_tomorrow=each.kind == "date" and each.not_after_tomorrow,
    )


def hint_of(each, required=False):
    """A catalogue field's hint, in the page's language: its help, what its
    kind takes, and whether a report needs it to be submitted."""
    hint = [each.help]
    if each.kind in ("integer", "decimal"):
        hint.append(_number_hint(each))
    elif each.kind == "choices":
        hint.append(_("Tick all that apply."))
    elif each.kind == "text":
        hint.append(
            ngettext(
                "At most %(count)s character.",
                "At most %(count)s characters.",
                each.max_length,
                count=human.number(each.max_length),
            )
        )
    if required:
        hint.append(str(NEEDED))
    return " ".join(part for part in hint if part)


def _number_hint(each):
    """What a number input takes: a whole number, or one of so many decimal
    places, within the field's range."""
    low, high, places = each.min, each.max, each.places if each.kind == "decimal" else 0
    if not places:
        if low is not None and high is not None:
            return _("A whole number from %(min)s to %(max)s.", min=low, max=high)
        if low is not None:
            return _("A whole number of at least %(min)s.", min=low)
        if high is not None:
            return _("A whole number of at most %(max)s.", max=high)
        return _("A whole number.")
    if low is not None and high is not None:
        return ngettext(
            "A number with %(num)d decimal place from %(min)s to %(max)s.",
            "A number with %(num)d decimal places from %(min)s to %(max)s.",
            places,
            min=low,
            max=high,
        )
    if low is not None:
        return ngettext(
            "A number with %(num)d decimal place of at least %(min)s.",
            "A number with %(num)d decimal places of at least %(min)s.",
            places,
            min=low,
        )
    if high is not None:
        return ngettext(
            "A number with %(num)d decimal place of at most %(max)s.",
            "A number with %(num)d decimal places of at most %(max)s.",
            places,
            max=high,
        )
    return ngettext(
        "A number with %(num)d decimal place.", "A number with %(num)d decimal places.", places
    )


def _limits(each):
    """A number input's min and max, those the field has."""
    limits = {"min": each.min, "max": each.max}
    return {key: value for key, value in limits.items() if value is not None}


def _step(places):
    """The step of a number input of `places` decimal places: 1, 0.1, 0.01 ..."""
    return f"{Decimal(1).scaleb(-places):f}" if places else "1"


def id_input(name, schema_field):
    """The input of an id: a text of at most 64 characters, with no spelling and no capitals."""
    description = schema_field.metadata.get("description", "")
    return Input(
        name,
        _l(schema_field.metadata["title"]),
        _l(description) if description else "",
        "text",
        {
            "maxlength": schema_field.metadata["maxLength"],
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )


IDS = {
    name: id_input(name, NewReportSchema().fields[name])
    for name in ("activity_id", "peer_mentor_id", "org_id")
}


def activity_input(activities, current=None):
    """The activity, picked by name from `activities` (the directory's, as the
    service lists them): radio buttons when they are few, a select when many. A
    report's `current` activity is among the choices, even archived or unknown.
    Without choices, the activity id is typed."""
    choices = [(each["activity_id"], each["name"]) for each in activities]
    if current is not None and current not in dict(choices):
        choices.insert(0, (current, activity_name(current)))
    if not choices:
        return IDS["activity_id"]
    kind = "radios" if len(choices) <= RADIOS_AT_MOST else "select"
    return Input(
        "activity_id",
        _("Activity"),
        "",
        kind,
        options=told_apart(choices),
        nothing=_("Choose one"),
    )


def mentor_input(people):
    """The peer mentor, picked by name from the directory's mentors; typed
    without any."""
    choices = [(each["peer_mentor_id"], each["name"]) for each in people if each["peer_mentor_id"]]
    if not choices:
        return IDS["peer_mentor_id"]
    return Input(
        "peer_mentor_id", _("Peer mentor"), "", "select", options=told_apart(choices),
        nothing=_("Choose one"),
    )  # fmt: skip


# Each of these is kept per catalogue and page language (catalogue.page_language),
# as the catalogue's labels and help are in the page's language.


@lru_cache(maxsize=16)
def catalogue_inputs(form, language):
    """The inputs of a catalogue's fields, in its order."""
    return tuple(input_of(each, each.name in form.required) for each in form.fields)


@lru_cache(maxsize=16)
def labels_of(form, language):
    """Every input's label by its name: the ids', then the catalogue's."""
    inputs = (*IDS.values(), *catalogue_inputs(form, language))
    return {each.name: each.label for each in inputs}


@lru_cache(maxsize=16)
def needed_to_submit(form, language):
    """The labels of the fields a report must have to be submitted, as a list in words."""
    return ", ".join(form.by_name[name].label for name in form.required)


def _catalogue():
    """The inputs of the live catalogue's fields."""
    return catalogue_inputs(catalogue.live(), catalogue.page_language())


# Pages ---------------------------------------------------------------------------------


@bp.route("/reports/new", methods=("GET", "POST"))
@login_required
def new_report():
    """A new report, saved as a draft or submitted. A mentor's is its own: the form
    has no peer mentor for it to choose."""
    service.require_may("write", g.caller)
    default_org_id = current_app.config["DEFAULT_ORG_ID"]
    activities = service.list_activities(archived=False, caller=g.caller)
    ids = [activity_input(activities)]
    if g.caller.owner is None:
        ids.append(mentor_input(service.list_people(caller=g.caller)))
        fixed = []
    else:
        fixed = [(_("Peer mentor"), mentor_name(g.caller.owner))]
        if not activities:
            ids[0] = replace(ids[0], hint=f"{ids[0].hint} {NOT_LISTED}")
    org_of = {each["activity_id"]: each["org_id"] for each in activities if each["org_id"]}
    if default_org_id and not activities:
        fixed.append((_("Organisation"), default_org_id))
    elif not default_org_id and (not activities or len(org_of) < len(activities)):
        ids.append(IDS["org_id"])
    # One form makes one report, however often it is sent (a double tap, or a
    # retry after an answer that never arrived): its key is an Idempotency-Key.
    form_key = request.form.get("form_key", "")
    if not FORM_KEY.fullmatch(form_key):
        form_key = secrets.token_urlsafe(16)
    page = {
        "autosave": "new",
        "mode": "new",
        "ids": ids,
        "fixed": fixed,
        "buttons": DRAFT_BUTTONS,
        "form_key": form_key,
    }
    if request.method == "GET":
        return _form(page, values={})

    status = _status(("draft", "submit"))
    body = {each.name: _posted(each) for each in ids}
    if g.caller.owner is not None:
        body["peer_mentor_id"] = g.caller.owner
    if body.get("org_id") is None and body["activity_id"] in org_of:
        body["org_id"] = org_of[body["activity_id"]]
    body["status"] = status
    body["fields"] = {each.name: _posted(each) for each in _catalogue()}
    body = _given(body)
    body["fields"] = _given(body["fields"])
    try:
        new = load_new_report(body, default_org_id)
        once = (f"form:{form_key}", FORM_FINGERPRINT)
        report = service.create_report(new, default_org_id, once, caller=g.caller)
    except ValidationError as error:
        return _form(page, request.form, errors=error.messages, status=422)
    flash(_("Report submitted.") if status == "submitted" else _("Draft saved."))
    flash(f"new:{form_key}", FORGET_KEPT)
    return _saved(url_for("web.report", report_id=report["report_id"]))


@bp.route("/reports/<report_id>/edit", methods=("GET", "POST"))
@login_required
def edit_report(report_id):
    """A draft's form, to save or submit it; a submitted report's, to correct it.
    The form carries the version it was opened at, and a stale one saves nothing."""
    service.require_may("write", g.caller)
    report = service.get_report(report_id, caller=g.caller)
    refusal = service.change_refused(report_id, caller=g.caller)
    if refusal is not None:
        return _refused(report, refusal)
    page = _edit_page(report)
    if request.method == "GET":
        shown = {**_shown(report), "activity_id": report["activity_id"]}
        return _form(page, shown, version=report["version"])

    status = _status(ACTIONS)
    changes = {"fields": _changed_fields(report)}
    activity_id = _posted(page["ids"][0]) if page["ids"] else None
    if activity_id is not None and activity_id != report["activity_id"]:
        changes["activity_id"] = activity_id
    if status is not None:
        changes["status"] = status
    version = request.form.get("version", "")
    try:
        changes = shapes().report_changes.load(changes)
        updated = service.update_report(report_id, changes, [version], caller=g.caller)
    except ValidationError as error:
        return _form(page, request.form, errors=error.messages, version=version, status=422)
    except Conflict as error:
        return _form(page, request.form, notice=translated(error), version=version, status=409)
    except PreconditionFailed:
        return _stale(report_id)
    if updated["status"] == "submitted" and report["status"] == "draft":
        flash(_("Report submitted."))
    elif updated["status"] == "submitted":
        flash(
            _("Correction saved. It goes back to your coordinator for review.")
            if page["reopens_review"]
            else _("Correction saved.")
        )
    else:
        flash(_("Draft saved."))
    flash(f"edit:{report_id}", FORGET_KEPT)
    return _saved(url_for("web.report", report_id=report_id))


def _saved(url):
    """The answer to a form the service saved: on to the report's page. To the
    page's own script (static/form.js, offline.js), which sends the form itself
    so as to keep it when the service cannot be reached, 204 with the page's
    address: it goes there, and the next page shows the messages."""
    if request.headers.get(SENT_BY_SCRIPT) == "1":
        return "", 204, {"Location": url}
    return redirect(url, 303)


def _refused(report, reason):
    """The page that says why this caller may not change the report."""
    page = render_template(
        "web/refused.html",
        title=CANNOT_CHANGE,
        report=report,
        reason=translated(reason),
        kept_form=f"edit:{report['report_id']}",
        labels={
            name: str(label)
            for name, label in labels_of(catalogue.live(), catalogue.page_language()).items()
        },
    )
    return page, 403


def _edit_page(report):
    submitted = report["status"] == "submitted"
    activities = service.list_activities(archived=False, caller=g.caller)
    fixed = [
        (_("Peer mentor"), mentor_name(report["peer_mentor_id"])),
        (_("Organisation"), report["org_id"]),
    ]
    if activities:
        ids = [activity_input(activities, current=report["activity_id"])]
    else:  # nothing to pick from: the activity stays as filed
        ids = []
        fixed.insert(0, (_("Activity"), activity_name(report["activity_id"])))
    return {
        "autosave": f"edit:{report['report_id']}",
        "mode": "correct" if submitted else "edit",
        "report": report,
        "ids": ids,
        "fixed": fixed,
        "buttons": CORRECTION_BUTTONS if submitted else DRAFT_BUTTONS,
        "reopens_review": service.correction_reopens_review(report["report_id"], caller=g.caller),
    }


def _stale(report_id):
    """The form again, after someone else's change: what is saved now, next to
    what was typed, and the current version, so that saving again is a choice."""
    current = service.get_report(report_id, caller=g.caller)
    refusal = service.change_refused(report_id, caller=g.caller)
    if refusal is not None:
        return _refused(current, refusal)
    saved = _shown(current)
    differences = [
        (each.label, _readable(each, _value(saved, each)), _readable(each, _typed(each)))
        for each in _catalogue()
        if not _same_shown(each, _typed(each), _value(saved, each))
    ]
    return _form(
        _edit_page(current),
        request.form,
        notice=STALE,
        differences=differences,
        version=current["version"],
        status=412,
    )


def _form(page, values, errors=None, notice=None, differences=None, version=None, status=200):
    form, language = catalogue.live(), catalogue.page_language()
    fields = catalogue_inputs(form, language)
    inputs = [*page["ids"], *fields]
    errors = _by_input(errors or {}, inputs)
    if "_schema" in errors:  # of no one input
        notice = errors.pop("_schema")
    shown = {each.name: _value(values, each) for each in inputs}
    labels = labels_of(form, language) | {each.name: each.label for each in page["ids"]}
    page_html = render_template(
        "web/form.html",
        **page,
        inputs=page["ids"],
        catalogue=fields,
        needed=needed_to_submit(form, language),
        values=shown,
        errors=errors,
        summary={
            name: _("%(label)s: %(message)s", label=labels.get(name, name), message=message)
            for name, message in errors.items()
        },
        notice=notice,
        differences=differences,
        version=version,
    )
    return page_html, status


# From the form to the schema's JSON, and back ----------------------------------------


def _status(allowed):
    action = request.form.get("action")
    if action not in allowed:
        raise BadRequest(_("Choose one of the form's buttons to save the report."))
    return ACTIONS[action]


def _value(values, each):
    """What `values` (the form as posted, or _shown) holds for an input: a list
    of the values of a group of checkboxes, a string for any other."""
    if each.kind == "checkboxes":
        if hasattr(values, "getlist"):
            return values.getlist(each.name)
        return values.get(each.name, [])
    return values.get(each.name, "")


def _typed(each):
    """What the form holds for an input, as it would be shown again."""
    if each.kind == "checkbox":
        return "true" if each.name in request.form else ""
    if each.kind == "checkboxes":
        return request.form.getlist(each.name)
    return _one_line_break(request.form.get(each.name, ""))


def _same_shown(each, typed, saved):
    """Whether what was typed is what is saved; the values of checkboxes in any order."""
    if each.kind == "checkboxes":
        return sorted(typed) == sorted(saved)
    return typed == saved


def _one_line_break(text):
    """A browser sends a text area's line breaks as CR LF; its counter and
    maxlength count each as one character, and so does the schema."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _posted(each):
    """An input's value as the schema expects it in JSON: None when not given. A
    whole number becomes an int; anything else stays a string, which the schema
    refuses with its own message."""
    form = request.form
    if each.kind == "checkbox":
        if each.name not in form:
            return False
        return True if form[each.name] == "true" else form[each.name]
    if each.kind == "checkboxes":  # each ticked box sends its value under the one name
        return _in_form_order(each, form.getlist(each.name)) or None
    value = form.get(each.name, "")
    if each.field_kind == "text":
        value = _one_line_break(value)  # free text is kept as typed
    else:
        value = value.strip()
    if each.field_kind == "integer" and QUERY_INTEGER.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # more digits than Python converts
            return value
    return value if value != "" else None


def _in_form_order(each, values):
    """The values of a group of checkboxes in the order of its boxes, as a browser
    sends them; a value of no box (which the schema refuses) after them."""
    order = {value: position for position, (value, _) in enumerate(each.options)}
    return sorted(values, key=lambda value: order.get(value, len(order)))


def _changed_fields(report):
    """The catalogue fields the form changes: a field emptied is removed (null). An
    empty input of a field the report does not have, and an unticked box of one
    it does not have, change nothing."""
    stored = report["fields"]
    changes = {}
    for each in _catalogue():
        value = _posted(each)
        current = stored.get(each.name)
        if value is None and current in (None, "", []):
            continue
        if value is False and current is None:
            continue
        if not _unchanged(each, value, current):
            changes[each.name] = value
    return changes


def _unchanged(each, value, current):
    """Whether a posted value is the stored one: the same values of checkboxes in
    any order, the same decimal however many zeros it ends with."""
    if each.kind == "checkboxes" and isinstance(value, list) and isinstance(current, list):
        return sorted(value) == sorted(current)
    if each.field_kind == "decimal" and isinstance(value, str) and isinstance(current, str):
        try:
            return Decimal(value) == Decimal(current)
        except ArithmeticError:
            return False
    return value == current and type(value) is type(current)


def _given(values):
    return {name: value for name, value in values.items() if value is not None}


def _shown(report):
    """A report's values as the form's inputs show them."""
    shown = {}
    for name, value in report["fields"].items():
        if value is True:
            shown[name] = "true"
        elif isinstance(value, list):
            shown[name] = [str(each) for each in value]
        elif value is not False:
            shown[name] = str(value)
    return shown


def _readable(each, value):
    """A form value in words, for the list of what someone else changed."""
    if each.kind == "checkbox":
        return _("Yes") if value == "true" else _("No")
    if each.kind == "select":
        return dict(each.options).get(value, value) or _("Not given")
    if each.kind == "checkboxes":
        return ", ".join(dict(each.options).get(one, one) for one in value) or _("Not given")
    return value or _("Not given")


def _by_input(messages, inputs):
    """A ValidationError's messages ({"fields": {...}} nested) as one message per
    input, in the order of the form; messages of no input under `_schema`."""
    unnested = {}
    for name, value in messages.items():
        if name == "fields" and isinstance(value, dict):
            unnested.update(value)
        else:
            unnested[name] = value
    flat = first_messages(unnested)
    ordered = {each.name: flat.pop(each.name) for each in inputs if each.name in flat}
    if flat:
        ordered["_schema"] = " ".join(flat.values())
    return ordered
