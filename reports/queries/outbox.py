"""The statements of the outbox: the events, the webhooks and their attempts,
and the e-mail waiting to be sent."""

# Events --------------------------------------------------------------------------


def insert_event(db, event):
    db.execute(
        """
        INSERT INTO event (message_id, type, report_id, occurred_at, data, emailed)
        VALUES (:message_id, :type, :report_id, :occurred_at, :data, :emailed)
        """,
        event,
    )


def events_after(db, event_id, limit):
    """The events after `event_id`, oldest first, at most `limit`."""
    return db.execute(
        """
        SELECT event_id, message_id, type, report_id, occurred_at, data, emailed
          FROM event
         WHERE event_id > :event_id
         ORDER BY event_id
         LIMIT :limit
        """,
        {"event_id": event_id, "limit": limit},
    ).fetchall()


def events_to_mail(db, after, up_to):
    """The events after `after` and up to `up_to` that may make e-mail: a
    report submitted or reviewed, not imported."""
    return db.execute(
        """
        SELECT event_id, type, report_id, occurred_at, data
          FROM event
         WHERE event_id > :after AND event_id <= :up_to
           AND type IN ('report.submitted', 'report.reviewed') AND emailed
         ORDER BY event_id
        """,
        {"after": after, "up_to": up_to},
    ).fetchall()


def last_event_id(db):
    """The newest event's id; 0 before the first (ids are never given twice,
    so this never goes back, even once the outbox is pruned)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'event'").fetchone()
    return 0 if row is None else row[0]


def insert_purged_events(db, deleted_before, occurred_at):
    """A report.purged event for each report in the trash since before then,
    whose data is its id alone; and every earlier event of those reports
    keeps only its id too, as does the e-mail about them (deleted)."""
    purged = {"deleted_before": deleted_before, "occurred_at": occurred_at}
    db.execute(
        """
        UPDATE event
           SET data = json_object('report_id', report_id)
         WHERE report_id IN (SELECT report_id FROM report_trash
                              WHERE deleted_at < :deleted_before)
        """,
        purged,
    )
    db.execute(
        """
        DELETE FROM mail
         WHERE report_id IN (SELECT report_id FROM report_trash
                              WHERE deleted_at < :deleted_before)
        """,
        purged,
    )
    db.execute(
        """
        INSERT INTO event (message_id, type, report_id, occurred_at, data)
        SELECT 'msg_' || lower(hex(randomblob(12))), 'report.purged', report_id,
               :occurred_at, json_object('report_id', report_id)
          FROM report_trash
         WHERE deleted_at < :deleted_before
         ORDER BY deleted_at, report_id
        """,
        purged,
    )


def delete_events_done_before(db, occurred_before):
    """Forget the events that happened before then and that every webhook has
    had, and e-mail too; returns how many."""
    deleted = db.execute(
        """
        DELETE FROM event
         WHERE occurred_at < :occurred_before
           AND event_id <= min(
                 coalesce((SELECT min(delivered_up_to) FROM webhook), 9223372036854775807),
                 coalesce((SELECT event_id FROM mail_cursor), 9223372036854775807))
           AND event_id NOT IN (SELECT event_id FROM mail WHERE event_id IS NOT NULL)
        """,
        {"occurred_before": occurred_before},
    )
    return deleted.rowcount


# Webhooks ------------------------------------------------------------------------

WEBHOOK_COLUMNS = """
    webhook_id, url, events, allow_private, state, delivered_up_to, failures,
    next_attempt_at, created_at
