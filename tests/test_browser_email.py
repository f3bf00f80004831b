"""The e-mails as they look, in a real browser: the HTML part of each e-mail a
real SMTP server on this machine received, opened in Chromium, checked with
axe-core at a phone's and a desk's width, and shot (browser.py); the one of a
review that asks for more is shown in docs/integrations.md."""

import pytest

from reports import auth, dispatcher, service
from reports.cli import OPERATOR

from browser import Browser
from conftest import CONTRACT_REPORT, mailing_app
from peers import smtp_inbox

REPORTS = "/api/v1/reports"


@pytest.fixture
def received(database):
    """The e-mails of a report submitted and of its review (has issues), in English and Arabic."""
    with smtp_inbox() as inbox:
        app = mailing_app(database, inbox.port)
        with app.app_context():
            service.create_activity({"name": "CV workshop", "mentors": []}, caller=OPERATOR)
            [activity] = service.list_activities(caller=OPERATOR)
            carla = auth.create_token("carla", "coordinator", email="carla@example.org")
            mona = auth.create_token(
                "mona", "mentor", CONTRACT_REPORT["peer_mentor_id"], email="mona@example.org"
            )
            amal = auth.create_token("amal", "mentor", "usr_mentor_077", email="amal@example.org")
            people = service.list_people(caller=OPERATOR)
            for person in people:
                if person["name"] in ("mona", "carla"):
                    service.update_person(
                        person["person_id"], {"name": person["name"].title()}, caller=OPERATOR
                    )
                if person["name"] == "amal":
                    service.update_person(person["person_id"], {"language": "ar"}, caller=OPERATOR)
        client = app.test_client()
        for mentor, secret in ((CONTRACT_REPORT["peer_mentor_id"], mona), ("usr_mentor_077", amal)):
            body = {
                **CONTRACT_REPORT,
                "peer_mentor_id": mentor,
                "activity_id": activity["activity_id"],
                "status": "submitted",
            }
            report = client.post(
                REPORTS, json=body, headers={"Authorization": f"Bearer {secret}"}
            ).json["report_id"]
            client.put(
                f"{REPORTS}/{report}/review",
                json={
                    "review_state": "has_issues",
                    "comment": "Thank you! Please add how many came, and the next steps "
                    "you agreed with the group.",
                },
                headers={"Authorization": f"Bearer {carla}"},
            )
        dispatcher.run_until_idle(app)
    return inbox


def opened(chromium, tmp_path, message, name):
    page = tmp_path / f"{name}.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    web = Browser(chromium, None, tmp_path / "screenshots")
    chromium.get(page.as_uri())
    return web


def test_the_emails_read_well_on_a_phone_and_at_a_desk(chromium, tmp_path, received):
    [submitted] = received.to("carla@example.org")[:1]
    [review] = received.to("mona@example.org")
    [arabic] = received.to("amal@example.org")

    opened(chromium, tmp_path, submitted, "submitted").check_page("submitted e-mail")
    web = opened(chromium, tmp_path, review, "review")
    shots = web.check_page("review e-mail")
    web.keep_for_readme(shots[0], "screenshot-email.png")
    opened(chromium, tmp_path, arabic, "arabic").check_page("Arabic review e-mail")

    assert chromium.execute_script("return document.dir") == "rtl"
