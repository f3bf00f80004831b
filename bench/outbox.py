"""POST with the outbox's peers dead: `python bench/run.py --outbox`.

The rule of the outbox: an endpoint that never answers, a mail server that
never answers and a thousand events waiting change nothing in the time of a
POST. Each row is POST /api/v1/reports, driven by wrk for --duration at
--connections, on `python app.py` as it serves (synchronous=FULL, the
dispatcher a thread of the serving process), each row on a fresh copy of the
seeded database with a server of its own:

  no webhook                 no webhook, e-mail off
  dead webhook               one webhook, added with allow_private, whose
                             endpoint is a port on 127.0.0.1 that accepts
                             connections and never reads nor answers: each
                             delivery waits the whole timeout (15 s)
  dead webhook, 1,000 pending
                             the same, with PENDING events waiting for it when
                             the server starts (of reports created submitted
                             through the service: two events each)
  dead webhook and SMTP, 1,000 pending
                             and e-mail on, through an SMTP port that accepts
                             and never greets, to a coordinator with an
                             address: each e-mail waits the timeout too

A round runs "no webhook" first and again after each other row, and each
row's figures are set against the mean of the two rows without a webhook on
either side of it; --repeat runs the round that many times.

After wrk, each server is kept until its dispatcher has recorded a failed
try (the webhook's attempt, or an e-mail's), and the database then says what
the dispatcher did while the row ran.
"""

import random
import socket
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from reports import create_app, db, dispatcher, service, webhooks
from reports.cli import OPERATOR
from reports.schemas.shapes import load_new_report

PENDING = 1000
# How long a server is kept after wrk for its dispatcher to record a failed try.
FAILURE_WAIT_S = webhooks.TIMEOUT_SECONDS + 10
MAIL = {"SMTP_TLS": "none", "MAIL_FROM": "reports@example.org", "PUBLIC_URL": "http://127.0.0.1"}


class Setup(NamedTuple):
    """One row: a webhook to the silent port or none, e-mail to the silent
    SMTP port or none, and how many events wait when its server starts."""

    name: str
    webhook: bool = False
    smtp: bool = False
    pending: int = 0


NONE = Setup("no webhook")
DEAD = [
    Setup("dead webhook", webhook=True),
    Setup(f"dead webhook, {PENDING:,} pending", webhook=True, pending=PENDING),
    Setup(f"dead webhook and SMTP, {PENDING:,} pending", webhook=True, smtp=True, pending=PENDING),
]


class Silent:
    """A port on 127.0.0.1 that accepts every connection and keeps it open,
    never reading from it nor writing to it: a peer that is up and never
    answers. `accepted`: how many connections it has had."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="silent", daemon=True)
        self.thread.start()

    @property
    def accepted(self):
        return len(self.held)

    def _accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(connection)

    def close(self):
        self.stopped.set()
        self.thread.join()
        self.listener.close()
        for connection in self.held:
            connection.close()


def mail_settings(smtp_port):
    """E-mail on, to the port `smtp_port` on this machine, without TLS."""
    return {**MAIL, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port}


def prepare(database, ids, setup, webhook_port, smtp_port):
    """Make `database` what `setup` says: the webhook to the silent port
    `webhook_port`, e-mail on through `smtp_port` with a coordinator who has an
    address, and `setup.pending` events waiting, of reports made submitted
    through the service (and their e-mail, once made). Returns the settings the server is to
    have beyond the bench's own."""
    settings = mail_settings(smtp_port) if setup.smtp else {}
    app = create_app({"DATABASE": str(database), **settings})
    with app.app_context():
        if setup.webhook:
            service.add_webhook(
                f"http://127.0.0.1:{webhook_port}/hook", allow_private=True, caller=OPERATOR
            )
        if setup.smtp:
            service.create_person(
                {"name": "Bench Coordinator", "role": "coordinator",
                 "email": "coordinator@example.org", "language": None, "notify": "each"},
                caller=OPERATOR,
            )  # fmt: skip
            # As the server's start does: e-mail is made from the events from now on.
            dispatcher.prepare(app)
    if setup.pending:
        # A report created submitted is two events: report.created, report.submitted.
        create_submitted(app, ids, setup.pending // 2)
    db.close_database(str(database))
    return settings


def create_submitted(app, ids, count):
    """`count` submitted reports, made through the service, 16 at a time."""
    groups = {}
    for line in Path(ids).read_text().splitlines():
        group, _, value = line.partition(" ")
        groups.setdefault(group, []).append(value)
    rng = random.Random(count)
    bodies = [
        {
            "activity_id": rng.choice(groups["activity"]),
            "peer_mentor_id": rng.choice(groups["mentor"]),
            "org_id": "org_bench",
            "status": "submitted",
            "fields": {
                "session_date": "2026-03-20",
                "attendance_count": rng.randint(0, 1000),
                "session_topic": "Budgeting",
            },
        }  # fmt: skip
        for _ in range(count)
    ]

    def create(body):
        with app.app_context():
            service.create_report(load_new_report(body), caller=OPERATOR)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, bodies))


