"""Who is e-mailed about what (reports/service/notifications.py), sent by the
dispatcher to a real SMTP server on this machine: a report submitted, to
each coordinator; a review that asks for more, to the report's mentor alone;
each in both parts, with its link and List-Unsubscribe; none to a person who
opted out, a digest to one who asked for it; nothing without SMTP_HOST."""

import re
import sqlite3

import pytest

from reports import auth, dispatcher, service
from reports.cli import OPERATOR

import conftest
from conftest import CONTRACT_REPORT, app_with
from peers import MAIL_FROM, PUBLIC_URL

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]


def mailing_app(database, port, **settings):
    return conftest.mailing_app(database, port, RETRY_SCHEDULE=[1, 1], **settings)


@pytest.fixture
def app(database, inbox):
    return mailing_app(database, inbox.port)


@pytest.fixture
def people(app):
    """Two coordinators, a viewer, the report's mentor and another mentor, each
    with an address; their Authorization headers by name."""
    made = {}
    with app.app_context():
        for name, role, mentor in [
            ("carla", "coordinator", None),
            ("cora", "coordinator", None),
            ("victor", "viewer", None),
            ("mona", "mentor", MENTOR),
            ("milo", "mentor", "usr_mentor_043"),
        ]:
            secret = auth.create_token(name, role, mentor, email=f"{name}@example.org")
            made[name] = {"Authorization": f"Bearer {secret}"}
    return made


def person_id(app, name):
    with app.app_context():
        people = service.list_people(caller=OPERATOR)
    return next(each["person_id"] for each in people if each["name"] == name)


def send(app):
    dispatcher.run_until_idle(app)


def parts(message):
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def submitted_report(client, people, **changes):
    body = {**CONTRACT_REPORT, "status": "submitted", **changes}
    return client.post(REPORTS, json=body, headers=people["mona"]).json["report_id"]


# A report submitted -------------------------------------------------------------------


def test_a_report_submitted_is_emailed_to_each_coordinator_with_its_link(
    app, client, inbox, people
):
    report = submitted_report(client, people)

    send(app)

    assert sorted(recipients for recipients, _ in inbox.messages) == [
        ["carla@example.org"],
        ["cora@example.org"],
    ]
    [message] = inbox.to("carla@example.org")
    assert message["Subject"] == f"Report submitted by mona: {CONTRACT_REPORT['activity_id']}"
    assert message["From"] == MAIL_FROM
    text, html = parts(message)
    assert text.startswith("Hello carla,")
    assert f"{PUBLIC_URL}/reports/{report}" in text
    assert f'href="{PUBLIC_URL}/reports/{report}"' in html
    assert '<html lang="en" dir="ltr">' in html


def test_a_draft_is_emailed_to_no_one_until_it_is_submitted(app, client, inbox, people):
    report = client.post(REPORTS, json=CONTRACT_REPORT, headers=people["mona"]).json["report_id"]
    client.put(
        f"{REPORTS}/{report}", json={"fields": {"attendance_count": 3}}, headers=people["mona"]
    )
    send(app)
    assert inbox.messages == []

    client.put(f"{REPORTS}/{report}", json={"status": "submitted"}, headers=people["mona"])
    send(app)

    assert len(inbox.to("carla@example.org")) == 1


def test_each_email_has_a_list_unsubscribe_link_for_its_person(app, client, inbox, people):
    submitted_report(client, people)

    send(app)

    [message] = inbox.to("carla@example.org")
    link = re.fullmatch(rf"<{PUBLIC_URL}/notifications/([^/>]+)/off>", message["List-Unsubscribe"])
    assert link is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with app.app_context():
        assert service.person_of_unsubscribe_token(link.group(1)) == person_id(app, "carla")
    text, html = parts(message)
    assert f"{PUBLIC_URL}/notifications/{link.group(1)}" in text
    assert f"{PUBLIC_URL}/notifications/{link.group(1)}" in html


def test_a_person_who_opted_out_gets_none(app, client, inbox, people):
    with app.app_context():
        service.set_notify_choice(person_id(app, "cora"), "off")

    submitted_report(client, people)
    send(app)

    assert inbox.to("cora@example.org") == [] and len(inbox.to("carla@example.org")) == 1


def test_a_person_who_opts_out_before_it_is_sent_gets_none(app, client, inbox, people):
    submitted_report(client, people)
    with app.app_context():
        service.notifications.make_mail(dispatcher.BATCH)
        service.set_notify_choice(person_id(app, "cora"), "off")

    send(app)

    assert inbox.to("cora@example.org") == [] and len(inbox.to("carla@example.org")) == 1


def test_a_digest_comes_once_the_day_is_over_with_every_report_of_it(
    database, inbox, people, clock
):
    app = mailing_app(database, inbox.port, TIME_ZONE="Europe/Oslo")
    with app.app_context():
        service.set_notify_choice(person_id(app, "cora"), "digest")
    client = app.test_client()
    first = submitted_report(client, people)
    clock.advance(hours=2)
    second = submitted_report(client, people, activity_id="act_later")
    send(app)
    assert inbox.to("cora@example.org") == []
    assert len(inbox.to("carla@example.org")) == 2

    clock.advance(hours=6, minutes=49)  # 23:59 in Oslo on 20 March 2026
    send(app)
    assert inbox.to("cora@example.org") == []
    clock.advance(minutes=1)
    send(app)

    [digest] = inbox.to("cora@example.org")
    assert digest["Subject"] == "Reports submitted on 20 Mar 2026"
    text, html = parts(digest)
    assert "2 reports were submitted on 20 Mar 2026:" in text
    assert f"{PUBLIC_URL}/reports/{first}" in text and f"{PUBLIC_URL}/reports/{second}" in html


