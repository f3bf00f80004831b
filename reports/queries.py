"""Every SQL statement of the service, one small function each."""

REPORT_COLUMNS = """
    report_id, activity_id, peer_mentor_id, org_id, status, fields,
    field_count, has_way_forward, submitted_at, created_at, updated_at, version
"""

SUMMARY_COLUMNS = """
    report_id, activity_id, peer_mentor_id, status, submitted_at, created_at,
    field_count, has_way_forward
"""

# The filters a list may combine; each is used only when its value is given.
LIST_FILTERS = {
    "status": "status = :status",
    "activity_id": "activity_id = :activity_id",
    "peer_mentor_id": "peer_mentor_id = :peer_mentor_id",
}


def insert_report(db, report):
    db.execute(
        """
        INSERT INTO report (
            report_id, activity_id, peer_mentor_id, org_id, status, fields,
            field_count, has_way_forward, submitted_at, created_at, updated_at
        ) VALUES (
            :report_id, :activity_id, :peer_mentor_id, :org_id, :status, :fields,
            :field_count, :has_way_forward, :submitted_at, :created_at, :updated_at
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


def _where(filters, *conditions):
    clauses = [LIST_FILTERS[name] for name, value in filters.items() if value is not None]
    clauses += conditions
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def count_reports(db, filters):
    """How many reports match. Without an activity or mentor, report_count knows."""
    if filters.get("activity_id") is None and filters.get("peer_mentor_id") is None:
        if filters.get("status") is None:
            return db.execute("SELECT sum(reports) FROM report_count").fetchone()[0]
        return db.execute(
            "SELECT reports FROM report_count WHERE status = :status", filters
        ).fetchone()[0]
    return db.execute(f"SELECT count(*) FROM report {_where(filters)}", filters).fetchone()[0]


def page_of_reports(db, filters, limit, offset):
    """Summaries of `limit` matching reports from `offset` on, newest first. The
    offset is walked in the index alone; only the page's rows are read."""
    return db.execute(
        f"""
        SELECT {SUMMARY_COLUMNS}, seq
          FROM report
         WHERE seq IN (SELECT seq
                         FROM report
                         {_where(filters)}
                        ORDER BY created_at DESC, seq DESC
                        LIMIT :limit OFFSET :offset)
         ORDER BY created_at DESC, seq DESC
        """,
        {**filters, "limit": limit, "offset": offset},
    ).fetchall()


def page_of_reports_after(db, filters, limit, created_at, seq):
    """Summaries of `limit` matching reports older than (created_at, seq), newest first."""
    return db.execute(
        f"""
        SELECT {SUMMARY_COLUMNS}, seq
          FROM report
          {_where(filters, "(created_at, seq) < (:created_at, :seq)")}
         ORDER BY created_at DESC, seq DESC
         LIMIT :limit
        """,
        {**filters, "limit": limit, "created_at": created_at, "seq": seq},
    ).fetchall()


def idempotency_key(db, key):
    return db.execute(
        "SELECT request_hash, report FROM idempotency_key WHERE key = :key", {"key": key}
    ).fetchone()


def insert_idempotency_key(db, key, request_hash, report, created_at):
    db.execute(
        """
        INSERT INTO idempotency_key (key, request_hash, report, created_at)
        VALUES (:key, :request_hash, :report, :created_at)
        """,
        {"key": key, "request_hash": request_hash, "report": report, "created_at": created_at},
    )


def delete_idempotency_keys_before(db, cutoff):
    db.execute("DELETE FROM idempotency_key WHERE created_at < :cutoff", {"cutoff": cutoff})


def insert_report_change(db, change):
    db.execute(
        """
        INSERT INTO report_change (report_id, peer_mentor_id, version, action, actor, changed_at)
        VALUES (:report_id, :peer_mentor_id, :version, :action, :actor, :changed_at)
        """,
        change,
    )


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