"""


def insert_webhook(db, webhook):
    cursor = db.execute(
        """
        INSERT INTO webhook (url, secret, events, allow_private, delivered_up_to, created_at)
        VALUES (:url, :secret, :events, :allow_private, :delivered_up_to, :created_at)
        """,
        webhook,
    )
    return cursor.lastrowid


def webhooks(db):
    """Every webhook, oldest first, without its secret."""
    return db.execute(f"SELECT {WEBHOOK_COLUMNS} FROM webhook ORDER BY webhook_id").fetchall()


def webhook_by_id(db, webhook_id):
    return db.execute(
        f"SELECT {WEBHOOK_COLUMNS}, secret FROM webhook WHERE webhook_id = :webhook_id",
        {"webhook_id": webhook_id},
    ).fetchone()


def webhook_by_url(db, url):
    return db.execute(
        f"SELECT {WEBHOOK_COLUMNS}, secret FROM webhook WHERE url = :url", {"url": url}
    ).fetchone()


def webhooks_due(db, now, webhook_id=None):
    """The webhooks not failing, whose next try is due, that have events after
    their place (of any type: those they did not ask for are passed over), each
    with its secret; of them, the one of `webhook_id` alone if given."""
    return db.execute(
        f"""
        SELECT {WEBHOOK_COLUMNS}, secret
          FROM webhook
         WHERE state = 'active' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
           AND delivered_up_to < (SELECT coalesce(max(seq), 0) FROM sqlite_sequence
                                   WHERE name = 'event')
           AND (:webhook_id IS NULL OR webhook_id = :webhook_id)
         ORDER BY webhook_id
        """,
        {"now": now, "webhook_id": webhook_id},
    ).fetchall()


def delete_webhook(db, webhook_id):
    db.execute("DELETE FROM webhook_attempt WHERE webhook_id = :id", {"id": webhook_id})
    db.execute("DELETE FROM webhook WHERE webhook_id = :id", {"id": webhook_id})


def mark_webhook_delivered(db, webhook_id, event_id):
    """The webhook has had every event up to `event_id`: its next one is due now."""
    db.execute(
        """
        UPDATE webhook
           SET delivered_up_to = max(delivered_up_to, :event_id), failures = 0,
               next_attempt_at = NULL
         WHERE webhook_id = :webhook_id
        """,
        {"webhook_id": webhook_id, "event_id": event_id},
    )


def mark_webhook_failed(db, webhook_id, failures, next_attempt_at, state):
    db.execute(
        """
        UPDATE webhook
           SET failures = :failures, next_attempt_at = :next_attempt_at, state = :state
         WHERE webhook_id = :webhook_id
        """,
        {
            "webhook_id": webhook_id,
            "failures": failures,
            "next_attempt_at": next_attempt_at,
            "state": state,
        },
    )


def resume_webhook(db, webhook_id):
    """Try the webhook's next event again now, on a fresh schedule."""
    db.execute(
        """
        UPDATE webhook
           SET state = 'active', failures = 0, next_attempt_at = NULL
         WHERE webhook_id = :webhook_id
        """,
        {"webhook_id": webhook_id},
    )


def insert_webhook_attempt(db, attempt):
    db.execute(
        """
        INSERT INTO webhook_attempt
               (webhook_id, message_id, type, attempted_at, status, error, milliseconds)
        VALUES (:webhook_id, :message_id, :type, :attempted_at, :status, :error, :milliseconds)
        """,
        attempt,
    )


def webhook_attempts(db, webhook_id, limit):
    """The last `limit` attempts, newest first: of one webhook, or of all (None)."""
    return db.execute(
        """
        SELECT attempt.attempt_id, attempt.webhook_id, webhook.url, attempt.message_id,
               attempt.type, attempt.attempted_at, attempt.status, attempt.error,
               attempt.milliseconds
          FROM webhook_attempt AS attempt
          JOIN webhook USING (webhook_id)
         WHERE :webhook_id IS NULL OR attempt.webhook_id = :webhook_id
         ORDER BY attempt.attempt_id DESC
         LIMIT :limit
        """,
        {"webhook_id": webhook_id, "limit": limit},
    ).fetchall()


def delete_old_webhook_attempts(db, kept):
    """Keep the last `kept` attempts of each webhook."""
    db.execute(
        """
        DELETE FROM webhook_attempt
         WHERE attempt_id IN (
               SELECT attempt_id
                 FROM (SELECT attempt_id,
                              row_number() OVER (PARTITION BY webhook_id
                                                 ORDER BY attempt_id DESC) AS newer
                         FROM webhook_attempt)
                WHERE newer > :kept)
        """,
        {"kept": kept},
    )


# E-mail --------------------------------------------------------------------------


def mail_cursor(db):
    row = db.execute("SELECT event_id FROM mail_cursor").fetchone()
    return None if row is None else row[0]