def dispatcher_state(database):
    """What the dispatcher did, read from the database: the webhook's attempts
    (how many, the longest in ms, the last error), the events it has not had,
    and the e-mail waiting and how many of them failed a try."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tries, longest, error = connection.execute(
            "SELECT count(*), max(milliseconds), "
            "(SELECT error FROM webhook_attempt ORDER BY attempt_id DESC LIMIT 1) "
            "FROM webhook_attempt"
        ).fetchone()
        undelivered = connection.execute(
            "SELECT (SELECT max(event_id) FROM event) - min(delivered_up_to) FROM webhook"
        ).fetchone()[0]
        mail, mail_failed = connection.execute(
            "SELECT count(*), coalesce(sum(failures > 0), 0) FROM mail"
        ).fetchone()
    finally:
        connection.close()
    return {
        "webhook_tries": tries,
        "longest_try_ms": longest,
        "last_error": error,
        "undelivered_events": undelivered,
        "mail_waiting": mail,
        "mail_failed": mail_failed,
    }


def has_failed_a_try(database):
    state = dispatcher_state(database)
    return state["webhook_tries"] > 0 or state["mail_failed"] > 0


def measure_setup(run, args, setup, number, peers):
    """POST /reports on a server of its own, as `setup` says: wrk's figures,
    and what the dispatcher did meanwhile."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in setup.name).split())
    # A fresh name each time: a file made again where this process opened one is a database gone.
    database, ids = run.seeded_database(args.reports, args.data, f"outbox-{number}-{slug}.sqlite")
    tokens = run.make_tokens(database)
    webhook, smtp = peers
    settings = prepare(database, ids, setup, webhook.port, smtp.port)
    env = {**run.service_env(database, args),
           **{f"REPORTS_{name}": str(value) for name, value in settings.items()}}  # fmt: skip
    accepted = (webhook.accepted, smtp.accepted)
    row = run.Endpoint(f"POST /reports, {setup.name}", "post")
    log = args.data / f"server-outbox-{slug}.log"
    try:
        with run.serving([sys.executable, "app.py"], env, log) as (server, url):
            (measured,) = run.measure_rows(url, server, [row], ids, tokens, args).values()
            if setup.webhook or setup.smtp:
                deadline = time.monotonic() + FAILURE_WAIT_S
                while not has_failed_a_try(database) and time.monotonic() < deadline:
                    time.sleep(0.5)
        measured["dispatcher"] = {
            **dispatcher_state(database),
            "webhook_connections": webhook.accepted - accepted[0],
            "smtp_connections": smtp.accepted - accepted[1],
        }
    finally:
        run.remove_database(database)
    return measured


