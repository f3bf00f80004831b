"""Every SQL statement of the service, one small function each."""

import json

from reports import search

REPORT_COLUMNS = """
    report_id, activity_id, peer_mentor_id, org_id, status, fields,
    field_count, has_way_forward, submitted_at, created_at, updated_at, version
"""

SUMMARY_COLUMNS = """
    report_id, activity_id, peer_mentor_id, status, submitted_at, created_at,
    field_count, has_way_forward
"""

MAX_SEQ = 2**63 - 1
SESSION_DATE = "coalesce(json_extract(fields, '$.session_date'), '')"
SUBMITTED_AT = "coalesce(submitted_at, '')"

# The reports that hold every term of a search, by their seq.
MATCHES = "SELECT rowid FROM report_text WHERE report_text MATCH :q"
# The same condition, written so that it cannot lead the plan: the reports come
# in the order of an index, and each is looked up among the matches.
PROBED_MATCHES = f"+seq IN ({MATCHES})"

# The filters a list may combine; each is used only when its value is given.
# Each compares the expression an index is built on (see schema.sql).
LIST_FILTERS = {
    # Half the reports have each status: the hint keeps the planner from
    # preferring the status index to one that narrows the list down more.
    "status": "likelihood(status = :status, 0.5)",
    "activity_id": "activity_id = :activity_id",
    "peer_mentor_id": "peer_mentor_id = :peer_mentor_id",
    # A mentor token sees its own reports only, whatever else it asks for.
    "owner": "peer_mentor_id = :owner",
    "org_id": "org_id = :org_id",
    "session_date_from": f"{SESSION_DATE} >= :session_date_from",
    "session_date_to": f"{SESSION_DATE} > '' AND {SESSION_DATE} < :session_date_to",
    "submitted_from": f"{SUBMITTED_AT} >= :submitted_from",
    "submitted_to": f"{SUBMITTED_AT} > '' AND {SUBMITTED_AT} < :submitted_to",
    "updated_since": "updated_at >= :updated_since",
    "follow_up_needed": "json_extract(fields, '$.follow_up_needed') = :follow_up_needed",
    "has_way_forward": "has_way_forward = :has_way_forward",
    "participant_engagement": (
        "json_extract(fields, '$.participant_engagement') = :participant_engagement"
    ),
    "q": f"seq IN ({MATCHES})",
    "review_state": (
        "coalesce((SELECT review_state FROM report_review AS review"
        "           WHERE review.report_id = report.report_id), 'none') = :review_state"
    ),
}

# The orders a list may take, by the expression it sorts on; ties go by seq.
SORT_KEYS = {
    "created_at": "created_at",
    "submitted_at": SUBMITTED_AT,
    "session_date": SESSION_DATE,
}


def search_query(text):
    """An FTS5 query that matches reports holding every word and "phrase" of
    `text`, each taken literally; a word ending in * matches as a prefix."""
    return search.fts_query(text)


def insert_report(db, report):
    db.execute(
        """
        INSERT INTO report (
            report_id, activity_id, peer_mentor_id, org_id, status, fields,
            field_count, has_way_forward, submitted_at, created_at, updated_at, version
        ) VALUES (
            :report_id, :activity_id, :peer_mentor_id, :org_id, :status, :fields,
            :field_count, :has_way_forward, :submitted_at, :created_at, :updated_at, :version
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
               version = version + 1
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
    clauses = [
        f"({PROBED_MATCHES if probe and name == 'q' else LIST_FILTERS[name]})"
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
    return SORT_KEYS[sort.lstrip("-")], "DESC" if sort.startswith("-") else "ASC"


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


# The summary's groups, by the expression that names each report's group.
SUMMARY_GROUPS = {
    "month": "substr(json_extract(fields, '$.session_date'), 1, 7)",
    "mentor": "peer_mentor_id",
    "activity": "activity_id",
    "org": "org_id",
}


def report_generation(db):
    """The number every write of a report or its review moves on."""
    return db.execute("SELECT generation FROM report_generation").fetchone()[0]


def summary(db, filters, group_by):
    """Per group of the matching reports: counts, attendance, duration,
    engagement and follow-ups, computed by SQLite over the stored fields."""
    filters = _given(filters)
    group = SUMMARY_GROUPS[group_by]
    return db.execute(
        f"""
        SELECT grouped."group",
               count(*) AS reports,
               count(*) FILTER (WHERE status = 'submitted') AS submitted,
               count(*) FILTER (WHERE status = 'draft') AS drafts,
               coalesce(sum(attendance), 0) AS attendance_total,
               avg(attendance) AS attendance_average,
               coalesce(sum(duration), 0) AS duration_minutes_total,
               count(*) FILTER (WHERE engagement = 'low') AS engagement_low,
               count(*) FILTER (WHERE engagement = 'medium') AS engagement_medium,
               count(*) FILTER (WHERE engagement = 'high') AS engagement_high,
               count(*) FILTER (WHERE engagement = 'very_high') AS engagement_very_high,
               count(*) FILTER (WHERE follow_up IS 1) AS follow_ups_needed
          FROM (SELECT {group} AS "group",
                       status,
                       json_extract(fields, '$.attendance_count') AS attendance,
                       json_extract(fields, '$.duration_minutes') AS duration,
                       json_extract(fields, '$.participant_engagement') AS engagement,
                       json_extract(fields, '$.follow_up_needed') AS follow_up
                  FROM report
                  {_where(filters)}) AS grouped
         GROUP BY grouped."group"
         ORDER BY grouped."group" IS NULL, grouped."group"
        """,
        filters,
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
        INSERT INTO report_change (report_id, peer_mentor_id, version, action, actor, changed_at)
        VALUES (:report_id, :peer_mentor_id, :version, :action, :actor, :changed_at)
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
               detail.detail
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
    """Every report in the trash, the most recently deleted first."""
    return db.execute(
        """
        SELECT report_id, json_extract(report, '$.peer_mentor_id') AS peer_mentor_id,
               json_extract(report, '$.activity_id') AS activity_id,
               json_extract(json_extract(report, '$.fields'), '$.session_topic')
                   AS session_topic,
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
    the session's date and topic, and the review (nulls while it has none)."""
    return db.execute(
        """
        SELECT report.report_id,
               json_extract(report.fields, '$.session_date') AS session_date,
               json_extract(report.fields, '$.session_topic') AS session_topic,
               review.review_state, review.comment, review.reviewed_by, review.reviewed_at
          FROM report
          LEFT JOIN report_review AS review ON review.report_id = report.report_id
         WHERE report.report_id IN (SELECT value FROM json_each(:report_ids))
        """,
        {"report_ids": json.dumps(list(report_ids))},
    ).fetchall()
