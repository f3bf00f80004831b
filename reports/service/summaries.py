"""The summary: the catalogue's figures per group of reports, kept while they stay."""

from decimal import ROUND_HALF_UP, Decimal

from reports import catalogue, limits, queries
from reports.db import snapshot
from reports.kept import kept_for_app

from .lists import generation_key
from .names import Names, directory_names
from .roles import seen_by

SUMMARIES_KEPT = 32
KEPT_GROUPS = 1000
# The groupings whose groups the directory names, and how it names a group.
NAMED_GROUPS = {"mentor": Names.of_mentor, "activity": Names.of_activity}


def summary(filters, group_by, *, caller):
    """Per group of the matching reports that `caller` may see, the figures of
    SummarySchema; grouped by mentor or activity, each group with the `name`
    the directory gives it after its id (None where it gives none).

    Counting every report takes a while on a large database, and a summary is
    read far more often than the reports change: the last SUMMARIES_KEPT
    answers are kept, each valid while the reports' generation (which every
    write of a report or its review moves on) is the one it was computed at.
    One of more than KEPT_GROUPS groups is counted afresh each time, within
    the limit of MAX_SEARCHES: sending it costs more than counting it, and a
    kept one could be asked for again and again without that limit. The names
    are not kept with the figures: renaming changes no report."""
    filters = seen_by(caller, filters)
    kept = kept_for_app("reports.summaries", SUMMARIES_KEPT)
    with snapshot() as db:
        key = generation_key(db, group_by, filters)
        groups = kept.get(key)
        if groups is None:
            with limits.holding("search"):
                rows = queries.summary(db, filters, group_by)
                groups = _summary_groups(rows, catalogue.live())
            if len(groups) <= KEPT_GROUPS:
                kept.put(key, groups)
    counts = [figure.name for figure in catalogue.live().figures if figure.what == "counts"]
    answer = [group | {name: dict(group[name]) for name in counts} for group in groups]
    name_of = NAMED_GROUPS.get(group_by)
    if name_of is None:
        return answer
    names = directory_names(caller=caller)
    return [
        {"group": group["group"], "name": name_of(names, group["group"]), **group}
        for group in answer
    ]


def _summary_groups(rows, form):
    """Each row of queries.summary as a group of SummaryGroupSchema: a figure
    of counts per value as an object, an average rounded, a decimal's figures
    as strings of its places."""
    groups = []
    for row in rows:
        group = {name: row[name] for name in ("group", "reports", "submitted", "drafts")}
        for figure in form.figures:
            group[figure.name] = _figure_of(row, figure)
        groups.append(group)
    return groups


def _figure_of(row, figure):
    field = figure.field
    if figure.what == "counts":
        return {
            choice.value: row[f"{figure.name}.{position}"]
            for position, choice in enumerate(field.values)
        }
    value = row[figure.name]
    if field.kind == "decimal" and figure.what in ("total", "average"):
        places = Decimal(1).scaleb(-field.places)
        total = Decimal(value or 0).scaleb(-field.places)
        if figure.what == "total":
            return str(total.quantize(places))
        counted = row[f"{figure.name}.count"]
        return None if not counted else str((total / counted).quantize(places, ROUND_HALF_UP))
    if figure.what == "average":
        return None if value is None else round(value, 2)
    return value
