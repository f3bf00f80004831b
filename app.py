"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured).
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import ipaddress
import sys

from waitress import create_server

from reports import auth, create_app
from reports.config import ConfigError

try:
    app = create_app()
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
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
