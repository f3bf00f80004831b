"""Many reports at once: list pages and their kept totals, exports, deleted ids, labels."""

import json
from contextlib import nullcontext

from flask import current_app

from reports import catalogue, limits, queries
from reports.db import get_db, snapshot
from reports.kept import kept_for_app
from reports.schemas import shapes

from .lifecycle import REVIEW_KEYS
from .names import directory_names
from .roles import require_may, seen_by

# Reports an export reads in one snapshot.
EXPORT_CHUNK = 500
TOTALS_KEPT = 256
# How many reports a page by number may skip before it needs a slot (see page_of_reports).
DEEP_PAGE_OFFSET = 10_000
# What reading a search's match costs, in steps of a walk along an index (see _probe).
WALK_COST = 13
# How many of the newest reports a filtered page may walk in created order
# before it reads what its filters match instead (see _walked_page).
WALKED_REPORTS = 1_000


def page_of_reports(filters, page, limit, after=None, sort="-created_at", *, caller):
    """One page of the reports matching `filters` that `caller` may see, in `sort`
    order: its rows, how many match in all, and the (sort key, report id) to
    continue after, or None on the last page.

    The page is chosen by number, or by `after`, the (sort key, report id) of
    the last report of the page before it (a keyset cursor). A page by number
    reads every report before it: one that skips DEEP_PAGE_OFFSET or more runs
    within the limit of MAX_SEARCHES, as a search does; a cursor skips none.
    """
    filters = seen_by(caller, filters)
    heavy = limits.holding("search") if filters.get("q") else nullcontext()
    with heavy, snapshot() as db:
        total = _total(db, filters)
        offset = 0 if after is not None else (page - 1) * limit
        probe = _probe(db, filters, offset + limit + 1)
        # One more row than asked tells whether another page follows.
        if after is not None:
            rows = queries.page_of_reports_after(db, filters, sort, limit + 1, *after, probe)
        elif offset < total:
            rows = _walked_page(db, filters, sort, limit, offset, total)
            if rows is None:
                deep = limits.holding("search") if offset >= DEEP_PAGE_OFFSET else nullcontext()
                with deep:
                    rows = queries.page_of_reports(db, filters, sort, limit + 1, offset, probe)
        else:
            # Past the end there is nothing to read (and a huge offset would not fit SQLite).
            rows = []
    if len(rows) <= limit:
        return rows, total, None
    last = rows[limit - 1]
    return rows[:limit], total, (last["sort_key"], last["report_id"])


def _walked_page(db, filters, sort, limit, offset, total):
    """The page (and one more row) found among the WALKED_REPORTS newest
    reports, walked newest first, or None when they do not hold it all.

    A range of session dates, or a field's value, leads SQLite to read every
    report it matches and sort them, some ten thousand for a month of a
    million reports; when the matches are recent, as a month's or a week's
    usually are, walking the newest first finds the page after a few hundred.
    Every report created since the bound is walked, so the rows found are the
    page exactly when there are enough of them; a walk that comes short costs
    at most WALKED_REPORTS steps before the usual read."""
    given = {name for name, value in filters.items() if value is not None}
    if sort != "-created_at" or "q" in given or not given & queries.unled_filters():
        return None
    wanted = min(limit + 1, total - offset)
    if offset + wanted > WALKED_REPORTS:
        return None
    # Kept as the totals are: the same on every filtered page until a report changes.
    since = _kept_total(db, "newest", {"reports": WALKED_REPORTS}, queries.created_at_of_newest)
    if since is None:
        return None  # so few reports that the usual read is as quick
    rows = queries.page_of_reports(db, filters, sort, limit + 1, offset, created_since=since)
    return rows if len(rows) >= wanted else None


def _probe(db, filters, rows):
    """Whether a search finds its page (the first `rows` of its order) sooner by
    walking the order's index and looking each report up among the matches
    than by reading every match and sorting them. A walk meets a match every
    (reports / matches) entries, and one entry costs about 1/WALK_COST of
    reading a match: it wins when matches² × WALK_COST > rows × reports."""
    if filters.get("q") is None:
        return False
    matches = _kept_total(db, "matches", {"q": filters["q"]}, queries.search_matches)
    return matches * matches * WALK_COST > rows * queries.count_reports(db, {})


def _total(db, filters):
    """How many reports match: read where a kept count knows, else kept (_kept_total)."""
    if queries.counted_already(filters):
        return queries.count_reports(db, filters)
    return _kept_total(db, "reports", filters, queries.count_reports)


def _kept_total(db, what, filters, count):
    """count(db, filters), which counts `what` (reports, or a search's matches;
    or, for "newest", reads when the report filters["reports"] places after the
    newest was created). Counting takes a while when many match, and paging
    through a list counts the same again: the last TOTALS_KEPT totals are kept,
    each while the reports' generation is the one it was counted at."""
    key = generation_key(db, what, filters)
    totals = kept_for_app("reports.totals", TOTALS_KEPT)
    return totals.get_or_make(key, lambda: count(db, filters))


