"""Serve the Post-Session Report Repository with waitress.

`python app.py` serves on HOST:PORT (127.0.0.1:8080 unless configured), as
`flask --app reports serve` and `post-session-reports serve` do, with the
instance folder (the database, config.py, the catalogue) beside this file,
whatever folder it is started from.
`app` is the WSGI application, for `waitress-serve app:app` or any WSGI server.
"""

import os
import sys

from reports import create_app
from reports.config import ConfigError
from reports.serve import serve, start

CHECKOUT = os.path.dirname(os.path.abspath(__file__))

try:
    app = create_app(instance_path=os.path.join(CHECKOUT, "instance"))
except ConfigError as error:
    sys.exit(f"Cannot start: {error}")

if __name__ == "__main__":
    if os.path.realpath(os.getcwd()) != os.path.realpath(CHECKOUT):
        print(
            f"Started from {os.getcwd()}: the checkout is {CHECKOUT}, and its instance "
            f"folder {app.instance_path} is the one used.",
            flush=True,
        )
    serve(app)
else:
    # Imported by a WSGI server (waitress-serve app:app): this is the server's start.
    start(app, own_server=False)
