"""Serve the app with waitress: `python app.py`, `flask --app reports serve`,
`post-session-reports serve` and `python -m reports serve` all come here.

The serve loop is waitress's own, run by hand, so that it can also stop gently
(SIGTERM or Ctrl-C: no new connections, the requests under way finish) and
keep a watchdog over every connection: one that sends its request too slowly
(RECEIVE_TIMEOUT), or reads nothing of its answer for too long (SEND_TIMEOUT),
is closed, which frees the thread that serves it.

The parts of waitress it relies on that are not its public API are listed in
reports/internals.py, and tests/test_internals.py checks them.
"""

import ctypes
import errno
import ipaddress
import json
import signal
import sqlite3
import sys
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from waitress import create_server, wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from reports import auth, db, dispatcher, service
from reports.config import ConfigError
from reports.errors import PROBLEM_JSON
from reports.read_only import is_read_only

# How long requests under way may take to finish once the server is told to stop.
SHUTDOWN_GRACE_S = 30
LOOP_TIMEOUT_S = 0.2
# How often the watchdog looks at every connection.
WATCHDOG_INTERVAL_S = 0.5
# waitress reads a whole request before the app sees it: a body up to this many
# times MAX_CONTENT_LENGTH is read, so that the app answers its problem+json 413;
# one announced larger is refused at once, before it is sent.
BODY_SIZE_FACTOR = 4
# An answer's thread waits while this much of it is still to be sent, so that
# an export streams at its client's pace with at most this much of it in memory
# (waitress's default, 16 MiB, would hold up to that much per export).
OUTBUF_HIGH_WATERMARK = 1 << 20


@click.command("serve")
@with_appcontext
def serve_command():
    """Serve the API with waitress on HOST:PORT, as `python app.py` does."""
    serve(current_app._get_current_object())


def serve(app):
    """Create or migrate the database, listen, serve until SIGTERM or Ctrl-C, and
    stop cleanly. Whatever keeps it from starting ends the process with one line."""
    config = app.config
    housekeeping = start(app)
    server, socket_map = listen(app)
    refusal = refusal_to_serve_open(app, server)
    if refusal is not None:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)
        sys.exit(refusal)
    print(f"Database: {config['DATABASE']}", flush=True)
    for url in api_urls(server):
        print(f"Serving the report API at {url}", flush=True)
    for url in page_urls(server):
        print(f"Open {url} in a browser for the pages", flush=True)
    watchdog = Watchdog(config["SEND_TIMEOUT"], config["RECEIVE_TIMEOUT"])
    serve_until_stopped(server, socket_map, watchdog)
    housekeeping.set()
    dispatcher.stop(app, housekeeping)
    if not is_read_only(app):
        try:
            db.close_database(config["DATABASE"], config["REPLICATED"])
        except (sqlite3.Error, OSError) as error:
            sys.exit(f"Stopped, but could not close the database {config['DATABASE']}: {error}.")
    print("Stopped.", flush=True)


def start(app, own_server=True):
    """What a server does before it serves: create or migrate the database (the
    only start that may create one, and it says so), and start the housekeeping
    that purges the trash and forgets expired keys. Returns the Event that stops
    the housekeeping and the dispatcher of the outbox (reports/dispatcher.py);
    exits with one line when the database cannot be opened.

    Under another server than the service's own (`own_server` false), which may
    clear the headers that tell a proxied request apart, the API is never open
    to this machine: only a token, or ALLOW_OPEN, opens it there."""
    return_large_blocks()
    app.extensions[auth.OWN_SERVER] = own_server
    path = app.config["DATABASE"]
    if is_read_only(app):
        return start_read_only(path)
    try:
        created = db.open_or_create(path, app.instance_path, app.extensions["catalogue"])
    except ConfigError as error:
        sys.exit(f"Cannot start: {error}")
    if created:
        print(f"Created a new database at {path}.", flush=True)
    if not own_server:
        warn_of_no_open_api_elsewhere(app)
    dispatcher.prepare(app)
    stopped = service.start_housekeeping(app)
    dispatcher.start(app, stopped)
    return stopped


