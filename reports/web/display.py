"""How the pages show what several of them show: a report's page (its fields,
its review form and its history), a stored value in words, a report's title,
the filters' choices and those a query gives, a page's address with its query, and a
form's errors, one message per name. The page modules import these; this
module imports no page module."""

from urllib.parse import urlencode

from flask import current_app, g, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import validate

from reports import catalogue, human, service
from reports.schemas import REVIEW_STATES, STATUSES, review_request_schema, shapes
from reports.web import REVIEW_LABELS
from reports.web.messages import _l, translated

# A value of a field no longer in the form that is longer than this, or of more
# than one line, is shown in the long-text style.
LONG_VALUE = 200
# Each action of a report's history, in words.
ACTIONS = {
    "create": _l("Created"),
    "submit": _l("Submitted"),
    "update": _l("Updated"),
    "review": _l("Reviewed"),
    "delete": _l("Deleted"),
    "restore": _l("Restored"),
}
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted")}
# The review form's choices, in its order: the value, its label and its hint.
REVIEW_CHOICES = (
    ("approved", _l("Approve"), _l("The report is done: its mentor can no longer change it.")),
    (
        "has_issues",
        _l("Has issues"),
        _l("Send it back: its mentor sees your comment and can correct the report."),
    ),
    ("rejected", _l("Reject"), _l("The report is refused: its mentor can no longer change it.")),
)
COMMENT_MAX = next(
    validator.max
    for validator in review_request_schema.fields["comment"].validators
    if isinstance(validator, validate.Length)
)
# A changed value longer than this, or of more than one line, is shown under
# its field's name rather than beside the other.
SHORT_VALUE = 40
# The choices of the filters' selects: a yes-or-no one, the status and the review.
YES_NO = [("true", _l("Yes")), ("false", _l("No"))]
STATUS_CHOICES = [(status, STATUS_LABELS[status]) for status in STATUSES]
REVIEW_FILTER_CHOICES = [
    ("none", REVIEW_LABELS[None]),
    *((state, REVIEW_LABELS[state]) for state in REVIEW_STATES),
]


# Names for ids --------------------------------------------------------------------------


def names():
    """The directory's names, read once per request."""
    if "names" not in g:
        g.names = service.directory_names(caller=g.caller)
    return g.names


def mentor_name(peer_mentor_id):
    """A peer mentor by its person's name; an id the directory does not know, as itself."""
    return names().of_mentor(peer_mentor_id) or peer_mentor_id


def activity_name(activity_id):
    """An activity by its name; an id the directory does not know, as itself."""
    return names().of_activity(activity_id) or activity_id


def person_name(token_name):
    """Who acted with a token: its person's name, or the token's name."""
    return names().of_token(token_name) or token_name


def told_apart(choices):
    """(id, name) pairs as a select's or radios' (value, label): a name that
    several ids share followed by its id."""
    names = [name for _, name in choices]
    return tuple((id, f"{name} ({id})" if names.count(name) > 1 else name) for id, name in choices)


def directory_choices(given):
    """The mentor and activity filters as choices of the directory's names, by
    name (the ids stay the values, so a view's URL is the same), with an id
    `given` that the directory lacks first; none of a kind the directory has
    none of. A mentor picks among the activities it leads, and no mentor."""
    if g.caller.owner is None:
        known = {"peer_mentor_id": names().mentors, "activity_id": names().activities}
    else:
        led = service.list_activities(caller=g.caller)
        known = {"activity_id": {each["activity_id"]: each["name"] for each in led}}
    choices = {}
    for name, named in known.items():
        if not named:
            continue
        options = sorted(named.items(), key=lambda pair: (pair[1].casefold(), pair[0]))
        current = given.get(name)
        if current and current not in named:
            options.insert(0, (current, current))
        choices[name] = told_apart(options)
    return choices


# Times and dates for people ------------------------------------------------------------


def when(stamp, missing="–"):
    """The template filter of a UTC time (YYYY-MM-DDTHH:MM:SSZ): written for
    people in the organisation's zone (TIME_ZONE), inside a <time> that keeps
    the exact UTC value for machines; `missing` when there is none."""
    if not stamp:
        return missing
    try:
        shown = human.when(stamp, current_app.config["TIME_ZONE"])
    except ValueError:  # not a time as the API writes one: shown as it is
        return stamp
    return Markup('<time datetime="{}">{}</time>').format(stamp, shown)


def day(value, missing="–"):
    """The template filter of a date (YYYY-MM-DD): "7 Dec 2026" inside a <time>."""
    if not value:
        return missing
    try:
        shown = human.day(value)
    except ValueError:
        return value
    return Markup('<time datetime="{}">{}</time>').format(value, shown)


def month(value):
    """A month (YYYY-MM) as the summary shows it: "Jun 2026"."""
    return human.month(value)


def zone_in_words():
    """The organisation's zone as a hint says it."""
    return human.zone_in_words(current_app.config["TIME_ZONE"])


# A report's page -------------------------------------------------------------------


def report_page(report_id, status=200, **context):
    """The report's page, with `context` for its parts (a form that failed, say)."""
    shown = service.get_report(report_id, caller=g.caller)
    review = service.review_of(report_id, caller=g.caller)
    form = catalogue.live()
    values = shown["fields"]
    fields = [
        {
            "name": field.name,
            "label": field.label,
            "value": shown_value(field.name, values.get(field.name)),
            "long": field.kind == "text" and field.multiline,
            "needed": field.name in form.required and shown["status"] == "draft",
            "gone": False,
        }
        for field in form.fields
    ]
    gone = [name for name in values if name not in form.by_name]
    if gone:
        labels = service.field_labels(caller=g.caller)
        for name in gone:
            value = shown_value(name, values[name])
            fields.append(
                {
                    "name": name,
                    "label": labels.get(name, name),
                    "value": value,
                    "long": value is not None and (len(value) > LONG_VALUE or "\n" in value),
                    "needed": False,
                    "gone": True,
                }
            )
    parts = report_parts(shown)
    parts["may_change"] = parts["delete_refused"] is None
    page = render_template(
        "web/report.html",
        report=shown,
        review=review,
        fields=fields,
        title=report_title(shown),
        **{**parts, **context},
    )
    return page, status


