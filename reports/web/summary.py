"""The summary page: the API's summary of the reports per month, mentor,
activity or organisation, for the same filters in the same query string, and
per month two bar charts, of reports and of the catalogue's first whole-number
total (attendance, in the built-in form), drawn on the server. Its columns are
the catalogue's summary figures. The same summary downloads as the API's CSV or
XLSX file."""

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from reports import catalogue, chart, clock, formats, human, limits, service
from reports.schemas import shapes, shapes_of
from reports.web import bp, login_required
from reports.web.display import (
    REVIEW_FILTER_CHOICES,
    STATUS_CHOICES,
    YES_NO,
    filter_choices,
    filters_of,
    first_messages,
    url_with_query,
    way_forward_label,
)
from reports.web.messages import _l, later, lazy_ngettext

GROUPINGS = {
    "month": _l("Month"),
    "mentor": _l("Mentor"),
    "activity": _l("Activity"),
    "org": _l("Organisation"),
}
# The filter a group of each grouping is, on the reports table.
GROUP_FILTERS = {"mentor": "peer_mentor_id", "activity": "activity_id", "org": "org_id"}
# The fields in the order of the form, which its error summary follows: the
# grouping, then the API's filters (catalogue.FILTER_NAMES and LAST_FILTER_NAMES)
# in the page's own order, the catalogue's fields' filters between these two.
# tests/test_web_summary.py checks that the form offers exactly the filters the
# API's summary takes, in this order.
FORM_START = (
    "group_by", "status", "review_state", "session_date_from", "session_date_to",
    "peer_mentor_id", "activity_id", "org_id",
)  # fmt: skip
FORM_END = ("has_way_forward", "q", "submitted_from", "submitted_to", "updated_since")
# The groups the page shows at a time; the downloads hold them all.
GROUPS_PER_PAGE = 50
# The words of a figure's column, and of a bar's units on a chart.
FIGURE_HEADERS = {"total": _l("Total"), "average": _l("Average"), "count": _l("Yes")}
# The units of a chart's bars, by the figure it shows (the word for one, and
# for more); a figure not named here is shown as a number alone.
CHART_UNITS = {
    "reports": (
        lazy_ngettext("report", "reports", 1),
        lazy_ngettext("report", "reports", 2),
    ),
    "attendance_total": (
        lazy_ngettext("person", "people", 1),
        lazy_ngettext("person", "people", 2),
    ),
}


@dataclass(frozen=True)
class Column:
    """A column of figures: `figure` (a catalogue Figure), and for a figure of
    counts, the `value` it counts; `start` when it starts a group of columns."""

    figure: object
    value: str | None
    header: str
    start: bool


@dataclass(frozen=True)
class ColumnGroup:
    """The columns of one field under its label: one header over several, or
    one column whose header is the label."""

    label: str
    columns: tuple

    @property
    def several(self):
        """Whether its header stands over headers of its own: several figures, or counts."""
        return len(self.columns) > 1 or self.columns[0].value is not None


@dataclass(frozen=True)
class Layout:
    groups: tuple
    columns: tuple
    filters: tuple  # (name, label, options) of the catalogue's filters
    form_order: tuple
    query_names: tuple
    has_way_forward: str  # its label
    explained: str  # what each figure is, in a sentence per field
    chart_figure: object  # the Figure of the second chart, or None


@lru_cache(maxsize=16)
def layout(form, language):
    """The summary page of the catalogue `form`: its columns, filters and chart,
    with the catalogue's texts in the page's `language` (catalogue.page_language):
    a layout per language."""
    groups, explained = [], []
    for field in _fields_with_figures(form):
        figures = [figure for figure in form.figures if figure.field is field]
        columns = []
        for figure in figures:
            if figure.what == "counts":
                columns += [Column(figure, c.value, c.label, False) for c in field.values]
            else:
                columns.append(Column(figure, None, FIGURE_HEADERS[figure.what], False))
        columns[0] = Column(columns[0].figure, columns[0].value, columns[0].header, True)
        groups.append(ColumnGroup(field.label, tuple(columns)))
        explained.append(_explained(field, [figure.what for figure in figures]))
    filters = tuple((f.name, f.label, tuple(filter_choices(f))) for f in form.filters)
    names = (*FORM_START, *(name for name, _, _ in filters), *FORM_END)
    totals = [
        figure
        for figure in form.figures
        if figure.what == "total" and figure.field.kind == "integer"
    ]
    return Layout(
        groups=tuple(groups),
        columns=tuple(column for group in groups for column in group.columns),
        filters=filters,
        form_order=names,
        query_names=("group_by", *shapes_of(form).filters),
        has_way_forward=way_forward_label(form),
        explained=later(_joined, tuple(explained)),
        chart_figure=totals[0] if totals else None,
    )


def _fields_with_figures(form):
    """The fields of the catalogue's figures, in the figures' order, each once."""
    return list(dict.fromkeys(figure.field for figure in form.figures))


