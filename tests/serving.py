"""The real `python app.py` (waitress) for tests: start it on a free port, stop it
gently or kill it with SIGKILL, and speak HTTP to it with the standard library.

Each server runs from a folder of the test's own with its own database, so no
`instance/` of the repository is touched, and it listens on 127.0.0.1 unless a
test says otherwise.
"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
REPORTS = "/api/v1/reports"
READY = re.compile(r"Serving the report API at (http://\S+)")
START_TIMEOUT = 15
STOP_TIMEOUT = 5
REQUEST_TIMEOUT = 10
# Reports in the database of the `seeded` fixture: an NDJSON export of over 20 MiB.
SEEDED_REPORTS = 40_000


def server_env(database, checkout_on_path=True, **settings):
    """The caller's environment without any REPORTS_* setting, plus the given ones;
    the checkout first on PYTHONPATH unless `checkout_on_path` is false (a test of
    an installed package, which the checkout must not shadow)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPORTS_")}
    if checkout_on_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    else:
        env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["REPORTS_DATABASE"] = str(database)
    env["REPORTS_HOST"] = "127.0.0.1"
    env["REPORTS_PORT"] = "0"
    env.update(settings)
    return env


class Server:
    """One `python app.py` process; stdout and stderr go to files in its folder, so
    a chatty server can never block on a full pipe.

    `database` defaults to reports.sqlite in `workdir`; `command` to `python
    app.py` (e.g. `post-session-reports serve` instead); `settings` are more
    environment variables for the server, e.g. REPORTS_THREADS="8". Every start
    (a restart included) serves the same database on a new free port. The
    checkout is on the server's PYTHONPATH unless `checkout_on_path` is false.
    """

    def __init__(self, workdir, database=None, command=None, checkout_on_path=True, **settings):
        self.workdir = Path(workdir)
        self.checkout_on_path = checkout_on_path
        self.command = command or [sys.executable, str(REPO / "app.py")]
        self.database = Path(database) if database is not None else self.workdir / "reports.sqlite"
        self.settings = settings
        self.process = None
        self.starts = 0
        self.host = self.port = None

    def start(self):
        self.starts += 1
        self.stdout_path = self.workdir / f"server-{self.starts}.out"
        self.stderr_path = self.workdir / f"server-{self.starts}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=server_env(self.database, self.checkout_on_path, **self.settings),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            found = READY.search(self.stdout_path.read_text(errors="replace"))
            if found:
                break
            if self.process.poll() is not None:
                pytest.fail(f"app.py exited ({self.process.returncode}) before serving.\n{self}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"app.py did not say it serves within {START_TIMEOUT} s.\n{self}")
            time.sleep(0.02)
        url = urlsplit(found.group(1))
        if url.path != REPORTS or url.hostname not in ("127.0.0.1", "0.0.0.0"):
            self.stop()
            pytest.fail(f"app.py serves at an unexpected URL {found.group(1)}.\n{self}")
        # Listening on every address includes the loopback one.
        self.host, self.port = "127.0.0.1", url.port
        return self

    def stop(self):
        """SIGTERM, and SIGKILL if the server has not ended within STOP_TIMEOUT."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def kill(self):
        """SIGKILL: the server ends at once, with no chance to clean up."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def output(self):
        return f"--- stdout ---\n{self.stdout()}--- stderr ---\n{self.stderr()}"

    def stdout(self):
        """What every start of this server printed to stdout, in order."""
        return self._read_all("out")

    def stderr(self):
        """What every start of this server wrote to stderr (its log), in order."""
        return self._read_all("err")

    def _read_all(self, suffix):
        paths = (self.workdir / f"server-{n}.{suffix}" for n in range(1, self.starts + 1))
        return "".join(path.read_text(errors="replace") for path in paths if path.exists())

    def __str__(self):
        return self.output()

    def client(self, timeout=REQUEST_TIMEOUT):
        """A keep-alive connection of its own, e.g. for one thread of a test."""
        return Client(self.host, self.port, timeout)

    def request(self, method, path, body=None, headers=None):
        """Send one request on a fresh connection; see Client.request."""
        with self.client() as client:
            return client.request(method, path, body, headers)


class Client:
    """One HTTP/1.1 connection to the server, kept open between requests. Not for
    sharing between threads: give each thread its own."""

    def __init__(self, host, port, timeout=REQUEST_TIMEOUT):
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """Send one request and read the whole answer. A dict or list `body` is sent
        as JSON with its Content-Type; bytes are sent as they are, with only the
        headers given (http.client adds no Content-Type of its own). A connection
        error propagates; the next request opens a new connection."""
        headers = dict(headers or {})
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return Response(response.status, response.headers, response.read())
        except BaseException:
            self.connection.close()
            raise

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    @property
    def json(self):
        return json.loads(self.raw)

    def __repr__(self):
        return f"<{self.status} {self.content_type} {self.raw[:500]!r}>"


def seed(database, count=SEEDED_REPORTS):
    """Fill a new database with `count` realistic reports, in bulk (bench/seed.py)."""
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "seed.py"), "--reports", str(count),
         "--database", str(database)],
        env=server_env(database),
        check=True,
        capture_output=True,
        timeout=180,
    )  # fmt: skip


def copy_of(database, folder):
    """A copy of `database` as reports.sqlite in `folder`, for one server to change."""
    copy = Path(folder) / "reports.sqlite"
    shutil.copy(database, copy)
    return copy


def raw_request(method, path, headers=(), body=b""):
    """The bytes of an HTTP/1.1 request, for a test that speaks over a raw socket."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode() + b"\r\n" + body


def p99(times):
    """The 99th percentile of a list of durations."""
    return sorted(times)[max(0, int(len(times) * 0.99) - 1)]