def report_parts(report):
    """The report page's coordinator parts: the review form's state, whether
    (or why not) the caller may delete the report, and its history."""
    report_id = report["report_id"]
    refused = service.change_refused(report_id, caller=g.caller)
    return {
        "review_errors": {},
        "review_typed": {},
        "review_choices": REVIEW_CHOICES,
        "comment_max": COMMENT_MAX,
        "delete_refused": None if refused is None else translated(refused),
        "timeline": timeline(service.history(report_id, caller=g.caller)),
    }


def timeline(revisions):
    """The history's revisions as the page shows them: who, when, the action in
    words, each change with its label and the values before and after as shown
    on the page (None where there was none), and a review's comment."""
    labels = service.field_labels(caller=g.caller)
    return [
        {
            "at": revision["changed_at"],
            "actor": person_name(revision["actor"]),
            "action": ACTIONS.get(revision["action"], revision["action"]),
            "changes": _changes(revision["changes"], labels),
            "comment": revision["changes"].get("comment") or None,
            "catalogue_version": revision.get("catalogue_version"),
        }
        for revision in revisions
    ]


def _changes(detail, labels):
    """A revision's changes in words; a field by its label in the live catalogue,
    or, no longer in it, by the label the database remembers."""
    changes = []
    if "status" in detail:
        changes.append(_change(_("Status"), STATUS_LABELS, detail["status"]))
    if "activity_id" in detail:
        before, after = (activity_name(detail["activity_id"][key]) for key in ("before", "after"))
        changes.append(_shown_change(_("Activity"), before, after))
    for name, change in detail.get("fields", {}).items():
        before, after = (shown_value(name, change[key]) for key in ("before", "after"))
        changes.append(_shown_change(labels.get(name, name), before, after))
    if "review_state" in detail:
        changes.append(_change(_("Review"), REVIEW_LABELS, detail["review_state"]))
    return changes


def _change(label, labels, change):
    before, after = (_label(labels, change[key]) for key in ("before", "after"))
    return _shown_change(label, before, after)


def _label(labels, value):
    """A status's or review's label, in words; a value without one as it is."""
    return str(labels[value]) if value in labels else value


def _shown_change(label, before, after):
    long = any(
        value and (len(_text(value)) > SHORT_VALUE or "\n" in value) for value in (before, after)
    )
    return {"label": label, "before": before, "after": after, "long": long}


def _text(value):
    """A shown value's text: a date's words without its <time> around them."""
    return value.striptags() if isinstance(value, Markup) else value


def report_title(report):
    """The value of the catalogue's title field, or None."""
    name = catalogue.live().title
    value = report["fields"].get(name) if name else None
    return value if isinstance(value, str) and value else None


def shown_value(name, value):
    """A stored value as the pages show it: a choice by its label, a yes or no,
    a date for people (in a <time>), a decimal as stored; a field no longer in
    the catalogue by its value."""
    if value is None:
        return None
    field = catalogue.live().by_name.get(name)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        labelled = [field.label_of(each) if field else each for each in value]
        return ", ".join(str(each) for each in labelled) if labelled else None
    if field is not None and field.kind == "choice":
        return field.label_of(value)
    if field is not None and field.kind == "date" and isinstance(value, str):
        return day(value, missing=None)
    return str(value)


# The catalogue's filters and a page's address ------------------------------------------


def filter_choices(field):
    """The options of a catalogue filter's select: yes and no, or its values."""
    if field.kind == "boolean":
        return YES_NO
    return [(choice.value, choice.label) for choice in field.values]


def filters_of(values):
    """The API's filters (of the live catalogue) that `values` gives, in the API's order."""
    return {name: values[name] for name in shapes().filters if name in values}


def way_forward_label(form):
    """The words of the has_way_forward filter."""
    field = form.by_name[form.way_forward] if form.way_forward else None
    if field is None or field.default_label == "Way forward":
        return _l("Has a way forward")
    return _l("%(label)s filled in", label=field.label)


def url_with_query(endpoint, query, **values):
    """The address of `endpoint` (url_for with `values`, its path's own) with
    `query`, a dict or (name, value) pairs, as its query string; a value of
    None is left out. The query never goes through url_for, which takes names
    such as _external and _scheme as its own options: a visitor's query could
    otherwise make the page fail or point its links at another host."""
    pairs = query.items() if isinstance(query, dict) else query
    # The characters url_for leaves as they are, so that a time keeps its colons.
    encoded = urlencode(
        [(name, value) for name, value in pairs if value is not None], safe="!$'()*,/:;?@"
    )
    path = url_for(endpoint, **values)
    return f"{path}?{encoded}" if encoded else path


# A form's errors -------------------------------------------------------------------------


def first_messages(messages):
    """A ValidationError's messages as one message per name: the first of each
    name's list (or, nested, of its first name's), as a string in the page's
    language (the schemas' and the service's messages are the API's, in English)."""
    return {name: translated(first_message(each)) for name, each in messages.items()}


def first_message(messages):
    """The first message of a name's messages: a list of them, or a dict of a
    nested schema's; "" if there is none."""
    while isinstance(messages, list | dict):
        messages = next(iter(messages.values() if isinstance(messages, dict) else messages), "")
    return str(messages)


# A sign-in link -------------------------------------------------------------------------