def generation_key(db, what, filters):
    """The key under which an answer about `what` for `filters` is kept: valid
    for this database and catalogue while its reports' generation stays the one
    read here. It holds the catalogue object itself, not its id, which a
    catalogue made after this one is freed could be given again."""
    return (
        current_app.config["DATABASE"],
        catalogue.live(),
        queries.report_generation(db),
        what,
        tuple(sorted((name, value) for name, value in filters.items() if value is not None)),
    )


def listed_reports(filters, page=1, limit=20, sort="-created_at", *, caller):
    """One page of the reports matching `filters` (by the filters' names) that
    `caller` may see, newest first unless `sort` says otherwise, each as a dict
    of its summary with its session date and topic and its `review` (None while
    unreviewed); and how many match in all."""
    filters = dict.fromkeys(shapes().filters) | filters
    rows, total, _ = page_of_reports(filters, page, limit, sort=sort, caller=caller)
    with snapshot() as db:
        details = {
            row["report_id"]: row
            for row in queries.details_of_listed_reports(db, [row["report_id"] for row in rows])
        }
    listed = []
    for row in rows:
        detail = details.get(row["report_id"])
        report = dict(row)
        report["session_date"] = detail and detail["session_date"]
        report["title"] = detail and detail["title"]
        review = None
        if detail is not None and detail["review_state"] is not None:
            review = {key: detail[key] for key in REVIEW_KEYS}
        report["review"] = review
        listed.append(report)
    return listed, total


def all_reports(filters, sort="-created_at", *, caller):
    """Every report matching `filters` that `caller` may see, whole and with its
    review and the directory's `mentor_name` and `activity_name` (None where it
    has none), one at a time, as an Export: it holds one of MAX_EXPORTS slots
    (limits.Busy at once when none is free) until it is closed."""
    filters = seen_by(caller, filters)
    kept = fields_no_longer_in_catalogue(get_db())
    names = directory_names(caller=caller)
    return Export(_reports_in_chunks(filters, sort, names), limits.take("export"), kept)


def field_labels(*, caller):
    """{name: label} of every field the database has known, the live catalogue's
    labels over the remembered ones."""
    require_may("read", caller)
    labels = {row["name"]: row["label"] for row in queries.remembered_fields(get_db())}
    return labels | {field.name: field.label for field in catalogue.live().fields}


def fields_no_longer_in_catalogue(db):
    """The names of the fields this database remembers that the live catalogue
    has not, oldest first: the reports keep their values."""
    names = catalogue.live().by_name
    return tuple(row["name"] for row in queries.remembered_fields(db) if row["name"] not in names)


class Export:
    """An iterable of reports that gives its slot back once read to the end, or
    when closed; `kept_fields` names the fields no longer in the catalogue whose
    values the reports keep."""

    def __init__(self, reports, slot, kept_fields=()):
        self.reports = reports
        self.slot = slot
        self.kept_fields = kept_fields

    def __iter__(self):
        try:
            yield from self.reports
        finally:
            self.slot.release()

    def close(self):
        self.reports.close()
        self.slot.release()


def _reports_in_chunks(filters, sort, names):
    """The reports, EXPORT_CHUNK at a time, each chunk read in a snapshot of its
    own that ends before any of it is handed on: however slowly the client
    reads, no read transaction stays open to keep the WAL from being reset, and
    memory stays flat however many reports there are. A report changed during
    the export is in it as it was when its chunk was read; its names are those
    of `names` (service.Names), read once when the export began."""
    of_mentor, of_activity = names.of_mentor, names.of_activity
    after = None
    while True:
        with snapshot() as db:
            rows = queries.chunk_of_reports(db, filters, sort, EXPORT_CHUNK, after)
        if not rows:
            return
        # Each row is the report's columns, its seq and sort key, then its
        # review's; a dict made of a tuple's slices costs half what popping a
        # dict of the row does, for every row of an export.
        names = rows[0].keys()
        seq = names.index("seq")
        report_names = names[:seq]
        for row in rows:
            values = tuple(row)
            report = dict(zip(report_names, values[:seq], strict=True))
            report["fields"] = json.loads(report["fields"])
            report["mentor_name"] = of_mentor(report["peer_mentor_id"])
            report["activity_name"] = of_activity(report["activity_id"])
            report["review"] = dict(zip(REVIEW_KEYS, values[seq + 2 :], strict=True))
            after = (values[seq + 1], values[seq])
            yield report
        if len(rows) < EXPORT_CHUNK:
            return


def deleted_reports(since=None, *, caller):
    """The ids deleted at or after `since`, with when; a mentor sees its own only."""
    return [dict(row) for row in queries.deleted_reports(get_db(), since, caller.owner)]
