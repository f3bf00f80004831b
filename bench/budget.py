"""The request budget and its goals, and the tables that hold a run up to them
(`python bench/run.py --budget`).

In process (bench/inprocess.py), each contract endpoint may cost this many
microseconds above a bare Flask route; a write, this many before its commit
(above the bare route, less the commit's sync to disk). On the wire, in the
same run as bare Flask on waitress and Datasette on a copy of the same file,
each endpoint's req/s is held up to a share of bare Flask's and a multiple of
Datasette's.
"""

# Microseconds above the bare route, in process, every feature on.
BUDGET_US = {
    "GET /reports/<id>": 60,
    "GET /reports page 1": 120,
    "GET /reports cursor page": 120,
    "GET /by-activity page 1": 120,
    "GET /by-mentor page 1": 120,
    "GET /reports filtered page 1": 300,
    "GET /reports search page 1": 1000,
    # Before the commit: above the bare route, less the commit's sync.
    "POST /reports": 150,
    "PUT /reports/<id>": 150,
}
WRITES = ("POST /reports", "PUT /reports/<id>")
SYNC = "the commit's sync"

# On the wire: req/s as a share of bare Flask's (POST with synchronous=FULL, as served).
SHARE_GOALS = {
    "GET /reports/<id>": 0.75,
    "GET /by-mentor page 1": 0.50,  # a mentor's page of 20
    "GET /reports page 1": 0.50,
    "POST /reports": 0.40,
}
# Our req/s against Datasette's row doing the same work.
PEER_GOALS = {
    ("GET /reports/<id>", "Datasette row by primary key"): 3.0,
    ("GET /by-mentor page 1", "Datasette mentor's 20, no facets"): 5.0,
}


def in_process_verdicts(measured):
    """{endpoint: {"us", "budget_us", "met"}}: each budgeted endpoint's cost
    above the bare route (before the commit, for a write) against its budget."""
    verdicts = {}
    for name, budget in BUDGET_US.items():
        row = measured["endpoints"].get(name)
        if row is None:
            continue
        cost = row["above_bare"]
        if name in WRITES:
            cost -= row["stages"].get(SYNC, 0)
        verdicts[name] = {"us": cost, "budget_us": budget, "met": cost <= budget}
    return verdicts


def wire_verdicts(ours, bare_req_per_s, peer_rows):
    """{"shares": {endpoint: …}, "peer": {"ours / theirs": …}}, each with its
    figure, its goal and whether it is met; a peer row not measured is left out."""
    shares = {
        name: _verdict(ours[name]["req_per_s"] / bare_req_per_s, goal)
        for name, goal in SHARE_GOALS.items()
        if name in ours
    }
    peer = {
        f"{our} / {theirs}": _verdict(ours[our]["req_per_s"] / peer_rows[theirs]["req_per_s"], goal)
        for (our, theirs), goal in PEER_GOALS.items()
        if our in ours and theirs in peer_rows
    }
    return {"shares": shares, "peer": peer}


def _verdict(figure, goal):
    return {"figure": figure, "goal": goal, "met": figure >= goal}


def print_budget(verdicts):
    print("\nThe budget in process: µs above the bare route (a write: before its commit)")
    print(f"{'endpoint':30} {'µs':>8} {'budget':>8}")
    for name, row in verdicts.items():
        print(f"{name:30} {row['us']:8.0f} {row['budget_us']:8d}  {_met(row)}")


def print_wire(results):
    wire = results["wire"]
    print(f"\nOn the wire, {results['reports']:,} reports, {results['connections']} "
          f"connections, {results['duration_s']} s a row; bare Flask: "
          f"{wire['bare_req_per_s']:.0f} req/s")  # fmt: skip
    print(f"{'endpoint':30} {'req/s':>8} {'p50 ms':>8} {'share':>8} {'goal':>8}")
    for name, verdict in wire["verdicts"]["shares"].items():
        row = wire["ours"][name]
        print(f"{name:30} {row['req_per_s']:8.0f} {row['p50_ms']:8.2f} "
              f"{verdict['figure']:8.0%} {verdict['goal']:8.0%}  {_met(verdict)}")  # fmt: skip
    for name, row in wire["peer_rows"].items():
        print(f"{name:30} {row['req_per_s']:8.0f} {row['p50_ms']:8.2f}")
    for name, verdict in wire["verdicts"]["peer"].items():
        print(f"  ours / Datasette's: {name} = {verdict['figure']:.1f}x "
              f"(goal {verdict['goal']:.0f}x)  {_met(verdict)}")  # fmt: skip


def _met(verdict):
    return "met" if verdict["met"] else "missed"
