"""The statements of reports themselves: a report's row, the filtered lists,
counts and summaries, and the catalogue's SQL they are built from."""

import json
from functools import lru_cache

from reports import catalogue, search

REPORT_COLUMNS = """
    report_id, activity_id, peer_mentor_id, org_id, status, fields,
    field_count, has_way_forward, submitted_at, created_at, updated_at, version,
    catalogue_version
"""

SUMMARY_COLUMNS = """
    report_id, activity_id, peer_mentor_id, status, submitted_at, created_at,
    field_count, has_way_forward
"""

MAX_SEQ = 2**63 - 1
SUBMITTED_AT = "coalesce(submitted_at, '')"

# The reports that hold every term of a search, by their seq.
MATCHES = "SELECT rowid FROM report_text WHERE report_text MATCH :q"
# The same condition, written so that it cannot lead the plan: the reports come
# in the order of an index, and each is looked up among the matches.
PROBED_MATCHES = f"+seq IN ({MATCHES})"

# The filters a list may combine; each is used only when its value is given.
# Each compares the expression an index is built on (see schema.sql, and
# layout.create_session_date_index). Those of the catalogue's fields are in CatalogueSQL.
FIXED_FILTERS = {
    # Half the reports have each status: the hint keeps the planner from
    # preferring the status index to one that narrows the list down more.
    "status": "likelihood(status = :status, 0.5)",
    "activity_id": "activity_id = :activity_id",
    "peer_mentor_id": "peer_mentor_id = :peer_mentor_id",
    # A mentor token sees its own reports only, whatever else it asks for.
    "owner": "peer_mentor_id = :owner",
    "org_id": "org_id = :org_id",
    "submitted_from": f"{SUBMITTED_AT} >= :submitted_from",
    "submitted_to": f"{SUBMITTED_AT} > '' AND {SUBMITTED_AT} < :submitted_to",
    "updated_since": "updated_at >= :updated_since",
    "has_way_forward": "has_way_forward = :has_way_forward",
    "q": f"seq IN ({MATCHES})",
    "review_state": (
        "coalesce((SELECT review_state FROM report_review AS review"
        "           WHERE review.report_id = report.report_id), 'none') = :review_state"
    ),
}


def field_value(name, row="fields"):
    """A catalogue field's stored value. Field names are [a-z][a-z0-9_]* (see
    catalogue.NAME): they go into the JSON path as they are."""
    return f"json_extract({row}, '$.{name}')"


class CatalogueSQL:
    """The expressions and statements that the catalogue decides, built once per catalogue."""

    def __init__(self, form):
        self.form = form
        # A report without a session date sorts as '' (first ascending, last descending).
        self.session_date = f"coalesce({field_value(form.session_date)}, '')"
        self.list_filters = {
            **FIXED_FILTERS,
            "session_date_from": f"{self.session_date} >= :session_date_from",
            "session_date_to": (
                f"{self.session_date} > '' AND {self.session_date} < :session_date_to"
            ),
            **{field.name: self.filter_of(field) for field in form.filters},
        }
        # The same filters, those that would lead the plan (a range of session
        # dates, a field's value) written so that they cannot: for a walk in
        # created order (see page_of_reports).
        unled = f"+{self.session_date}"
        self.walked_filters = {
            **self.list_filters,
            "session_date_from": f"{unled} >= :session_date_from",
            "session_date_to": f"{unled} > '' AND {unled} < :session_date_to",
            **{field.name: self.filter_of(field, lead=False) for field in form.filters},
        }
        listed, walked = self.list_filters, self.walked_filters
        self.unled = frozenset(name for name in listed if walked[name] != listed[name])
        self.sort_keys = {
            "created_at": "created_at",
            "submitted_at": SUBMITTED_AT,
            "session_date": self.session_date,
        }
        self.summary_groups = {
            "month": f"substr({field_value(form.session_date)}, 1, 7)",
            "mentor": "peer_mentor_id",
            "activity": "activity_id",
            "org": "org_id",
        }
        self.summary_figures, self.summary_values = self.figures()

    @staticmethod
    def filter_of(field, lead=True):
        """The condition of a field's filter; with `lead` False, one that no
        index can serve (a unary + changes no value)."""
        if field.kind == "choices":
            return (
                f"EXISTS (SELECT 1 FROM json_each(fields, '$.{field.name}')"
                f" WHERE value = :{field.name})"
            )
        return f"{'' if lead else '+'}{field_value(field.name)} = :{field.name}"

    def figures(self):
        """The summary's columns of figures, and the values they name."""
        columns, values = [], {}
        for figure in self.form.figures:
            value, name = f'"{figure.field.name}"', figure.name
            if figure.what == "total" and figure.field.kind == "decimal":
                # In hundredths (or the field's places) as an integer: summed exactly.
                scale = 10**figure.field.places
                columns.append(f'sum(CAST(round({value} * {scale}) AS INTEGER)) AS "{name}"')
            elif figure.what == "total":
                columns.append(f'coalesce(sum({value}), 0) AS "{name}"')
            elif figure.what == "average" and figure.field.kind == "decimal":
                scale = 10**figure.field.places
                columns.append(f'sum(CAST(round({value} * {scale}) AS INTEGER)) AS "{name}"')
                columns.append(f'count({value}) AS "{name}.count"')
            elif figure.what == "average":
                columns.append(f'avg({value}) AS "{name}"')
            elif figure.what == "count":
                columns.append(f'count(*) FILTER (WHERE {value} IS 1) AS "{name}"')
            else:
                for position, choice in enumerate(figure.field.values):
                    parameter = f"{name}__{position}"
                    values[parameter] = choice.value
                    if figure.field.kind == "choices":
                        chosen = (
                            f"EXISTS (SELECT 1 FROM json_each({value}) WHERE value = :{parameter})"
                        )
                    else:
                        chosen = f"{value} = :{parameter}"
                    columns.append(f'count(*) FILTER (WHERE {chosen}) AS "{name}.{position}"')
        return columns, values

    @property
    def summarised_fields(self):
        return list(dict.fromkeys(figure.field.name for figure in self.form.figures))


