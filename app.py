"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured), as
`flask --app reports serve` and `post-session-reports serve` do.
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import sys

from reports import create_app
from reports.config import ConfigError
from reports.serve import serve, start

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Cannot start: {error}")

if __name__ == "__main__":
    serve(app)
else:
    # Imported by a WSGI server (waitress-serve app:app): this is the server's start.
    start(app)
