"""Every SQL statement of the service, one small function each."""

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
# session_date_index below). Those of the catalogue's fields are in CatalogueSQL.
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
    def filter_of(field):
        if field.kind == "choices":
            return (
                f"EXISTS (SELECT 1 FROM json_each(fields, '$.{field.name}')"
                f" WHERE value = :{field.name})"
            )
        return f"{field_value(field.name)} = :{field.name}"

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


def _where(filters, *conditions, probe=False):
    """The WHERE clause of the given filters; with `probe`, a search is looked
    up for each report rather than read first."""
    list_filters = _live().list_filters
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


def page_of_reports(db, filters, sort, limit, offset, probe=False):
    """Summaries of `limit` matching reports from `offset` on, in `sort` order,
    each with its `sort_key`. The offset is walked in the index alone where an
    index serves the order; only the page's rows are read. `probe`: see _where."""
    filters = _given(filters)
    key, direction = _order(sort)
    return db.execute(
        f"""
        SELECT {SUMMARY_COLUMNS}, seq, {key} AS sort_key
          FROM report
         WHERE seq IN (SELECT seq
                         FROM report
                         {_where(filters, probe=probe)}
                        ORDER BY {key} {direction}, seq {direction}
                        LIMIT :limit OFFSET :offset)
         ORDER BY {key} {direction}, seq {direction}
        """,
        {**filters, "limit": limit, "offset": offset},
    ).fetchall()


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


def idempotency_key(db, caller, key):
    """The request hash and report of a key that `caller` used, or None."""
    return db.execute(
        "SELECT request_hash, report FROM idempotency_key WHERE caller = :caller AND key = :key",
        {"caller": caller, "key": key},
    ).fetchone()


def insert_idempotency_key(db, caller, key, request_hash, report, created_at):
    db.execute(
        """
        INSERT INTO idempotency_key (caller, key, request_hash, report, created_at)
        VALUES (:caller, :key, :request_hash, :report, :created_at)
        """,
        {
            "caller": caller,
            "key": key,
            "request_hash": request_hash,
            "report": report,
            "created_at": created_at,
        },
    )


def delete_idempotency_keys_before(db, cutoff):
    """Forget the keys used before then; returns how many."""
    return db.execute(
        "DELETE FROM idempotency_key WHERE created_at < :cutoff", {"cutoff": cutoff}
    ).rowcount


def insert_report_change(db, change):
    """Record a change; returns its change_id."""
    return db.execute(
        """
        INSERT INTO report_change (report_id, peer_mentor_id, version, action, actor, changed_at,
                                   catalogue_version)
        VALUES (:report_id, :peer_mentor_id, :version, :action, :actor, :changed_at,
                :catalogue_version)
        """,
        change,
    ).lastrowid


def insert_change_detail(db, change_id, detail):
    db.execute(
        "INSERT INTO report_change_detail (change_id, detail) VALUES (:change_id, :detail)",
        {"change_id": change_id, "detail": detail},
    )


def changes_of_report(db, report_id):
    """Every recorded change of a report, oldest first, with its detail."""
    return db.execute(
        """
        SELECT change.action, change.actor, change.changed_at, change.version,
               change.catalogue_version, detail.detail
          FROM report_change AS change
          LEFT JOIN report_change_detail AS detail USING (change_id)
         WHERE change.report_id = :report_id
         ORDER BY change.change_id
        """,
        {"report_id": report_id},
    ).fetchall()


def report_id_ever_used(db, report_id):
    """Whether a report ever had this id: one that exists, is in the trash, or
    was deleted or purged, so that no id is ever given twice."""
    return db.execute(
        """
        SELECT EXISTS (SELECT 1 FROM report WHERE report_id = :report_id)
            OR EXISTS (SELECT 1 FROM report_trash WHERE report_id = :report_id)
            OR EXISTS (SELECT 1 FROM report_change WHERE report_id = :report_id)
        """,
        {"report_id": report_id},
    ).fetchone()[0]


def review_of(db, report_id):
    return db.execute(
        """
        SELECT review_state, comment, reviewed_by, reviewed_at
          FROM report_review
         WHERE report_id = :report_id
        """,
        {"report_id": report_id},
    ).fetchone()


def save_review(db, review):
    db.execute(
        """
        INSERT INTO report_review (report_id, review_state, comment, reviewed_by, reviewed_at)
        VALUES (:report_id, :review_state, :comment, :reviewed_by, :reviewed_at)
        ON CONFLICT (report_id) DO UPDATE
           SET review_state = excluded.review_state,
               comment = excluded.comment,
               reviewed_by = excluded.reviewed_by,
               reviewed_at = excluded.reviewed_at
        """,
        review,
    )


def delete_review(db, report_id):
    db.execute("DELETE FROM report_review WHERE report_id = :report_id", {"report_id": report_id})


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


