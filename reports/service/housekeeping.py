"""The housekeeping: the trash and expired keys, links and sessions purged, now and then."""

import threading
from datetime import timedelta

from flask import current_app

from reports import clock, queries
from reports.db import checkpoint, write

from .lifecycle import IDEMPOTENCY_KEY_LIFETIME

HOUSEKEEPING_INTERVAL_S = 3600
# How many of its last attempts each webhook keeps, for `webhook deliveries`.
WEBHOOK_ATTEMPTS_KEPT = 100


def purge(trash_days):
    """Delete for good what has been in the trash longer than `trash_days`, with
    every copy of what it said, and the Idempotency-Keys older than their
    lifetime. Nothing of it is left in the file: deleted content is overwritten
    (secure_delete), the search index is merged without it, and the WAL, which
    holds old page images, is emptied; each purged report is told as a
    report.purged event, and the outbox's earlier events of it keep only its
    id. Expired sign-in links and the pages' sessions that have ended go too,
    and the outbox's events older than EVENTS_DAYS that every webhook and the
    e-mail have had. Returns
    (reports purged, keys expired)."""
    cutoff = _trash_cutoff(trash_days)
    events_cutoff = clock.stamp_ago(timedelta(days=current_app.config["EVENTS_DAYS"]))
    key_cutoff = clock.stamp_ago(IDEMPOTENCY_KEY_LIFETIME)

    def purge_all(db):
        queries.insert_purged_events(db, cutoff, clock.timestamp())
        reports = queries.purge_trash(db, cutoff)
        queries.delete_events_done_before(db, events_cutoff)
        queries.delete_old_webhook_attempts(db, WEBHOOK_ATTEMPTS_KEPT)
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
