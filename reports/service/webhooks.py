"""The webhooks: added, listed, removed, resumed and tested by a coordinator (the
`webhook` commands, and the integrations page), and each delivery of an
event, with what its answer makes of the endpoint's schedule."""

import json
import re
import time
from datetime import timedelta

from flask import current_app
from werkzeug.exceptions import NotFound

from reports import clock, queries, webhooks
from reports.db import get_db, write

from . import notifications
from .events import EVENT_TYPES, TEST_EVENT, as_delivered, new_message_id
from .roles import require_may

ATTEMPTS_SHOWN = 20


class WebhookError(ValueError):
    """A webhook that cannot be added as asked."""


def add_webhook(url, event_types=None, allow_private=False, *, caller):
    """Add an endpoint that gets every event from now on (of `event_types`,
    else of every type); returns (its id, its secret), the secret shown once."""
    require_may("manage webhooks", caller)
    unknown = sorted(set(event_types or ()) - set(EVENT_TYPES))
    if unknown:
        raise WebhookError(
            f"No such event type: {', '.join(unknown)}. The types: {', '.join(EVENT_TYPES)}."
        )
    try:
        webhooks.check_url(url, allow_private)
    except webhooks.RefusedURL as refused:
        raise WebhookError(str(refused)) from None
    secret = webhooks.new_secret()

    def add(db):
        if queries.webhook_by_url(db, url) is not None:
            raise WebhookError(f"{url} is a webhook already.")
        return queries.insert_webhook(
            db,
            {
                "url": url,
                "secret": secret,
                "events": json.dumps(sorted(set(event_types))) if event_types else None,
                "allow_private": int(allow_private),
                "delivered_up_to": queries.last_event_id(db),
                "created_at": clock.timestamp(),
            },
        )

    return write(add), secret


def all_webhooks(*, caller):
    """Every webhook, without its secret, each with its event types (None: all)."""
    require_may("manage webhooks", caller)
    return [_shown(row) for row in queries.webhooks(get_db())]


def find_webhook(id_or_url, *, caller):
    """The webhook of that id (a number) or URL, without its secret; NotFound
    if there is none."""
    require_may("manage webhooks", caller)
    return _shown(_row_of(id_or_url))


def _row_of(id_or_url):
    """The webhook's row, its secret with it; NotFound if there is none."""
    db = get_db()
    text = str(id_or_url)
    if re.fullmatch(r"[0-9]{1,18}", text):
        row = queries.webhook_by_id(db, int(text))
    else:
        row = queries.webhook_by_url(db, text)
    if row is None:
        raise NotFound(f"No webhook {text}: `webhook list` shows them.")
    return row


def remove_webhook(id_or_url, *, caller):
    webhook = find_webhook(id_or_url, caller=caller)
    write(lambda db: queries.delete_webhook(db, webhook["webhook_id"]))
    return webhook


def retry_webhook(id_or_url, *, caller):
    """Resume a failing webhook (or hurry a retry): its next event is tried now."""
    webhook = find_webhook(id_or_url, caller=caller)
    write(lambda db: queries.resume_webhook(db, webhook["webhook_id"]))
    return webhook


def webhook_deliveries(id_or_url=None, limit=ATTEMPTS_SHOWN, *, caller):
    """The last attempts, newest first: of one webhook, or of every one."""
    require_may("manage webhooks", caller)
    webhook_id = None if id_or_url is None else find_webhook(id_or_url, caller=caller)["webhook_id"]
    return [dict(row) for row in queries.webhook_attempts(get_db(), webhook_id, limit)]


def send_test_to_webhook(id_or_url, *, caller):
    """POST a webhook.test event to the webhook now, signed as any delivery;
    returns the attempt as `deliveries` lists it."""
    require_may("manage webhooks", caller)
    row = _row_of(id_or_url)
    webhook, secret = _shown(row), row["secret"]
    payload = {"type": TEST_EVENT, "timestamp": clock.timestamp(), "data": {}}
    return deliver(webhook, secret, new_message_id(), payload)


