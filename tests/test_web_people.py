"""The People pages (reports/web/directory.py): a coordinator lists, adds,
changes and removes people, makes a sign-in link, shown with its QR code, and
revokes a person's token, which signs out the browsers signed in with it; a
mentor and a viewer get the 403 page, and a signed-out browser the sign-in
page. A form that fails shows its errors by their fields and changes nothing."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
import segno

from reports import auth
from reports.db import write

from conftest import rows_in
from web_helpers import csrf_token, text

PEOPLE = "/people"
LINK = re.compile(r'<a href="(https?://[^"]+/login/[A-Za-z0-9_-]{43})" id="sign-in-link">\1</a>')
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def stored(database):
    """Every person, token and sign-in link, to check that a refusal changed nothing."""
    return lambda: rows_in(
        database,
        "SELECT * FROM person ORDER BY 1",
        "SELECT name, revoked_at, person_id FROM api_token ORDER BY 1",
        "SELECT * FROM sign_in_link ORDER BY 1",
    )


def post(client, path, **form):
    """POST a page's form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, PEOPLE), **form})


def add(client, **form):
    added = post(client, PEOPLE, **{"role": "mentor", "email": "", "language": "", **form})
    assert added.status_code == 303, text(added)
    return added.headers["Location"]


def api_people(client, tokens):
    return client.get("/api/v1/people", headers=tokens["coordinator"]).json["data"]


def sign_in_link(coordinator, location):
    """The secret of a new sign-in link of the person at `location`."""
    url = LINK.search(text(post(coordinator, f"{location}/sign-in-link"))).group(1)
    return url.rsplit("/", 1)[1]


def kept_signed_in(app, secret):
    """A browser signed in with a sign-in link, "Keep me signed in" ticked."""
    browser = app.test_client()
    form = {"csrf_token": csrf_token(browser, f"/login/{secret}"), "keep": "yes"}
    signed = browser.post(f"/login/{secret}", data=form)
    assert signed.status_code == 302
    assert "Max-Age=2592000" in " ".join(signed.headers.getlist("Set-Cookie"))
    assert browser.get("/reports/mine").status_code == 200
    return browser


def signed_out_because_revoked(browser):
    """Whether the browser's next page sends it to sign in, saying its token was revoked."""
    answer = browser.get("/reports/mine")
    return (
        answer.status_code == 302
        and answer.headers["Location"] == "/login"
        and "its token was revoked" in text(browser.get("/login"))
    )


def queued_writes_done(app):
    """Wait for the writes nobody waits on, such as a token's last use."""
    with app.app_context():
        write(lambda db: None)


def cells_of(body, name):
    """The cells of the table's row of `name`."""
    row = re.search(rf"<tr>\s*<td[^>]*>(?:<a [^>]*>)?(?:<code>)?{name}<.*?</tr>", body, re.S)
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)


def error_of(body, name):
    """The message right above field `name`, or None."""
    found = re.search(rf'<p class="error-message" id="{name}-error">.*?</span> (.*?)</p>', body)
    return found and found.group(1)


# Who gets the pages ----------------------------------------------------------------------


def test_a_coordinator_lists_the_people_with_their_role_and_e_mail(browsers, client, tokens):
    add(browsers["coordinator"], name="Nora Berg", email="nora@example.org", language="nb")

    body = text(browsers["coordinator"].get(PEOPLE))

    rows = re.findall(
        r"<tr>\s*<td[^>]*><a href=\"/people/(\w+)\" dir=\"auto\">([^<]+)</a>"
        r".*?<td[^>]*>(\w+)</td>\s*"
        r'<td[^>]*>(?:<bdi dir="ltr">)?([^<]+)(?:</bdi>)?</td>',
        body,
        re.S,
    )
    shown = [(name, role, email) for _, name, role, email in rows]
    assert ("Nora Berg", "mentor", "nora@example.org") in shown
    assert ("carla", "coordinator", "–") in shown
    assert {person_id for person_id, *_ in rows} == {
        each["person_id"] for each in api_people(client, tokens)
    }


def test_the_list_shows_each_person_s_last_sign_in_and_active_tokens(clock, app, browsers, tokens):
    coordinator = browsers["coordinator"]
    nora = add(coordinator, name="Nora Berg")
    add(coordinator, name="Ida Lund")
    secret = sign_in_link(coordinator, nora)
    sign_in_link(coordinator, nora)  # a second token, never used
    clock.advance(minutes=5)
    kept_signed_in(app, secret)
    clock.advance(minutes=5)
    post(coordinator, f"{nora}/tokens/nora_berg_2/revoke")
    queued_writes_done(app)

    body = text(coordinator.get(PEOPLE))

    assert re.search(r"<th[^>]*>Last sign-in</th><th[^>]*>Active tokens</th>", body)
    assert cells_of(body, "Nora Berg")[3:] == [
        '<time datetime="2026-03-20T14:15:00Z">20 Mar 2026, 14:15</time>',
        "1",
    ]
    assert cells_of(body, "Ida Lund")[3:] == ["Never", "0"]


