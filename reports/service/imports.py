"""`flask import`: rows of reports validated and stored all together, or none."""

from marshmallow import ValidationError

from reports import catalogue, clock, queries
from reports.auth import Caller
from reports.db import snapshot, write
from reports.schemas import load_new_report, shapes

from . import lifecycle

# Who imported reports, in their history (a name no token can have).
IMPORTER = Caller("flask import", "coordinator")
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
    fields = lifecycle.merge_fields({}, new["fields"])
    lifecycle.check_submittable(new["status"], fields, form)
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
    row = lifecycle.as_row(report, form)
    if report["report_id"] is None:
        report["report_id"] = lifecycle.insert_with_fresh_id(db, row)
    else:
        queries.insert_report(db, row)
    # Imported reports are told to the webhooks and the feed, but e-mailed to no one:
    # an import of a year's reports is not a year of news.
    lifecycle.record_change(db, report, "create", IMPORTER, at=clock.timestamp(), emailed=False)
    review = report["review"]
    if review is not None:
        queries.save_review(db, {"report_id": report["report_id"], **review})
        detail = {
            "review_state": {"before": None, "after": review["review_state"]},
            "comment": review["comment"],
        }
        reviewer = Caller(review["reviewed_by"], "coordinator")
        lifecycle.record_change(
            db,
            report,
            "review",
            reviewer,
            at=review["reviewed_at"],
            detail=detail,
            review={"report_id": report["report_id"], **review},
            emailed=False,
        )
