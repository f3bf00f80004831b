"""Whether a heavy page starves the cheap requests: `python bench/run.py --contention`.

The server runs as in production, with its own MAX_SEARCHES (no setting of
the bench's). For each flood of FLOODS, 16 clients (--connections) ask for a
heavy page or search for --duration seconds, while one client asks for a
report by id and another for /healthz; each probe's p50 and p99 are set
against the same probe's on the quiet server, measured in the same run before
the floods and after them (their mean). A page flood's clients share a
coordinator's session, signed in as a browser does; an API flood bears the
coordinator's token, as the probe by id does. A refusal (a 503 of the limits,
a 422 of a page too deep) is counted as the flood's non-2xx, not hidden.

A flood with a goal passes when the probe by id's p99 stays under it in every
run (--repeat runs each flood that many times). Needs wrk.
"""

import subprocess
import time
from pathlib import Path

import pages

# A word of every prefix is in every seeded report with notes: the heaviest
# search the API allows (8 words, none shorter than 2 letters), about 70,000
# matches at 100,000 reports.
HEAVIEST_SEARCH = "gr*%20di*%20ne*%20st*%20tw*%20pa*%20as*%20re*"
# The deep pages of the submitted reports, 100 a page in the API and 20 on the
# table: the same reports, 30,000 to 70,000 deep.
API_DEEP_PAGES = range(300, 701, 50)
TABLE_DEEP_PAGES = range(1500, 3501, 250)
# (name, path, who: "page" with a session, "api" with a token, goal p99 ms of the probe by id)
FLOODS = [
    # Two floods of cheap answers, to set the others against: what any flood
    # of 16 clients costs the probes.
    ("API summary by mentor", "/api/v1/reports/summary?group_by=mentor", "api", None),
    ("table, page 1", "/reports", "page", None),
    ("summary page by mentor", "/summary?group_by=mentor", "page", None),
    ("summary page by activity", "/summary?group_by=activity", "page", None),
    ("table, deep filtered pages", "/reports?status=submitted&page={tablepage}", "page", None),
    ("API, deep filtered pages",
     "/api/v1/reports?status=submitted&limit=100&page={apipage}", "api", None),
    ("API, heaviest search", f"/api/v1/reports?limit=20&q={HEAVIEST_SEARCH}", "api", 100),
]  # fmt: skip
PROBES = {"GET /reports/<id>": ("get", ""), "GET /healthz": ("path", "/healthz")}
# Seconds the flood runs before the probes start, so that they meet it at full strength.
RAMP_S = 2


def flood_ids(ids, out):
    """The ids file `ids` with the deep pages' numbers added, as `out`."""
    lines = [Path(ids).read_text().rstrip("\n")]
    lines += [f"apipage {page}" for page in API_DEEP_PAGES]
    lines += [f"tablepage {page}" for page in TABLE_DEEP_PAGES]
    out.write_text("\n".join(lines) + "\n")
    return out


def session_cookie(url, secret):
    """The Cookie header of a browser signed in with the token `secret`."""
    browser = pages.Browser(url)
    try:
        browser.sign_in(secret)
    finally:
        browser.close()
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def probe(run, url, ids, args, token, seconds):
    """Each probe of PROBES, one connection each, side by side: {name: measured}."""
    started = {
        name: subprocess.Popen(
            run.wrk_command(url, kind, ids, query, args, token, 1, seconds),
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name, (kind, query) in PROBES.items()
    }
    return {name: finished(run, process) for name, process in started.items()}


def finished(run, process):
    """What the wrk `process` measured, once it ends."""
    output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk ended with {process.returncode}")
    return run.wrk_result(output)


def flooded(run, url, ids, args, token, cookie, path, who):
    """The probes while the flood of `path` runs, and the flood's own figures."""
    command = run.wrk_command(
        url, "path", ids, path, args,
        token if who == "api" else "", args.connections, args.duration + RAMP_S + 1,
        cookie if who == "page" else "",
    )  # fmt: skip
    flood = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(RAMP_S)
        probes = probe(run, url, ids, args, token, args.duration)
    finally:
        measured = finished(run, flood)
    return {"flood": measured, "probes": probes}


def measure(run, url, ids, tokens, cookie, args, only=""):
    """The quiet probes, each flood of FLOODS (--repeat times), the quiet probes again."""
    token = tokens["coordinator"]
    first = probe(run, url, ids, args, token, args.duration)
    floods = {}
    for name, path, who, goal in FLOODS:
        if only not in name:
            continue
        runs = []
        for number in range(args.repeat):
            runs.append(flooded(run, url, ids, args, token, cookie, path, who))
            print(f"  {name}, run {number + 1}: by id p99 "
                  f"{runs[-1]['probes']['GET /reports/<id>']['p99_ms']:.1f} ms")  # fmt: skip
        floods[name] = {"path": path, "who": who, "goal_ms": goal, "runs": runs}
    last = probe(run, url, ids, args, token, args.duration)
    quiet = {
        name: {key: (first[name][key] + last[name][key]) / 2 for key in ("p50_ms", "p99_ms")}
        for name in PROBES
    }
    for flood in floods.values():
        for each in flood["runs"]:
            for name, measured in each["probes"].items():
                measured["p99_ratio"] = measured["p99_ms"] / quiet[name]["p99_ms"]
        flood["verdict"] = verdict(flood)
    return {"quiet": quiet, "quiet_runs": [first, last], "floods": floods}


def verdict(flood):
    """PASS or FAIL against the flood's goal, or None when it has none."""
    if flood["goal_ms"] is None:
        return None
    worst = max(each["probes"]["GET /reports/<id>"]["p99_ms"] for each in flood["runs"])
    return "PASS" if worst < flood["goal_ms"] else "FAIL"


def passed(results):
    return all(flood["verdict"] != "FAIL" for flood in results["floods"].values())


def print_table(results):
    print(f"\nContention at {results['reports']:,} reports: {results['connections']} clients "
          f"flood each row for {results['duration_s']} s, while one client asks for a report "
          "by id and one for /healthz; MAX_SEARCHES is the server's default; each ×quiet is "
          "the p99 against the same probe's on the quiet server in this run")  # fmt: skip
    print(f"{'flood':28} {'run':>3} {'req/s':>7} {'non-2xx':>8} {'by id p50':>10} "
          f"{'by id p99':>10} {'×quiet':>7} {'healthz p50':>12} {'healthz p99':>12} "
          f"{'×quiet':>7}  verdict")  # fmt: skip
    by_id, health = (results["quiet"][name] for name in PROBES)
    print(
        f"{'quiet (no flood)':28} {'':>3} {'':>7} {'':>8} {by_id['p50_ms']:10.2f} "
        f"{by_id['p99_ms']:10.2f} {'':>7} {health['p50_ms']:12.2f} {health['p99_ms']:12.2f}"
    )
    for name, flood in results["floods"].items():
        for number, each in enumerate(flood["runs"], 1):
            by_id, health = (each["probes"][probe_name] for probe_name in PROBES)
            print(f"{name:28} {number:3} {each['flood']['req_per_s']:7.0f} "
                  f"{each['flood']['non_2xx']:8} {by_id['p50_ms']:10.2f} {by_id['p99_ms']:10.2f} "
                  f"{by_id['p99_ratio']:6.1f}x {health['p50_ms']:12.2f} "
                  f"{health['p99_ms']:12.2f} {health['p99_ratio']:6.1f}x  "
                  f"{flood['verdict'] or ''}")  # fmt: skip
        print(f"{'':28}     {flood['path']}")