def test_a_revoked_token_s_last_use_is_still_the_person_s_last_sign_in(
    clock, app, browsers, tokens
):
    coordinator = browsers["coordinator"]
    nora = add(coordinator, name="Nora Berg")
    kept_signed_in(app, sign_in_link(coordinator, nora))

    post(coordinator, f"{nora}/tokens/nora_berg/revoke")

    assert cells_of(text(coordinator.get(PEOPLE)), "Nora Berg")[3:] == [
        '<time datetime="2026-03-20T14:10:00Z">20 Mar 2026, 14:10</time>',
        "0",
    ]


@pytest.mark.parametrize("who", ["viewer", "mentor"])
def test_a_mentor_and_a_viewer_get_the_403_page_and_change_nothing(
    browsers, client, tokens, stored, who
):
    location = add(browsers["coordinator"], name="Nora Berg")
    person_id = location.rsplit("/", 1)[1]
    sign_in_link(browsers["coordinator"], location)
    mona = next(each for each in api_people(client, tokens) if each["name"] == "mona")
    before = stored()
    browser = browsers[who]
    token = csrf_token(browser, "/login")

    answers = [
        browser.get(PEOPLE),
        browser.get(f"{PEOPLE}/{person_id}"),
        browser.get(f"{PEOPLE}/{person_id}/remove"),
        browser.post(PEOPLE, data={"csrf_token": token, "name": "X", "role": "viewer"}),
        browser.post(f"{PEOPLE}/{person_id}", data={"csrf_token": token, "name": "Y"}),
        browser.post(f"{PEOPLE}/{person_id}/remove", data={"csrf_token": token}),
        browser.post(f"{PEOPLE}/{person_id}/sign-in-link", data={"csrf_token": token}),
        # Another person's token, and the mentor's own.
        browser.post(f"{PEOPLE}/{person_id}/tokens/nora_berg/revoke", data={"csrf_token": token}),
        browser.post(
            f"{PEOPLE}/{mona['person_id']}/tokens/mona/revoke", data={"csrf_token": token}
        ),
    ]

    for answer in answers:
        assert answer.status_code == 403 and answer.mimetype == "text/html"
        assert f"Only a coordinator token may do this, not a {who} token." in text(answer)
        assert "Nora Berg" not in text(answer)
    assert stored() == before
    assert 'href="/people"' not in text(browser.get("/reports"))


def test_a_signed_out_browser_goes_to_the_sign_in_page(browsers, tokens):
    for path in (PEOPLE, f"{PEOPLE}/prs_00000000"):
        answer = browsers["none"].get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_a_coordinator_has_people_and_activities_in_the_header(browsers):
    body = text(browsers["coordinator"].get("/reports"))
    nav = re.search(r'<nav aria-label="Pages">(.*?)</nav>', body, re.S).group(1)

    assert re.findall(r">([\w ]+)</a>", nav)[-3:-1] == ["People", "Activities"]


# Adding ----------------------------------------------------------------------------------


def test_a_coordinator_adds_a_mentor_with_a_peer_mentor_id(browsers, client, tokens):
    location = add(
        browsers["coordinator"],
        name="Nora Berg",
        email="nora@example.org",
        language="nb",
        peer_mentor_id="usr_nora",
    )

    added = [each for each in api_people(client, tokens) if each["name"] == "Nora Berg"]
    assert added == [
        {
            **added[0],
            "role": "mentor",
            "email": "nora@example.org",
            "language": "nb",
            "peer_mentor_id": "usr_nora",
        }
    ]
    assert location == f"/people/{added[0]['person_id']}"
    page = text(browsers["coordinator"].get(location))
    assert "Nora Berg is added." in page and "<code>usr_nora</code>" in page


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": ""}, "name", None),
        ({"name": "Nora", "role": "king"}, "role", None),
        ({"name": "Nora", "email": "not an address"}, "email", "Not a valid email address."),
        ({"name": "Nora", "language": "Norwegian!"}, "language", None),
        (
            {"name": "Nora", "role": "viewer", "peer_mentor_id": "usr_x"},
            "peer_mentor_id",
            "Only a mentor has a peer mentor id.",
        ),
        (
            {"name": "Nora", "peer_mentor_id": "usr_mentor_042"},
            "peer_mentor_id",
            "The peer mentor id &#39;usr_mentor_042&#39; is another person&#39;s.",
        ),
    ],
)
def test_a_wrong_new_person_is_shown_by_its_field_and_added_not(
    browsers, tokens, stored, form, field, message
):
    before = stored()
    typed = {"role": "mentor", "email": "", "language": "", **form}

    answer = post(browsers["coordinator"], PEOPLE, **typed)

    body = text(answer)
    assert answer.status_code in (409, 422)
    shown = error_of(body, field)
    assert shown and (message is None or shown == message), body
    assert f'<li><a href="#{field}">' in body  # the error summary links to it
    assert "<title>Error: People" in body
    if form.get("email"):
        assert 'value="not an address"' in body  # what was typed is kept
    assert stored() == before


