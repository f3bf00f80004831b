"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured).
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import ipaddress
import signal
import sys
import threading
import time

from waitress import create_server, wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from reports import auth, create_app, db, service
from reports.config import ConfigError

# How long requests under way may take to finish once the server is told to stop.
SHUTDOWN_GRACE_S = 30
LOOP_TIMEOUT_S = 0.2

try:
    app = create_app()
    if db.open_or_create(app.config["DATABASE"], app.instance_path):
        print(f"Created a new database at {app.config['DATABASE']}.", flush=True)
except ConfigError as error:
    sys.exit(f"Cannot start: {error}")


def api_urls(server):
    """The API's URL on each address the server listens on (a host name may give several)."""
    return [
        f"http://{f'[{host}]' if ':' in host else host}:{port}/api/v1/reports"
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


def refusal_to_serve_open(server):
    """Why the server must not start, or None: an open API must not be reachable
    from the network unless the operator said so."""
    if app.config["ALLOW_OPEN"]:
        return None
    exposed = beyond_loopback(server)
    with app.app_context():
        if not exposed or auth.any_in_force():
            return None
    return (
        f"Cannot start: HOST {app.config['HOST']} can be reached from other machines "
        f"({', '.join(exposed)}), and no API token exists, so anyone there could read and "
        "change every report. Create a coordinator token first:\n"
        "    flask --app reports token create --name coordinator --role coordinator\n"
        "or listen on 127.0.0.1, or set REPORTS_ALLOW_OPEN=1 to serve without tokens anyway."
    )


def main():
    server = create_server(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        threads=app.config["THREADS"],
    )
    refusal = refusal_to_serve_open(server)
    if refusal is not None:
        server.close()
        sys.exit(refusal)
    print(f"Database: {app.config['DATABASE']}", flush=True)
    for url in api_urls(server):
        print(f"Serving the report API at {url}", flush=True)
    housekeeping = service.start_housekeeping(app)
    serve_until_stopped(server)
    housekeeping.set()
    db.close_database(app.config["DATABASE"])
    print("Stopped.", flush=True)


def serve_until_stopped(server):
    """Serve until SIGTERM or Ctrl-C; then stop accepting connections, let the
    requests under way finish (for up to SHUTDOWN_GRACE_S), and stop."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    socket_map = server.map if hasattr(server, "map") else server._map
    while not stopping.is_set():
        wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=socket_map, use_poll=True, count=1)
    for listener in [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]:
        listener.close()
    deadline = time.monotonic() + SHUTDOWN_GRACE_S
    while under_way(socket_map, server.task_dispatcher) and time.monotonic() < deadline:
        wasyncore.loop(timeout=LOOP_TIMEOUT_S, map=socket_map, use_poll=True, count=1)
    server.task_dispatcher.shutdown()
    wasyncore.close_all(socket_map)


def under_way(socket_map, task_dispatcher):
    """Whether a request is being received, served, or its answer sent."""
    if task_dispatcher.active_count or task_dispatcher.queue:
        return True
    return any(
        channel.request is not None or channel.requests or channel.total_outbufs_len
        for channel in socket_map.values()
        if isinstance(channel, HTTPChannel)
    )


if __name__ == "__main__":
    main()