@lru_cache(maxsize=16)
def sql_of(form):
    return CatalogueSQL(form)


def _live():
    return sql_of(catalogue.live())


def search_query(text):
    """An FTS5 query that matches reports holding every word and "phrase" of
    `text`, each taken literally; a word ending in * matches as a prefix."""
    return search.fts_query(text)


def insert_report(db, report):
    db.execute(
        """
        INSERT INTO report (
            report_id, activity_id, peer_mentor_id, org_id, status, fields,
            field_count, has_way_forward, submitted_at, created_at, updated_at, version,
            catalogue_version
        ) VALUES (
            :report_id, :activity_id, :peer_mentor_id, :org_id, :status, :fields,
            :field_count, :has_way_forward, :submitted_at, :created_at, :updated_at, :version,
            :catalogue_version
        )
        """,
        report,
    )


def report_by_id(db, report_id):
    return db.execute(
        f"SELECT {REPORT_COLUMNS} FROM report WHERE report_id = :report_id",
        {"report_id": report_id},
    ).fetchone()


def update_report(db, report):
    db.execute(
        """
        UPDATE report
           SET status = :status,
               activity_id = :activity_id,
               fields = :fields,
               field_count = :field_count,
               has_way_forward = :has_way_forward,
               submitted_at = :submitted_at,
               updated_at = :updated_at,
               version = version + 1,
               catalogue_version = :catalogue_version
         WHERE report_id = :report_id
        """,
        report,
    )


def delete_report(db, report_id):
    """Delete one report; returns whether it was there."""
    cursor = db.execute("DELETE FROM report WHERE report_id = :report_id", {"report_id": report_id})
    return cursor.rowcount == 1


def _where(filters, *conditions, probe=False, walk=False):
    """The WHERE clause of the given filters; with `probe`, a search is looked
    up for each report rather than read first; with `walk`, no filter leads
    the plan that an order's walk would serve better (walked_filters)."""
    live = _live()
    list_filters = live.walked_filters if walk else live.list_filters
    clauses = [
        f"({PROBED_MATCHES if probe and name == 'q' else list_filters[name]})"
        for name, value in filters.items()
        if value is not None
    ]
    clauses += conditions
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _given(filters):
    """The filters that have a value, with `q` as an FTS5 query."""
    given = {name: value for name, value in filters.items() if value is not None}
    if "q" in given:
        given["q"] = search_query(given["q"])
    return given


def _order(sort):
    """(sort key expression, direction) of a sort such as '-created_at'."""
    return _live().sort_keys[sort.lstrip("-")], "DESC" if sort.startswith("-") else "ASC"