# A review -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "subject", "what_to_do"),
    [
        ("has_issues", "Your report on {} has issues", "correct what the comment asks for"),
        ("rejected", "Your report on {} was rejected", "a rejected report is not counted"),
    ],
)
def test_a_review_that_asks_for_more_is_emailed_to_the_reports_mentor_alone(
    app, client, inbox, people, state, subject, what_to_do
):
    report = submitted_report(client, people)
    send(app)
    inbox.messages.clear()

    client.put(
        f"{REPORTS}/{report}/review",
        json={"review_state": state, "comment": "Add the <b>date</b>, please."},
        headers=people["carla"],
    )
    send(app)

    [(recipients, message)] = inbox.messages
    assert recipients == ["mona@example.org"]
    assert message["Subject"] == subject.format(CONTRACT_REPORT["activity_id"])
    text, html = parts(message)
    assert "carla read your report" in text and what_to_do in text
    assert "Add the <b>date</b>, please." in text
    assert "Add the &lt;b&gt;date&lt;/b&gt;, please." in html
    assert f"{PUBLIC_URL}/reports/{report}" in text and f"{PUBLIC_URL}/reports/{report}" in html


def test_an_approval_is_emailed_to_no_one(app, client, inbox, people):
    report = submitted_report(client, people)
    send(app)
    inbox.messages.clear()

    client.put(
        f"{REPORTS}/{report}/review", json={"review_state": "approved"}, headers=people["carla"]
    )
    send(app)

    assert inbox.messages == []


def test_no_mentor_is_emailed_about_another_mentors_report(app, client, inbox, people):
    other = {**CONTRACT_REPORT, "status": "submitted", "peer_mentor_id": "usr_mentor_043"}
    report = client.post(REPORTS, json=other, headers=people["milo"]).json["report_id"]
    send(app)
    inbox.messages.clear()

    client.put(
        f"{REPORTS}/{report}/review",
        json={"review_state": "has_issues", "comment": "Which group?"},
        headers=people["carla"],
    )
    send(app)

    assert [recipients for recipients, _ in inbox.messages] == [["milo@example.org"]]


# In the person's language ------------------------------------------------------------


def test_an_email_is_in_its_persons_language(app, client, inbox, people):
    with app.app_context():
        service.update_person(person_id(app, "carla"), {"language": "nb"}, caller=OPERATOR)

    submitted_report(client, people)
    send(app)

    [message] = inbox.to("carla@example.org")
    text, html = parts(message)
    assert text.startswith("Hei carla,")
    assert '<html lang="nb" dir="ltr">' in html
    [english] = inbox.to("cora@example.org")
    assert parts(english)[0].startswith("Hello cora,")


def test_an_arabic_email_is_right_to_left(app, client, inbox, people):
    with app.app_context():
        service.update_person(person_id(app, "carla"), {"language": "ar"}, caller=OPERATOR)

    submitted_report(client, people)
    send(app)

    [message] = inbox.to("carla@example.org")
    assert '<html lang="ar" dir="rtl">' in parts(message)[1]


# Retries, and without e-mail ----------------------------------------------------------


def test_an_email_the_server_refuses_for_now_is_sent_on_a_later_try(
    app, client, inbox, people, database
):
    inbox.refusing = True
    submitted_report(client, people)
    send(app)
    assert inbox.messages == []

    inbox.refusing = False
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE mail SET send_after = '2000-01-01T00:00:00Z'")
    send(app)

    assert len(inbox.to("carla@example.org")) == 1


def test_without_smtp_host_nothing_queues_and_turning_it_on_mails_only_what_follows(
    database, inbox, people
):
    quiet = app_with(database)
    dispatcher.prepare(quiet)
    submitted_report(quiet.test_client(), people)
    dispatcher.run_until_idle(quiet)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM mail").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM event").fetchone() == (2,)

    app = mailing_app(database, inbox.port)
    send(app)
    assert inbox.messages == []
    submitted_report(app.test_client(), people)
    send(app)

    assert len(inbox.to("carla@example.org")) == 1


def test_an_email_that_cannot_be_made_holds_up_no_other(app, client, inbox, people, database):
    carla = person_id(app, "carla")
    with sqlite3.connect(database) as connection:  # a row no e-mail can be made of
        connection.execute(
            "INSERT INTO mail (kind, person_id, detail, send_after) "
            "VALUES ('webhook_failing', ?, '{}', '2000-01-01T00:00:00Z')",
            (carla,),
        )
    submitted_report(client, people)

    send(app)

    [message] = inbox.to("carla@example.org")
    assert message["Subject"].startswith("Report submitted by mona")
    with sqlite3.connect(database) as connection:  # tried again on RETRY_SCHEDULE
        [(kind, failures)] = connection.execute("SELECT kind, failures FROM mail").fetchall()
    assert kind == "webhook_failing" and failures >= 1


def test_the_plain_text_part_is_not_escaped_and_the_html_part_is(app, client, inbox, people):
    with app.app_context():
        service.update_person(
            person_id(app, "mona"), {"name": "Mo O'Brien & <Co>"}, caller=OPERATOR
        )

    submitted_report(client, people)
    send(app)

    text, html = parts(inbox.to("carla@example.org")[0])
    assert "Mo O'Brien & <Co> submitted a report on" in text
    assert "Mo O&#39;Brien &amp; &lt;Co&gt; submitted a report on" in html
