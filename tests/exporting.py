"""What the tests of exports and imports share: texts that a CSV or a
spreadsheet could mangle, and ways to read back what an instance holds. Their
fixtures (awkward_reports, reviewed, second_app) are in conftest.py."""

import json

REPORTS = "/api/v1/reports"
# Text that a CSV or a spreadsheet could mangle, each in a report of its own.
AWKWARD = [
    'commas, and "quotes"',
    "two\nlines\r\nand CRLF",
    "emoji 🎉 and ünïcödé",
    '=HYPERLINK("http://evil")',
    "+49 30 1234",
    "-minus",
    "@mention",
    "\tleading tab",
    "\rleading CR",
    "'already quoted",
    "مرحبا، هذا نص من اليمين إلى اليسار",
    "_x0041_ looks like an escape",
    "",
]
RIGHT_TO_LEFT = AWKWARD[10]


def api_reports(client, ids):
    """Each report as GET reads it, with its review as GET .../review reads it."""
    reports = {}
    for report_id in ids:
        review = client.get(f"{REPORTS}/{report_id}/review").json
        del review["report_id"]
        reports[report_id] = {**client.get(f"{REPORTS}/{report_id}").json, "review": review}
    return reports


def import_file(app, path, *options):
    return app.test_cli_runner().invoke(args=["import", str(path), *options])


def every_report(app, headers=None):
    """Every report of an instance, with its review, in the order of their ids;
    `headers` carry a token once the instance has one."""
    client = app.test_client()
    lines = (
        client.get(f"{REPORTS}?format=ndjson&sort=created_at", headers=headers or {})
        .data.decode()
        .splitlines()
    )
    return sorted(map(json.loads, lines), key=lambda report: report["report_id"])
