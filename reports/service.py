"""The report lifecycle: what creating, changing, deleting and listing a report
means. Takes validated input, keeps the rules, and leaves SQL to `queries`."""

import json
import secrets
import sqlite3
import threading
from collections import OrderedDict
from contextlib import nullcontext
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from marshmallow import ValidationError
from werkzeug.exceptions import Forbidden

from reports import catalogue, clock, limits, queries
from reports.auth import Caller, require_coordinator, require_own_mentor, require_write
from reports.db import checkpoint, free_megabytes, get_db, snapshot, write
from reports.errors import Conflict, PreconditionFailed, ReportNotFound
from reports.read_only import is_read_only
from reports.schemas import CalendarDate, is_report_id, load_new_report, shapes, shapes_of

ID_ATTEMPTS = 16
# Reports an export reads in one snapshot.
EXPORT_CHUNK = 500
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
REVIEW_KEYS = ("review_state", "comment", "reviewed_by", "reviewed_at")
# Who imported reports, in their history (a name no token can have).
IMPORTER = Caller("flask import", "coordinator")
# The changes that write a report's fields, which their history says the catalogue version of.
WRITES_FIELDS = ("create", "update", "submit")

# Who may take each action at all, whichever report it concerns (docs/access.md):
# anyone may read; a viewer may not write (create, correct, delete); only a
# coordinator reviews and works the trash. A mentor is held besides to its own
# peer mentor's reports: another's is not found (_existing_report), and the
# lists hold its own only (_seen_by).
MAY = {
    "read": None,
    "write": require_write,
    "review": require_coordinator,
    "trash": require_coordinator,
}


def require_may(action, caller, peer_mentor_id=None):
    """Refuse `caller` (Forbidden) an action of MAY its role may not take, or one
    for a peer mentor (`peer_mentor_id`) a mentor token does not act for. Every
    function here that acts for a caller asks it first; a route asks it too where
    it refuses before it reads the request (a viewer's write is a 403 before its
    body is read), as the service would refuse the call after."""
    rule = MAY[action]
    if rule is not None:
        rule(caller)
    if peer_mentor_id is not None:
        require_own_mentor(caller, peer_mentor_id)


def new_report_id():
    return f"rpt_{secrets.token_hex(4)}"


def etag(report):
    """The report's version as an entity tag: it changes on every write."""
    return str(report["version"])


def get_report(report_id, *, caller):
    return _existing_report(get_db(), report_id, caller)


def create_report(new, default_org_id=None, idempotency=None, *, caller):
    """Store a new report from a validated NewReportSchema load, made by `caller`; return it.

    `idempotency` is the (key, request fingerprint) of a POST that carries an
    Idempotency-Key. A retry by the same caller with the same key and
    fingerprint creates nothing and returns the report as it was first created;
    another fingerprint is a 422. A key is its caller's own: another caller's
    use of the same key is another key. A mentor files for its own peer mentor only.
    """
    require_may("write", caller, new["peer_mentor_id"])
    form = catalogue.live()
    fields = _merge_fields({}, new["fields"])
    _check_submittable(new["status"], fields, form)

    now = clock.timestamp()
    report = {
        "activity_id": new["activity_id"],
        "peer_mentor_id": new["peer_mentor_id"],
        "org_id": new.get("org_id", default_org_id),
        "status": new["status"],
        "fields": fields,
        "submitted_at": now if new["status"] == "submitted" else None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "catalogue_version": form.version,
    }
    row = _as_row(report, form)

    def create(db):
        if idempotency is not None:
            earlier = _created_earlier(db, caller, *idempotency)
            if earlier is not None:
                return earlier
        report["report_id"] = _insert_with_fresh_id(db, row)
        _record_change(db, report, "create", caller)
        if idempotency is not None:
            queries.insert_idempotency_key(db, caller.name, *idempotency, json.dumps(report), now)
        return report

    return write(create)


