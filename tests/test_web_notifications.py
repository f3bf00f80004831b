"""The pages of the link every e-mail carries (reports/web/notifications.py):
`/notifications/<token>` shows a person's choice of e-mails and saves
another; `/notifications/<token>/off`, the List-Unsubscribe address, changes
nothing on a GET and turns e-mail off on a one-click POST (RFC 8058), which
needs no session nor CSRF token. No sign-in is asked: the signed token is the
credential, and it changes its own person's choice only. A token not made
here, or of a person no longer here, is a 404 page."""

import re

import pytest
from itsdangerous import URLSafeSerializer

from reports import auth, dispatcher, service
from reports.service import notifications

from conftest import CONTRACT_REPORT, mailing_app
from test_requestlog import Captured
from web_helpers import csrf_token, text

PEOPLE = "/api/v1/people"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
PUBLIC_URL = "http://reports.example.org"


@pytest.fixture
def people(client, tokens):
    """Two coordinators and a mentor with an address, each by their name: their id."""
    ids = {}
    for name, role, language in (
        ("Carla Berg", "coordinator", None),
        ("Cato Lund", "coordinator", "nb"),
        ("Mona Hansen", "mentor", None),
    ):
        body = {"name": name, "role": role, "email": f"{name.split()[0].lower()}@example.org"}
        added = client.post(
            PEOPLE, json={**body, "language": language}, headers=tokens["coordinator"]
        )
        assert added.status_code == 201, added.json
        ids[name] = added.json["person_id"]
    return ids


def link(app, person_id):
    """The path of the person's link, as their e-mails carry it."""
    with app.app_context():
        return f"/notifications/{notifications.unsubscribe_token(person_id)}"


def choices(client, tokens):
    """Each person's choice of e-mails, by their name, as the API says."""
    listed = client.get(PEOPLE, headers=tokens["coordinator"]).json["data"]
    return {person["name"]: person["notify"] for person in listed if person["email"]}


def shown_choices(body):
    """(value, checked) of each radio of the page."""
    return [
        (value, bool(checked))
        for value, checked in re.findall(
            r'<input type="radio" id="[\w-]+" name="notify" value="(\w+)"[^>]*?( checked)?>', body
        )
    ]


def save(browser, path, choice):
    return browser.post(path, data={"csrf_token": csrf_token(browser, path), "notify": choice})


# The page of the link ------------------------------------------------------------


def test_the_link_shows_a_coordinator_s_choice_with_no_sign_in(app, browsers, people):
    path = link(app, people["Carla Berg"])

    page = browsers["none"].get(path)

    assert page.status_code == 200
    body = text(page)
    assert shown_choices(body) == [("each", True), ("digest", False), ("off", False)]
    assert "Carla Berg" in body and "carla@example.org" in body
    assert '<label for="notify-digest">A daily digest</label>' in body
    assert "Cato Lund" not in body


def test_a_mentor_is_offered_no_digest(app, browsers, people):
    body = text(browsers["none"].get(link(app, people["Mona Hansen"])))

    assert shown_choices(body) == [("each", True), ("off", False)]
    assert "marks one of your reports as having issues" in body


def test_a_choice_saved_changes_that_person_s_only(app, browsers, client, tokens, people):
    path = link(app, people["Carla Berg"])

    saved = save(browsers["none"], path, "digest")

    assert saved.status_code == 303 and saved.headers["Location"] == path
    assert choices(client, tokens) == {
        "Carla Berg": "digest",
        "Cato Lund": "each",
        "Mona Hansen": "each",
    }
    body = text(browsers["none"].get(path))
    assert "Saved: you get a daily digest." in body
    assert shown_choices(body) == [("each", False), ("digest", True), ("off", False)]


