"""Serving: every way to start the server, what stops it from starting, how it
stops, and the waitress limits that keep one client from holding it up. Each
test runs the real server (tests/serving.py) and is bounded in time."""

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from waitress import wasyncore

from reports import serve

from conftest import CONTRACT_REPORT
from serving import (
    REPO,
    REPORTS,
    SEEDED_REPORTS,
    Client,
    Server,
    copy_of,
    p99,
    raw_request,
    server_env,
)

PROBLEM_JSON = "application/problem+json"
CONSOLE_SCRIPT = Path(sys.executable).parent / "post-session-reports"


def serve_and_use(server):
    """Start `server`, create a report through it, stop it with SIGTERM."""
    with server:
        assert server.request("GET", "/healthz").status == 200
        created = server.request("POST", REPORTS, CONTRACT_REPORT)
        assert created.status == 201, created
        process = server.process
        process.terminate()
        assert process.wait(timeout=10) == 0, server
    assert "Stopped." in server.stdout()
    assert "Traceback" not in server.stderr(), server


def test_the_console_script_serves_and_stops_cleanly(tmp_path):
    serve_and_use(Server(tmp_path, command=[str(CONSOLE_SCRIPT), "serve"]))


def test_python_m_reports_serve_serves_and_stops_cleanly(tmp_path):
    serve_and_use(Server(tmp_path, command=[sys.executable, "-m", "reports", "serve"]))


