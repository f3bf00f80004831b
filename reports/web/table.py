"""The reports table: the reports that match the API's own filters, sorted and
a page at a time, and the same view downloaded as CSV, JSON Lines or XLSX.

The query string is the API's (the same names, loaded by the same schemas), so
a view can be bookmarked and shared, and reads like the API's URL of it."""

import math
from dataclasses import dataclass
from functools import lru_cache

from flask import g, redirect, render_template, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from reports import catalogue, clock, formats, human, limits, service
from reports.schemas import SORTS, shapes, single_valued
from reports.web import bp, login_required
from reports.web.display import (
    REVIEW_FILTER_CHOICES,
    STATUS_CHOICES,
    directory_choices,
    filter_choices,
    filters_of,
    url_with_query,
    way_forward_label,
)
from reports.web.messages import _l, later, translated

PAGE_SIZE = 20
DEFAULT_SORT = "-created_at"
# The deepest page the table shows (10,000 reports in): a page by number reads
# every report before it, and no one reads a table that deep.
DEEPEST_PAGE = 500

# The filter form's fixed fields, by the API's query names, in the form's order;
# the catalogue's filters follow. The API's other filters work in the URL too;
# the form carries them along.
FIXED_FORM_FILTERS = (
    "q", "status", "review_state", "peer_mentor_id", "activity_id", "org_id",
    "session_date_from", "session_date_to",
)  # fmt: skip
FIXED_LABELS = {
    "q": _l("Search"),
    "status": _l("Status"),
    "review_state": _l("Review"),
    "peer_mentor_id": _l("Peer mentor id"),
    "activity_id": _l("Activity id"),
    "org_id": _l("Organisation id"),
    "submitted_from": _l("Submitted from"),
    "submitted_to": _l("Submitted before"),
    "updated_since": _l("Changed since"),
    "sort": _l("Sort by"),
    "page": _l("Page"),
}
# The labels of the mentor and activity filters picked by name (display.directory_choices).
PICKED_LABELS = {"peer_mentor_id": _l("Peer mentor"), "activity_id": _l("Activity")}
DATE_HINTS = {
    "session_date_from": _l("On or after this day."),
    "session_date_to": _l("Before this day."),
}
SEARCH_HINT = _l('"Quotes" for a phrase; mento* for words that start with mento.')
DATE_FILTERS = ("session_date_from", "session_date_to")
FIXED_CHOICES = {"status": STATUS_CHOICES, "review_state": REVIEW_FILTER_CHOICES}
# The table's sortable columns, by the API's sort names (the session date's is its field's label).
SORT_LABELS = {"submitted_at": _l("Submitted"), "created_at": _l("Created")}


@dataclass(frozen=True)
class TableForm:
    """What the filter form of a catalogue asks for, and in which words."""

    form_filters: tuple
    labels: dict
    hints: dict
    choices: dict
    sort_labels: dict
    sort_choices: list


def in_words(labels):
    """["a", "b", "c"] as "a, b or c", in the page's language."""
    labels = [str(label) for label in labels]
    if len(labels) < 2:
        return "".join(labels)
    return _("%(first)s or %(last)s", first=", ".join(labels[:-1]), last=labels[-1])


def search_hint(searched):
    """The search's hint: the labels of the fields it searches, and how to ask."""
    if not searched:
        return str(SEARCH_HINT)
    every = _("Every word must appear in %(fields)s.", fields=in_words(searched))
    return f"{every} {SEARCH_HINT}"


@lru_cache(maxsize=16)
def table_form(form, language):
    """The filter form and sort choices of the catalogue `form`, with its texts
    in the page's `language` (catalogue.page_language): one per language."""
    session_date = form.by_name[form.session_date].label
    filters = {field.name: field for field in form.filters}
    searched = tuple(form.by_name[name].label for name in form.searchable)
    labels = {
        **FIXED_LABELS,
        "session_date_from": _l("%(label)s from", label=session_date),
        "session_date_to": _l("%(label)s to", label=session_date),
        "has_way_forward": way_forward_label(form),
        **{name: field.label for name, field in filters.items()},
    }
    sort_labels = {"session_date": session_date, **SORT_LABELS}
    return TableForm(
        form_filters=(*FIXED_FORM_FILTERS, *filters),
        labels=labels,
        hints={"q": later(search_hint, searched), **DATE_HINTS},
        choices={**FIXED_CHOICES, **{n: filter_choices(f) for n, f in filters.items()}},
        sort_labels=sort_labels,
        sort_choices=[
            choice
            for name in SORTS
            for choice in (
                (f"-{name}", _l("%(label)s, newest first", label=sort_labels[name])),
                (name, _l("%(label)s, oldest first", label=sort_labels[name])),
            )
        ],
    )


