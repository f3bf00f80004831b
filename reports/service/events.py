"""The outbox's events: written in the transaction of each change of a report,
and read back as a feed (GET /api/v1/events) by a coordinator."""

import json
import secrets

from flask import current_app

from reports import queries
from reports.db import snapshot
from reports.schemas import ENUMS, EVENTS_LIMIT, dump_report, review_schema

from .roles import require_may

EVENT_TYPES = ENUMS["EventType"]
# What a test delivery is called; it is never in the outbox.
TEST_EVENT = "webhook.test"
# The Event that wakes this process's dispatcher (reports/dispatcher.py), in app.extensions.
WAKE = "reports.dispatcher.wake"


def new_message_id():
    return f"msg_{secrets.token_hex(12)}"


def types_of_change(report, action, detail=None):
    """The events a change of the report's history is told as, in order: a
    report created already submitted is created, then submitted; a submitting
    update that changed more than the status is updated, then submitted."""
    if action == "create":
        return ["report.created"] + (
            ["report.submitted"] if report["status"] == "submitted" else []
        )
    if action == "submit":
        changed_more = set(detail or {}) - {"status"}
        return (["report.updated"] if changed_more else []) + ["report.submitted"]
    return [
        {
            "update": "report.updated",
            "delete": "report.deleted",
            "restore": "report.restored",
            "review": "report.reviewed",
        }[action]
    ]


def record_events(db, report, action, at, detail=None, review=None, emailed=True):
    """Write the events of a change into the outbox, in its transaction: each
    with the report as GET /api/v1/reports/<id> answers it now, and its review
    for report.reviewed. Unless `emailed`, no e-mail is made of them."""
    data = dump_report(report)
    if review is not None:
        data = {**data, "review": review_schema.dump(review)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for event_type in types_of_change(report, action, detail):
        queries.insert_event(
            db,
            {
                "message_id": new_message_id(),
                "type": event_type,
                "report_id": report["report_id"],
                "occurred_at": at,
                "data": text,
                "emailed": int(emailed),
            },
        )


def wake_dispatcher():
    """Have this process's dispatcher look now rather than at its next poll."""
    wake = current_app.extensions.get(WAKE)
    if wake is not None:
        wake.set()


def as_delivered(event):
    """An event as every webhook and the feed get it: Standard Webhooks' payload."""
    return {
        "type": event["type"],
        "timestamp": event["occurred_at"],
        "data": json.loads(event["data"]),
    }


def events_after(after, limit=EVENTS_LIMIT, *, caller):
    """The feed: the events after the cursor `after` (0: from the oldest kept),
    oldest first, at most `limit`; each with its id (the webhook-id of its
    deliveries) and its cursor. Returns (events, the cursor to ask after next,
    whether more events wait after it already)."""
    require_may("events", caller)
    with snapshot() as db:
        # One more than asked for says whether more wait.
        rows = queries.events_after(db, after, limit + 1)
        last = queries.last_event_id(db)
    more, rows = len(rows) > limit, rows[:limit]
    events = [
        {"id": row["message_id"], "cursor": str(row["event_id"]), **as_delivered(row)}
        for row in rows
    ]
    # A cursor past the newest event (of a file restored from a backup) starts again there.
    following = rows[-1]["event_id"] if rows else min(after, last)
    return events, str(following), more