def deliver(webhook, secret, message_id, payload):
    """POST one payload to the webhook and record the attempt; returns it."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    started = time.monotonic()
    status = error = None
    try:
        status = webhooks.post(webhook["url"], secret, message_id, body, webhook["allow_private"])
    except webhooks.RefusedURL as refused:
        error = str(refused)
    except (OSError, ValueError) as failure:  # ValueError: http.client's InvalidURL
        error = str(failure) or type(failure).__name__
    attempt = {
        "webhook_id": webhook["webhook_id"],
        "message_id": message_id,
        "type": payload["type"],
        "attempted_at": clock.timestamp(),
        "status": status,
        "error": error,
        "milliseconds": round((time.monotonic() - started) * 1000),
    }
    write(lambda db: queries.insert_webhook_attempt(db, attempt))
    return {**attempt, "url": webhook["url"], "delivered": is_delivered(attempt)}


def is_delivered(attempt):
    return attempt["status"] is not None and 200 <= attempt["status"] < 300


def webhooks_with_events_due():
    """The ids of the webhooks not failing that have events to get now."""
    rows = queries.webhooks_due(get_db(), clock.timestamp())
    return [row["webhook_id"] for row in rows]


def deliver_to(webhook_id, limit):
    """Deliver the webhook's due events, in order, until one fails or `limit`
    are delivered; returns how many attempts were made. The webhook is read
    afresh: it may have been delivered to, resumed or removed meanwhile."""
    due = queries.webhooks_due(get_db(), clock.timestamp(), webhook_id)
    return _deliver_in_order(dict(due[0]), limit) if due else 0


def _deliver_in_order(webhook, limit):
    wanted = None if webhook["events"] is None else set(json.loads(webhook["events"]))
    place = webhook["delivered_up_to"]
    attempts = 0
    while attempts < limit:
        events = queries.events_after(get_db(), place, limit)
        if not events:
            return attempts
        for event in events:
            place = event["event_id"]
            if wanted is not None and event["type"] not in wanted:
                continue
            attempts += 1
            attempt = deliver(webhook, webhook["secret"], event["message_id"], as_delivered(event))
            if not is_delivered(attempt):
                _failed(webhook, attempt)
                return attempts
            _mark_delivered(webhook, place)
            if attempts >= limit:
                return attempts
        # What was skipped is delivered too: the webhook did not ask for it.
        _mark_delivered(webhook, place)
    return attempts


def _mark_delivered(webhook, event_id):
    write(lambda db: queries.mark_webhook_delivered(db, webhook["webhook_id"], event_id))
    webhook["failures"] = 0


def _failed(webhook, attempt):
    """Schedule the next try of the event that failed, after RETRY_SCHEDULE's
    next span; after its last, the webhook is failing, and the coordinators
    are e-mailed."""
    schedule = current_app.config["RETRY_SCHEDULE"]
    failures = webhook["failures"] + 1
    now = clock.now()
    error = attempt["error"] or f"HTTP {attempt['status']}"
    if failures <= len(schedule):
        next_at = clock.stamp(now + timedelta(seconds=schedule[failures - 1]))
        write(
            lambda db: queries.mark_webhook_failed(
                db, webhook["webhook_id"], failures, next_at, "active"
            )
        )
        return

    mail_on = current_app.config["SMTP_HOST"] is not None

    def mark_failing(db):
        queries.mark_webhook_failed(db, webhook["webhook_id"], failures, None, "failing")
        if mail_on:
            notifications.mail_coordinators_of_failing_webhook(db, webhook, error, clock.stamp(now))

    write(mark_failing)
    current_app.logger.error(
        "The webhook %s (%s) is failing after %s tries: %s. `webhook retry %s` resumes it.",
        webhook["webhook_id"],
        webhook["url"],
        failures,
        error,
        webhook["webhook_id"],
    )


def _shown(row):
    webhook = {key: row[key] for key in row.keys() if key != "secret"}
    webhook["events"] = None if row["events"] is None else json.loads(row["events"])
    webhook["allow_private"] = bool(row["allow_private"])
    return webhook
