"""Wrong tokens, counted. A client address (an IPv6 one by its /64 prefix), or
a browser's session, that gave SIGN_IN_FAILURES wrong tokens or sign-in links
within SIGN_IN_WINDOW_SECONDS has its next wrong ones refused with a 429 and
Retry-After, until the first of them is that old. A right token is never
counted nor slowed: it is checked before anything here is asked. A sign-in
link asked for by e-mail counts as a wrong token: whether the address was a
person's is never known here.

Each wrong token is logged once, without its secret, and so is the moment a
client reaches the limit; what is refused after is not logged. The counts are
kept in the app's memory, for at most KEYS_KEPT clients (past that, the one
whose last wrong token is oldest is forgotten first); a restart forgets them."""

import ipaddress
import math
import threading
from collections import OrderedDict, deque

from flask import current_app, request
from werkzeug.exceptions import TooManyRequests

from reports import clock

KEYS_KEPT = 10_000
# Where a wrong token was given, as the log says it.
AT_LOGIN = "at /login"
BY_LINK = "with a sign-in link"
TO_API = "to the API"
FAILURES = "reports.sign_in_failures"


class _Failures:
    """The times of each key's recent wrong tokens, its oldest first."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = OrderedDict()  # key: deque of times; the key of the latest last

    def wait(self, keys, now, limit, window):
        """Seconds before any of `keys` may give a wrong token again; 0: now."""
        waits = [0.0]
        with self.lock:
            for key in keys:
                times = self.times.get(key, ())
                while times and times[0] <= now - window:
                    times.popleft()
                if len(times) >= limit:
                    waits.append(times[0] + window - now)
        return max(waits)

    def add(self, keys, now, limit):
        """Count a wrong token of each key; returns whether one reached `limit`."""
        reached = False
        with self.lock:
            for key in keys:
                times = self.times.pop(key, None) or deque(maxlen=limit)
                times.append(now)
                self.times[key] = times
                reached = reached or len(times) >= limit
            while len(self.times) > KEYS_KEPT:
                self.times.popitem(last=False)
        return reached


def wrong_token(where, session_key=None):
    """Count a wrong token given `where` (AT_LOGIN, BY_LINK, TO_API) by this
    request's client, and by its browser's session if it has `session_key`;
    raises TooManyRequests, counting nothing, when either has reached the limit."""
    _count(
        session_key,
        "Too many wrong tokens from here lately: try again in {seconds} seconds.",
        f"Failed sign-in {where} from %s: no token in force is that one.",
    )


def link_asked_by_email(session_key=None):
    """Count a sign-in link asked for by e-mail as a wrong token, in the same
    count: each ask may try any address, and may send an e-mail. Raises
    TooManyRequests, counting nothing, past the limit."""
    _count(
        session_key,
        "Too many sign-in links asked for from here lately: try again in {seconds} seconds.",
        "A sign-in link was asked for by e-mail from %s.",
    )


def _count(session_key, too_many, logged):
    config = current_app.config
    limit, window = config["SIGN_IN_FAILURES"], config["SIGN_IN_WINDOW_SECONDS"]
    address = request.remote_addr or ""
    keys = [f"address {client_network(address)}"]
    if session_key is not None:
        keys.append(f"session {session_key}")
    now = clock.now().timestamp()
    failures = current_app.extensions[FAILURES]
    wait = failures.wait(keys, now, limit, window)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyRequests(too_many.format(seconds=seconds), retry_after=seconds)
    logger = current_app.logger
    logger.warning(logged, address)
    if failures.add(keys, now, limit):
        logger.warning(
            "Failed sign-ins from %s reached the limit of %s in %s s: "
            "the next wrong ones are refused with 429, without a line here.",
            address,
            limit,
            window,
        )


def client_network(address):
    """The address a client is counted by: an IPv6 address by its /64, since
    one client commonly holds all of one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def init_app(app):
    app.extensions[FAILURES] = _Failures()