def test_the_console_script_runs_the_other_commands_too(tmp_path):
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "init-db"],
        cwd=tmp_path,
        env=server_env(tmp_path / "reports.sqlite"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result
    assert "Created a new database at" in result.stdout


def test_the_console_script_refuses_an_open_api_beyond_loopback(tmp_path):
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "serve"],
        cwd=tmp_path,
        env=server_env(tmp_path / "reports.sqlite", REPORTS_HOST="0.0.0.0"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1, result
    assert "Cannot start" in result.stderr and "REPORTS_ALLOW_OPEN=1" in result.stderr, result
    assert "Traceback" not in result.stderr and "Serving" not in result.stdout, result


def test_a_port_in_use_is_one_line_that_names_it_and_reports_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "app.py")],
            cwd=tmp_path,
            env=server_env(tmp_path / "reports.sqlite", REPORTS_PORT=str(port)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "REPORTS_PORT" in lines[0], lines
    assert "Serving" not in result.stdout, result


def read_chunked(sock, pause=0.0, on_bytes=None):
    """The head and the chunked body of one answer, read in small pieces with
    `pause` seconds between them; `on_bytes(count)` after each piece. The body
    is b"" when the chunked terminator never came."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return data, b""
        data += piece
    head, buffer = data.split(b"\r\n\r\n", 1)
    body = b""

    def read_until(enough):
        """Read on until `enough(buffer)`; False if the answer ended first."""
        nonlocal buffer
        while not enough(buffer):
            piece = sock.recv(16384)
            if not piece:
                return False
            buffer += piece
            if on_bytes:
                on_bytes(len(piece))
            time.sleep(pause)
        return True

    while True:
        if not read_until(lambda received: b"\r\n" in received):
            return head, b""
        size_line, buffer = buffer.split(b"\r\n", 1)
        size = int(size_line, 16)
        if not read_until(lambda received, size=size: len(received) >= size + 2):
            return head, b""
        if size == 0:
            return head, body
        body, buffer = body + buffer[:size], buffer[size + 2 :]


def test_a_stop_lets_a_large_export_being_read_finish(tmp_path, seeded):
    server = Server(tmp_path, copy_of(seeded, tmp_path)).start()
    received = [0]
    stopped = threading.Event()

    def stop_midway(count):
        received[0] += count
        if received[0] > 2**20 and not stopped.is_set():
            stopped.set()
            server.process.send_signal(signal.SIGTERM)

    try:
        with socket.create_connection((server.host, server.port), timeout=20) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(raw_request("GET", f"{REPORTS}?format=ndjson"))
            head, body = read_chunked(sock, pause=0.0005, on_bytes=stop_midway)
        assert stopped.is_set()
        assert head.startswith(b"HTTP/1.1 200"), head
        assert body, "the export ended without its last chunk"
        lines = body.decode().splitlines()
        assert len(lines) == SEEDED_REPORTS
        assert all(json.loads(line)["report_id"] for line in (lines[0], lines[-1]))
        assert server.process.wait(timeout=30) == 0
    finally:
        server.kill()
    assert "Stopped." in server.stdout()
    assert "Traceback" not in server.stderr() and "Bad file descriptor" not in server.stderr()


def test_a_body_somewhat_over_the_limit_is_the_apps_problem_413(tmp_path):
    with Server(tmp_path, REPORTS_MAX_CONTENT_LENGTH="10000") as server:
        body = json.dumps({**CONTRACT_REPORT, "padding": "x" * 25_000}).encode()
        answer = server.request("POST", REPORTS, body, {"Content-Type": "application/json"})
    assert answer.status == 413, answer
    assert answer.content_type == PROBLEM_JSON, answer
    assert "10000" in answer.json["detail"]


def test_a_huge_announced_body_is_refused_before_it_is_sent(tmp_path):
    with Server(tmp_path) as server:
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            started = time.monotonic()
            headers = [("Content-Type", "application/json"), ("Content-Length", 300 * 2**20)]
            sock.sendall(raw_request("POST", REPORTS, headers, b"{" + b" " * 1000))
            answer = b""
            while b"\r\n\r\n" not in answer:
                piece = sock.recv(65536)
                if not piece:
                    break
                answer += piece
            elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert elapsed < 3, elapsed
    head, body = answer.split(b"\r\n\r\n", 1)
    assert PROBLEM_JSON.encode() in head, head


def healthz_times(server, count, pause=0.01):
    """Seconds each of `count` GET /healthz took, on fresh connections."""
    times = []
    for _ in range(count):
        started = time.monotonic()
        answer = server.request("GET", "/healthz")
        times.append(time.monotonic() - started)
        assert answer.status == 200, answer
        time.sleep(pause)
    return times


def test_a_hundred_slow_senders_do_not_keep_others_out(tmp_path):
    """100 connections that trickle a body a byte at a time: /healthz stays fast,
    and each is cut off once RECEIVE_TIMEOUT has passed since its first byte."""
    with Server(tmp_path, REPORTS_RECEIVE_TIMEOUT="4") as server:
        body = json.dumps(CONTRACT_REPORT).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", len(body))]
        slow = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(100)]
        try:
            started = time.monotonic()
            for sock in slow:
                sock.sendall(raw_request("POST", REPORTS, headers))
            times = []
            cut_off = set()
            while time.monotonic() - started < 8 and len(cut_off) < len(slow):
                for number, sock in enumerate(slow):
                    if number not in cut_off:
                        try:
                            sock.sendall(b" ")
                        except OSError:
                            cut_off.add(number)
                times += healthz_times(server, 5, pause=0.05)
            elapsed = time.monotonic() - started
        finally:
            for sock in slow:
                sock.close()
    print(f"/healthz p99 {p99(times) * 1000:.1f} ms beside 100 slow senders")
    assert len(times) >= 20
    assert p99(times) < 0.1, sorted(times)[-5:]
    assert len(cut_off) == len(slow), f"{len(cut_off)} of 100 cut off after {elapsed:.1f} s"
    assert elapsed < 8


def test_the_server_says_where_to_open_the_pages(tmp_path):
    with Server(tmp_path) as server:
        page_url = f"http://{server.host}:{server.port}/"
        assert f"Open {page_url} in a browser for the pages" in server.stdout()
        assert server.request("GET", "/login").status == 200


def test_an_answer_waits_while_a_mebibyte_of_it_is_still_to_be_sent(app):
    app.config["PORT"] = 0
    server, socket_map = serve.listen(app)
    try:
        assert server.adj.outbuf_high_watermark == 1 << 20
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)


def test_large_blocks_are_given_back_where_malloc_can_be_told(monkeypatch):
    told = []

    class Glibc:
        def mallopt(self, option, value):
            told.append((option, value))

    monkeypatch.setattr(serve.ctypes, "CDLL", lambda name: Glibc())
    serve.return_large_blocks()
    assert told == [(-3, 128 * 1024)]  # M_MMAP_THRESHOLD, fixed at 128 KiB

    monkeypatch.setattr(serve.ctypes, "CDLL", lambda name: object())
    serve.return_large_blocks()  # no mallopt: nothing to tell, and no error
    assert told == [(-3, 128 * 1024)]


def test_the_stop_signal_s_handler_takes_no_lock():
    """Python runs a signal's handler on the main thread between two bytecodes, so
    a second SIGTERM can run it inside the first (under `litestream replicate`
    two come close together: one to the process group, one passed on by
    Litestream). A handler that took a lock would then wait forever for the one
    it holds, and the service would never stop."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    taken = []

    def note_locks(frame, event, called):
        if event == "c_call" and type(getattr(called, "__self__", None)).__name__ in LOCKS:
            taken.append(called)

    try:
        stopping = serve.stop_on_signals()
        handler = signal.getsignal(signal.SIGTERM)
        sys.setprofile(note_locks)
        try:
            handler(signal.SIGTERM, None)
        finally:
            sys.setprofile(None)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)

    assert stopping.is_set()
    assert taken == []


LOCKS = {type(threading.Lock()).__name__, type(threading.RLock()).__name__}


