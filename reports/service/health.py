"""The operator's checks: the database can be written; the reports the catalogue refuses."""

import json

from flask import current_app
from marshmallow import ValidationError

from reports import queries
from reports.db import check_file, free_megabytes, get_db, snapshot, write
from reports.read_only import is_read_only
from reports.schemas import CalendarDate, shapes_of

# Reports `catalogue check` reads in one snapshot.
CHECK_CHUNK = 1000
NOT_IN_CATALOGUE = "no longer in the catalogue (value kept)"


def catalogue_misfits(form):
    """Each report whose stored fields the catalogue `form` would refuse now, as
    (report_id, [(field, why), ...]), in order of creation: values of fields it no
    longer has, values its rules refuse, and for a submitted report, a field it
    requires that the report lacks (which would refuse the report's next change).
    The reports are read CHECK_CHUNK at a time, each chunk in a snapshot of its own.

    A date is checked as a real YYYY-MM-DD but not held to `not_after_tomorrow`:
    that rule is about the day a value is written, so it can only flag a date
    that was in the future when it was stored and a field that had the rule off;
    such a value is not wrong in itself, and the next change keeps it."""
    schema = shapes_of(form).fields_schema()
    for field in schema.fields.values():
        if isinstance(field, CalendarDate):
            field.not_after_tomorrow = False
    after = 0
    while True:
        with snapshot() as db:
            rows = queries.fields_of_reports_after(db, after, CHECK_CHUNK)
        for row in rows:
            problems = _misfits(json.loads(row["fields"]), row["status"], form, schema)
            if problems:
                yield row["report_id"], problems
        if len(rows) < CHECK_CHUNK:
            return
        after = rows[-1]["seq"]


def _misfits(fields, status, form, schema):
    known = {name: value for name, value in fields.items() if name in form.by_name}
    try:
        schema.load(known)
        messages = {}
    except ValidationError as error:
        messages = error.messages
    problems = []
    for name in fields:
        if name not in known:
            problems.append((name, NOT_IN_CATALOGUE))
        elif name in messages:
            problems.extend((name, why) for why in _flat_messages(messages[name]))
    if status == "submitted":
        problems += [
            (name, "Required to submit the report, and this submitted report has none.")
            for name in form.required
            if name not in fields
        ]
    return problems


def _flat_messages(messages, where=""):
    """A field's marshmallow messages as lines; those of one value of a list say which."""
    if isinstance(messages, dict):
        return [
            line
            for index, nested in messages.items()
            for line in _flat_messages(nested, f"value {int(index) + 1}: ")
        ]
    return [f"{where}{message}" for message in messages]


class Unhealthy(Exception):
    """The service cannot promise that a write would succeed."""


def check_health(min_free_mb=0):
    """Read the database, and write to it without changing anything; what fails
    raises. A tiny write fits in the WAL's spare room on a full disk, so less
    free space than `min_free_mb` is a failure too. A read-only copy is only read."""
    # The file itself, not the requests' last look at it.
    check_file(current_app.config["DATABASE"])
    if is_read_only():
        queries.count_reports(get_db(), {})
        return
    free = free_megabytes(current_app.config["DATABASE"])
    if free < min_free_mb:
        raise Unhealthy(
            f"the disk holding the database has {free:.1f} MiB free, under MIN_FREE_MB "
            f"({min_free_mb})"
        )
    queries.count_reports(get_db(), {})
    write(queries.rewrite_a_count)