# The counts kept by schema.sql's triggers, and the filters (beside status)
# each knows the total of.
KEPT_COUNTS = {
    frozenset(): "SELECT sum(reports) FROM report_count",
    frozenset({"peer_mentor_id"}): (
        "SELECT sum(reports) FROM report_count_by_mentor WHERE peer_mentor_id = :peer_mentor_id"
    ),
    frozenset({"activity_id"}): (
        "SELECT sum(reports) FROM report_count_by_activity WHERE activity_id = :activity_id"
    ),
}


def _kept_count(filters):
    """(statement, values) that reads how many reports match from a kept count,
    or None when one must count them: with no filter but status, a mentor, an
    activity, or a mentor token's own reports."""
    given = {name: value for name, value in filters.items() if value is not None}
    owner = given.pop("owner", None)
    if owner is not None:
        if given.setdefault("peer_mentor_id", owner) != owner:
            return None
    statement = KEPT_COUNTS.get(frozenset(given) - {"status"})
    if statement is None:
        return None
    if "status" in given:
        statement += (" AND" if "WHERE" in statement else " WHERE") + " status = :status"
    return f"SELECT coalesce(({statement}), 0)", given


def counted_already(filters):
    """Whether a kept count knows how many reports match (see _kept_count)."""
    return _kept_count(filters) is not None


def count_reports(db, filters):
    """How many reports match: read from a kept count where one knows, else counted."""
    kept = _kept_count(filters)
    if kept is not None:
        return db.execute(*kept).fetchone()[0]
    filters = _given(filters)
    return db.execute(f"SELECT count(*) FROM report {_where(filters)}", filters).fetchone()[0]


def search_matches(db, filters):
    """How many reports hold every term of the search, whatever the other filters."""
    return db.execute(
        "SELECT count(*) FROM report_text WHERE report_text MATCH :q", _given({"q": filters["q"]})
    ).fetchone()[0]


def page_of_reports(db, filters, sort, limit, offset, probe=False, created_since=None):
    """Summaries of `limit` matching reports from `offset` on, in `sort` order,
    each with its `sort_key`. The offset is walked in the index alone where an
    index serves the order; only the page's rows are read. `probe`: see _where.

    With `created_since`, only the reports created since then, walked in
    created order (newest first) until the page is full: the filters that
    would lead the plan to read every report they match and sort them are
    kept from leading (walked_filters)."""
    filters = _given(filters)
    key, direction = _order(sort)
    since = () if created_since is None else ("created_at >= :created_since",)
    return db.execute(
        f"""
        SELECT {SUMMARY_COLUMNS}, seq, {key} AS sort_key
          FROM report
         WHERE seq IN (SELECT seq
                         FROM report
                         {_where(filters, *since, probe=probe, walk=bool(since))}
                        ORDER BY {key} {direction}, seq {direction}
                        LIMIT :limit OFFSET :offset)
         ORDER BY {key} {direction}, seq {direction}
        """,
        {**filters, "limit": limit, "offset": offset, "created_since": created_since},
    ).fetchall()


def created_at_of_newest(db, filters):
    """When the report filters["reports"] places after the newest was created,
    or None if there are not that many: read in the index alone."""
    row = db.execute(
        "SELECT created_at FROM report ORDER BY created_at DESC LIMIT 1 OFFSET :reports",
        {"reports": filters["reports"]},
    ).fetchone()
    return None if row is None else row[0]


def unled_filters():
    """The names of the filters that a walk in created order keeps from leading the plan."""
    return _live().unled


def page_of_reports_after(db, filters, sort, limit, after_key, after_report_id, probe=False):
    """Summaries of `limit` matching reports that follow, in `sort` order, the
    report `after_report_id` at sort key `after_key`. Its place among the
    reports of the same key is its seq, read here among the reports the caller
    may see; once it is gone (or never was one of them), the page starts at the
    first report of that key, so that none is skipped (some may come again). `probe`: see _where."""
    filters = _given(filters)
    key, direction = _order(sort)
    owned = " AND peer_mentor_id = :owner" if "owner" in filters else ""
    anchor = f"SELECT seq FROM report WHERE report_id = :after_report_id{owned}"
    following = _after(key, direction, f"coalesce(({anchor}), :no_anchor)")
    return db.execute(
        f"""
        SELECT {SUMMARY_COLUMNS}, seq, {key} AS sort_key
          FROM report
          {_where(filters, following, probe=probe)}
         ORDER BY {key} {direction}, seq {direction}
         LIMIT :limit
        """,
        {
            **filters,
            "limit": limit,
            "after_key": after_key,
            "after_report_id": after_report_id,
            # Before every seq in the order: after the last, when descending.
            "no_anchor": MAX_SEQ if direction == "DESC" else 0,
        },
    ).fetchall()


