"""The reports table: the reports that match the API's own filters, sorted and
a page at a time, and the same view downloaded as CSV, JSON Lines or XLSX.

The query string is the API's (the same names, loaded by the same schemas), so
a view can be bookmarked and shared, and reads like the API's URL of it."""

import math

from flask import g, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError
from werkzeug.datastructures import MultiDict

from reports import clock, formats, service
from reports.schemas import (
    ENGAGEMENT_LEVELS,
    FILTERS,
    REVIEW_STATES,
    SORTS,
    STATUSES,
    ListQuerySchema,
    single_valued,
)
from reports.web import REVIEW_LABELS, bp, login_required
from reports.web.pages import ENGAGEMENT_LABELS

PAGE_SIZE = 20
DEFAULT_SORT = "-created_at"

# The filter form's fields, by the API's query names, in the form's order.
# The API's other filters work in the URL too; the form carries them along.
FORM_FILTERS = (
    "q", "status", "review_state", "peer_mentor_id", "activity_id", "org_id",
    "session_date_from", "session_date_to", "follow_up_needed", "participant_engagement",
)  # fmt: skip
LABELS = {
    "q": "Search",
    "status": "Status",
    "review_state": "Review",
    "peer_mentor_id": "Peer mentor id",
    "activity_id": "Activity id",
    "org_id": "Organisation id",
    "session_date_from": "Session date from",
    "session_date_to": "Session date to",
    "follow_up_needed": "Follow-up needed",
    "participant_engagement": "Engagement",
    "submitted_from": "Submitted from",
    "submitted_to": "Submitted before",
    "updated_since": "Changed since",
    "has_way_forward": "Has a way forward",
    "sort": "Sort by",
    "page": "Page",
}
HINTS = {
    "q": "Every word must appear in the topic, challenges, notes or way forward. "
    '"Quotes" for a phrase; mento* for words that start with mento.',
    "session_date_from": "On or after this day.",
    "session_date_to": "Before this day.",
}
DATE_FILTERS = ("session_date_from", "session_date_to")
CHOICES = {
    "status": [(status, status.capitalize()) for status in STATUSES],
    "review_state": [
        ("none", REVIEW_LABELS[None]),
        *((state, REVIEW_LABELS[state]) for state in REVIEW_STATES),
    ],
    "follow_up_needed": [("true", "Yes"), ("false", "No")],
    "participant_engagement": [(level, ENGAGEMENT_LABELS[level]) for level in ENGAGEMENT_LEVELS],
}
# The table's sortable columns, by the API's sort names.
SORT_LABELS = {"session_date": "Session date", "submitted_at": "Submitted", "created_at": "Created"}
SORT_CHOICES = [
    (f"{sign}{name}", f"{SORT_LABELS[name]}, {order}")
    for name in SORTS
    for sign, order in (("-", "newest first"), ("", "oldest first"))
]

# Each loads the API's own list query: its filters, `sort`, and for the table `page`.
table_query_schema = ListQuerySchema(only=(*FILTERS, "sort", "page"))
download_query_schema = ListQuerySchema(only=(*FILTERS, "sort"))


@bp.get("/reports")
@login_required
def reports():
    """The reports that match the filters of the query string, a page at a time
    (a mentor's own only)."""
    tidy = _tidy_url("web.reports")
    if tidy is not None:
        return redirect(tidy)
    given = request.args.to_dict()
    try:
        query = table_query_schema.load(single_valued(request.args), unknown=EXCLUDE)
    except ValidationError as error:
        return _table(given, error.messages)
    listed, total = service.listed_reports(_filters(query), query["page"], PAGE_SIZE, query["sort"])
    return _table(given, reports=listed, total=total, page=query["page"], sort=query["sort"])


@bp.get("/reports.csv", defaults={"export": "csv"})
@bp.get("/reports.ndjson", defaults={"export": "ndjson"})
@bp.get("/reports.xlsx", defaults={"export": "xlsx"})
@login_required
def download_reports(export):
    """Every report of the table's view, whole, as a CSV, JSON Lines or XLSX
    file. A bad query, or more reports than a sheet holds, is the table's page
    with what is wrong."""
    tidy = _tidy_url("web.download_reports", export=export)
    if tidy is not None:
        return redirect(tidy)
    try:
        query = download_query_schema.load(single_valued(request.args), unknown=EXCLUDE)
        reports = service.all_reports(_filters(query), query["sort"])
        return formats.export_response(export, reports, f"reports-{clock.today()}.{export}")
    except ValidationError as error:
        return _table(request.args.to_dict(), error.messages)


def _tidy_url(endpoint, **values):
    """The URL of the same view without the blank values a form sends for the
    filters left empty, or None when there are none."""
    args = request.args
    if all(value.strip() for value in args.values()):
        return None
    kept = MultiDict([(name, value) for name, value in args.items(multi=True) if value.strip()])
    return url_for(endpoint, **values, **kept.to_dict(flat=False))


def _url(endpoint, **values):
    """url_for, leaving out the values that are None."""
    return url_for(endpoint, **{name: value for name, value in values.items() if value is not None})


def _filters(query):
    """The filters of the query, and for a mentor, its own reports only (as the API)."""
    return {name: query[name] for name in FILTERS if name in query} | {"owner": g.caller.owner}


def _table(given, messages=None, reports=(), total=0, page=1, sort=None):
    """The table's page, with the filter form showing what was `given` (the
    query string), or the `messages` of a ValidationError next to each field
    and no table (422)."""
    errors = {}
    for name, field_messages in (messages or {}).items():
        errors[name] = " ".join(field_messages)
    sort = sort or given.get("sort", DEFAULT_SORT)
    filters = {name: given[name] for name in FILTERS if name in given}

    kept = {**filters, "sort": given.get("sort")}

    def view_url(**changes):
        """This view's URL with `changes` (None drops a parameter)."""
        return _url("web.reports", **{**kept, **changes})

    def download_url(export):
        return _url("web.download_reports", export=export, **kept)

    kept_sort = {"sort": given["sort"]} if "sort" in given and "sort" not in errors else {}
    page_context = {
        "clear_url": url_for("web.reports", **kept_sort),
        "given": given,
        "errors": errors,
        "filters": filters,
        "reports": reports,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "sort": sort,
        "view_url": view_url,
        "download_url": download_url,
        "show_mentor": g.caller.owner is None,
        "form_filters": FORM_FILTERS,
        "other_filters": [name for name in FILTERS if name not in FORM_FILTERS],
        "labels": LABELS,
        "hints": HINTS,
        "choices": CHOICES,
        "date_filters": DATE_FILTERS,
        "sort_labels": SORT_LABELS,
        "sort_choices": SORT_CHOICES,
    }
    return render_template("web/reports.html", **page_context), 422 if errors else 200
