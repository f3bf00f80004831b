"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured).
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import sys

from waitress import create_server

from reports import create_app
from reports.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Cannot start: {error}")


def api_urls(server):
    """The API's URL on each address the server listens on (a host name may give several)."""
    listen = getattr(server, "effective_listen", None)
    if listen is None:
        listen = [(server.effective_host, server.effective_port)]
    return [
        f"http://{f'[{host}]' if ':' in host else host}:{port}/api/v1/reports"
        for host, port in listen
    ]


def main():
    server = create_server(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        threads=app.config["THREADS"],
    )
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