def _after(key, direction, seq=":after_seq"):
    """The keyset condition: the rows that follow (:after_key, `seq`) in the order."""
    beyond = "<" if direction == "DESC" else ">"
    return f"({key}, seq) {beyond} (:after_key, {seq})"


def chunk_of_reports(db, filters, sort, limit, after=None):
    """`limit` matching reports, whole, in `sort` order: the first ones, or
    those that follow `after` (sort key, seq). Each row is the report's
    columns, then its `seq` and `sort_key`, then its review's four (nulls where
    it has none)."""
    filters = _given(filters)
    key, direction = _order(sort)
    conditions = () if after is None else (_after(key, direction),)
    after_key, after_seq = after if after is not None else (None, None)
    # The report is the outer loop, read in the order of the sort's index, and
    # its review is looked up by id: no sort of the chunk.
    return db.execute(
        f"""
        SELECT {REPORT_COLUMNS.replace("report_id", "report.report_id", 1)},
               seq, {key} AS sort_key, review.review_state,
               review.comment AS review_comment, review.reviewed_by, review.reviewed_at
          FROM report
          LEFT JOIN report_review AS review ON review.report_id = report.report_id
          {_where(filters, *conditions)}
         ORDER BY {key} {direction}, seq {direction}
         LIMIT :limit
        """,
        {**filters, "limit": limit, "after_key": after_key, "after_seq": after_seq},
    ).fetchall()


def deleted_reports(db, since, owner):
    """The reports deleted at or after `since` (all, when None), oldest first;
    only `owner`'s when it is given."""
    return db.execute(
        """
        SELECT report_id, changed_at AS deleted_at
          FROM report_change
         WHERE action = 'delete'
           AND changed_at >= coalesce(:since, '')
           AND (:owner IS NULL OR peer_mentor_id = :owner)
           -- A report restored since is not gone.
           AND NOT EXISTS (SELECT 1 FROM report WHERE report.report_id = report_change.report_id)
         ORDER BY changed_at, change_id
        """,
        {"since": since, "owner": owner},
    )


def report_generation(db):
    """The number every write of a report or its review moves on."""
    return db.execute("SELECT generation FROM report_generation").fetchone()[0]


def summary(db, filters, group_by):
    """Per group of the matching reports: how many, of each status, and the
    catalogue's figures, computed by SQLite over the stored fields."""
    filters = _given(filters)
    sql = _live()
    group = sql.summary_groups[group_by]
    figures = "".join(f",\n               {column}" for column in sql.summary_figures)
    values = "".join(
        f',\n                       {field_value(name)} AS "{name}"'
        for name in sql.summarised_fields
    )
    return db.execute(
        f"""
        SELECT grouped."group",
               count(*) AS reports,
               count(*) FILTER (WHERE status = 'submitted') AS submitted,
               count(*) FILTER (WHERE status = 'draft') AS drafts{figures}
          FROM (SELECT {group} AS "group",
                       status{values}
                  FROM report
                  {_where(filters)}) AS grouped
         GROUP BY grouped."group"
         ORDER BY grouped."group" IS NULL, grouped."group"
        """,
        {**filters, **sql.summary_values},
    ).fetchall()


def touch_report(db, report_id, updated_at):
    """A new version of the report whose row did not change, such as after a review."""
    db.execute(
        """
        UPDATE report
           SET updated_at = :updated_at, version = version + 1
         WHERE report_id = :report_id
        """,
        {"report_id": report_id, "updated_at": updated_at},
    )


def details_of_listed_reports(db, report_ids):
    """For each of the reports, what a list of them shows besides its summary:
    the session's date, its title, and the review (nulls while it has none)."""
    form = catalogue.live()
    title = field_value(form.title, "report.fields") if form.title else "NULL"
    return db.execute(
        f"""
        SELECT report.report_id,
               {field_value(form.session_date, "report.fields")} AS session_date,
               {title} AS title,
               review.review_state, review.comment, review.reviewed_by, review.reviewed_at
          FROM report
          LEFT JOIN report_review AS review ON review.report_id = report.report_id
         WHERE report.report_id IN (SELECT value FROM json_each(:report_ids))
        """,
        {"report_ids": json.dumps(list(report_ids))},
    ).fetchall()
