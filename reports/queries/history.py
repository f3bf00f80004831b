"""The statements of what happened to reports: Idempotency-Keys, changes and
their details, reviews and the trash."""

from reports import catalogue
from reports.queries.report_rows import field_value


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
