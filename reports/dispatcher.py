"""The dispatcher: a thread of the serving process that delivers the outbox.

Every change of a report is written as an event in the transaction of the
change (reports/service/events.py). This thread turns them into e-mail
(while e-mail is on), sends the e-mail that is due, and posts to each webhook
the events it has not had, in order; a failure is tried again on
RETRY_SCHEDULE. What it has done is in the database, so a restart, even after
`kill -9`, goes on where it stopped: delivery is at least once.

Of several serving processes on one database, one dispatches at a time: the
one that holds the lock of the file beside it (DATABASE + LOCK_SUFFIX), which
the system releases when its process ends, however it ends."""

import fcntl
import functools
import os
import threading
import time

from reports import mail, queries
from reports.db import write
from reports.service import notifications
from reports.service import webhooks as webhook_service
from reports.service.events import WAKE

LOCK_SUFFIX = "-dispatcher.lock"
# How often the thread looks for something to do when it found nothing; after
# an error (the database gone, say), it waits longer, so as not to flood the log.
POLL_SECONDS = 0.25
PAUSE_AFTER_ERROR_SECONDS = 5
# How long a stopping server waits for a delivery under way to be recorded.
STOP_SECONDS = 5
THREAD = "reports.dispatcher"
WORKERS = "reports.dispatcher.workers"
# At most this many events, e-mails or deliveries at each step of a round, so
# that e-mail and every webhook each get their turn.
BATCH = 50
# At most this many events are gone through to make e-mail, in one write.
MAIL_BATCH = 1000


def prepare(app):
    """At the server's start: with e-mail on, the e-mail is made from the
    events from now on (from where it stopped, if it was on before); with it
    off, nothing waits for e-mail and nothing is kept for it."""
    on = mail.is_on(app)

    def keep_or_forget(db):
        if not on:
            queries.forget_mail(db)
        elif queries.mail_cursor(db) is None:
            queries.set_mail_cursor(db, queries.last_event_id(db))

    with app.app_context():
        write(keep_or_forget)


def start(app, stopped):
    """Start the dispatcher's thread; it stops when `stopped` is set."""
    wake = app.extensions.setdefault(WAKE, threading.Event())
    thread = threading.Thread(
        target=_dispatch_until_stopped, args=(app, stopped, wake), name="dispatcher", daemon=True
    )
    thread.start()
    app.extensions[THREAD] = thread
    return thread


def stop(app, stopped):
    """Stop the dispatcher (`stopped` is the Event it was started with), waiting
    up to STOP_SECONDS for the deliveries under way; what it could not record
    is delivered again after the next start (at least once)."""
    stopped.set()
    app.extensions[WAKE].set()
    thread = app.extensions.pop(THREAD, None)
    if thread is not None:
        thread.join(STOP_SECONDS + 1)
    app.extensions.pop(WORKERS, None)


def _dispatch_until_stopped(app, stopped, wake):
    lock = None
    workers = app.extensions[WORKERS] = Workers(app)
    while not stopped.is_set():
        busy, pause = False, POLL_SECONDS
        try:
            if lock is None:
                lock = take_lock(app.config["DATABASE"])
            if lock is not None:
                busy = dispatch_once(app, workers)
        except Exception:
            app.logger.exception(
                "The dispatcher failed; it tries again in %s s.", PAUSE_AFTER_ERROR_SECONDS
            )
            pause = PAUSE_AFTER_ERROR_SECONDS
        if not busy:
            wake.wait(pause)
            wake.clear()
    # The lock is let go only once no delivery is under way: another server
    # taking it over must not post what this one is still posting.
    if lock is not None and not workers.join(STOP_SECONDS):
        os.close(lock)


def take_lock(database):
    """The lock of the database's dispatcher, if no other process holds it:
    an open file descriptor to keep, or None."""
    descriptor = os.open(database + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def dispatch_once(app, workers=None):
    """One round: e-mail made from new events, then the e-mail that is due
    sent, and each webhook's due events delivered. With `workers` (the
    thread's), the e-mail and each webhook are sent on a thread of their own,
    one at a time each, so that an endpoint that hangs delays no other; without,
    here, one after another. Returns whether it delivered anything (then
    there may be more to do at once) where it delivers itself; with workers,
    always false: they go on by themselves, and the next round (after
    POLL_SECONDS) is soon enough to make more e-mail, so that a stream of
    writes has the writer to itself between rounds."""
    with app.app_context():
        made = notifications.make_mail(MAIL_BATCH) if mail.is_on() else 0
        jobs = [
            (
                ("webhook", webhook_id),
                functools.partial(webhook_service.deliver_to, webhook_id, BATCH),
            )
            for webhook_id in webhook_service.webhooks_with_events_due()
        ]
        if mail.is_on() and notifications.mail_is_due():
            jobs.append((("mail",), functools.partial(notifications.send_due_mail, BATCH)))
        if workers is None:
            return bool(made) | any([job() for _, job in jobs])
    for key, job in jobs:
        workers.start(key, job)
    return False


class Workers:
    """The dispatcher's delivery threads: one per key (the e-mail, each
    webhook), at most one at a time each, each job in an app context."""

    def __init__(self, app):
        self.app = app
        self.running = {}
        # Until when a key whose job failed rests, so as not to flood the log.
        self.resting = {}

    def start(self, key, job):
        running = self.running.get(key)
        if running is not None and running.is_alive():
            return
        if self.resting.get(key, 0) > time.monotonic():
            return
        thread = threading.Thread(
            target=self._run, args=(key, job), name=f"delivery {key}", daemon=True
        )
        self.running[key] = thread
        thread.start()

    def _run(self, key, job):
        try:
            with self.app.app_context():
                job()
        except Exception:
            self.resting[key] = time.monotonic() + PAUSE_AFTER_ERROR_SECONDS
            self.app.logger.exception(
                "A delivery failed; it is tried again in %s s.", PAUSE_AFTER_ERROR_SECONDS
            )

    def join(self, timeout):
        """Wait up to `timeout` seconds for the deliveries under way; returns
        whether any is still under way."""
        deadline = time.monotonic() + timeout
        for thread in list(self.running.values()):
            thread.join(max(0, deadline - time.monotonic()))
        return any(thread.is_alive() for thread in self.running.values())


def run_until_idle(app, rounds=100):
    """Dispatch until nothing is left to do now (for tests and commands)."""
    for _ in range(rounds):
        if not dispatch_once(app):
            return