def _explained(field, whats):
    """What the column or columns of a field's figures are, in a sentence."""
    label = field.label
    if whats == ["count"]:
        return _l("%(label)s: the reports that say yes.", label=label)
    if whats == ["counts"] and field.kind == "choice":
        return _l("%(label)s: how many reports have each value.", label=label)
    if whats == ["counts"]:
        return _l("%(label)s: how many reports include each value.", label=label)
    if whats == ["total"]:
        return _l("%(label)s: the total over the reports that give it.", label=label)
    if whats == ["average"]:
        return _l("%(label)s: the average over the reports that give it.", label=label)
    return _l("%(label)s: the total over the reports that give it, and their average.", label=label)


def _joined(texts):
    """Texts, each shown in the page's language, one after the other."""
    return " ".join(str(text) for text in texts)


def _layout():
    return layout(catalogue.live(), catalogue.page_language())


@bp.get("/summary")
@login_required
@limits.limited("search")
def summary():
    """The figures per group of the reports that match the filters (a mentor's
    own only, as the API's summary), GROUPS_PER_PAGE groups a page, with the
    totals of them all; per month, the charts."""
    values, query, errors = _summary_query()
    page = _page_number(errors)
    if errors:
        return _refused(values, errors)
    group_by = query["group_by"]
    groups = _groups(query)
    columns = _layout().columns
    shown = groups[(page - 1) * GROUPS_PER_PAGE : page * GROUPS_PER_PAGE]
    view = {**values, "group_by": group_by}

    def download_url(export):
        return url_with_query("web.download_summary", view, export=export)

    def page_url(number):
        return url_with_query("web.summary", {**view, "page": number})

    return render_template(
        "web/summary.html",
        values=values,
        errors={},
        group_by=group_by,
        rows=[_row(group, group_by, values, columns) for group in shown],
        totals=_totals(groups, columns),
        charts=_charts(groups) if group_by == "month" else None,
        paging=_paging(page, len(groups), page_url),
        download_url=download_url,
        month_url=url_with_query("web.summary", {**values, "group_by": "month"}),
        **_form_context(values),
    )


@bp.get("/summary.csv", defaults={"export": "csv"})
@bp.get("/summary.xlsx", defaults={"export": "xlsx"})
@login_required
@limits.limited("export")
def download_summary(export):
    """Every group of the summary the page shows, for the same grouping and
    filters, as the API's CSV or XLSX file; a bad query is the page with what
    is wrong. It is written whole before it is sent: an export, within the
    limit of MAX_EXPORTS."""
    values, query, errors = _summary_query()
    if errors:
        return _refused(values, errors)
    group_by = query["group_by"]
    filename = f"summary-by-{group_by}-{clock.today()}.{export}"
    return formats.summary_response(export, group_by, _groups(query), filename)


def _page_number(errors):
    """The page of groups the query string asks for (1 unless it says), or
    None with an error in `errors`."""
    given = [value for value in request.args.getlist("page") if value != ""]
    if not given:
        return 1
    if len(given) > 1:
        errors["page"] = _("Give the page once.")
    elif not given[0].isascii() or not given[0].isdigit() or int(given[0]) < 1:
        errors["page"] = _("The page must be a whole number from 1.")
    else:
        return int(given[0])
    return None


def _paging(page, count, page_url):
    """Which groups the page shows of `count`, and its links to the pages next
    to it; None when one page shows them all."""
    pages = max(1, math.ceil(count / GROUPS_PER_PAGE))
    if pages == 1 and page == 1:
        return None
    return {
        "page": page,
        "pages": pages,
        "count": count,
        "per_page": GROUPS_PER_PAGE,
        "first": (page - 1) * GROUPS_PER_PAGE + 1,
        "last": min(page * GROUPS_PER_PAGE, count),
        "previous": page_url(min(page - 1, pages)) if page > 1 else None,
        "next": page_url(page + 1) if page < pages else None,
        "last_page": page_url(pages),
    }


def _summary_query():
    """The query string's values, the summary's query loaded from them (by
    month unless it says otherwise), and the errors of each name."""
    values, errors = _query_values()
    query = {}
    if not errors:
        try:
            query = shapes().summary_query.load({"group_by": "month", **values})
        except ValidationError as error:
            errors = first_messages(error.messages)
    return values, query, errors


def _groups(query):
    """The API's summary of the query (of a mentor's own reports only, as the service holds it)."""
    return service.summary(filters_of(query), query["group_by"], caller=g.caller)


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
    for name in _layout().query_names:
        given = [value for value in request.args.getlist(name) if value != ""]
        if given:
            values[name] = given[0]
        if len(given) > 1:
            errors[name] = _("Give this filter once.")
    return values, errors


def _form_position(name):
    order = _layout().form_order
    return order.index(name) if name in order else len(order)


def _form_context(values):
    page = _layout()
    form = catalogue.live()
    return {
        "groupings": GROUPINGS,
        "grouping": GROUPINGS.get(values.get("group_by"), GROUPINGS["month"]),
        "font_size": chart.FONT_SIZE,
        "column_groups": page.groups,
        "columns": page.columns,
        "status_choices": STATUS_CHOICES,
        "review_filter_choices": REVIEW_FILTER_CHOICES,
        "yes_no": YES_NO,
        "catalogue_filters": page.filters,
        "way_forward_label": page.has_way_forward,
        "has_way_forward": form.way_forward is not None or "has_way_forward" in values,
        "explained": page.explained,
        "filters_given": len(filters_of(values)),
        "clear_url": url_with_query("web.summary", {"group_by": values.get("group_by")}),
    }