def put_in_trash(db, entry):
    db.execute(
        """
        INSERT INTO report_trash (report_id, report, review, deleted_at, deleted_by)
        VALUES (:report_id, :report, :review, :deleted_at, :deleted_by)
        """,
        entry,
    )


def trashed_report(db, report_id):
    return db.execute(
        """
        SELECT report_id, report, review, deleted_at, deleted_by
          FROM report_trash
         WHERE report_id = :report_id
        """,
        {"report_id": report_id},
    ).fetchone()


def take_from_trash(db, report_id):
    db.execute("DELETE FROM report_trash WHERE report_id = :report_id", {"report_id": report_id})


def trash(db):
    """Every report in the trash, the most recently deleted first, with its title."""
    form = catalogue.live()
    title = field_value(form.title, "json_extract(report, '$.fields')") if form.title else "NULL"
    return db.execute(
        f"""
        SELECT report_id, json_extract(report, '$.peer_mentor_id') AS peer_mentor_id,
               json_extract(report, '$.activity_id') AS activity_id,
               {title} AS title,
               deleted_at, deleted_by
          FROM report_trash
         ORDER BY deleted_at DESC, report_id
        """
    ).fetchall()


def purge_trash(db, deleted_before):
    """Delete for good what was put in the trash before then, and every other
    copy of what those reports said: what their history's changes were (that
    they changed, when and by whom stays), and the bodies kept for their
    Idempotency-Keys. Returns how many reports were purged."""
    purged = {"deleted_before": deleted_before}
    db.execute(
        """
        DELETE FROM report_change_detail
         WHERE change_id IN (SELECT change_id FROM report_change
                              WHERE report_id IN (SELECT report_id FROM report_trash
                                                   WHERE deleted_at < :deleted_before))
        """,
        purged,
    )
    db.execute(
        """
        DELETE FROM idempotency_key
         WHERE json_extract(report, '$.report_id') IN (SELECT report_id FROM report_trash
                                                        WHERE deleted_at < :deleted_before)
        """,
        purged,
    )
    deleted = db.execute("DELETE FROM report_trash WHERE deleted_at < :deleted_before", purged)
    return deleted.rowcount


def optimize_search_index(db):
    """Merge the search index into one segment: what removals left behind in
    the older segments (the words of deleted reports) is dropped."""
    db.execute("INSERT INTO report_text (report_text) VALUES ('optimize')")


def token_by_secret_hash(db, secret_hash):
    """The token in force with this secret hash, or None."""
    return db.execute(
        """
        SELECT name, role, peer_mentor_id, last_used_at
          FROM api_token
         WHERE secret_hash = :secret_hash AND revoked_at IS NULL
        """,
        {"secret_hash": secret_hash},
    ).fetchone()


def access(db):
    """Whether any token is in force (`guarded`), and whether the API is open
    while none is (`open`): one statement, asked on every request without a valid token."""
    return db.execute(
        """
        SELECT EXISTS (SELECT 1 FROM api_token WHERE revoked_at IS NULL) AS guarded,
               (SELECT open_without_token FROM api_access) AS open
        """
    ).fetchone()


def set_open_without_token(db, is_open):
    db.execute("UPDATE api_access SET open_without_token = :open", {"open": int(is_open)})


def any_token_in_force(db):
    return db.execute(
        "SELECT EXISTS (SELECT 1 FROM api_token WHERE revoked_at IS NULL)"
    ).fetchone()[0]


def token_by_name(db, name):
    return db.execute(
        """
        SELECT name, role, peer_mentor_id, created_at, last_used_at, revoked_at
          FROM api_token
         WHERE name = :name
        """,
        {"name": name},
    ).fetchone()


def all_tokens(db):
    return db.execute(
        """
        SELECT name, role, peer_mentor_id, created_at, last_used_at, revoked_at
          FROM api_token
         ORDER BY created_at, name
        """
    ).fetchall()


def insert_token(db, token):
    db.execute(
        """
        INSERT INTO api_token (name, role, peer_mentor_id, secret_hash, created_at)
        VALUES (:name, :role, :peer_mentor_id, :secret_hash, :created_at)
        """,
        token,
    )


def revoke_token(db, name, revoked_at):
    db.execute(
        "UPDATE api_token SET revoked_at = :revoked_at WHERE name = :name AND revoked_at IS NULL",
        {"name": name, "revoked_at": revoked_at},
    )


def mark_token_used(db, name, used_at, not_since):
    """Record a use, unless one was recorded after `not_since`."""
    db.execute(
        """
        UPDATE api_token
           SET last_used_at = :used_at
         WHERE name = :name AND (last_used_at IS NULL OR last_used_at <= :not_since)
        """,
        {"name": name, "used_at": used_at, "not_since": not_since},
    )


