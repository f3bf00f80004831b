"""Real peers on 127.0.0.1 for the outbox's tests: an HTTP receiver of
webhooks (http.server) and an SMTP server (aiosmtpd)."""

import email
import email.policy
import http.server
import json
import socket
import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What an SMTP server on this machine received: each message, parsed, with
    its envelope's recipients; and who signed in to send it."""

    def __init__(self):
        self.messages = []
        self.logins = []
        self.held = threading.Event()
        self.held.set()
        self.refusing = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.held.wait()
        lines = envelope.content.replace(b"\r\n", b"\n")  # as a mail client reads them
        message = email.message_from_bytes(lines, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    def to(self, address):
        return [message for recipients, message in self.messages if recipients == [address]]


def smtp_server(inbox, **options):
    """Start an aiosmtpd server on 127.0.0.1 that fills `inbox`; returns its controller."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    inbox.port = controller.port
    return controller


@contextmanager
def smtp_inbox():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the block: its Inbox."""
    inbox = Inbox()
    controller = smtp_server(inbox)
    try:
        yield inbox
    finally:
        inbox.held.set()
        controller.stop()


MAIL_FROM = "Post-Session Reports <reports@example.org>"
PUBLIC_URL = "https://reports.example.org"


def mail_settings(port, public_url=PUBLIC_URL):
    """The settings of an app that e-mails through the SMTP server on `port`."""
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_TLS": "none",
        "MAIL_FROM": MAIL_FROM,
        "PUBLIC_URL": public_url,
    }


def mail_environment(port, public_url=PUBLIC_URL):
    """mail_settings as the environment of a real server: REPORTS_*, as text."""
    return {
        f"REPORTS_{name}": str(value) for name, value in mail_settings(port, public_url).items()
    }


class Receiver:
    """An HTTP server on 127.0.0.1 that takes webhook deliveries: each POST's
    headers and body, in the order they came, answered with the next status
    of `answers` (200 once they run out). On `port` if given (one a webhook
    was added for before its receiver listened, or that it listened on
    before). While `held` is clear, a delivery is recorded as it arrives,
    with no status, and answered only once `held` is set."""

    def __init__(self, answers=(), port=0):
        self.deliveries = []
        self.answers = list(answers)
        self.held = threading.Event()
        self.held.set()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                delivery = {"headers": dict(self.headers.items()), "body": body, "status": None}
                with receiver.lock:
                    receiver.deliveries.append(delivery)
                    receiver.arrived.notify_all()
                receiver.held.wait()
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    delivery["status"] = status
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self, delivered_only=True):
        return [
            json.loads(each["body"])
            for each in self.deliveries
            if not delivered_only or answered_2xx(each)
        ]

    def wait_for(self, count, timeout=20):
        """Wait until `count` deliveries got a 2xx; returns whether they did."""
        with self.arrived:
            return self.arrived.wait_for(
                lambda: len([d for d in self.deliveries if answered_2xx(d)]) >= count, timeout
            )

    def wait_for_arrivals(self, count, timeout=20):
        """Wait until `count` deliveries arrived, answered or not; returns whether they did."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)

    def stop(self):
        self.held.set()
        self.server.shutdown()
        self.server.server_close()


def answered_2xx(delivery):
    return delivery["status"] is not None and 200 <= delivery["status"] < 300
