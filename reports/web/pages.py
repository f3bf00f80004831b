"""The pages that show reports: each role's start page, "My reports", one report.
The reports table is in finding.py."""

from flask import g, redirect, render_template, url_for
from werkzeug.exceptions import Forbidden

from reports import service
from reports.schemas import FIELD_NAMES, FIELD_TITLES, REQUIRED_TO_SUBMIT
from reports.web import bp, login_required, reviewing

# The newest reports "My reports" shows of each status; the reports table has them all.
MINE_LIMIT = 20

ENGAGEMENT_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}


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
    """Every field of one report, its review and its history; another mentor's
    is a 404. Who may change it gets a link to its form."""
    return report_page(report_id)


def report_page(report_id, status=200, **context):
    """The report's page, with `context` for its parts (a form that failed, say)."""
    shown = service.get_report(report_id, g.caller)
    review = service.review_of(report_id, g.caller)
    fields = [
        (name, FIELD_TITLES[name], shown_value(name, shown["fields"].get(name)))
        for name in FIELD_NAMES
    ]
    parts = reviewing.report_parts(shown)
    parts["may_change"] = parts["delete_refused"] is None
    page = render_template(
        "web/report.html",
        report=shown,
        review=review,
        fields=fields,
        required=REQUIRED_TO_SUBMIT,
        **{**parts, **context},
    )
    return page, status


def shown_value(name, value):
    if value is None:
        return None
    if name == "follow_up_needed":
        return "Yes" if value else "No"
    if name == "participant_engagement":
        return ENGAGEMENT_LABELS.get(value, value)
    return str(value)