def update_report(report_id, changes, if_match=None, *, caller):
    """Apply a validated ReportChangesSchema load to a report; return it as it is now.
    `if_match`, when given, holds the ETags the client expects the report to have."""
    require_may("write", caller)
    form = catalogue.live()

    def update(db):
        report = _existing_report(db, report_id, caller)
        _check_precondition(report, if_match)
        review = queries.review_of(db, report_id)
        reopens_review = _correction_reopens_review(report, review, caller)
        before = {"status": report["status"], "fields": report["fields"]}
        status = changes.get("status", report["status"])
        if report["status"] == "submitted" and status == "draft":
            raise Conflict("A submitted report cannot go back to draft.")
        fields = _merge_fields(report["fields"], changes.get("fields", {}))
        _check_submittable(status, fields, form)

        now = clock.timestamp()
        submits = report["submitted_at"] is None and status == "submitted"
        if submits:
            report["submitted_at"] = now
        report.update(
            status=status,
            fields=fields,
            updated_at=now,
            version=report["version"] + 1,
            catalogue_version=form.version,
        )
        queries.update_report(db, _as_row(report, form))
        detail = _differences(before, report, form)
        if reopens_review:
            queries.delete_review(db, report_id)
            detail["review_state"] = {"before": review["review_state"], "after": None}
        _record_change(db, report, "submit" if submits else "update", caller, detail=detail)
        return report

    return write(update)


def correction_reopens_review(report_id, *, caller):
    """Whether `caller` changing the report now would set its review back to none
    (a mentor correcting a report that has issues), as update_report does."""
    require_may("write", caller)
    with snapshot() as db:
        report = _existing_report(db, report_id, caller)
        review = queries.review_of(db, report_id)
    return _correction_reopens_review(report, review, caller)


def delete_report(report_id, if_match=None, *, caller):
    """Move a report to the trash, where `purge` finds it once it has been
    there TRASH_DAYS days."""
    require_may("write", caller)

    def delete(db):
        report = _existing_report(db, report_id, caller)
        _check_precondition(report, if_match)
        review = queries.review_of(db, report_id)
        _check_mentor_may_change(report, review, caller)
        now = clock.timestamp()
        queries.put_in_trash(
            db,
            {
                "report_id": report_id,
                "report": json.dumps(_as_stored(report), ensure_ascii=False),
                "review": None if review is None else json.dumps(dict(review), ensure_ascii=False),
                "deleted_at": now,
                "deleted_by": caller.name,
            },
        )
        queries.delete_review(db, report_id)
        queries.delete_report(db, report_id)
        _record_change(db, report, "delete", caller, at=now)

    write(delete)


def restore_report(report_id, *, caller):
    """Bring a report back from the trash, as a new version; return it."""
    require_may("trash", caller)
    form = catalogue.live()

    def restore(db):
        entry = queries.trashed_report(db, report_id) if is_report_id(report_id) else None
        if entry is None:
            raise ReportNotFound(report_id, "in the trash")
        now = clock.timestamp()
        trashed = json.loads(entry["report"])
        trashed["fields"] = json.loads(trashed["fields"])
        trashed.setdefault("catalogue_version", None)
        row = _as_row(trashed, form)
        row.update(updated_at=now, version=row["version"] + 1)
        queries.take_from_trash(db, report_id)
        queries.insert_report(db, row)
        if entry["review"] is not None:
            queries.save_review(db, {"report_id": report_id, **json.loads(entry["review"])})
        report = _existing_report(db, report_id, caller)
        _record_change(db, report, "restore", caller, at=now)
        return report

    return write(restore)


def trashed_reports(trash_days, *, caller):
    """The reports in the trash, newest first, each with when it will be purged."""
    require_may("trash", caller)
    entries = [dict(row) for row in queries.trash(get_db())]
    for entry in entries:
        deleted = datetime.strptime(entry["deleted_at"], clock.TIMESTAMP_FORMAT)
        entry["purged_after"] = clock.stamp(deleted + timedelta(days=trash_days))
    return entries


def purge(trash_days):
    """Delete for good what has been in the trash longer than `trash_days`, with
    every copy of what it said, and the Idempotency-Keys older than their
    lifetime. Nothing of it is left in the file: deleted content is overwritten
    (secure_delete), the search index is merged without it, and the WAL, which
    holds old page images, is emptied. Expired sign-in links and the pages'
    sessions that have ended go too. Returns
    (reports purged, keys expired)."""
    cutoff = _trash_cutoff(trash_days)
    key_cutoff = clock.stamp_ago(IDEMPOTENCY_KEY_LIFETIME)

    def purge_all(db):
        reports = queries.purge_trash(db, cutoff)
        keys = queries.delete_idempotency_keys_before(db, key_cutoff)
        queries.delete_sign_in_links_expired_by(db, clock.timestamp())
        queries.delete_web_sessions_ended_by(db, clock.timestamp())
        if reports:
            queries.optimize_search_index(db)
        return reports, keys

    purged = write(purge_all)
    if any(purged):
        checkpoint()
    return purged