def test_another_person_s_link_changes_that_person_only(app, browsers, client, tokens, people):
    save(browsers["none"], link(app, people["Mona Hansen"]), "off")
    save(browsers["none"], link(app, people["Cato Lund"]), "digest")

    assert choices(client, tokens) == {
        "Carla Berg": "each",
        "Cato Lund": "digest",
        "Mona Hansen": "off",
    }


def test_a_save_without_its_csrf_token_is_refused_and_changes_nothing(
    app, browsers, client, tokens, people
):
    path = link(app, people["Carla Berg"])
    browsers["none"].get(path)

    refused = browsers["none"].post(path, data={"notify": "off"})

    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "This form has expired" in text(refused)
    assert choices(client, tokens)["Carla Berg"] == "each"


@pytest.mark.parametrize(
    ("who", "choice"), [("Carla Berg", "never"), ("Carla Berg", ""), ("Mona Hansen", "digest")]
)
def test_a_choice_not_offered_is_shown_by_its_field_and_saved_not(
    app, browsers, client, tokens, people, who, choice
):
    path = link(app, people[who])

    refused = save(browsers["none"], path, choice)

    assert refused.status_code == 422
    body = text(refused)
    assert re.search(
        r'<p class="error-message" id="notify-error">.*?</span> Choose which e-mails you get</p>',
        body,
    )
    assert '<a href="#notify">Choose which e-mails you get</a>' in body
    assert choices(client, tokens)[who] == "each"


# The List-Unsubscribe address ---------------------------------------------------------


def test_a_get_of_the_unsubscribe_address_shows_none_picked_and_changes_nothing(
    app, browsers, client, tokens, people
):
    path = link(app, people["Carla Berg"])

    page = browsers["none"].get(f"{path}/off")

    assert page.status_code == 200
    body = text(page)
    assert shown_choices(body) == [("each", False), ("digest", False), ("off", True)]
    # Its button saves through the page of the link, with the form's CSRF token.
    assert f'<form method="post" action="{path}"' in body
    assert choices(client, tokens)["Carla Berg"] == "each"


def test_a_one_click_post_turns_e_mail_off_with_no_session_nor_csrf_token(
    app, client, tokens, people
):
    path = link(app, people["Carla Berg"])
    provider = app.test_client()  # as a mail provider's server sends it: nothing else

    answer = provider.post(f"{path}/off", data=ONE_CLICK)

    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "sends no more e-mails to" in text(answer)
    assert provider.get_cookie("session") is None
    assert choices(client, tokens) == {
        "Carla Berg": "off",
        "Cato Lund": "each",
        "Mona Hansen": "each",
    }


@pytest.mark.parametrize("body", [{}, {"List-Unsubscribe": "yes"}, {"notify": "off"}])
def test_a_post_to_the_unsubscribe_address_without_the_one_click_body_changes_nothing(
    app, client, tokens, people, body
):
    answer = app.test_client().post(f"{link(app, people['Carla Berg'])}/off", data=body)

    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert "List-Unsubscribe=One-Click" in text(answer)
    assert choices(client, tokens)["Carla Berg"] == "each"


# Tokens that are no link --------------------------------------------------------------


def not_links(app, client, tokens, people):
    """Paths like a link's whose token is none of a person here."""
    removed = people["Cato Lund"]
    removed_link = link(app, removed)
    assert client.delete(f"{PEOPLE}/{removed}", headers=tokens["coordinator"]).status_code == 200
    elsewhere = URLSafeSerializer("another-key", salt=notifications.UNSUBSCRIBE_SALT)
    unknown = link(app, "prs_00000000")
    return {
        "garbage": "/notifications/not-a-token",
        "signed elsewhere": f"/notifications/{elsewhere.dumps(people['Carla Berg'])}",
        "of no person": unknown,
        "of a removed person": removed_link,
    }


