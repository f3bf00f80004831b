"""Who is e-mailed about what, and the e-mails themselves.

The dispatcher turns the outbox's events into e-mail waiting in the mail
table (`mail_for_events`): a report submitted, to every coordinator with an
address who wants e-mail (at once, or in the next daily digest); a review that
marks a report has issues or rejected, to that report's mentor. A webhook that
is failing is e-mailed to the coordinators too. Each e-mail is then written
(`compose`) when it is sent, in its person's language, with a plain-text part,
an HTML part, a link to the page it is about at PUBLIC_URL, and the link that
changes which e-mails the person gets (List-Unsubscribe)."""

import json
import smtplib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from reports import clock, human, languages, mail, queries, session_store
from reports.db import get_db, write
from reports.schemas import ENUMS

from . import emailed_links

REVIEWS_EMAILED = ("has_issues", "rejected")
UNSUBSCRIBE_SALT = "notifications"

SUBJECTS = {
    "submitted": _l("Report submitted by %(mentor)s: %(activity)s"),
    "has_issues": _l("Your report on %(activity)s has issues"),
    "rejected": _l("Your report on %(activity)s was rejected"),
    "digest": _l("Reports submitted on %(day)s"),
    "webhook_failing": _l("A webhook is failing: %(url)s"),
}


# Which e-mails the events make ----------------------------------------------------


def mail_for_events(db, events, now, zone):
    """Write into the mail table the e-mail the events make (see the module's
    doc). A coordinator who wants a digest gets the report in the one sent
    after the day it was submitted ends, in TIME_ZONE."""
    people = queries.people_to_tell(db)
    coordinators = [person for person in people if person["role"] == "coordinator"]
    mentors = {person["peer_mentor_id"]: person for person in people if person["role"] == "mentor"}
    for event in events:
        if event["type"] == "report.submitted":
            for person in coordinators:
                digest = person["notify"] == "digest"
                send_after = end_of_day(event["occurred_at"], zone) if digest else now
                queries.insert_mail(db, "submitted", send_after, person["person_id"], event, digest)
        elif event["type"] == "report.reviewed":
            data = json.loads(event["data"])
            mentor = mentors.get(data["peer_mentor_id"])
            if mentor is not None and data["review"]["review_state"] in REVIEWS_EMAILED:
                queries.insert_mail(db, "reviewed", now, mentor["person_id"], event)


def mail_coordinators_of_failing_webhook(db, webhook, error, now):
    detail = json.dumps(
        {"webhook_id": webhook["webhook_id"], "url": webhook["url"], "error": error}
    )
    for person in queries.people_to_tell(db):
        if person["role"] == "coordinator":
            queries.insert_mail(db, "webhook_failing", now, person["person_id"], detail=detail)


def end_of_day(timestamp, zone):
    """The next midnight after `timestamp`, in `zone`, as a timestamp."""
    local = clock.parse(timestamp).astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    return clock.stamp(midnight.astimezone(UTC))


# The e-mails ----------------------------------------------------------------------