HOUSEKEEPING_INTERVAL_S = 3600


def start_housekeeping(app, interval=HOUSEKEEPING_INTERVAL_S):
    """In the server: `purge` at the start and then every `interval` seconds,
    on a thread of its own; returns the Event that stops it."""
    stopped = threading.Event()

    def keep_house():
        while True:
            try:
                with app.app_context():
                    reports, keys = purge(app.config["TRASH_DAYS"])
                if reports or keys:
                    app.logger.info("Purged %s reports and %s expired keys.", reports, keys)
            except Exception:
                app.logger.exception("Housekeeping failed; it runs again in %s s.", interval)
            if stopped.wait(interval):
                return

    threading.Thread(target=keep_house, name="housekeeping", daemon=True).start()
    return stopped


def _trash_cutoff(trash_days):
    return clock.stamp_ago(timedelta(days=trash_days))


def review_of(report_id, *, caller):
    """The report's current review, or one of nulls while it has none."""
    with snapshot() as db:
        _existing_report(db, report_id, caller)
        review = queries.review_of(db, report_id)
    if review is None:
        return {"report_id": report_id, **dict.fromkeys(REVIEW_KEYS)}
    return {"report_id": report_id, **dict(review)}


def change_refused(report_id, *, caller):
    """Why `caller` may not correct or delete the report, or None while it may:
    the rules update_report and delete_report keep, asked beforehand, so that
    a page can say why instead of offering what would be refused."""
    with snapshot() as db:
        report = _existing_report(db, report_id, caller)
        review = queries.review_of(db, report_id)
    try:
        require_may("write", caller)
        _check_mentor_may_change(report, review, caller)
    except Forbidden as refused:
        return refused.description
    return None


def review_report(report_id, review_state, comment="", *, caller):
    """Set the review of a submitted report; a new version of it. Returns the review."""
    require_may("review", caller)

    def review(db):
        report = _existing_report(db, report_id, caller)
        if report["status"] != "submitted":
            raise Conflict("A draft cannot be reviewed: it must be submitted first.")
        earlier = queries.review_of(db, report_id)
        now = clock.timestamp()
        reviewed = {
            "report_id": report_id,
            "review_state": review_state,
            "comment": comment,
            "reviewed_by": caller.name,
            "reviewed_at": now,
        }
        queries.save_review(db, reviewed)
        queries.touch_report(db, report_id, now)
        report.update(updated_at=now, version=report["version"] + 1)
        detail = {
            "review_state": {
                "before": None if earlier is None else earlier["review_state"],
                "after": review_state,
            },
            "comment": comment,
        }
        _record_change(db, report, "review", caller, detail=detail)
        return reviewed

    return write(review)


def history(report_id, *, caller):
    """Every recorded change of a report, in the trash too, oldest first."""
    with snapshot() as db:
        try:
            _existing_report(db, report_id, caller)
        except ReportNotFound:
            entry = queries.trashed_report(db, report_id) if is_report_id(report_id) else None
            owner = None if entry is None else json.loads(entry["report"])["peer_mentor_id"]
            if entry is None or caller.owner not in (None, owner):
                raise
        changes = queries.changes_of_report(db, report_id)
    return [
        {
            "revision": number,
            "changed_at": change["changed_at"],
            "actor": change["actor"],
            "action": change["action"],
            "changes": json.loads(change["detail"]) if change["detail"] else {},
            "catalogue_version": change["catalogue_version"],
        }
        for number, change in enumerate(changes, start=1)
    ]


def last_catalogue_version(revisions):
    """The catalogue version the report's fields were last written under, by its
    history (each create, update and submit records one), or None."""
    versions = [revision["catalogue_version"] for revision in revisions]
    return next((version for version in reversed(versions) if version is not None), None)