def warn_of_no_open_api_elsewhere(app):
    """Where no token is in force, say at the start that under this server the API
    answers no request without one: another server may clear the headers that tell
    a proxied request apart, so the API is never open to this machine there."""
    with app.app_context():
        state = auth.access_state()
    if state == "open here":
        print(
            "No token is in force: under a server other than `python app.py` or "
            "`post-session-reports serve`, the API answers no request without one. Create a "
            f"token (`{auth.CREATE_COMMAND}`), or set REPORTS_ALLOW_OPEN=1 to open it to "
            "everyone who can reach it.",
            file=sys.stderr,
            flush=True,
        )


def start_read_only(path):
    """The start of a read-only copy: the database must be there, at this
    code's schema version; nothing of it is written, and no housekeeping runs
    (the primary purges, and its changes arrive here). Returns an Event, set
    already, as the housekeeping's stop."""
    try:
        db.open_read_only(path)
    except ConfigError as error:
        sys.exit(f"Cannot start: {error}")
    print(f"Serving a read-only copy of {path}: every write is refused.", flush=True)
    stopped = threading.Event()
    stopped.set()
    return stopped


# glibc's malloc raises its threshold for mapping a block on its own each time
# such a block is freed, and from then on keeps blocks of that size in its
# heaps, where the chunks of an export, made by one thread and freed by
# another, leave tens of MiB that are never given back. A fixed threshold keeps
# every block of LARGE_BLOCK or more mapped on its own, and returned when freed.
M_MMAP_THRESHOLD = -3
LARGE_BLOCK = 128 * 1024


def return_large_blocks():
    """Fix malloc's threshold at LARGE_BLOCK where the C library is glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc: its malloc has no such threshold to fix
    mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)


def listen(app):
    """The waitress server, listening on HOST:PORT, and the socket map that it
    runs on (its listeners, and each connection's channel); or exit with why
    it cannot."""
    config = app.config
    socket_map = {}
    try:
        server = create_server(
            app,
            map=socket_map,
            host=config["HOST"],
            port=config["PORT"],
            threads=config["THREADS"],
            connection_limit=config["CONNECTION_LIMIT"],
            max_request_body_size=BODY_SIZE_FACTOR * config["MAX_CONTENT_LENGTH"],
            # The application trusts no forwarded header, but sees them: while the
            # API is open, a forwarded request is refused (reports/auth.py).
            clear_untrusted_proxy_headers=False,
            outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
        )
    except OSError as error:
        where = f"{config['HOST']} port {config['PORT']}"
        if error.errno == errno.EADDRINUSE:
            sys.exit(
                f"Cannot start: port {config['PORT']} on {config['HOST']} is in use by another "
                "program: stop that one, or set REPORTS_PORT to a free port."
            )
        sys.exit(
            f"Cannot start: cannot listen on {where}: {error.strerror or error}. "
            "Check REPORTS_HOST and REPORTS_PORT."
        )
    for listener in listeners(socket_map):
        listener.channel_class = ProblemChannel
    return server, socket_map


class ProblemErrorTask(ErrorTask):
    """The answer waitress gives itself to a request it does not hand to the app
    (a body over its limit, a malformed request), as problem+json like every
    other error."""

    def execute(self):
        error = self.request.error
        if error.code == 413:
            limit = self.channel.server.adj.max_request_body_size // BODY_SIZE_FACTOR
            detail = f"The body is larger than the limit of {limit} bytes."
        else:
            detail = f"{error.reason}: {error.body}."
        body = json.dumps(
            {"type": "about:blank", "title": error.reason, "status": error.code, "detail": detail}
        ).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", PROBLEM_JSON))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class ProblemChannel(HTTPChannel):
    error_task_class = ProblemErrorTask


def api_urls(server):
    """The API's URL on each address the server listens on (a host name may give several)."""
    return [f"{url}api/v1/reports" for url in page_urls(server)]


def page_urls(server):
    """The pages' URL on each address the server listens on."""
    return [
        f"http://{f'[{host}]' if ':' in host else host}:{port}/"
        for host, port in listen_addresses(server)
    ]


def listen_addresses(server):
    listen = getattr(server, "effective_listen", None)
    return listen if listen is not None else [(server.effective_host, server.effective_port)]


def beyond_loopback(server):
    """The addresses the server listens on that other machines can reach."""
    return [host for host, _ in listen_addresses(server) if not is_loopback(host)]


def is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal_to_serve_open(app, server):
    """Why the server must not start, or None: an open API must not be reachable
    from the network unless the operator said so."""
    exposed = beyond_loopback(server)
    with app.app_context():
        if not exposed or auth.access_state() != "open here":
            return None
    return (
        f"Cannot start: HOST {app.config['HOST']} can be reached from other machines "
        f"({', '.join(exposed)}), and no API token is in force, so anyone there could read and "
        "change every report. Create a coordinator token first:\n"
        "    flask --app reports token create --name coordinator --role coordinator\n"
        "or listen on 127.0.0.1, or set REPORTS_ALLOW_OPEN=1 to serve without tokens anyway."
    )


def listeners(socket_map):
    return [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]


def close_listeners(socket_map):
    """Stop accepting connections. Only the listening sockets close: a waitress
    server's own close() would also close the trigger that task threads still
    pull to hand their output to the loop."""
    for listener in listeners(socket_map):
        wasyncore.dispatcher.close(listener)


class Stopping:
    """Whether SIGTERM or Ctrl-C has come. Its handler only sets an attribute and
    takes no lock: Python runs a handler on the main thread between two
    bytecodes, so a second signal can run it inside the first, and a
    threading.Event's set() would then wait forever for the lock the first one
    holds. Two come close together under `litestream replicate`, which passes
    its own SIGTERM on to a service that has one already."""

    def __init__(self):
        self.requested = False

    def handle(self, signum, frame):
        self.requested = True

    def is_set(self):
        return self.requested


def stop_on_signals():
    """What SIGTERM and Ctrl-C set: the serve loop ends when it is set."""
    stopping = Stopping()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stopping.handle)
    return stopping


