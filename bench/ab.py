"""The contract's endpoints on two versions of the service, side by side.

    git worktree add /tmp/before HEAD~1
    (cd /tmp/before && python bench/run.py --reports 100000 --only "GET /reports/<id>")
    python bench/ab.py --before /tmp/before \
        --database /tmp/before/bench/data/reports-100000-HASH.sqlite

Starts the service of this tree (after) and of the tree at --before, each on a
copy of the database seeded by the before tree (the after tree migrates its
copy, as any start does), with a coordinator and a mentor token in force, and
drives each endpoint with wrk on one and then the other, twice, in the
opposite order the second time. Prints each side's mean req/s and their
ratio: on a noisy machine, a ratio within about 10% of 1 is no change. Needs wrk.
"""

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import run

# The contract's endpoints, as bench/run.py names them.
ROWS = (
    "GET /reports/<id>", "GET /reports page 1", "GET /reports cursor page 1000",
    "GET /by-activity page 1", "GET /by-mentor page 1", "GET /reports filtered page 1",
    "GET /reports filtered page 1, mentor", "GET /reports search page 1",
    "POST /reports", "PUT /reports/<id>",
)  # fmt: skip


def count_reports(database):
    connection = sqlite3.connect(database)
    try:
        return connection.execute("SELECT count(*) FROM report").fetchone()[0]
    finally:
        connection.close()


def tokens_made_by(tree, database):
    """bench/run.py's make_tokens, run by the code of `tree` (the before tree,
    whose schema the seeded file has; the after tree migrates its copy, tokens
    and all, as any start does)."""
    made = subprocess.run(
        [sys.executable, "-c", MAKE_TOKENS, str(database)],
        cwd=tree, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(made.stdout.splitlines()[-1])


# Run in a tree's own folder, so that its `reports` and its `bench/run.py` are the ones imported.
MAKE_TOKENS = (
    "import json, sys; sys.path[:0] = ['', 'bench']; import run; "
    "print(json.dumps(run.make_tokens(sys.argv[1])))"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the other tree, e.g. a git worktree")
    parser.add_argument("--database", required=True, help="seeded by the before tree")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    before, seeded = Path(args.before).resolve(), Path(args.database)
    ids = Path(f"{seeded}.ids")
    if not ids.exists():
        sys.exit(f"No {ids}: --database must be seeded by bench/run.py, with its ids beside it.")
    data = args.data = run.BENCH / "data"
    data.mkdir(exist_ok=True)
    copies = {side: data / f"ab-{side}.sqlite" for side in ("base", "before", "after")}
    for leftover in data.glob("ab-*.sqlite*"):
        leftover.unlink()
    shutil.copy(seeded, copies["base"])
    tokens = tokens_made_by(before, copies["base"])
    reports = count_reports(copies["base"])
    rows = [row for row in run.endpoints(reports, copies["base"]) if row.name in ROWS]
    for side in ("before", "after"):
        shutil.copy(copies["base"], copies[side])
    commands = {
        "before": [sys.executable, str(before / "app.py")],
        "after": [sys.executable, "app.py"],
    }
    rates = {row.name: {"before": [], "after": []} for row in rows}
    with (
        run.serving(
            commands["before"], run.service_env(copies["before"], args), data / "ab-before.log"
        ) as (_, before_url),
        run.serving(
            commands["after"], run.service_env(copies["after"], args), data / "ab-after.log"
        ) as (_, after_url),
    ):
        urls = {"before": before_url, "after": after_url}
        for order in (("before", "after"), ("after", "before")):
            for row in rows:
                secret = tokens.get(row.role, "") if row.role else ""
                for side in order:
                    measured = run.wrk(urls[side], row.kind, ids, row.query, args, secret)
                    if measured["non_2xx"] or measured["socket_errors"]:
                        sys.exit(f"{side} {row.name}: {measured}")
                    rates[row.name][side].append(measured["req_per_s"])
    print(f"{'endpoint':38} {'before':>8} {'after':>8} {'after/before':>13}")
    for name, rate in rates.items():
        mean_before, mean_after = (
            sum(rate[side]) / len(rate[side]) for side in ("before", "after")
        )
        print(f"{name:38} {mean_before:8.0f} {mean_after:8.0f} {mean_after / mean_before:13.2f}")


if __name__ == "__main__":
    main()