def page_of_reports(filters, page, limit, after=None, sort="-created_at", *, caller):
    """One page of the reports matching `filters` that `caller` may see, in `sort`
    order: its rows, how many match in all, and the (sort key, report id) to
    continue after, or None on the last page.

    The page is chosen by number, or by `after`, the (sort key, report id) of
    the last report of the page before it (a keyset cursor). A page by number
    reads every report before it: one that skips DEEP_PAGE_OFFSET or more runs
    within the limit of MAX_SEARCHES, as a search does; a cursor skips none.
    """
    filters = _seen_by(caller, filters)
    heavy = limits.holding("search") if filters.get("q") else nullcontext()
    with heavy, snapshot() as db:
        total = _total(db, filters)
        offset = 0 if after is not None else (page - 1) * limit
        probe = _probe(db, filters, offset + limit + 1)
        # One more row than asked tells whether another page follows.
        if after is not None:
            rows = queries.page_of_reports_after(db, filters, sort, limit + 1, *after, probe)
        elif offset < total:
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
    """count(db, filters), which counts `what` (reports, or a search's matches).
    Counting takes a while when many match, and paging through a list counts
    the same again: the last TOTALS_KEPT totals are kept, each while the
    reports' generation is the one it was counted at."""
    key = _generation_key(db, what, filters)
    total = _totals.get(key)
    if total is None:
        total = count(db, filters)
        _totals.put(key, total)
    return total