def test_a_stop_after_the_database_file_was_deleted_is_one_line(tmp_path):
    with Server(tmp_path) as server:
        assert server.request("POST", REPORTS, CONTRACT_REPORT).status == 201
        for suffix in ("", "-wal", "-shm"):
            Path(f"{server.database}{suffix}").unlink(missing_ok=True)
        process = server.process
        process.terminate()
        code = process.wait(timeout=10)
    err = server.stderr()
    assert "Traceback" not in err, server
    assert code == 1, server
    last = err.strip().splitlines()[-1]
    assert last.startswith("Stopped, but") and str(server.database) in last, server


def waitress_serve(folder, database, **settings):
    """`waitress-serve app:app`, as docs/deploy.md's other way to serve, from a
    folder holding the checkout's app.py."""
    (folder / "app.py").write_bytes((REPO / "app.py").read_bytes())
    command = [str(Path(sys.executable).parent / "waitress-serve"), "--listen=127.0.0.1:0"]
    return subprocess.Popen(
        [*command, "app:app"],
        cwd=folder,
        env=server_env(database, **settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def started(process):
    """The port a `waitress-serve` process serves on, once it says so, and what it
    wrote to stderr until then."""
    deadline = time.monotonic() + 15
    said = []
    while "Serving on" not in (line := process.stderr.readline()):
        assert line and time.monotonic() < deadline, f"waitress-serve did not start: {said}"
        said.append(line)
    return int(line.strip().rsplit(":", 1)[1]), "".join(said)


def test_under_waitress_serve_an_api_without_tokens_is_open_to_no_one(tmp_path):
    process = waitress_serve(tmp_path, tmp_path / "reports.sqlite")
    try:
        port, said = started(process)
        with Client("127.0.0.1", port) as client:
            here = {"Host": f"127.0.0.1:{port}"}
            refused = client.request("GET", REPORTS, headers=here)
            page = client.request("GET", "/reports", headers=here)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)

    assert refused.status == 401, refused
    assert "python app.py" in refused.json["detail"], refused.json
    assert page.status == 302 and "/login" in page.headers["Location"], page
    assert "No token is in force" in said and "REPORTS_ALLOW_OPEN=1" in said, said
    assert "Traceback" not in said + err, err


def test_under_waitress_serve_allow_open_opens_the_api(tmp_path):
    database = tmp_path / "reports.sqlite"
    process = waitress_serve(tmp_path, database, REPORTS_ALLOW_OPEN="1")
    try:
        port, _ = started(process)
        with Client("127.0.0.1", port) as client:
            listed = client.request("GET", REPORTS)
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert listed.status == 200, listed


def test_under_waitress_serve_a_reopened_api_still_answers_no_one_without_a_token(tmp_path):
    database = tmp_path / "reports.sqlite"

    def command(*args):
        result = subprocess.run(
            [str(CONSOLE_SCRIPT), "token", *args],
            cwd=tmp_path, env=server_env(database), capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert result.returncode == 0, result
        return result.stdout

    subprocess.run([str(CONSOLE_SCRIPT), "init-db"], cwd=tmp_path, env=server_env(database))
    secret = command("create", "--name", "carla", "--role", "coordinator").strip()
    process = waitress_serve(tmp_path, database)
    try:
        port, _ = started(process)
        with Client("127.0.0.1", port) as client:
            bearer = {"Authorization": f"Bearer {secret}"}
            assert client.request("GET", REPORTS, headers=bearer).status == 200
            command("revoke", "carla")
            command("reopen")
            refused = client.request("GET", REPORTS, headers={"Host": f"127.0.0.1:{port}"})
            page = client.request("GET", "/reports", headers={"Host": f"127.0.0.1:{port}"})
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert refused.status == 401, refused
    assert page.status == 302 and "/login" in page.headers["Location"], page


def test_app_py_started_from_another_folder_serves_its_checkout_s_database_and_says_so(tmp_path):
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    checkout.mkdir()
    elsewhere.mkdir()
    (checkout / "app.py").write_bytes((REPO / "app.py").read_bytes())
    env = server_env(tmp_path / "unused.sqlite")
    del env["REPORTS_DATABASE"]
    process = subprocess.Popen(
        [sys.executable, str(checkout / "app.py")],
        cwd=elsewhere, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        said = []
        while "Serving the report API" not in (line := process.stdout.readline()):
            assert line, said
            said.append(line)
    finally:
        process.terminate()
        process.communicate(timeout=10)

    database = checkout / "instance" / "reports.sqlite"
    assert said[0] == (
        f"Started from {elsewhere}: the checkout is {checkout}, and its instance folder "
        f"{checkout / 'instance'} is the one used.\n"
    ), said
    assert f"Database: {database}\n" in said, said
    assert database.is_file()
    assert not (elsewhere / "instance").exists()
