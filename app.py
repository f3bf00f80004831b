"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured), as
`post-session-reports serve` does (see reports/serve.py).
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import sys

from reports import create_app
from reports.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Cannot start: {error}")


if __name__ == "__main__":
    from reports.serve import serve

    serve(app)