def compose(kind, person, items):
    """The e-mail of `kind` to `person`: (subject, text, html, headers). `items`
    are the mail rows it tells of (several for a digest), each with its event."""
    language = languages.known(person["language"]) or languages.SOURCE
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    settings_url = f"{base}/notifications/{unsubscribe_token(person['person_id'])}"
    with force_locale(language):
        context = {
            "person": person,
            "base": base,
            "language": language,
            "direction": languages.direction_of(language),
            "settings_url": settings_url,
        }
        if kind == "webhook_failing":
            detail = json.loads(items[0]["detail"])
            context.update(detail, pages_url=f"{base}/integrations")
            subject = SUBJECTS[kind] % {"url": detail["url"]}
        else:
            names = _names()
            reports = [_report_of(item, base, names) for item in items]
            context["reports"] = reports
            if kind == "digest":
                context["day"] = human.day_of(_local_day(items[0]["occurred_at"]), language)
                subject = SUBJECTS[kind] % {"day": context["day"]}
            elif kind == "reviewed":
                report = reports[0]
                kind = report["review"]["review_state"]
                subject = SUBJECTS[kind] % {"activity": report["activity"]}
            else:
                report = reports[0]
                subject = SUBJECTS[kind] % report
        context["subject"] = subject
        text = _render(f"mail/{kind}.txt", context)
        html = _render(f"mail/{kind}.html", context)
    headers = {
        "List-Unsubscribe": f"<{settings_url}/off>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return str(subject), text, html, headers


def _render(name, context):
    """The template, without the pages' context (no request is under way); a
    plain-text one with nothing escaped."""
    if name.endswith(".txt"):
        context = {**context, **languages.plain_text_gettext(current_app)}
    return current_app.jinja_env.get_template(name).render(context)


def _report_of(item, base, db_names):
    """What an e-mail says of the report an event carries, with the names of
    the directory (`_names`)."""
    data = json.loads(item["data"])
    mentor = db_names["mentors"].get(data["peer_mentor_id"]) or data["peer_mentor_id"]
    activity = db_names["activities"].get(data["activity_id"]) or data["activity_id"]
    return {
        **data,
        "mentor": mentor,
        "activity": activity,
        "url": f"{base}/reports/{data['report_id']}",
        "reviewer": _reviewer(data.get("review"), db_names),
        "at": human.when(item["occurred_at"], current_app.config["TIME_ZONE"]),
    }


def _names():
    db = get_db()
    return {
        "mentors": dict(queries.mentor_names(db)),
        "activities": dict(queries.activity_names(db)),
        "tokens": dict(queries.token_people(db)),
    }


def _reviewer(review, names):
    """Who reviewed: its person's name, else its token's."""
    if review is None:
        return None
    return names["tokens"].get(review["reviewed_by"]) or review["reviewed_by"]


def _local_day(timestamp):
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    return clock.parse(timestamp).astimezone(zone).date()


# The link that changes which e-mails a person gets ----------------------------------


def unsubscribe_token(person_id):
    return _serializer().dumps(person_id)


def person_of_unsubscribe_token(token):
    """The person id the token was made for, or None for a token not made here."""
    try:
        return _serializer().loads(token)
    except BadSignature:
        return None


def _serializer():
    return URLSafeSerializer(session_store.secret_key(current_app), salt=UNSUBSCRIBE_SALT)


def person_of_link(token):
    """The person whose link to choose e-mails holds `token`, as e-mail knows
    it (name, role, language, address, choice); None for a token not made
    here, or of a person removed, or without an address, since."""
    person_id = person_of_unsubscribe_token(token)
    if person_id is None:
        return None
    person = queries.person_to_tell(get_db(), person_id)
    return None if person is None else dict(person)


def notify_choice(person_id):
    """The person's choice of e-mails, or None if it is no person (any more)."""
    person = queries.person_to_tell(get_db(), person_id)
    return None if person is None else person["notify"]


def set_notify_choice(person_id, notify):
    """Set which e-mails the person gets; the holder of its link (its e-mail's) may."""
    if notify not in ENUMS["Notify"]:
        raise ValueError(notify)
    write(lambda db: queries.set_notify(db, person_id, notify))


# Sending what waits -----------------------------------------------------------------


def make_mail(limit):
    """Make the e-mail of the events after the mail cursor, at most `limit`
    of them; returns how many events it went past. Only the events that may
    make e-mail are read, and nothing is written while there are none."""
    db = get_db()
    cursor = queries.mail_cursor(db)
    if cursor is None or cursor >= queries.last_event_id(db):
        return 0
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    now = clock.timestamp()

    def make(db):
        cursor = queries.mail_cursor(db)
        up_to = min(queries.last_event_id(db), cursor + limit)
        mail_for_events(db, queries.events_to_mail(db, cursor, up_to), now, zone)
        queries.set_mail_cursor(db, up_to)
        return up_to - cursor

    return write(make)


def mail_is_due():
    return bool(queries.mail_is_due(get_db(), clock.timestamp()))


def send_due_mail(limit):
    """Send the e-mail that is due, a digest as one e-mail per person; returns
    how many e-mails were tried. One that fails is tried again on
    RETRY_SCHEDULE, and dropped (and logged) after its last try."""
    rows = [dict(row) for row in queries.mail_due(get_db(), clock.timestamp(), limit)]
    tried = 0
    for rows_of_one_email in _one_email_each(rows):
        tried += 1
        first = rows_of_one_email[0]
        ids = [row["mail_id"] for row in rows_of_one_email]
        try:
            _send(first, rows_of_one_email)
        except (OSError, smtplib.SMTPException) as error:
            _failed(first, ids, error)
            continue
        except Exception as error:
            # One e-mail that cannot be written holds up no other: it is tried
            # on the schedule, and dropped after its last try, as any other.
            current_app.logger.exception("An e-mail (%s) could not be made.", first["kind"])
            _failed(first, ids, error)
            continue
        write(lambda db, ids=ids: queries.delete_mail(db, ids))
    return tried


def _one_email_each(rows):
    """The rows grouped by the e-mail they make: a person's digest rows make one."""
    digests = {}
    for row in rows:
        if row["digest"]:
            digests.setdefault(row["person_id"], []).append(row)
        else:
            yield [row]
    yield from digests.values()


def _send(first, rows):
    if first["kind"] == "sign_in_link":
        detail = json.loads(first["detail"])
        emailed_links.email_sign_in_links(detail["address"], detail["language"])
        return
    person = queries.person_to_tell(get_db(), first["person_id"])
    if person is None or person["notify"] == "off":
        return  # removed, its address gone, or it opted out since
    kind = "digest" if first["digest"] else first["kind"]
    subject, text, html, headers = compose(kind, dict(person), rows)
    mail.send(person["email"], subject, text, html, headers)
    current_app.logger.info("E-mailed person %s: %s.", person["person_id"], kind)


def _failed(first, ids, error):
    schedule = current_app.config["RETRY_SCHEDULE"]
    failures = first["failures"] + 1
    if failures > len(schedule):
        current_app.logger.error(
            "An e-mail (%s) could not be sent after %s tries, and is dropped: %s",
            first["kind"],
            failures,
            error,
        )
        write(lambda db: queries.delete_mail(db, ids))
        return
    current_app.logger.warning(
        "An e-mail (%s) could not be sent; it is tried again in %s s: %s",
        first["kind"],
        schedule[failures - 1],
        error,
    )
    send_after = clock.stamp(clock.now() + timedelta(seconds=schedule[failures - 1]))
    write(lambda db: queries.mark_mail_failed(db, ids, failures, send_after))
