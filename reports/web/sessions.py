"""The browser's session: Flask's signed cookie, with a key of the instance's own."""

import os
import secrets
import threading

from flask.sessions import SecureCookieSessionInterface

from reports.db import make_folder

SECRET_KEY_FILE = "secret_key"
_secret_key_lock = threading.Lock()
# The paths that never use a session: the API (bearer tokens) and /healthz.
NO_SESSION = ("/api/", "/healthz")


def instance_secret_key(instance_path):
    """The key in instance/secret_key, made there (readable by its owner only)
    the first time it is needed, and reused on every start after."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    with _secret_key_lock:
        try:
            with open(path, encoding="ascii") as file:
                key = file.read().strip()
        except FileNotFoundError:
            key = ""
        if key:
            return key
        make_folder(instance_path)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, key.encode("ascii"))
        finally:
            os.close(fd)
        return key


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; without a configured SECRET_KEY, the
    instance folder's one, made on the first request that may need it (never
    for the API, which has no session, nor when the app is only built)."""

    def open_session(self, app, request):
        if request.path.startswith(NO_SESSION):
            return None  # Flask's null session: nothing to read, sign or set
        if not app.secret_key:
            app.secret_key = instance_secret_key(app.instance_path)
        return super().open_session(app, request)