def rewrite_a_count(db):
    """A write that changes no data: it proves the file can be written."""
    db.execute("UPDATE report_count SET reports = reports WHERE status = 'draft'")


def token_in_force_by_name(db, name):
    """The token of this name, unless it is revoked; or None."""
    return db.execute(
        """
        SELECT name, role, peer_mentor_id, last_used_at
          FROM api_token
         WHERE name = :name AND revoked_at IS NULL
        """,
        {"name": name},
    ).fetchone()


def insert_sign_in_link(db, link):
    db.execute(
        """
        INSERT INTO sign_in_link (secret_hash, token_name, expires_at)
        VALUES (:secret_hash, :token_name, :expires_at)
        """,
        link,
    )


def sign_in_link_token(db, secret_hash, now):
    """The token in force that an unexpired link names, or None."""
    return db.execute(
        """
        SELECT token.name, token.role, token.peer_mentor_id, token.last_used_at
          FROM sign_in_link AS link
          JOIN api_token AS token ON token.name = link.token_name
         WHERE link.secret_hash = :secret_hash AND link.expires_at > :now
           AND token.revoked_at IS NULL
        """,
        {"secret_hash": secret_hash, "now": now},
    ).fetchone()


def take_sign_in_link(db, secret_hash):
    """Delete the link; returns whether it was there (and so is used now, once)."""
    cursor = db.execute(
        "DELETE FROM sign_in_link WHERE secret_hash = :secret_hash", {"secret_hash": secret_hash}
    )
    return cursor.rowcount == 1


def delete_sign_in_links_expired_by(db, now):
    db.execute("DELETE FROM sign_in_link WHERE expires_at <= :now", {"now": now})


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


# The indexes built from the catalogue (see db.fit_to_catalogue) -------------


def catalogue_layout(db):
    """What the catalogue-built indexes were built from, or None if unknown."""
    row = db.execute("SELECT layout FROM catalogue_layout").fetchone()
    return None if row is None else json.loads(row[0])


def save_catalogue_layout(db, layout):
    db.execute(
        "INSERT INTO catalogue_layout (only, layout) VALUES (1, :layout)"
        " ON CONFLICT (only) DO UPDATE SET layout = excluded.layout",
        {"layout": json.dumps(layout)},
    )


def table_exists(db, name):
    found = db.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = :name", {"name": name}
    )
    return found.fetchone() is not None


def count_all_reports(db):
    return db.execute("SELECT count(*) FROM report").fetchone()[0]


def drop_session_date_index(db):
    db.execute("DROP INDEX IF EXISTS report_by_session_date")


def create_session_date_index(db, session_date, indexed_filters):
    """The index of the session date, with the status and the filter fields a
    coordinator narrows a period by, so that counting "submitted in March,
    follow-up needed" reads the index alone. It is built on the very
    expressions the queries use (CatalogueSQL)."""
    columns = [
        f"coalesce({field_value(session_date)}, '')",
        "status",
        *(field_value(name) for name in indexed_filters),
        "has_way_forward",
        "created_at",
    ]
    listed = ",\n    ".join(columns)
    db.execute(f"CREATE INDEX IF NOT EXISTS report_by_session_date ON report (\n    {listed}\n)")


SEARCH_TRIGGERS = ("report_text_on_insert", "report_text_on_update", "report_text_on_delete")
# How the search index reads text: see create_search_index.
TOKENIZE = "unicode61 remove_diacritics 2 categories ''L* N* Co So''"


def drop_search_index(db):
    for trigger in SEARCH_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS report_text")


def create_search_index(db, searchable):
    """Full-text search over the searchable fields of each report (rowid =
    report.seq), kept by triggers in the same transaction as every write. It
    keeps no copy of the text (content='') and no column sizes (no ranking), so
    that a write costs as few pages as it can; a removal therefore names the old
    text. It indexes the text as search_text() gives it (reports/search.py,
    registered on every connection of the service): each CJK ideograph, kana
    and emoji a word of its own; symbols (category So, emoji among them) are
    word characters. With no searchable field, it has one column that stays empty."""
    columns = ", ".join(searchable or ("nothing_searchable",))
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5 (\n"
        f"    {columns},\n"
        f"    content = '', columnsize = 0,\n"
        f"    tokenize = '{TOKENIZE}'\n)"
    )
    if not searchable:
        return

    def texts(row):
        return ", ".join(
            f"search_text({field_value(name, f'{row}.fields')})" for name in searchable
        )

    add = f"INSERT INTO report_text (rowid, {columns}) VALUES (NEW.seq, {texts('NEW')});"
    remove = (
        f"INSERT INTO report_text (report_text, rowid, {columns})"
        f" VALUES ('delete', OLD.seq, {texts('OLD')});"
    )
    triggers = {
        "report_text_on_insert": ("AFTER INSERT", add),
        "report_text_on_update": ("AFTER UPDATE OF fields", f"{remove}\n    {add}"),
        "report_text_on_delete": ("AFTER DELETE", remove),
    }
    for name, (event, body) in triggers.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {event} ON report\nBEGIN\n    {body}\nEND")