def _generation_key(db, what, filters):
    """The key under which an answer about `what` for `filters` is kept: valid
    for this database while its reports' generation stays the one read here."""
    return (
        current_app.config["DATABASE"],
        id(catalogue.live()),
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
    review, one at a time, as an Export: it holds one of MAX_EXPORTS slots
    (limits.Busy at once when none is free) until it is closed."""
    filters = _seen_by(caller, filters)
    kept = fields_no_longer_in_catalogue(get_db())
    return Export(_reports_in_chunks(filters, sort), limits.take("export"), kept)


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


def _reports_in_chunks(filters, sort):
    """The reports, EXPORT_CHUNK at a time, each chunk read in a snapshot of its
    own that ends before any of it is handed on: however slowly the client
    reads, no read transaction stays open to keep the WAL from being reset, and
    memory stays flat however many reports there are. A report changed during
    the export is in it as it was when its chunk was read."""
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
            report["review"] = dict(zip(REVIEW_KEYS, values[seq + 2 :], strict=True))
            after = (values[seq + 1], values[seq])
            yield report
        if len(rows) < EXPORT_CHUNK:
            return


def deleted_reports(since=None, *, caller):
    """The ids deleted at or after `since`, with when; a mentor sees its own only."""
    return [dict(row) for row in queries.deleted_reports(get_db(), since, caller.owner)]


def summary(filters, group_by, *, caller):
    """Per group of the matching reports that `caller` may see, the figures of
    SummarySchema.

    Counting every report takes a while on a large database, and a summary is
    read far more often than the reports change: the last SUMMARIES_KEPT
    answers are kept, each valid while the reports' generation (which every
    write of a report or its review moves on) is the one it was computed at.
    One of more than KEPT_GROUPS groups is counted afresh each time, within
    the limit of MAX_SEARCHES: sending it costs more than counting it, and a
    kept one could be asked for again and again without that limit."""
    filters = _seen_by(caller, filters)
    with snapshot() as db:
        key = _generation_key(db, group_by, filters)
        groups = _summaries.get(key)
        if groups is None:
            with limits.holding("search"):
                rows = queries.summary(db, filters, group_by)
                groups = _summary_groups(rows, catalogue.live())
            if len(groups) <= KEPT_GROUPS:
                _summaries.put(key, groups)
    counts = [figure.name for figure in catalogue.live().figures if figure.what == "counts"]
    return [group | {name: dict(group[name]) for name in counts} for group in groups]


def _summary_groups(rows, form):
    """Each row of queries.summary as a group of SummaryGroupSchema: a figure
    of counts per value as an object, an average rounded, a decimal's figures
    as strings of its places."""
    groups = []
    for row in rows:
        group = {name: row[name] for name in ("group", "reports", "submitted", "drafts")}
        for figure in form.figures:
            group[figure.name] = _figure_of(row, figure)
        groups.append(group)
    return groups


def _figure_of(row, figure):
    field = figure.field
    if figure.what == "counts":
        return {
            choice.value: row[f"{figure.name}.{position}"]
            for position, choice in enumerate(field.values)
        }
    value = row[figure.name]
    if field.kind == "decimal" and figure.what in ("total", "average"):
        places = Decimal(1).scaleb(-field.places)
        total = Decimal(value or 0).scaleb(-field.places)
        if figure.what == "total":
            return str(total.quantize(places))
        counted = row[f"{figure.name}.count"]
        return None if not counted else str((total / counted).quantize(places, ROUND_HALF_UP))
    if figure.what == "average":
        return None if value is None else round(value, 2)
    return value


class _Kept:
    """The `size` answers used last, each under its key."""

    def __init__(self, size):
        self.size = size
        self.answers = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            answer = self.answers.get(key)
            if answer is not None:
                self.answers.move_to_end(key)
            return answer

    def put(self, key, answer):
        with self.lock:
            self.answers[key] = answer
            self.answers.move_to_end(key)
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)


SUMMARIES_KEPT = 32
KEPT_GROUPS = 1000
_summaries = _Kept(SUMMARIES_KEPT)
TOTALS_KEPT = 256
_totals = _Kept(TOTALS_KEPT)
# How many reports a page by number may skip before it needs a slot (see page_of_reports).
DEEP_PAGE_OFFSET = 10_000
# What reading a search's match costs, in steps of a walk along an index (see _probe).
WALK_COST = 13


# The bad rows of an import whose messages are kept: the rest are counted.
PROBLEMS_KEPT = 100


def import_reports(rows, default_org_id=None, dry_run=False):
    """Validate every (line number, row) and store them all in one transaction,
    or none if any row is bad. Returns how many rows there were; raises
    ImportFailed with how many rows are bad and the messages of the first
    PROBLEMS_KEPT of them."""
    form = catalogue.live()
    schema = shapes().imported_report

    def import_all(db):
        problems, bad, count, seen = [], 0, 0, set()
        for line, row in rows:
            count += 1
            try:
                report = _imported(db, row, default_org_id, seen, form, schema)
            except ValidationError as error:
                bad += 1
                if bad <= PROBLEMS_KEPT:
                    problems.append((line, error.messages))
                continue
            if not bad and not dry_run:
                _insert_imported(db, report, form)
        if bad:
            raise ImportFailed(problems, bad)
        return count

    if dry_run:
        with snapshot() as db:
            return import_all(db)
    return write(import_all)


class ImportFailed(Exception):
    """`count` rows of an import are bad; `problems` holds (line, messages) of the first."""

    def __init__(self, problems, count):
        super().__init__(f"{count} bad rows")
        self.problems = problems
        self.count = count


def _imported(db, row, default_org_id, seen, form, schema):
    if not isinstance(row, dict):
        raise ValidationError({"_schema": ["A row must be a JSON object."]})
    new = load_new_report(row, default_org_id, schema)
    fields = _merge_fields({}, new["fields"])
    _check_submittable(new["status"], fields, form)
    report_id = new.get("report_id")
    if report_id is not None:
        if report_id in seen or queries.report_id_ever_used(db, report_id):
            raise ValidationError({"report_id": ["A report with this id exists already."]})
        seen.add(report_id)
    now = clock.timestamp()
    created_at = new.get("created_at", now)
    submitted = new["status"] == "submitted"
    review = new.get("review") or {}
    return {
        "review": _imported_review(review, now) if review.get("review_state") else None,
        "report_id": report_id,
        "activity_id": new["activity_id"],
        "peer_mentor_id": new["peer_mentor_id"],
        "org_id": new.get("org_id", default_org_id),
        "status": new["status"],
        "fields": fields,
        "submitted_at": (new.get("submitted_at") or created_at) if submitted else None,
        "created_at": created_at,
        "updated_at": new.get("updated_at", created_at),
        "version": 1,
        "catalogue_version": form.version,
    }


def _imported_review(review, now):
    return {
        "review_state": review["review_state"],
        "comment": review.get("comment") or "",
        "reviewed_by": review.get("reviewed_by") or IMPORTER.name,
        "reviewed_at": review.get("reviewed_at") or now,
    }


def _insert_imported(db, report, form):
    row = _as_row(report, form)
    if report["report_id"] is None:
        report["report_id"] = _insert_with_fresh_id(db, row)
    else:
        queries.insert_report(db, row)
    _record_change(db, report, "create", IMPORTER, at=clock.timestamp())
    review = report["review"]
    if review is not None:
        queries.save_review(db, {"report_id": report["report_id"], **review})
        detail = {
            "review_state": {"before": None, "after": review["review_state"]},
            "comment": review["comment"],
        }
        reviewer = Caller(review["reviewed_by"], "coordinator")
        _record_change(db, report, "review", reviewer, at=review["reviewed_at"], detail=detail)


def _seen_by(caller, filters):
    """The filters of a list, held for a mentor token to its own peer mentor's
    reports, whatever else they ask for."""
    return {**filters, "owner": caller.owner}


def _existing_report(db, report_id, caller):
    """The report, if it exists and the caller may see it; a mentor's report is
    not found by another mentor, so that its existence does not leak."""
    row = queries.report_by_id(db, report_id) if is_report_id(report_id) else None
    if row is None or caller.owner not in (None, row["peer_mentor_id"]):
        raise ReportNotFound(report_id)
    report = dict(row)
    report["fields"] = json.loads(report["fields"])
    return report


def _record_change(db, report, action, caller, at=None, detail=None):
    change_id = queries.insert_report_change(
        db,
        {
            "report_id": report["report_id"],
            "peer_mentor_id": report["peer_mentor_id"],
            "version": report["version"],
            "action": action,
            "actor": caller.name,
            "changed_at": at or (report["updated_at"] if action != "delete" else clock.timestamp()),
            "catalogue_version": report["catalogue_version"] if action in WRITES_FIELDS else None,
        },
    )
    if detail:
        queries.insert_change_detail(db, change_id, json.dumps(detail, ensure_ascii=False))


def _differences(before, after, form):
    """What an update changed: the status and each field, before and after."""
    differences = {}
    if before["status"] != after["status"]:
        differences["status"] = {"before": before["status"], "after": after["status"]}
    names = dict.fromkeys([*form.names, *before["fields"], *after["fields"]])
    fields = {
        name: {"before": before["fields"].get(name), "after": after["fields"].get(name)}
        for name in names
        if before["fields"].get(name) != after["fields"].get(name)
    }
    if fields:
        differences["fields"] = fields
    return differences


def _correction_reopens_review(report, review, caller):
    """Whether a mentor's correction sets the review back to none (see
    _check_mentor_may_change)."""
    _check_mentor_may_change(report, review, caller)
    return caller.role == "mentor" and report["status"] == "submitted" and review is not None


def _check_mentor_may_change(report, review, caller):
    """A mentor may correct or delete a submitted report only while it is
    unreviewed or has issues: an approved or rejected report is locked."""
    if caller.role != "mentor" or report["status"] != "submitted" or review is None:
        return
    if review["review_state"] != "has_issues":
        raise Forbidden(
            f"This report is {review['review_state']}: its mentor may correct or delete it "
            "only while it is unreviewed or has issues."
        )


def _check_precondition(report, if_match):
    if if_match is not None and etag(report) not in if_match:
        raise PreconditionFailed(
            f'The report has changed since that version: its ETag is now "{etag(report)}". '
            "Read it again, then retry."
        )


def _created_earlier(db, caller, key, fingerprint):
    """The report an earlier POST of this caller with this Idempotency-Key created, if any."""
    cutoff = clock.stamp_ago(IDEMPOTENCY_KEY_LIFETIME)
    queries.delete_idempotency_keys_before(db, cutoff)
    earlier = queries.idempotency_key(db, caller.name, key)
    if earlier is None:
        return None
    if earlier["request_hash"] != fingerprint:
        raise ValidationError(
            {"Idempotency-Key": ["Already used for a create with a different body."]}
        )
    return json.loads(earlier["report"])


def _merge_fields(current, changes):
    """Each key given replaces that field; a key given as null removes it."""
    merged = {**current, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def _check_submittable(status, fields, form):
    missing = [name for name in form.required if name not in fields]
    if status == "submitted" and missing:
        raise ValidationError(
            {"fields": {name: ["Required to submit the report."] for name in missing}}
        )


def _as_row(report, form):
    """The report as its row is stored, written under the catalogue `form`:
    fields in catalogue order, the order the API shows them in, and after them
    those of fields no longer in it, which are kept as they are."""
    given = report["fields"]
    fields = {name: given[name] for name in form.names if name in given}
    kept = {name: value for name, value in given.items() if name not in fields}
    way_forward = fields.get(form.way_forward) if form.way_forward else None
    return {
        **_as_stored({**report, "fields": fields | kept}),
        "field_count": len(fields),
        "has_way_forward": isinstance(way_forward, str) and bool(way_forward.strip()),
    }


def _as_stored(report):
    """The report with its fields as the JSON text its row holds."""
    fields = json.dumps(report["fields"], ensure_ascii=False, separators=(",", ":"))
    return {**report, "fields": fields}


def _insert_with_fresh_id(db, row):
    """Insert under a new random id, drawing again on the rare collision."""
    for _ in range(ID_ATTEMPTS):
        report_id = new_report_id()
        if queries.report_id_ever_used(db, report_id):
            continue  # ids are never given twice, not even after a purge
        try:
            queries.insert_report(db, {**row, "report_id": report_id})
            return report_id
        except sqlite3.IntegrityError as error:
            if "report.report_id" not in str(error):
                raise
    raise RuntimeError(f"No free report id after {ID_ATTEMPTS} attempts.")


# Reports `catalogue check` reads in one snapshot.
CHECK_CHUNK = 1000
NOT_IN_CATALOGUE = "no longer in the catalogue (value kept)"


def catalogue_misfits(form):
    """Each report whose stored fields the catalogue `form` would refuse now, as
    (report_id, [(field, why), ...]), in order of creation: values of fields it no
    longer has, values its rules refuse, and for a submitted report, a field it
    requires that the report lacks (which would refuse the report's next change).
    The reports are read CHECK_CHUNK at a time, each chunk in a snapshot of its own.

    A date is checked as a real YYYY-MM-DD but not held to `not_after_tomorrow`:
    that rule is about the day a value is written, so it can only flag a date
    that was in the future when it was stored and a field that had the rule off;
    such a value is not wrong in itself, and the next change keeps it."""
    schema = shapes_of(form).fields_schema()
    for field in schema.fields.values():
        if isinstance(field, CalendarDate):
            field.not_after_tomorrow = False
    after = 0
    while True:
        with snapshot() as db:
            rows = queries.fields_of_reports_after(db, after, CHECK_CHUNK)
        for row in rows:
            problems = _misfits(json.loads(row["fields"]), row["status"], form, schema)
            if problems:
                yield row["report_id"], problems
        if len(rows) < CHECK_CHUNK:
            return
        after = rows[-1]["seq"]


def _misfits(fields, status, form, schema):
    known = {name: value for name, value in fields.items() if name in form.by_name}
    try:
        schema.load(known)
        messages = {}
    except ValidationError as error:
        messages = error.messages
    problems = []
    for name in fields:
        if name not in known:
            problems.append((name, NOT_IN_CATALOGUE))
        elif name in messages:
            problems.extend((name, why) for why in _flat_messages(messages[name]))
    if status == "submitted":
        problems += [
            (name, "Required to submit the report, and this submitted report has none.")
            for name in form.required
            if name not in fields
        ]
    return problems


def _flat_messages(messages, where=""):
    """A field's marshmallow messages as lines; those of one value of a list say which."""
    if isinstance(messages, dict):
        return [
            line
            for index, nested in messages.items()
            for line in _flat_messages(nested, f"value {int(index) + 1}: ")
        ]
    return [f"{where}{message}" for message in messages]


class Unhealthy(Exception):
    """The service cannot promise that a write would succeed."""


def check_health(min_free_mb=0):
    """Read the database, and write to it without changing anything; what fails
    raises. A tiny write fits in the WAL's spare room on a full disk, so less
    free space than `min_free_mb` is a failure too. A read-only copy is only read."""
    if is_read_only():
        queries.count_reports(get_db(), {})
        return
    free = free_megabytes(current_app.config["DATABASE"])
    if free < min_free_mb:
        raise Unhealthy(
            f"the disk holding the database has {free:.1f} MiB free, under MIN_FREE_MB "
            f"({min_free_mb})"
        )
    queries.count_reports(get_db(), {})
    write(queries.rewrite_a_count)