def measure(run, args):
    """--repeat rounds of: no webhook, then each of DEAD followed by no webhook
    again; each row of DEAD is set against the mean of the two rows without a
    webhook on either side of it, so that the machine's drift over a round
    falls on both alike."""
    webhook, smtp = Silent(), Silent()
    rounds = []
    try:
        for number in range(1, args.repeat + 1):
            peers = (webhook, smtp)
            nones = [measure_setup(run, args, NONE, f"{number}-0", peers)]
            dead = {}
            for place, setup in enumerate(DEAD, 1):
                measured = dead[setup.name] = measure_setup(run, args, setup, number, peers)
                nones.append(measure_setup(run, args, NONE, f"{number}-{place}", peers))
                before, after = nones[-2:]
                for key, ratio in (("req_per_s", "req_per_s_ratio"), ("p50_ms", "p50_ratio")):
                    measured[ratio] = measured[key] / ((before[key] + after[key]) / 2)
            rounds.append({"none_runs": nones, "dead": dead})
            print(f"  round {number}: no webhook "
                  + ", ".join(f"{none['req_per_s']:.0f}" for none in nones) + " req/s; "
                  + "; ".join(f"{name} {m['req_per_s']:.0f} req/s ({m['req_per_s_ratio']:.2f}x)"
                              for name, m in dead.items()),
                  flush=True)  # fmt: skip
    finally:
        webhook.close()
        smtp.close()
    means = {}
    for setup in DEAD:
        ratios = [each["dead"][setup.name]["req_per_s_ratio"] for each in rounds]
        p50s = [each["dead"][setup.name]["p50_ratio"] for each in rounds]
        means[setup.name] = {
            "req_per_s_ratio": sum(ratios) / len(ratios),
            "req_per_s_ratios": [min(ratios), max(ratios)],
            "p50_ratio": sum(p50s) / len(p50s),
        }
    return {"rounds": rounds, "means": means}


def failed(results):
    """Whether any row had answers other than 2xx, or socket errors."""
    return any(
        measured["non_2xx"] or measured["socket_errors"]
        for each in results["rounds"]
        for measured in [*each["none_runs"], *each["dead"].values()]
    )


def print_table(results):
    print(f"\nPOST /api/v1/reports with the outbox's peers dead, against no webhook: "
          f"{results['reports']:,} reports, {results['connections']} connections, "
          f"{results['duration_s']} s a row, each on a server of its own; \"/ none\" is against "
          "the mean of the rows without a webhook on either side")  # fmt: skip
    print(f"{'row':38} {'round':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'/ none':>7} "
          f"{'p50 / none':>10} {'non-2xx':>7}  dispatcher")  # fmt: skip
    for number, each in enumerate(results["rounds"], 1):
        rows = [(NONE.name, each["none_runs"][0])]
        for (name, measured), none in zip(each["dead"].items(), each["none_runs"][1:], strict=True):
            rows += [(name, measured), (NONE.name, none)]
        for name, m in rows:
            ratios = (
                f"{m['req_per_s_ratio']:6.2f}x {m['p50_ratio']:9.2f}x"
                if "req_per_s_ratio" in m
                else f"{'':7} {'':10}"
            )
            print(f"{name:38} {number:5} {m['req_per_s']:7.0f} {m['p50_ms']:7.2f} "
                  f"{m['p99_ms']:7.2f} {ratios} {m['non_2xx'] + m['socket_errors']:7}  "
                  f"{what_the_dispatcher_did(m['dispatcher'])}")  # fmt: skip
    print("Mean of the rounds, against no webhook: req/s (its lowest and highest round), p50")
    for name, mean in results["means"].items():
        low, high = mean["req_per_s_ratios"]
        print(f"  {name:38} {mean['req_per_s_ratio']:.2f}x ({low:.2f} to {high:.2f})  "
              f"p50 {mean['p50_ratio']:.2f}x")  # fmt: skip


def what_the_dispatcher_did(state):
    said = []
    if state["undelivered_events"] is not None:
        longest = f", {state['longest_try_ms'] / 1000:.1f} s" if state["webhook_tries"] else ""
        said.append(f"webhook: {state['webhook_tries']} failed{longest}, "
                    f"{state['undelivered_events']:,} events wait")  # fmt: skip
    if state["mail_waiting"]:
        said.append(f"e-mail: {state['mail_failed']} failed, {state['mail_waiting']:,} wait")
    return "; ".join(said) or "-"