def test_a_token_not_made_here_or_of_a_person_no_longer_here_is_a_404_page(
    app, browsers, client, tokens, people
):
    paths = not_links(app, client, tokens, people)
    before = choices(client, tokens)
    browser = browsers["none"]
    token = csrf_token(browser, "/login")

    for what, path in paths.items():
        answers = [
            browser.get(path),
            browser.get(f"{path}/off"),
            browser.post(path, data={"csrf_token": token, "notify": "off"}),
            browser.post(f"{path}/off", data=ONE_CLICK),
        ]
        for answer in answers:
            assert answer.status_code == 404 and answer.mimetype == "text/html", what
            assert "This link to choose your e-mails is not one of this service" in text(answer)

    assert choices(client, tokens) == before


def test_a_person_without_an_address_has_no_page(app, browsers, client, tokens, people):
    person = people["Carla Berg"]
    path = link(app, person)
    changed = client.put(f"{PEOPLE}/{person}", json={"email": None}, headers=tokens["coordinator"])
    assert changed.status_code == 200

    assert browsers["none"].get(path).status_code == 404


# The page's language, and the log -----------------------------------------------------


def test_the_page_is_in_its_person_s_language_unless_its_address_chooses(app, browsers, people):
    path = link(app, people["Cato Lund"])  # language nb

    assert '<html lang="nb"' in text(browsers["none"].get(path))
    assert '<html lang="en"' in text(browsers["none"].get(f"{path}?lang=en"))
    assert '<html lang="en"' in text(browsers["none"].get(link(app, people["Carla Berg"])))


def test_the_log_never_holds_a_link_s_token(app, people):
    stream = Captured()
    app.extensions["request_log"].stream = stream
    path = link(app, people["Carla Berg"])
    token = path.rsplit("/", 1)[1]

    app.test_client().get(path)
    app.test_client().post(f"{path}/off", data=ONE_CLICK)

    lines = [line for line in stream.lines if "/notifications/" in line]
    assert len(lines) == 2
    assert all(token not in line for line in lines)
    assert " GET /notifications/… 200 " in lines[0]
    assert " POST /notifications/…/off 200 " in lines[1]


# The e-mails' links -------------------------------------------------------------------


@pytest.fixture
def mailing(database, inbox):
    """The app with e-mail on, through the SMTP server of `inbox`."""
    return mailing_app(database, inbox.port, PUBLIC_URL=PUBLIC_URL)


def test_the_links_of_an_e_mail_lead_to_these_pages(mailing, inbox):
    with mailing.app_context():
        secret = auth.create_token("carla", "coordinator")
    client = mailing.test_client()
    coordinator = {"Authorization": f"Bearer {secret}"}
    added = client.post(
        PEOPLE,
        json={"name": "Carla Berg", "role": "coordinator", "email": "carla@example.org"},
        headers=coordinator,
    )
    assert added.status_code == 201

    def submit():
        body = {**CONTRACT_REPORT, "status": "submitted"}
        assert client.post("/api/v1/reports", json=body, headers=coordinator).status_code == 201
        dispatcher.run_until_idle(mailing)

    submit()
    (message,) = inbox.to("carla@example.org")
    settings = re.search(
        rf"{PUBLIC_URL}(/notifications/\S+)", message.get_body(("plain",)).get_content()
    )
    html = message.get_body(("html",)).get_content()
    unsubscribe = re.fullmatch(rf"<{PUBLIC_URL}(/notifications/\S+)>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{PUBLIC_URL}{settings.group(1)}"' in html

    page = client.get(settings.group(1))
    assert page.status_code == 200 and "carla@example.org" in text(page)
    assert unsubscribe.group(1) == f"{settings.group(1)}/off"
    assert client.get(unsubscribe.group(1)).status_code == 200
    assert len(inbox.messages) == 1

    assert mailing.test_client().post(unsubscribe.group(1), data=ONE_CLICK).status_code == 200
    submit()
    assert len(inbox.messages) == 1  # none since
    with mailing.app_context():
        assert service.notify_choice(added.json["person_id"]) == "off"
