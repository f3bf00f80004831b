"""The pages that show reports: each role's start page (a coordinator's is the
review queue), "My reports", one report. The reports table is in table.py; what
a report's page shows, in display.py."""

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from reports import service
from reports.web import bp, display, login_required
from reports.web.display import url_with_query

# The newest reports "My reports" shows of each status; the reports table has them all.
MINE_LIMIT = 20
# The review queue: the submitted reports no one has reviewed yet, oldest
# submitted first, as the reports table filters and sorts them (its query names).
QUEUE_QUERY = {"status": "submitted", "review_state": "none", "sort": "submitted_at"}
# The queue shows the first of them; the table, filtered the same way, has them all.
QUEUE_LIMIT = 50


@bp.get("/")
@login_required
def index():
    """Each role's start page."""
    if g.caller.role == "mentor":
        return redirect(url_for("web.my_reports"))
    if g.caller.role == "coordinator":
        return review_queue()
    return redirect(url_for("web.reports"))


def review_queue():
    """A coordinator's start page: the reports that wait for review, oldest
    submitted first, and how many drafts are not yet submitted."""
    filters = {name: value for name, value in QUEUE_QUERY.items() if name != "sort"}
    waiting, waiting_total = service.listed_reports(
        filters, limit=QUEUE_LIMIT, sort=QUEUE_QUERY["sort"], caller=g.caller
    )
    _, draft_total = service.listed_reports({"status": "draft"}, limit=1, caller=g.caller)
    return render_template(
        "web/queue.html",
        waiting=waiting,
        waiting_total=waiting_total,
        draft_total=draft_total,
        queue_url=url_with_query("web.reports", QUEUE_QUERY),
        drafts_url=url_with_query("web.reports", {"status": "draft"}),
    )


@bp.get("/reports/mine")
@login_required
def my_reports():
    """A mentor's reports: drafts first, then submitted ones with their review."""
    if g.caller.role != "mentor":
        raise Forbidden(
            _(
                "“My reports” is a mentor's page: your token is a %(role)s token. "
                "All reports are under Reports.",
                role=g.caller.role,
            )
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
    return display.report_page(report_id)