def set_mail_cursor(db, event_id):
    db.execute(
        """
        INSERT INTO mail_cursor (only, event_id) VALUES (1, :event_id)
            ON CONFLICT (only) DO UPDATE SET event_id = excluded.event_id
        """,
        {"event_id": event_id},
    )


def forget_mail(db):
    """E-mail is off: nothing waits, and nothing of what happens is kept for it."""
    db.execute("DELETE FROM mail_cursor")
    db.execute("DELETE FROM mail")


def insert_mail(db, kind, send_after, person_id=None, event=None, digest=False, detail=None):
    """An e-mail to send at `send_after`: to a person, about an event (its
    report), or with the `detail` (JSON text) of its own kind."""
    db.execute(
        """
        INSERT INTO mail (kind, person_id, event_id, report_id, digest, detail, send_after)
        VALUES (:kind, :person_id, :event_id, :report_id, :digest, :detail, :send_after)
        """,
        {
            "kind": kind,
            "person_id": person_id,
            "event_id": None if event is None else event["event_id"],
            "report_id": None if event is None else event["report_id"],
            "digest": int(digest),
            "detail": detail,
            "send_after": send_after,
        },
    )


def mail_waiting(db, kind):
    """How many e-mails of this kind wait to be sent."""
    return db.execute("SELECT count(*) FROM mail WHERE kind = :kind", {"kind": kind}).fetchone()[0]


def sign_in_link_waiting_for(db, address):
    return db.execute(
        """
        SELECT EXISTS (SELECT 1 FROM mail
                        WHERE kind = 'sign_in_link'
                          AND json_extract(detail, '$.address') = :address COLLATE NOCASE)
        """,
        {"address": address},
    ).fetchone()[0]


def mail_is_due(db, now):
    return db.execute(
        "SELECT EXISTS (SELECT 1 FROM mail WHERE send_after <= :now)", {"now": now}
    ).fetchone()[0]


def mail_due(db, now, limit):
    """The e-mail due to be sent, oldest first, with the event it tells of."""
    return db.execute(
        """
        SELECT mail.mail_id, mail.kind, mail.person_id, mail.event_id, mail.report_id,
               mail.digest, mail.detail, mail.send_after, mail.failures,
               event.type, event.occurred_at, event.data
          FROM mail
          LEFT JOIN event USING (event_id)
         WHERE mail.send_after <= :now
         ORDER BY mail.send_after, mail.mail_id
         LIMIT :limit
        """,
        {"now": now, "limit": limit},
    ).fetchall()


def delete_mail(db, mail_ids):
    db.executemany("DELETE FROM mail WHERE mail_id = ?", [(mail_id,) for mail_id in mail_ids])


def mark_mail_failed(db, mail_ids, failures, send_after):
    db.executemany(
        "UPDATE mail SET failures = :failures, send_after = :send_after WHERE mail_id = :mail_id",
        [
            {"mail_id": mail_id, "failures": failures, "send_after": send_after}
            for mail_id in mail_ids
        ],
    )


def people_to_tell(db):
    """Every person not removed who has an e-mail address and wants e-mail."""
    return db.execute(
        """
        SELECT person_id, name, role,
               CASE WHEN role = 'mentor' THEN peer_mentor_id END AS peer_mentor_id,
               email, language, notify
          FROM person
         WHERE removed_at IS NULL AND email IS NOT NULL AND notify <> 'off'
        """
    ).fetchall()


def person_to_tell(db, person_id):
    """The person, if it is not removed and has an address (whatever it wants)."""
    return db.execute(
        """
        SELECT person_id, name, role,
               CASE WHEN role = 'mentor' THEN peer_mentor_id END AS peer_mentor_id,
               email, language, notify
          FROM person
         WHERE person_id = :person_id AND removed_at IS NULL AND email IS NOT NULL
        """,
        {"person_id": person_id},
    ).fetchone()


def set_notify(db, person_id, notify):
    db.execute(
        "UPDATE person SET notify = :notify WHERE person_id = :person_id AND removed_at IS NULL",
        {"person_id": person_id, "notify": notify},
    )
