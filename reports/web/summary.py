"""The summary page: the API's summary of the reports per month, mentor,
activity or organisation, for the same filters in the same query string, and
per month two bar charts, of reports and of attendance, drawn on the server.
The same summary downloads as the API's CSV or XLSX file."""

from flask import g, render_template, request, url_for
from marshmallow import ValidationError

from reports import chart, clock, formats, service
from reports.schemas import ENGAGEMENT_LEVELS, FILTERS, summary_query_schema
from reports.web import bp, login_required

GROUPINGS = {"month": "Month", "mentor": "Mentor", "activity": "Activity", "org": "Organisation"}
# The filter a group of each grouping is, on the reports table.
GROUP_FILTERS = {"mentor": "peer_mentor_id", "activity": "activity_id", "org": "org_id"}
QUERY_NAMES = ("group_by", *FILTERS)
# The fields in the order of the form, which its error summary follows.
FORM_ORDER = (
    "group_by", "status", "review_state", "session_date_from", "session_date_to",
    "peer_mentor_id", "activity_id", "org_id", "participant_engagement", "follow_up_needed",
    "has_way_forward", "q", "submitted_from", "submitted_to", "updated_since",
)  # fmt: skip
# The figures summed in the totals row (an average of averages would be wrong).
SUMMED = (
    "reports", "submitted", "drafts", "attendance_total", "duration_minutes_total",
    "follow_ups_needed",
)  # fmt: skip


@bp.get("/summary")
@login_required
def summary():
    """The figures per group of the reports that match the filters (a mentor's
    own only, as the API's summary); per month, the charts."""
    values, query, errors = _summary_query()
    if errors:
        return _refused(values, errors)
    group_by = query["group_by"]
    groups = _groups(query)

    def download_url(export):
        return url_for("web.download_summary", export=export, **{**values, "group_by": group_by})

    return render_template(
        "web/summary.html",
        values=values,
        errors={},
        group_by=group_by,
        rows=[_row(group, group_by, values) for group in groups],
        totals=_totals(groups),
        charts=_charts(groups) if group_by == "month" else None,
        download_url=download_url,
        **_form_context(values),
    )


@bp.get("/summary.csv", defaults={"export": "csv"})
@bp.get("/summary.xlsx", defaults={"export": "xlsx"})
@login_required
def download_summary(export):
    """The summary the page shows, for the same grouping and filters, as the
    API's CSV or XLSX file; a bad query is the page with what is wrong."""
    values, query, errors = _summary_query()
    if errors:
        return _refused(values, errors)
    group_by = query["group_by"]
    filename = f"summary-by-{group_by}-{clock.today()}.{export}"
    return formats.summary_response(export, group_by, _groups(query), filename)


def _summary_query():
    """The query string's values, the summary's query loaded from them (by
    month unless it says otherwise), and the errors of each name."""
    values, errors = _query_values()
    query = {}
    if not errors:
        try:
            query = summary_query_schema.load({"group_by": "month", **values})
        except ValidationError as error:
            errors = {name: _first(messages) for name, messages in error.messages.items()}
    return values, query, errors


def _groups(query):
    """The API's summary of the query (a mentor's own reports only)."""
    filters = {name: query[name] for name in FILTERS if name in query}
    return service.summary({**filters, "owner": g.caller.owner}, query["group_by"])


def _refused(values, errors):
    """The page with the form as given and each error at its field (422)."""
    errors = dict(sorted(errors.items(), key=lambda item: _form_position(item[0])))
    return render_template(
        "web/summary.html", values=values, errors=errors, **_form_context(values)
    ), 422


def _query_values():
    """The query string's known names with a value (empty form fields dropped),
    and an error for each name given twice. Other names are not the summary's
    and are left alone, as a bookmarked address of the reports table may carry them."""
    values, errors = {}, {}
    for name in QUERY_NAMES:
        given = [value for value in request.args.getlist(name) if value != ""]
        if given:
            values[name] = given[0]
        if len(given) > 1:
            errors[name] = "Give this filter once."
    return values, errors


def _form_position(name):
    return FORM_ORDER.index(name) if name in FORM_ORDER else len(FORM_ORDER)


def _first(messages):
    while isinstance(messages, list | dict):
        messages = next(iter(messages.values() if isinstance(messages, dict) else messages))
    return messages


def _form_context(values):
    given = [name for name in FILTERS if name in values]
    return {
        "groupings": GROUPINGS,
        "grouping": GROUPINGS.get(values.get("group_by"), GROUPINGS["month"]),
        "font_size": chart.FONT_SIZE,
        "engagement_levels": ENGAGEMENT_LEVELS,
        "filters_given": len(given),
        "clear_url": url_for("web.summary", group_by=values.get("group_by")),
    }


def _row(group, group_by, values):
    """A group's figures, its label, and where its reports are listed."""
    label = group["group"] if group["group"] is not None else "No session date"
    return {**group, "label": label, "reports_url": _reports_url(group["group"], group_by, values)}


def _reports_url(group, group_by, values):
    """The reports table of one group: the summary's filters (as given, and
    valid) and the group's."""
    if group is None:
        return None
    filters = {name: values[name] for name in FILTERS if name in values}
    if group_by == "month":
        start = f"{group}-01"
        # The first day of the next month, if it is one a date can be.
        year, month = divmod(int(group[:4]) * 12 + int(group[5:7]), 12)
        end = f"{year:04}-{month + 1:02}-01" if year <= 9999 else None
        filters["session_date_from"] = max(start, filters.get("session_date_from", start))
        if end is not None:
            filters["session_date_to"] = min(end, filters.get("session_date_to", end))
    else:
        filters[GROUP_FILTERS[group_by]] = group
    return url_for("web.reports", **filters)


def _totals(groups):
    if len(groups) < 2:
        return None
    totals = {name: sum(group[name] for group in groups) for name in SUMMED}
    totals["engagement"] = {
        level: sum(group["engagement"][level] for group in groups) for level in ENGAGEMENT_LEVELS
    }
    return totals


def _charts(groups):
    """The two monthly charts, of reports and of attendance, each with its
    title and description; None when no report has a session date."""
    months = {group["group"]: group for group in groups if group["group"] is not None}
    if not months:
        return None
    undated = sum(group["reports"] for group in groups if group["group"] is None)
    charts = []
    for key, name, title, units in (
        ("reports", "reports", "Reports per month", ("report", "reports")),
        ("attendance", "attendance_total", "Attendance per month", ("person", "people")),
    ):
        series = chart.month_series({month: group[name] for month, group in months.items()})
        charts.append(
            {
                "key": key,
                "title": title,
                "description": _description(series, units),
                "chart": chart.monthly_chart(series),
                "units": units,
            }
        )
    shown_from = charts[0]["chart"].bars[0].label
    left_out = sum(group["reports"] for month, group in months.items() if month < shown_from)
    return {"charts": charts, "undated": undated, "left_out": left_out, "shown_from": shown_from}


def _description(series, units):
    """What a chart shows, in a sentence: its months, total and highest month."""
    total = sum(value for _, value in series)
    highest_month, highest = max(series, key=lambda item: item[1])
    months = _counted(len(series), ("month", "months"))
    span = series[0][0] if len(series) == 1 else f"from {series[0][0]} to {series[-1][0]}"
    text = f"{_counted(total, units)} in {months}, {span}."
    if len(series) > 1:
        text += f" The most, {highest}, in {highest_month}."
    return text + " Each month's figure is in the table."


def _counted(number, units):
    return f"{number} {units[0] if number == 1 else units[1]}"
