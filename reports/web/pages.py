"""The pages that show reports: each role's start page, "My reports", one report.
The reports table is in finding.py."""

from flask import g, redirect, render_template, url_for
from werkzeug.exceptions import Forbidden

from reports import catalogue, queries, service
from reports.db import get_db
from reports.web import bp, login_required, reviewing

# The newest reports "My reports" shows of each status; the reports table has them all.
MINE_LIMIT = 20
# A value of a field no longer in the form that is longer than this, or of more
# than one line, is shown in the long-text style.
LONG_VALUE = 200


@bp.get("/")
@login_required
def index():
    """Each role's start page."""
    if g.caller.role == "mentor":
        return redirect(url_for("web.my_reports"))
    return redirect(url_for("web.reports"))


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
        {"status": "draft"}, limit=MINE_LIMIT, caller=g.caller
    )
    submitted, submitted_total = service.listed_reports(
        {"status": "submitted"}, limit=MINE_LIMIT, caller=g.caller
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
    """Every field of one report, its review and its history; another mentor's
    is a 404. Who may change it gets a link to its form."""
    return report_page(report_id)


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
        labels = field_labels()
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
    parts = reviewing.report_parts(shown)
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


def report_title(report):
    """The value of the catalogue's title field, or None."""
    name = catalogue.live().title
    value = report["fields"].get(name) if name else None
    return value if isinstance(value, str) and value else None


def field_labels():
    """{name: label} of every field the database has known, the live catalogue's
    labels over the remembered ones."""
    labels = {row["name"]: row["label"] for row in queries.remembered_fields(get_db())}
    return labels | {field.name: field.label for field in catalogue.live().fields}


def shown_value(name, value):
    """A stored value as the pages show it: a choice by its label, a yes or no,
    a decimal as stored; a field no longer in the catalogue by its value."""
    if value is None:
        return None
    field = catalogue.live().by_name.get(name)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        labelled = [field.label_of(each) if field else each for each in value]
        return ", ".join(str(each) for each in labelled) if labelled else None
    if field is not None and field.kind == "choice":
        return field.label_of(value)
    return str(value)
