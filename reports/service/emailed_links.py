"""A sign-in link e-mailed to the person whose address is asked for at /login,
the one way in that needs no coordinator. The answer is the same, and takes
the same time, whether the address is a person's or not: the page only puts
the ask in the outbox's mail table, and the dispatcher (reports/dispatcher.py)
looks the address up, makes the link and sends it."""

import json
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from reports import auth, clock, human, languages, mail, queries
from reports.db import write

from .events import wake_dispatcher
from .people import add_token_and_link

# Whose link is e-mailed: a person of any role, not removed, who has the address
# (compared without regard to case). The link reaching that address is what
# shows that the one who asked is that person.
ROLES_EMAILED = auth.ROLES
# However often an address is asked for, at most one e-mail goes to it this often.
PAUSE_MINUTES = 5
PAUSE = timedelta(minutes=PAUSE_MINUTES)
# When each address was last sent links (only the dispatcher's one thread uses it).
LAST_SENT = "reports.sign_in_links_emailed"
SUBJECT = _l("Your sign-in link to Post-Session Reports")
MESSAGE = _l("""Hello %(name)s,

Here is your link to sign in to Post-Session Reports:

%(url)s

It works once, within %(minutes)s.

If you did not ask for this, ignore this e-mail.
""")


def offers_links_by_email():
    """Whether /login offers to e-mail a sign-in link: only where e-mail is on."""
    return mail.is_on()


# At most this many asks wait at once: a flood of them holds no more room than this.
ASKS_WAITING = 100


def ask_for_sign_in_link_by_email(address):
    """Have a sign-in link e-mailed to whoever has `address`, by the dispatcher;
    returns at once, whoever has it. An address already waiting is not
    asked for twice."""
    detail = json.dumps({"address": address, "language": languages.current()})
    now = clock.timestamp()

    def queue(db):
        if queries.sign_in_link_waiting_for(db, address):
            return True
        if queries.mail_waiting(db, "sign_in_link") >= ASKS_WAITING:
            return False
        queries.insert_mail(db, "sign_in_link", now, detail=detail)
        return True

    if not write(queue):
        current_app.logger.warning("%s sign-in links wait: an ask is dropped.", ASKS_WAITING)
    wake_dispatcher()


def email_sign_in_links(address, asked_in=languages.SOURCE):
    """E-mail each person of ROLES_EMAILED who has `address` a one-time link of a
    new token of its own; nothing if links went to the address within PAUSE, or
    while no token is in force (an open service needs no sign-in, and a closed
    one stays closed until its operator opens it). Returns how many were sent."""
    minutes = current_app.config["LINK_MINUTES"]
    key = address.casefold()
    last_sent = current_app.extensions.setdefault(LAST_SENT, {})
    now = clock.now()
    for each in [each for each, sent_at in last_sent.items() if sent_at <= now - PAUSE]:
        del last_sent[each]
    if key in last_sent:
        return 0

    def create(db):
        if not queries.any_token_in_force(db):
            return []
        people = [
            person
            for person in queries.people(db)
            if person["role"] in ROLES_EMAILED and (person["email"] or "").casefold() == key
        ]
        return [(person, add_token_and_link(db, person, minutes)[0]) for person in people]

    links = write(create)
    for person, secret in links:
        # In the person's language, else in the one of the page that asked.
        language = languages.known(person["language"]) or asked_in
        with force_locale(language):
            subject = str(SUBJECT)
            text = MESSAGE % {
                "name": person["name"],
                # At PUBLIC_URL: e-mail is on only with it set (reports/config.py).
                "url": auth.sign_in_url(secret, person["language"]),
                "minutes": human.minutes(minutes),
            }
        mail.send(person["email"], subject, text)
        current_app.logger.info("E-mailed a sign-in link to person %s.", person["person_id"])
    if links:
        last_sent[key] = now
    return len(links)
