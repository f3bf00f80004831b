"""Webhooks by the Standard Webhooks specification (standardwebhooks.com): an
endpoint's secret, the signature of each delivery, the check of an endpoint's
address, and one POST to it.

A delivery goes to the address the endpoint's host name resolved to when it
was checked, so that a name that resolves to a private address the second
time (DNS rebinding) reaches nothing it should not. No redirect is followed,
and no more than ANSWER_BYTES of an answer is read."""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
TIMEOUT_SECONDS = 15
ANSWER_BYTES = 64 * 1024
URL_LENGTH = 2000
USER_AGENT = "post-session-reports-webhooks"


class RefusedURL(ValueError):
    """An address no delivery may go to."""


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret, message_id, timestamp, body):
    """`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the
    secret's bytes (the base64 after `whsec_`)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret, message_id, body, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def check_url(url, allow_private=False):
    """Where a delivery to `url` goes: (scheme, host, port, path, address).
    Raises RefusedURL for anything but an http or https URL of a host that
    resolves, and, unless `allow_private`, for a host any of whose addresses
    is loopback, private, link-local or otherwise not on the internet."""
    if len(url) > URL_LENGTH:
        raise RefusedURL(f"A webhook URL may not be longer than {URL_LENGTH} characters.")
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise RefusedURL("A webhook URL may not hold a space or a control character.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL(f"Only an http or https URL is taken, not {url!r}.")
    if parts.username or parts.password:
        raise RefusedURL("A webhook URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedURL(f"{url!r} has no valid port.") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedURL(f"{parts.hostname} does not resolve: {error}.") from None
    addresses = [info[4][0] for info in found]
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise RefusedURL(
                    f"{parts.hostname} resolves to {address}, a loopback or private address: "
                    "refused, unless the webhook is added with --allow-private."
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path, addresses[0]


def post(url, secret, message_id, body, allow_private=False):
    """POST `body` to the endpoint, signed; returns its answer's status. Raises
    RefusedURL, or OSError (http.client's errors included) when there is no
    answer within TIMEOUT_SECONDS."""
    scheme, host, port, path, address = check_url(url, allow_private)
    kind = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    connection = kind(host, port, address)
    try:
        connection.request("POST", path, body=body, headers=headers(secret, message_id, body))
        answer = connection.getresponse()
        answer.read(ANSWER_BYTES)
        return answer.status
    except http.client.HTTPException as error:
        raise OSError(f"not an HTTP answer: {error!r}") from None
    finally:
        connection.close()


class PinnedHTTPConnection(http.client.HTTPConnection):
    """A connection to `host` that goes to the `address` checked for it."""

    def __init__(self, host, port, address):
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """As PinnedHTTPConnection, over TLS, the certificate checked against `host`."""

    default_port = 443

    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