# Changing and removing -------------------------------------------------------------------


def test_a_coordinator_changes_a_person(browsers, client, tokens):
    location = add(browsers["coordinator"], name="Nora Berg", email="nora@example.org")

    changed = post(
        browsers["coordinator"], location, name="Nora Dahl", role="viewer", email="", language="en"
    )

    assert changed.status_code == 303 and changed.headers["Location"] == location
    person = [each for each in api_people(client, tokens) if each["name"] == "Nora Dahl"]
    assert [(p["role"], p["email"], p["language"]) for p in person] == [("viewer", None, "en")]


def test_a_wrong_change_is_shown_by_its_field_and_changes_nothing(browsers, tokens, stored):
    location = add(browsers["coordinator"], name="Nora Berg")
    before = stored()

    answer = post(
        browsers["coordinator"], location, name="", role="mentor", email="x@", language=""
    )

    body = text(answer)
    assert answer.status_code == 422
    assert error_of(body, "name") and error_of(body, "email") == "Not a valid email address."
    assert 'value="x@"' in body
    assert stored() == before


def test_a_coordinator_removes_a_person_after_confirming(browsers, client, tokens):
    location = add(browsers["coordinator"], name="Nora Berg")

    confirm = browsers["coordinator"].get(f"{location}/remove")
    assert f'<form method="post" action="{location}/remove"' in text(confirm)
    assert "Nora Berg" in [each["name"] for each in api_people(client, tokens)]

    removed = post(browsers["coordinator"], f"{location}/remove")

    assert removed.status_code == 303 and removed.headers["Location"] == PEOPLE
    assert "Nora Berg" not in [each["name"] for each in api_people(client, tokens)]
    assert browsers["coordinator"].get(location).status_code == 404


def test_the_last_coordinator_stays_with_the_reason_shown(browsers, client, tokens, stored):
    carla = next(each for each in api_people(client, tokens) if each["name"] == "carla")
    location = f"{PEOPLE}/{carla['person_id']}"
    before = stored()

    demoted = post(browsers["coordinator"], location, name="carla", role="viewer")
    removed = post(browsers["coordinator"], f"{location}/remove")

    assert demoted.status_code == 409
    assert re.search(r'id="role-error">.*carla is the only coordinator', text(demoted))
    assert removed.status_code == 409 and "carla is the only coordinator" in text(removed)
    assert stored() == before


def test_removing_a_person_signs_out_its_kept_sessions(app, browsers, tokens):
    location = add(browsers["coordinator"], name="Nora Berg")
    nora = kept_signed_in(app, sign_in_link(browsers["coordinator"], location))

    post(browsers["coordinator"], f"{location}/remove")

    assert signed_out_because_revoked(nora)


def test_an_unknown_person_is_a_404_page(browsers):
    for person_id in ("prs_00000000", "not-an-id"):
        answer = browsers["coordinator"].get(f"{PEOPLE}/{person_id}")
        assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browsers, tokens, stored):
    location = add(browsers["coordinator"], name="Nora Berg")
    sign_in_link(browsers["coordinator"], location)
    before = stored()

    for path, form in [
        (PEOPLE, {"name": "Ida", "role": "viewer"}),
        (location, {"name": "Ida", "role": "viewer"}),
        (f"{location}/remove", {}),
        (f"{location}/sign-in-link", {}),
        (f"{location}/tokens/nora_berg/revoke", {}),
    ]:
        answer = browsers["coordinator"].post(path, data=form)
        assert answer.status_code == 400 and "This form has expired" in text(answer), path
    assert stored() == before


# The sign-in link ------------------------------------------------------------------------


