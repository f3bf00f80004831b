"""A report's lifecycle: create, read, correct, review, trash and restore it; its history."""

import json
import secrets
import sqlite3
from datetime import datetime, timedelta

from marshmallow import ValidationError
from werkzeug.exceptions import Forbidden

from reports import catalogue, clock, queries
from reports.db import get_db, snapshot, write
from reports.errors import Conflict, PreconditionFailed, ReportNotFound
from reports.schemas import is_report_id

from .events import record_events
from .roles import existing_report, require_may

ID_ATTEMPTS = 16
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
REVIEW_KEYS = ("review_state", "comment", "reviewed_by", "reviewed_at")
# The changes that write a report's fields, which their history says the catalogue version of.
WRITES_FIELDS = ("create", "update", "submit")


def new_report_id():
    return f"rpt_{secrets.token_hex(4)}"


def etag(report):
    """The report's version as an entity tag: it changes on every write."""
    return str(report["version"])


def get_report(report_id, *, caller):
    return existing_report(get_db(), report_id, caller)


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
    fields = merge_fields({}, new["fields"])
    check_submittable(new["status"], fields, form)

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
    row = as_row(report, form)

    def create(db):
        if idempotency is not None:
            earlier = _created_earlier(db, caller, *idempotency)
            if earlier is not None:
                return earlier
        report["report_id"] = insert_with_fresh_id(db, row)
        record_change(db, report, "create", caller)
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
        report = existing_report(db, report_id, caller)
        _check_precondition(report, if_match)
        review = queries.review_of(db, report_id)
        reopens_review = _correction_reopens_review(report, review, caller)
        before = {k: report[k] for k in ("status", "activity_id", "fields")}
        status = changes.get("status", report["status"])
        if report["status"] == "submitted" and status == "draft":
            raise Conflict("A submitted report cannot go back to draft.")
        fields = merge_fields(report["fields"], changes.get("fields", {}))
        check_submittable(status, fields, form)

        now = clock.timestamp()
        submits = report["submitted_at"] is None and status == "submitted"
        if submits:
            report["submitted_at"] = now
        report.update(
            status=status,
            activity_id=changes.get("activity_id", report["activity_id"]),
            fields=fields,
            updated_at=now,
            version=report["version"] + 1,
            catalogue_version=form.version,
        )
        queries.update_report(db, as_row(report, form))
        detail = _differences(before, report, form)
        if reopens_review:
            queries.delete_review(db, report_id)
            detail["review_state"] = {"before": review["review_state"], "after": None}
        record_change(db, report, "submit" if submits else "update", caller, detail=detail)
        return report

    return write(update)


def correction_reopens_review(report_id, *, caller):
    """Whether `caller` changing the report now would set its review back to none
    (a mentor correcting a report that has issues), as update_report does."""
    require_may("write", caller)
    with snapshot() as db:
        report = existing_report(db, report_id, caller)
        review = queries.review_of(db, report_id)
    return _correction_reopens_review(report, review, caller)


def delete_report(report_id, if_match=None, *, caller):
    """Move a report to the trash, where `purge` finds it once it has been
    there TRASH_DAYS days."""
    require_may("write", caller)

    def delete(db):
        report = existing_report(db, report_id, caller)
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
        record_change(db, report, "delete", caller, at=now)

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
        row = as_row(trashed, form)
        row.update(updated_at=now, version=row["version"] + 1)
        queries.take_from_trash(db, report_id)
        queries.insert_report(db, row)
        if entry["review"] is not None:
            queries.save_review(db, {"report_id": report_id, **json.loads(entry["review"])})
        report = existing_report(db, report_id, caller)
        record_change(db, report, "restore", caller, at=now)
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


def review_of(report_id, *, caller):
    """The report's current review, or one of nulls while it has none."""
    with snapshot() as db:
        existing_report(db, report_id, caller)
        review = queries.review_of(db, report_id)
    if review is None:
        return {"report_id": report_id, **dict.fromkeys(REVIEW_KEYS)}
    return {"report_id": report_id, **dict(review)}


def change_refused(report_id, *, caller):
    """Why `caller` may not correct or delete the report, or None while it may:
    the rules update_report and delete_report keep, asked beforehand, so that
    a page can say why instead of offering what would be refused."""
    with snapshot() as db:
        report = existing_report(db, report_id, caller)
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
        report = existing_report(db, report_id, caller)
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
        record_change(db, report, "review", caller, detail=detail, review=reviewed)
        return reviewed

    return write(review)


def history(report_id, *, caller):
    """Every recorded change of a report, in the trash too, oldest first."""
    with snapshot() as db:
        try:
            existing_report(db, report_id, caller)
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


def record_change(db, report, action, caller, at=None, detail=None, review=None, emailed=True):
    """Write the change into the report's history, and its events into the
    outbox, in the transaction of the change."""
    at = at or (report["updated_at"] if action != "delete" else clock.timestamp())
    change_id = queries.insert_report_change(
        db,
        {
            "report_id": report["report_id"],
            "peer_mentor_id": report["peer_mentor_id"],
            "version": report["version"],
            "action": action,
            "actor": caller.name,
            "changed_at": at,
            "catalogue_version": report["catalogue_version"] if action in WRITES_FIELDS else None,
        },
    )
    if detail:
        queries.insert_change_detail(db, change_id, json.dumps(detail, ensure_ascii=False))
    record_events(db, report, action, at, detail, review, emailed)


def _differences(before, after, form):
    """What an update changed: the status, the activity and each field, before and after."""
    differences = {}
    for name in ("status", "activity_id"):
        if before[name] != after[name]:
            differences[name] = {"before": before[name], "after": after[name]}
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


def merge_fields(current, changes):
    """Each key given replaces that field; a key given as null removes it."""
    merged = {**current, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def check_submittable(status, fields, form):
    missing = [name for name in form.required if name not in fields]
    if status == "submitted" and missing:
        raise ValidationError(
            {"fields": {name: ["Required to submit the report."] for name in missing}}
        )


def as_row(report, form):
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


def insert_with_fresh_id(db, row):
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