def _row(group, group_by, values, columns):
    """A group's figures as the table shows them, its label (a mentor's or an
    activity's name, with its id shown after it, or the id alone where the
    directory has no name), and where its reports are listed."""
    label = group["group"] if group["group"] is not None else _("No session date")
    if group_by == "month" and group["group"] is not None:
        label = human.month(group["group"])
    name = group.get("name")
    return {
        **group,
        "label": label if name is None else name,
        "named_id": None if name is None else group["group"],
        "reports_url": _reports_url(group["group"], group_by, values),
        "cells": [_cell(column, group) for column in columns],
    }


def _cell(column, group):
    """A figure as a cell: a count or total as it is, an average of whole
    numbers to two places, a decimal's figures as the summary gives them."""
    figure = column.figure
    value = group[figure.name]
    if figure.what == "counts":
        return human.number(value[column.value])
    if value is None:
        return "–"
    if figure.what == "average" and figure.field.kind == "integer":
        return human.number(f"{value:.2f}")
    return human.number(value if isinstance(value, int) else str(value))


def _reports_url(group, group_by, values):
    """The reports table of one group: the summary's filters (as given, and
    valid) and the group's."""
    if group is None:
        return None
    filters = filters_of(values)
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
    return url_with_query("web.reports", filters)


def _totals(groups, columns):
    """The totals row: the counts and totals added up; no average (an average of
    averages would be wrong)."""
    if len(groups) < 2:
        return None
    totals = {
        name: sum(group[name] for group in groups) for name in ("reports", "submitted", "drafts")
    }
    totals["cells"] = [_total(column, groups) for column in columns]
    return totals


def _total(column, groups):
    figure = column.figure
    if figure.what == "average":
        return "–"
    if figure.what == "counts":
        return human.number(sum(group[figure.name][column.value] for group in groups))
    if figure.field.kind == "decimal":
        places = Decimal(1).scaleb(-figure.field.places)
        return human.number(sum(Decimal(group[figure.name]) for group in groups).quantize(places))
    return human.number(sum(group[figure.name] for group in groups))


def _charts(groups):
    """The monthly charts, of reports and of the catalogue's first whole-number
    total, each with its title and description; None when no report has a
    session date."""
    months = {group["group"]: group for group in groups if group["group"] is not None}
    if not months:
        return None
    undated = sum(group["reports"] for group in groups if group["group"] is None)
    shown = [("reports", "reports", None)]
    figure = _layout().chart_figure
    if figure is not None:
        key = figure.name.removesuffix("_total")
        shown.append((figure.name if key == "reports" else key, figure.name, figure.field.label))
    charts = []
    for key, name, label in shown:
        series = chart.month_series({month: group[name] for month, group in months.items()})
        charts.append(
            {
                "key": key,
                "title": _("Reports per month")
                if label is None
                else _("%(label)s per month", label=label),
                "description": _description(series, name),
                "chart": chart.monthly_chart(series),
                "units": CHART_UNITS.get(name),
            }
        )
    shown_from = charts[0]["chart"].bars[0].label
    left_out = sum(group["reports"] for month, group in months.items() if month < shown_from)
    if len(shown) == 1:
        heading = _("Reports per month")
    else:
        label = shown[1][2]
        heading = _("Reports and %(label)s per month", label=label[:1].lower() + label[1:])
    return {
        "charts": charts,
        "heading": heading,
        "undated": undated,
        "left_out": left_out,
        "shown_from": human.month(shown_from),
    }


def _description(series, name):
    """What a chart of the figure `name` shows, in a sentence: its months, total
    and highest month."""
    total = sum(value for _, value in series)
    highest_month, highest = max(series, key=lambda item: item[1])
    months = ngettext("%(num)d month", "%(num)d months", len(series))
    amount = _amount(total, name)
    first, last = human.month(series[0][0]), human.month(series[-1][0])
    if len(series) == 1:
        text = [
            _("%(amount)s in %(months)s, %(first)s.", amount=amount, months=months, first=first)
        ]
    else:
        text = [
            _(
                "%(amount)s in %(months)s, from %(first)s to %(last)s.",
                amount=amount,
                months=months,
                first=first,
                last=last,
            ),
            _(
                "The most, %(highest)s, in %(month)s.",
                highest=highest,
                month=human.month(highest_month),
            ),
        ]
    return " ".join([*text, _("Each month's figure is in the table.")])


def _amount(number, name):
    """A chart's figure with its units (see CHART_UNITS), or alone."""
    if name == "reports":
        return ngettext("%(num)d report", "%(num)d reports", number)
    if name == "attendance_total":
        return ngettext("%(num)d person", "%(num)d people", number)
    return str(number)
