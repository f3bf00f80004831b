"""E-mail: a plain-text message sent through the SMTP server at SMTP_HOST, and
the outbox, the app's own thread that sends it, so that no request waits on
the mail server nor shows by its time what was sent. Without SMTP_HOST e-mail
is off, and nothing is sent.

The outbox keeps what waits in memory: a stop loses what was not sent yet."""

import queue
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

TIMEOUT_SECONDS = 15
OUTBOX = "reports.outbox"
# What waits past this many is dropped (and logged): a flood of asks holds
# no more memory than this, and delays no mail by more than this many sendings.
OUTBOX_SIZE = 100


def is_on():
    return current_app.config["SMTP_HOST"] is not None


def send(to, subject, text):
    """Send `text` to `to` from MAIL_FROM, through SMTP_HOST:SMTP_PORT: with
    SMTP_STARTTLS, encrypted first (the server's certificate checked), then
    signed in as SMTP_USERNAME. Raises OSError or smtplib.SMTPException when
    the server cannot be reached in TIMEOUT_SECONDS, or refuses."""
    config = current_app.config
    sender = config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The sender's domain: make_msgid's default asks the resolver for this host's name.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2])
    message.set_content(text)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=TIMEOUT_SECONDS) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=tls_context())
        if config["SMTP_USERNAME"] is not None:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def tls_context():
    """The checks of the SMTP server's certificate: the system's trusted authorities."""
    return ssl.create_default_context()


class Outbox:
    """Jobs (functions of no arguments) run one at a time, in the order given,
    on a thread of the app's own, each in an app context. A job that raises is
    logged, and the next runs."""

    def __init__(self, app):
        self.app = app
        self.jobs = queue.Queue(maxsize=OUTBOX_SIZE)
        self.lock = threading.Lock()
        self.thread = None

    def put(self, job):
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="outbox", daemon=True)
                self.thread.start()
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            self.app.logger.warning(
                "The outbox is full (%s waiting): an e-mail is dropped.", OUTBOX_SIZE
            )

    def _run(self):
        while True:
            job = self.jobs.get()
            try:
                with self.app.app_context():
                    job()
            except Exception:
                self.app.logger.exception("An e-mail could not be sent.")
            finally:
                self.jobs.task_done()


def later(job):
    """Run `job` on the outbox's thread, after what waits there; returns at once."""
    current_app.extensions[OUTBOX].put(job)


def wait_until_sent(app):
    """Return once every job put on the app's outbox so far has run."""
    app.extensions[OUTBOX].jobs.join()


def init_app(app):
    app.extensions[OUTBOX] = Outbox(app)