def serve_until_stopped(server, socket_map, watchdog):
    """Serve until SIGTERM or Ctrl-C; then stop accepting connections, let the
    requests under way finish (for up to SHUTDOWN_GRACE_S), and stop."""
    stopping = stop_on_signals()
    while not stopping.is_set():
        wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=socket_map, use_poll=True, count=1)
        watchdog.look(socket_map)
    close_listeners(socket_map)
    deadline = time.monotonic() + SHUTDOWN_GRACE_S
    while under_way(socket_map, server.task_dispatcher) and time.monotonic() < deadline:
        wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=socket_map, use_poll=True, count=1)
        watchdog.look(socket_map)
    server.task_dispatcher.shutdown()
    wasyncore.close_all(socket_map)


def channels(socket_map):
    return [channel for channel in socket_map.values() if isinstance(channel, HTTPChannel)]


def under_way(socket_map, task_dispatcher):
    """Whether a request is being received, served, or its answer sent."""
    if task_dispatcher.active_count or task_dispatcher.queue:
        return True
    return any(
        channel.request is not None or channel.requests or channel.total_outbufs_len
        for channel in channels(socket_map)
    )


class Watchdog:
    """Closes the connections that hold the server up: one whose request has not
    arrived whole within `receive_timeout` seconds of its first byte (or that
    sits idle between requests that long), and one with an answer to send that
    has taken none of it for `send_timeout` seconds. Closing a channel wakes
    the task thread writing to it, which then gives up the request."""

    def __init__(self, send_timeout, receive_timeout):
        self.send_timeout = send_timeout
        self.receive_timeout = receive_timeout
        self.next_look = 0
        # channel -> (the request it is receiving, when its first byte came)
        self.receiving = {}

    def look(self, socket_map):
        now = time.monotonic()
        if now < self.next_look:
            return
        self.next_look = now + WATCHDOG_INTERVAL_S
        wall = time.time()  # waitress keeps last_activity as time.time()
        receiving = {}
        for channel in channels(socket_map):
            if channel.total_outbufs_len:
                if wall - channel.last_activity > self.send_timeout:
                    channel.handle_close()
                continue
            if channel.requests:
                continue  # being served: the app's own time
            request = channel.request
            if request is None:
                if wall - channel.last_activity > self.receive_timeout:
                    channel.handle_close()
                continue
            earlier = self.receiving.get(channel)
            since = earlier[1] if earlier is not None and earlier[0] is request else now
            if now - since > self.receive_timeout:
                channel.handle_close()
            else:
                receiving[channel] = (request, since)
        self.receiving = receiving