def test_a_new_sign_in_link_is_shown_with_a_qr_code_of_exactly_it(browsers, app, tokens):
    location = add(browsers["coordinator"], name="Nora Berg")

    answer = post(browsers["coordinator"], f"{location}/sign-in-link")

    body = text(answer)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    url = LINK.search(body).group(1)
    secret = url.rsplit("/", 1)[1]
    assert secret not in answer.request.url
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert svg == segno.make(url, error="m").svg_inline(
        scale=4, border=4, title="QR code of the sign-in link", dark="#000", omitsize=True
    )
    ElementTree.fromstring(svg)  # well-formed, inline
    assert "It works <strong>once</strong>, until" in body
    # The link signs Nora in, once.
    stranger = app.test_client()
    stranger.post(f"/login/{secret}", data={"csrf_token": csrf_token(stranger, f"/login/{secret}")})
    assert "Signed in as <strong><bdi>Nora Berg</bdi></strong>" in text(
        stranger.get("/reports/mine")
    )
    again = app.test_client().get(f"/login/{secret}")
    assert again.status_code == 400 and "This sign-in link does not work" in text(again)


def test_a_sign_in_link_is_at_the_address_the_coordinator_reached_or_at_public_url(browsers, app):
    location = add(browsers["coordinator"], name="Nora Berg")

    reached = LINK.search(text(post(browsers["coordinator"], f"{location}/sign-in-link")))
    app.config["PUBLIC_URL"] = "https://reports.example.org/"
    public = LINK.search(text(post(browsers["coordinator"], f"{location}/sign-in-link")))

    assert reached.group(1).startswith("http://localhost/login/")
    assert public.group(1).startswith("https://reports.example.org/login/")


# Revoking a token ------------------------------------------------------------------------


def test_a_person_s_page_lists_its_active_tokens_each_with_a_revoke_button(clock, browsers, tokens):
    coordinator = browsers["coordinator"]
    location = add(coordinator, name="Nora Berg")
    assert "<bdi>Nora Berg</bdi> has no active token: a new sign-in link makes one." in text(
        coordinator.get(location)
    )
    sign_in_link(coordinator, location)
    clock.advance(minutes=30)
    sign_in_link(coordinator, location)

    body = text(coordinator.get(location))

    assert [
        cells[:3] for cells in (cells_of(body, name) for name in ("nora_berg", "nora_berg_2"))
    ] == [
        [
            "<code>nora_berg</code>",
            '<time datetime="2026-03-20T14:10:00Z">20 Mar 2026, 14:10</time>',
            "Never",
        ],
        [
            "<code>nora_berg_2</code>",
            '<time datetime="2026-03-20T14:40:00Z">20 Mar 2026, 14:40</time>',
            "Never",
        ],
    ]
    for name in ("nora_berg", "nora_berg_2"):
        form = re.search(
            rf'<form method="post" action="{location}/tokens/{name}/revoke">.*?</form>', body, re.S
        )
        assert 'name="csrf_token"' in form.group(0)
        assert f'Revoke<span class="visually-hidden"> {name}</span></button>' in form.group(0)


def test_revoking_a_token_signs_out_its_kept_session_at_once_and_deletes_its_links(
    app, browsers, tokens, database
):
    coordinator = browsers["coordinator"]
    location = add(coordinator, name="Nora Berg")
    nora = kept_signed_in(app, sign_in_link(coordinator, location))
    unused = sign_in_link(coordinator, location)  # a second token's link
    other_phone = kept_signed_in(app, sign_in_link(coordinator, location))
    with app.app_context():  # a link of the first token too, as `token link` makes one
        its_link = auth.create_sign_in_link("nora_berg", 15)

    revoked = post(coordinator, f"{location}/tokens/nora_berg/revoke")

    assert revoked.status_code == 303 and revoked.headers["Location"] == location
    page = text(coordinator.get(location))
    assert (
        "Nora Berg&#39;s token nora_berg is revoked: it no longer works, the browsers signed "
        "in with it are signed out, and its unused sign-in links are deleted."
    ) in page
    assert "<code>nora_berg</code>" not in page and "<code>nora_berg_2</code>" in page
    assert signed_out_because_revoked(nora)
    assert other_phone.get("/reports/mine").status_code == 200  # another token's session
    assert app.test_client().get(f"/login/{its_link}").status_code == 400
    assert app.test_client().get(f"/login/{unused}").status_code == 200
    assert rows_in(database, "SELECT token_name FROM sign_in_link") == [[("nora_berg_2",)]]