@lru_cache(maxsize=16)
def query_schemas(live):
    """The schemas of the table's query and of a download's: the API's own list
    query, with its filters, `sort`, and for the table `page`."""
    return (
        live.ListQuerySchema(only=(*live.filters, "sort", "page")),
        live.ListQuerySchema(only=(*live.filters, "sort")),
    )


@bp.get("/reports")
@login_required
@limits.limited("search")
def reports():
    """The reports that match the filters of the query string, a page at a time
    (a mentor's own only), to DEEPEST_PAGE."""
    tidy = _tidy_url("web.reports")
    if tidy is not None:
        return redirect(tidy)
    given = request.args.to_dict()
    try:
        query = query_schemas(shapes())[0].load(single_valued(request.args), unknown=EXCLUDE)
    except ValidationError as error:
        return _table(given, error.messages)
    if query["page"] > DEEPEST_PAGE:
        return _table(given, {"page": [_too_deep(query["page"])]})
    listed, total = service.listed_reports(
        _filters(query), query["page"], PAGE_SIZE, query["sort"], caller=g.caller
    )
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
        query = query_schemas(shapes())[1].load(single_valued(request.args), unknown=EXCLUDE)
        reports = service.all_reports(_filters(query), query["sort"], caller=g.caller)
        return formats.export_response(export, reports, f"reports-{clock.today()}.{export}")
    except ValidationError as error:
        return _table(request.args.to_dict(), error.messages)


def _tidy_url(endpoint, **values):
    """The URL of the same view without the blank values a form sends for the
    filters left empty, or None when there are none."""
    given = list(request.args.items(multi=True))
    kept = [(name, value) for name, value in given if value.strip()]
    if len(kept) == len(given):
        return None
    return url_with_query(endpoint, kept, **values)


def _too_deep(page):
    return _(
        "Page %(page)s is deeper than the table goes: it shows the first %(pages)s pages "
        "(%(reports)s reports) of a view. Narrow the filters, turn the sort round, download "
        "the view, or page through the API with its cursor.",
        page=page,
        pages=DEEPEST_PAGE,
        reports=human.number(DEEPEST_PAGE * PAGE_SIZE),
    )


def _filters(query):
    """The filters of the query (the service holds a mentor to its own reports, as for the API)."""
    return filters_of(query)


def _table(given, messages=None, reports=(), total=0, page=1, sort=None):
    """The table's page, with the filter form showing what was `given` (the
    query string), or the `messages` of a ValidationError next to each field
    and no table (422)."""
    errors = {}
    for name, field_messages in (messages or {}).items():
        errors[name] = " ".join(translated(message) for message in field_messages)
    words = table_form(catalogue.live(), catalogue.page_language())
    sort = sort or given.get("sort", DEFAULT_SORT)
    filters = filters_of(given)

    kept = {**filters, "sort": given.get("sort")}

    def view_url(**changes):
        """This view's URL with `changes` (None drops a parameter)."""
        return url_with_query("web.reports", {**kept, **changes})

    def download_url(export):
        return url_with_query("web.download_reports", kept, export=export)

    kept_sort = {"sort": given["sort"]} if "sort" in given and "sort" not in errors else {}
    picked = directory_choices(given)
    page_context = {
        "clear_url": url_with_query("web.reports", kept_sort),
        "given": given,
        "errors": errors,
        "filters": filters,
        "reports": reports,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "deepest_page": DEEPEST_PAGE,
        "sort": sort,
        "view_url": view_url,
        "download_url": download_url,
        "show_mentor": g.caller.owner is None,
        "form_filters": words.form_filters,
        "other_filters": [name for name in shapes().filters if name not in words.form_filters],
        "labels": {**words.labels, **{name: PICKED_LABELS[name] for name in picked}},
        "hints": words.hints,
        "choices": {**words.choices, **picked},
        "date_filters": DATE_FILTERS,
        "sort_labels": words.sort_labels,
        "sort_choices": words.sort_choices,
    }
    return render_template("web/reports.html", **page_context), 422 if errors else 200