def fill_search_index(db, searchable, after_seq, limit):
    """Index the text of `limit` reports after seq `after_seq`; returns the
    last seq indexed, None when there were none."""
    columns = ", ".join(searchable)
    texts = ", ".join(f"search_text({field_value(name)})" for name in searchable)
    last = db.execute(
        "SELECT max(seq) FROM"
        " (SELECT seq FROM report WHERE seq > :after ORDER BY seq LIMIT :limit)",
        {"after": after_seq, "limit": limit},
    ).fetchone()[0]
    if last is not None:
        db.execute(
            f"INSERT INTO report_text (rowid, {columns})"
            f" SELECT seq, {texts} FROM report WHERE seq > :after AND seq <= :last",
            {"after": after_seq, "last": last},
        )
    return last


def limit_field_count(db, most):
    """A report has at most as many fields set as the catalogue has fields."""
    for event, name in (("INSERT", "insert"), ("UPDATE OF field_count", "update")):
        trigger = f"report_field_count_checked_on_{name}"
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute(
            f"CREATE TRIGGER {trigger} BEFORE {event} ON report\n"
            f"WHEN NEW.field_count > {int(most)}\n"
            "BEGIN\n"
            "    SELECT RAISE(ABORT, 'field_count is more than the catalogue has fields');\n"
            "END"
        )


def remember_catalogue_fields(db, fields):
    """Note each (name, label) of the catalogue; a field known already takes its new label."""
    db.executemany(
        "INSERT INTO catalogue_field (name, label) VALUES (:name, :label)"
        " ON CONFLICT (name) DO UPDATE SET label = excluded.label",
        [{"name": name, "label": label} for name, label in fields],
    )


def remembered_fields(db):
    """Every field a catalogue of this database has had, (name, label), oldest first."""
    return db.execute("SELECT name, label FROM catalogue_field ORDER BY position").fetchall()


def fields_of_reports_after(db, after_seq, limit):
    """The seq, id, status and stored fields of `limit` reports after seq
    `after_seq`, in order of creation (for `catalogue check`)."""
    return db.execute(
        "SELECT seq, report_id, status, fields FROM report"
        " WHERE seq > :after ORDER BY seq LIMIT :limit",
        {"after": after_seq, "limit": limit},
    ).fetchall()


# The pages' sessions (see reports/web/sessions.py) -------------------------------


def web_session(db, id_hash):
    """The session with this id's hash, or None."""
    return db.execute(
        """
        SELECT id_hash, token_name, data, created_at, seen_at, idle_until, ends_at
          FROM web_session
         WHERE id_hash = :id_hash
        """,
        {"id_hash": id_hash},
    ).fetchone()


def insert_web_session(db, record):
    db.execute(
        """
        INSERT INTO web_session (id_hash, token_name, data, created_at, seen_at, idle_until,
                                 ends_at)
        VALUES (:id_hash, :token_name, :data, :created_at, :seen_at, :idle_until, :ends_at)
        """,
        record,
    )


def update_web_session(db, id_hash, token_name, data):
    db.execute(
        "UPDATE web_session SET token_name = :token_name, data = :data WHERE id_hash = :id_hash",
        {"id_hash": id_hash, "token_name": token_name, "data": data},
    )


def touch_web_session(db, id_hash, seen_at, idle_until, not_since):
    """Note a use of the session, unless one was noted after `not_since`."""
    db.execute(
        """
        UPDATE web_session
           SET seen_at = :seen_at, idle_until = :idle_until
         WHERE id_hash = :id_hash AND seen_at <= :not_since
        """,
        {"id_hash": id_hash, "seen_at": seen_at, "idle_until": idle_until, "not_since": not_since},
    )


def delete_web_session(db, id_hash):
    db.execute("DELETE FROM web_session WHERE id_hash = :id_hash", {"id_hash": id_hash})


def end_web_sessions_of_token(db, name):
    """End the sessions the token signed in: each is left holding only the
    mark that tells its browser why, at its next page (reports/web/sessions.py)."""
    db.execute(
        """
        UPDATE web_session
           SET token_name = NULL, data = '{"revoked":true}'
         WHERE token_name = :name
        """,
        {"name": name},
    )


def delete_web_sessions_ended_by(db, now):
    """Delete the sessions that have ended by `now`; returns how many."""
    return db.execute(
        "DELETE FROM web_session WHERE idle_until <= :now OR ends_at <= :now", {"now": now}
    ).rowcount