def test_a_token_not_of_the_person_or_revoked_already_is_a_404_page_that_changes_nothing(
    browsers, client, tokens, stored
):
    coordinator = browsers["coordinator"]
    location = add(coordinator, name="Nora Berg")
    sign_in_link(coordinator, location)
    post(coordinator, f"{location}/tokens/nora_berg/revoke")
    before = stored()

    for path in (
        f"{location}/tokens/mona/revoke",  # another person's, named in a crafted address
        f"{location}/tokens/nora_berg/revoke",  # revoked already
        f"{location}/tokens/nobody/revoke",
        f"{PEOPLE}/per_00000000/tokens/nora_berg/revoke",
    ):
        answer = post(coordinator, path)
        assert answer.status_code == 404 and answer.mimetype == "text/html", path
    assert "Nora Berg has no token named &#39;nora_berg&#39; in force." in text(
        post(coordinator, f"{location}/tokens/nora_berg/revoke")
    )
    assert stored() == before
    assert client.get("/api/v1/reports", headers=tokens["mentor"]).status_code == 200


def language_choices(page):
    start = page.index('<select id="language"')
    return re.findall(
        r'<option value="([^"]*)"[^>]*?( selected)?>([^<]*)</option>',
        page[start : page.index("</select>", start)],
    )


def test_a_persons_language_is_picked_among_the_pages_languages_by_name(browsers, client, tokens):
    assert language_choices(text(browsers["coordinator"].get("/people"))) == [
        ("", "", "Not set"),
        ("en", "", "English"),
        ("ar", "", "العربية"),
        ("nb", "", "Norsk bokmål"),
        ("uk", "", "Українська"),
    ]
    location = add(browsers["coordinator"], name="Nora Berg", language="nb")
    assert ("nb", " selected", "Norsk bokmål") in language_choices(
        text(browsers["coordinator"].get(location))
    )


def test_a_language_the_pages_are_not_in_stays_a_persons_choice(browsers, client, tokens):
    location = add(browsers["coordinator"], name="Nora Berg")
    person_id = location.rsplit("/", 1)[1]
    changed = client.put(
        f"/api/v1/people/{person_id}", json={"language": "pt-BR"}, headers=tokens["coordinator"]
    )
    assert changed.status_code == 200, changed.json

    choices = language_choices(text(browsers["coordinator"].get(location)))

    assert choices[-1] == ("pt-BR", " selected", "pt-BR")
    assert [value for value, selected, _ in choices if selected] == ["pt-BR"]


def notify_choices(body):
    """(value, " selected" or "", label) of each choice of the e-mails' select."""
    select = re.search(r'<select id="notify" name="notify".*?</select>', body, re.S).group(0)
    return re.findall(r'<option value="(\w*)"( selected)?>([^<]+)</option>', select)


def test_a_coordinator_chooses_which_e_mails_a_person_gets_beside_the_language(
    browsers, client, tokens
):
    coordinator = browsers["coordinator"]
    assert notify_choices(text(coordinator.get(PEOPLE))) == [
        ("each", " selected", "Each e-mail, as it happens"),
        ("digest", "", "A daily digest"),
        ("off", "", "None"),
    ]
    location = add(coordinator, name="Nora Berg", role="coordinator", notify="digest")
    assert ("digest", " selected", "A daily digest") in notify_choices(
        text(coordinator.get(location))
    )

    changed = post(coordinator, location, name="Nora Berg", role="coordinator", notify="off")

    assert changed.status_code == 303
    (nora,) = [each for each in api_people(client, tokens) if each["name"] == "Nora Berg"]
    assert nora["notify"] == "off"
    assert ("off", " selected", "None") in notify_choices(text(coordinator.get(location)))


def test_a_change_without_a_choice_of_e_mails_keeps_it(browsers, client, tokens):
    location = add(browsers["coordinator"], name="Nora Berg", notify="off")

    changed = post(browsers["coordinator"], location, name="Nora Dahl", role="mentor")

    assert changed.status_code == 303
    (nora,) = [each for each in api_people(client, tokens) if each["name"] == "Nora Dahl"]
    assert nora["notify"] == "off"


def test_a_choice_of_e_mails_not_offered_is_shown_by_its_field_and_changes_nothing(
    browsers, stored
):
    location = add(browsers["coordinator"], name="Nora Berg")
    before = stored()

    answer = post(
        browsers["coordinator"], location, name="Nora Berg", role="mentor", notify="weekly"
    )

    assert answer.status_code == 422
    assert error_of(text(answer), "notify") == "Must be one of: each, digest, off."
    assert stored() == before
