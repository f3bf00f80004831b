"""People (`/api/v1/people`, reports/service/people.py): a coordinator adds,
changes and removes them, and revokes their tokens; a viewer reads them all; a
mentor reads only its own person. A person's role is what its tokens may do;
removing it revokes them and keeps its reports."""

import re
import sqlite3

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from reports import auth, queries, service
from reports.auth import Caller
from reports.db import get_db
from reports.errors import Conflict

from conftest import CONTRACT_REPORT
from web_helpers import csrf_token

PEOPLE = "/api/v1/people"
REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]
PERSON_KEYS = [
    "person_id", "name", "role", "peer_mentor_id", "email", "language", "notify", "created_at",
]  # fmt: skip
NOTIFY_REFUSED = "Must be one of: each, digest, off."
# At the address the client reached (the test client's), PUBLIC_URL being unset.
LINK = re.compile(r"^http://localhost/login/([A-Za-z0-9_-]{43})$")


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def add(client, headers=None, **body):
    response = client.post(PEOPLE, json=body, headers=headers or {})
    assert response.status_code == 201, response.json
    return response.json


def stored(database, table):
    connection = sqlite3.connect(database)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        connection.close()


def tokens_in_file(database):
    """Each token's name, person and revocation (not its last use, which a read notes)."""
    return [(row[0], row[4], row[5]) for row in stored(database, "api_token")]


def filed(client, headers, **overrides):
    """A report of the contract's, filed with `headers`."""
    created = client.post(REPORTS, json={**CONTRACT_REPORT, **overrides}, headers=headers)
    assert created.status_code == 201, created.json
    return created.json


def person_of(client, headers, name):
    people = client.get(PEOPLE, headers=headers).json["data"]
    return next(person for person in people if person["name"] == name)


# Adding -------------------------------------------------------------------------


def test_a_coordinator_adds_a_mentor_whose_peer_mentor_id_is_made_from_the_name(client, tokens):
    response = client.post(
        PEOPLE,
        json={"name": "  Mona Hansen ", "role": "mentor", "email": "mona@example.org",
              "language": "nb"},
        headers=tokens["coordinator"],
    )  # fmt: skip

    assert response.status_code == 201
    person = response.json
    assert list(person) == PERSON_KEYS
    assert re.fullmatch(r"per_[0-9a-f]{8}", person["person_id"])
    assert person["name"] == "Mona Hansen"
    assert person["peer_mentor_id"] == "usr_mona_hansen"
    assert (person["email"], person["language"]) == ("mona@example.org", "nb")
    assert response.headers["Location"] == f"{PEOPLE}/{person['person_id']}"
    assert client.get(response.headers["Location"], headers=tokens["viewer"]).json == person


def test_a_person_gets_each_e_mail_as_it_happens_unless_told_otherwise(client):
    told = add(client, name="Carla", role="coordinator", email="carla@example.org")
    chosen = add(client, name="Dina", role="coordinator", email="dina@example.org",
                 notify="digest")  # fmt: skip

    assert (told["notify"], chosen["notify"]) == ("each", "digest")
    assert client.get(f"{PEOPLE}/{told['person_id']}").json["notify"] == "each"
    assert [person["notify"] for person in client.get(PEOPLE).json["data"]] == ["each", "digest"]


def test_two_people_of_one_name_get_distinct_ids(client):
    first = add(client, name="Mona Hansen", role="mentor")
    second = add(client, name="Mona Hansen", role="mentor")
    viewer = add(client, name="Mona Hansen", role="viewer")

    assert first["person_id"] != second["person_id"] != viewer["person_id"]
    assert [first["peer_mentor_id"], second["peer_mentor_id"]] == [
        "usr_mona_hansen",
        "usr_mona_hansen_2",
    ]
    assert viewer["peer_mentor_id"] is None


@pytest.mark.parametrize(
    ("name", "made"),
    [
        ("Åse Øye", "usr_ase_oye"),
        ("Ærlig Ødegård", "usr_aerlig_odegard"),
        ("José Ñúñez", "usr_jose_nunez"),
        ("Олена Петренко", "usr_olena_petrenko"),
        ("Jean-Luc O'Brien", "usr_jean_luc_obrien"),
        ("x" * 100, "usr_" + "x" * 52),
    ],
)
def test_a_peer_mentor_id_is_an_ascii_slug_of_the_name(client, name, made):
    assert add(client, name=name, role="mentor")["peer_mentor_id"] == made


def test_a_name_with_no_latin_letters_gets_random_hex(client):
    first = add(client, name="محمد علي", role="mentor")["peer_mentor_id"]
    second = add(client, name="محمد علي", role="mentor")["peer_mentor_id"]

    assert re.fullmatch(r"usr_[0-9a-f]{8}", first) and re.fullmatch(r"usr_[0-9a-f]{8}", second)
    assert first != second


def test_a_given_peer_mentor_id_is_kept_and_a_taken_one_is_a_409(client, database):
    assert add(client, name="Mona", role="mentor", peer_mentor_id=MENTOR)["peer_mentor_id"] == (
        MENTOR
    )
    before = stored(database, "person")

    again = client.post(PEOPLE, json={"name": "Other", "role": "mentor", "peer_mentor_id": MENTOR})

    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert MENTOR in again.json["detail"]
    assert stored(database, "person") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "mentor"}, "name"),
        ({"name": "   ", "role": "mentor"}, "name"),
        ({"name": "x" * 101, "role": "mentor"}, "name"),
        ({"name": "Two\nlines", "role": "mentor"}, "name"),
        ({"name": "Nul\x00", "role": "mentor"}, "name"),
        ({"name": 7, "role": "mentor"}, "name"),
        ({"name": "Mona"}, "role"),
        ({"name": "Mona", "role": "admin"}, "role"),
        ({"name": "Mona", "role": "mentor", "email": "not an address"}, "email"),
        ({"name": "Mona", "role": "mentor", "language": "Norwegian"}, "language"),
        ({"name": "Mona", "role": "viewer", "peer_mentor_id": "usr_x"}, "peer_mentor_id"),
        ({"name": "Mona", "role": "mentor", "peer_mentor_id": "has space"}, "peer_mentor_id"),
        ({"name": "Mona", "role": "mentor", "age": 40}, "age"),
    ],
)
def test_a_bad_body_is_a_422_that_names_the_field_and_adds_no_one(client, database, body, field):
    response = client.post(PEOPLE, json=body)

    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert stored(database, "person") == []


# Who sees whom -----------------------------------------------------------------------


def test_a_viewer_reads_everyone_and_a_mentor_only_its_own_person(client, tokens):
    other = add(client, tokens["coordinator"], name="Omar", role="mentor")
    everyone = {
        person["name"] for person in client.get(PEOPLE, headers=tokens["viewer"]).json["data"]
    }
    own = client.get(PEOPLE, headers=tokens["mentor"]).json["data"]

    assert everyone == {"carla", "victor", "mona", "Omar"}
    assert [(person["name"], person["peer_mentor_id"]) for person in own] == [("mona", MENTOR)]
    assert (
        client.get(f"{PEOPLE}/{own[0]['person_id']}", headers=tokens["mentor"]).status_code == 200
    )
    # Another's person is not found, as another mentor's report is not.
    hidden = client.get(f"{PEOPLE}/{other['person_id']}", headers=tokens["mentor"])
    assert hidden.status_code == 404
    assert hidden.json["detail"] == client.get(
        f"{PEOPLE}/per_00000000", headers=tokens["mentor"]
    ).json["detail"].replace("per_00000000", other["person_id"])


@pytest.mark.parametrize("role", ["viewer", "mentor"])
def test_a_viewer_or_a_mentor_changes_no_one(client, tokens, database, role):
    own = client.get(PEOPLE, headers=tokens["mentor"]).json["data"][0]["person_id"]
    carla = person_of(client, tokens["coordinator"], "carla")["person_id"]
    before = stored(database, "person"), tokens_in_file(database)
    headers = tokens[role]

    answers = [
        client.post(PEOPLE, json={"name": "Eve", "role": "coordinator"}, headers=headers),
        client.put(f"{PEOPLE}/{own}", json={"role": "coordinator"}, headers=headers),
        client.delete(f"{PEOPLE}/{own}", headers=headers),
        client.post(f"{PEOPLE}/{own}/sign-in-links", headers=headers),
        client.delete(f"{PEOPLE}/{own}/tokens/mona", headers=headers),
        client.delete(f"{PEOPLE}/{carla}/tokens/carla", headers=headers),
    ]

    assert [answer.status_code for answer in answers] == [403] * 6
    assert {answer.content_type for answer in answers} == {"application/problem+json"}
    assert (stored(database, "person"), tokens_in_file(database)) == before


def test_an_unknown_person_is_a_404(client):
    for path in (f"{PEOPLE}/per_0000abcd", f"{PEOPLE}/nobody"):
        assert client.get(path).status_code == 404
        assert client.put(path, json={"name": "X"}).status_code == 404
        assert client.delete(path).status_code == 404
        assert client.post(f"{path}/sign-in-links").status_code == 404
        assert client.get(f"{path}/tokens").status_code == 404
        assert client.delete(f"{path}/tokens/anonymous").status_code == 404


# Changing --------------------------------------------------------------------------


def test_a_change_replaces_what_it_names_and_keeps_the_rest(client):
    person = add(client, name="Mona", role="mentor", email="mona@example.org", language="nb")

    changed = client.put(
        f"{PEOPLE}/{person['person_id']}", json={"name": "Mona Berg", "language": None}
    )

    assert changed.status_code == 200
    assert changed.json == {**person, "name": "Mona Berg", "language": None}
    assert client.put(f"{PEOPLE}/{person['person_id']}", json={}).status_code == 422


def test_a_coordinator_chooses_which_e_mails_a_person_gets(client):
    person = add(client, name="Carla", role="coordinator", email="carla@example.org")
    path = f"{PEOPLE}/{person['person_id']}"

    changed = client.put(path, json={"notify": "digest"})

    assert changed.status_code == 200
    assert changed.json == {**person, "notify": "digest"}
    assert client.get(path).json == changed.json
    assert client.put(path, json={"name": "Carla Berg"}).json["notify"] == "digest"
    assert client.put(path, json={"notify": "off"}).json["notify"] == "off"


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(
    ("notify", "message"),
    [
        ("weekly", NOTIFY_REFUSED),
        ("Each", NOTIFY_REFUSED),
        ("", NOTIFY_REFUSED),
        (1, "Not a valid string."),
        (None, "Field may not be null."),
    ],
)
def test_a_notify_other_than_each_digest_or_off_is_a_422_naming_it(
    client, database, method, notify, message
):
    person = add(client, name="Carla", role="coordinator", email="carla@example.org")
    before = stored(database, "person")

    if method == "POST":
        response = client.post(PEOPLE, json={"name": "Dina", "role": "viewer", "notify": notify})
    else:
        response = client.put(f"{PEOPLE}/{person['person_id']}", json={"notify": notify})

    assert response.status_code == 422
    assert response.json["errors"] == {"notify": [message]}
    assert stored(database, "person") == before


def test_a_new_role_is_what_the_person_s_tokens_may_do_from_their_next_request(client, tokens):
    report = filed(client, tokens["coordinator"], status="submitted")
    mona = person_of(client, tokens["coordinator"], "mona")
    review = {"review_state": "approved", "comment": ""}
    path = f"{REPORTS}/{report['report_id']}/review"
    assert client.put(path, json=review, headers=tokens["mentor"]).status_code == 403

    promoted = client.put(
        f"{PEOPLE}/{mona['person_id']}", json={"role": "coordinator"}, headers=tokens["coordinator"]
    )
    assert promoted.json["peer_mentor_id"] is None
    assert client.put(path, json=review, headers=tokens["mentor"]).status_code == 200

    # A mentor again, with the peer mentor id it had: its reports are its own again.
    back = client.put(
        f"{PEOPLE}/{mona['person_id']}", json={"role": "mentor"}, headers=tokens["coordinator"]
    )
    assert back.json["peer_mentor_id"] == MENTOR
    assert client.put(path, json=review, headers=tokens["mentor"]).status_code == 403
    assert (
        client.get(f"{REPORTS}/{report['report_id']}", headers=tokens["mentor"]).status_code == 200
    )


def test_a_person_who_becomes_a_mentor_gets_a_peer_mentor_id(client):
    person = add(client, name="Vera Lind", role="viewer")

    changed = client.put(f"{PEOPLE}/{person['person_id']}", json={"role": "mentor"})

    assert changed.json["peer_mentor_id"] == "usr_vera_lind"


def test_renaming_a_mentor_keeps_its_reports(client, tokens):
    report = filed(client, tokens["mentor"])
    mona = person_of(client, tokens["coordinator"], "mona")

    client.put(
        f"{PEOPLE}/{mona['person_id']}", json={"name": "Mona Berg"}, headers=tokens["coordinator"]
    )

    assert client.get(f"{PEOPLE}/{mona['person_id']}", headers=tokens["mentor"]).json["name"] == (
        "Mona Berg"
    )
    mine = client.get(f"{REPORTS}/by-mentor/{MENTOR}", headers=tokens["mentor"]).json["data"]
    assert [row["report_id"] for row in mine] == [report["report_id"]]


# Removing ------------------------------------------------------------------------------


def test_removing_a_person_revokes_its_tokens_and_keeps_its_reports(app, client, tokens, database):
    report = filed(client, tokens["mentor"])
    mona = person_of(client, tokens["coordinator"], "mona")
    with app.app_context():
        unused = auth.create_sign_in_link("mona", 15)
    browser = app.test_client()
    browser.post(f"/login/{auth_link(app, 'mona')}", data={"csrf_token": csrf_token(browser)})
    assert browser.get("/").headers["Location"] == "/reports/mine"

    removed = client.delete(f"{PEOPLE}/{mona['person_id']}", headers=tokens["coordinator"])

    assert removed.status_code == 200
    assert removed.json == {"removed": True, "person_id": mona["person_id"]}
    assert client.get(REPORTS, headers=tokens["mentor"]).status_code == 401
    assert browser.get("/").headers["Location"] == "/login"  # its session is ended
    assert (
        browser.post(f"/login/{unused}", data={"csrf_token": csrf_token(browser)}).status_code
        == 400
    )
    kept = client.get(f"{REPORTS}/{report['report_id']}", headers=tokens["coordinator"])
    assert kept.status_code == 200 and kept.json["peer_mentor_id"] == MENTOR
    assert client.get(
        f"{PEOPLE}/{mona['person_id']}", headers=tokens["coordinator"]
    ).status_code == (404)
    listed = client.get(PEOPLE, headers=tokens["coordinator"]).json["data"]
    assert "mona" not in [person["name"] for person in listed]
    # Its row stays, with its name for its reports, without its e-mail address and language.
    row = [row for row in stored(database, "person") if row[0] == mona["person_id"]][0]
    assert row[1:6] == ("mona", "mentor", MENTOR, None, None) and row[7] is not None
    assert stored(database, "sign_in_link") == []


def auth_link(app, name):
    with app.app_context():
        return auth.create_sign_in_link(name, 15)


def test_a_removed_mentor_s_peer_mentor_id_is_not_given_again(client):
    first = add(client, name="Mona Hansen", role="mentor")
    client.delete(f"{PEOPLE}/{first['person_id']}")

    again = add(client, name="Mona Hansen", role="mentor")

    assert again["peer_mentor_id"] == "usr_mona_hansen_2"
    refused = client.post(
        PEOPLE, json={"name": "X", "role": "mentor", "peer_mentor_id": "usr_mona_hansen"}
    )
    assert refused.status_code == 409


def person_named(client, headers, name):
    return next(
        each for each in client.get(PEOPLE, headers=headers).json["data"] if each["name"] == name
    )


def test_the_last_coordinator_is_neither_removed_nor_made_something_else(client, tokens, database):
    coordinator = tokens["coordinator"]
    carla = person_named(client, coordinator, "carla")
    before = stored(database, "person")

    removed = client.delete(f"{PEOPLE}/{carla['person_id']}", headers=coordinator)
    demoted = client.put(
        f"{PEOPLE}/{carla['person_id']}", json={"role": "viewer"}, headers=coordinator
    )

    for refused in (removed, demoted):
        assert refused.status_code == 409
        assert refused.content_type == "application/problem+json"
        assert "carla is the only coordinator" in refused.json["detail"]
    assert stored(database, "person") == before


def test_with_a_second_coordinator_the_first_may_go(client, tokens):
    coordinator = tokens["coordinator"]
    add(client, coordinator, name="Kari", role="coordinator")
    carla = person_named(client, coordinator, "carla")

    demoted = client.put(
        f"{PEOPLE}/{carla['person_id']}", json={"role": "viewer"}, headers=coordinator
    )

    assert demoted.status_code == 200 and demoted.json["role"] == "viewer"


# Sign-in links ---------------------------------------------------------------------


def test_a_sign_in_link_signs_in_with_a_new_token_of_the_person(app, client, tokens, clock):
    person = add(client, tokens["coordinator"], name="Åse Øye", role="mentor")

    made = client.post(
        f"{PEOPLE}/{person['person_id']}/sign-in-links", headers=tokens["coordinator"]
    )
    again = client.post(
        f"{PEOPLE}/{person['person_id']}/sign-in-links", headers=tokens["coordinator"]
    )

    assert made.status_code == 201
    assert list(made.json) == ["url", "expires_at"]
    assert made.json["expires_at"] == "2026-03-20T14:25:00Z"  # LINK_MINUTES after now
    secret = LINK.fullmatch(made.json["url"])[1]
    browser = app.test_client()
    used = browser.post(f"/login/{secret}", data={"csrf_token": csrf_token(browser)})
    assert used.status_code == 302
    assert browser.get("/").headers["Location"] == "/reports/mine"
    with app.app_context():
        names = [row["name"] for row in auth.all_tokens() if row["peer_mentor_id"] == "usr_ase_oye"]
    assert names == ["ase_oye", "ase_oye_2"]  # one token per link, each named after the person
    assert LINK.fullmatch(again.json["url"])[1] != secret


def test_a_removed_person_gets_no_link(client):
    person = add(client, name="Mona", role="mentor")
    client.delete(f"{PEOPLE}/{person['person_id']}")

    assert client.post(f"{PEOPLE}/{person['person_id']}/sign-in-links").status_code == 404


# Tokens ----------------------------------------------------------------------------


def signed_in_by_link(app, client, headers, person_id):
    """A browser signed in with a new sign-in link of the person (a new token)."""
    made = client.post(f"{PEOPLE}/{person_id}/sign-in-links", headers=headers)
    secret = LINK.fullmatch(made.json["url"])[1]
    browser = app.test_client()
    browser.post(f"/login/{secret}", data={"csrf_token": csrf_token(browser)})
    assert browser.get("/").headers["Location"] == "/reports/mine"
    return browser


def token_names(client, headers, person_id):
    listed = client.get(f"{PEOPLE}/{person_id}/tokens", headers=headers)
    assert listed.status_code == 200, listed.json
    return [token["name"] for token in listed.json["data"]]


def test_a_person_s_tokens_in_force_are_listed_oldest_first_without_secrets(clock, client, tokens):
    client.get(REPORTS, headers=tokens["mentor"])
    mona = person_of(client, tokens["coordinator"], "mona")["person_id"]
    clock.advance(minutes=5)
    client.post(f"{PEOPLE}/{mona}/sign-in-links", headers=tokens["coordinator"])

    listed = client.get(f"{PEOPLE}/{mona}/tokens", headers=tokens["viewer"])

    assert listed.status_code == 200
    assert listed.json == {
        "data": [
            {
                "name": "mona",
                "created_at": "2026-03-20T14:10:00Z",
                "last_used_at": "2026-03-20T14:10:00Z",
            },
            {"name": "mona_2", "created_at": "2026-03-20T14:15:00Z", "last_used_at": None},
        ]
    }


def test_a_mentor_lists_its_own_person_s_tokens_only(client, tokens):
    mona = person_of(client, tokens["coordinator"], "mona")["person_id"]
    carla = person_of(client, tokens["coordinator"], "carla")["person_id"]

    assert token_names(client, tokens["mentor"], mona) == ["mona"]
    hidden = client.get(f"{PEOPLE}/{carla}/tokens", headers=tokens["mentor"])
    assert hidden.status_code == 404 and hidden.content_type == "application/problem+json"
    assert hidden.json["detail"] == f"No person has the id {carla!r}."


def test_revoking_a_token_refuses_it_signs_out_its_browsers_and_deletes_its_links(
    app, client, tokens, database
):
    mona = person_of(client, tokens["coordinator"], "mona")["person_id"]
    browser = signed_in_by_link(app, client, tokens["coordinator"], mona)  # token mona_2
    with app.app_context():
        unused = auth.create_sign_in_link("mona_2", 15)

    revoked = client.delete(f"{PEOPLE}/{mona}/tokens/mona_2", headers=tokens["coordinator"])

    assert revoked.status_code == 200
    assert revoked.json == {"revoked": True, "name": "mona_2"}
    assert browser.get("/").headers["Location"] == "/login"
    assert "its token was revoked" in browser.get("/login").get_data(as_text=True)
    stranger = app.test_client()
    assert (
        stranger.post(f"/login/{unused}", data={"csrf_token": csrf_token(stranger)}).status_code
        == 400
    )
    assert stored(database, "sign_in_link") == []
    # The person stays, with its other token.
    assert token_names(client, tokens["coordinator"], mona) == ["mona"]
    assert client.get(REPORTS, headers=tokens["mentor"]).status_code == 200


def test_another_person_s_token_or_a_revoked_one_is_a_404_that_revokes_nothing(
    client, tokens, database
):
    mona = person_of(client, tokens["coordinator"], "mona")["person_id"]
    carla = person_of(client, tokens["coordinator"], "carla")["person_id"]
    client.post(f"{PEOPLE}/{mona}/sign-in-links", headers=tokens["coordinator"])
    client.delete(f"{PEOPLE}/{mona}/tokens/mona_2", headers=tokens["coordinator"])
    before = tokens_in_file(database)

    answers = [
        client.delete(f"{PEOPLE}/{carla}/tokens/mona", headers=tokens["coordinator"]),
        client.delete(f"{PEOPLE}/{mona}/tokens/mona_2", headers=tokens["coordinator"]),
        client.delete(f"{PEOPLE}/{mona}/tokens/nobody", headers=tokens["coordinator"]),
    ]

    assert [answer.status_code for answer in answers] == [404] * 3
    assert {answer.content_type for answer in answers} == {"application/problem+json"}
    assert answers[0].json["detail"] == "carla has no token named 'mona' in force."
    assert tokens_in_file(database) == before
    assert client.get(REPORTS, headers=tokens["mentor"]).status_code == 200


# Through the service directly ----------------------------------------------------------

COORDINATOR = Caller("carla", "coordinator")
VIEWER = Caller("victor", "viewer")
MONA = Caller("mona", "mentor", MENTOR)


def test_the_service_refuses_a_viewer_or_a_mentor_every_change(app):
    new = {"name": "Eve", "role": "viewer", "email": None, "language": None}
    with app.app_context():
        person = service.create_person(new, caller=COORDINATOR)
        service.create_sign_in_link(person["person_id"], 15, caller=COORDINATOR)  # token eve
        for caller in (VIEWER, MONA):
            for act in (
                lambda caller=caller: service.create_person(new, caller=caller),
                lambda caller=caller: service.update_person(
                    person["person_id"], {"name": "X"}, caller=caller
                ),
                lambda caller=caller: service.remove_person(person["person_id"], caller=caller),
                lambda caller=caller: service.create_sign_in_link(
                    person["person_id"], 15, caller=caller
                ),
                lambda caller=caller: service.revoke_token("eve", caller=caller),
                lambda caller=caller: service.revoke_token_of_person(
                    person["person_id"], "eve", caller=caller
                ),
            ):
                with pytest.raises(Forbidden):
                    act()
        assert service.get_person(person["person_id"], caller=VIEWER)["name"] == "Eve"
        eve_s = service.list_tokens(person["person_id"], caller=VIEWER)
        assert [token["name"] for token in eve_s] == ["eve"]  # still in force
        with pytest.raises(NotFound):
            service.get_person(person["person_id"], caller=MONA)
        with pytest.raises(NotFound):
            service.list_tokens(person["person_id"], caller=MONA)
        assert service.list_people(caller=MONA) == []


def test_the_service_refuses_a_taken_peer_mentor_id(app):
    new = {"name": "Mona", "role": "mentor", "peer_mentor_id": MENTOR, "email": None,
           "language": None}  # fmt: skip
    with app.app_context():
        service.create_person(new, caller=COORDINATOR)
        with pytest.raises(Conflict):
            service.create_person(new, caller=COORDINATOR)
        assert len(queries.people(get_db())) == 1


# `flask --app reports token create` ------------------------------------------------------


def test_token_create_makes_a_person_with_its_e_mail_address(app, runner, client):
    result = runner.invoke(
        args=["token", "create", "--name", "carla", "--role", "coordinator",
              "--email", "carla@example.org"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    people = client.get(PEOPLE, headers=bearer(secret)).json["data"]
    assert [(p["name"], p["role"], p["email"]) for p in people] == [
        ("carla", "coordinator", "carla@example.org")
    ]


def test_token_create_for_a_peer_mentor_who_is_a_person_gives_that_person_a_token(
    app, runner, client
):
    mona = add(client, name="Mona Hansen", role="mentor")

    result = runner.invoke(
        args=["token", "create", "--name", "mona-phone", "--role", "mentor", "--mentor",
              "usr_mona_hansen"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    own = client.get(PEOPLE, headers=bearer(result.stdout.strip())).json["data"]
    assert [person["person_id"] for person in own] == [mona["person_id"]]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--email", "not an address"], "Not an e-mail address"),
        (["--mentor", "usr_vera"], "is 'Vera', who is a viewer now"),
    ],
)
def test_token_create_refuses_what_it_cannot_do_in_one_line(
    app, runner, client, database, args, says
):
    vera = add(client, name="Vera", role="mentor", peer_mentor_id="usr_vera")
    client.put(f"{PEOPLE}/{vera['person_id']}", json={"role": "viewer"})
    before = stored(database, "person")

    result = runner.invoke(
        args=["token", "create", "--name", "t1", "--role", "mentor" if "--mentor" in args else
              "viewer", *args]
    )  # fmt: skip

    assert result.exit_code == 1
    assert says in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert stored(database, "person") == before and stored(database, "api_token") == []


def test_a_link_for_a_person_with_a_language_opens_the_pages_in_it(app, client, tokens):
    person = add(client, tokens["coordinator"], name="Olena", role="mentor", language="uk")

    made = client.post(
        f"{PEOPLE}/{person['person_id']}/sign-in-links", headers=tokens["coordinator"]
    )

    assert made.json["url"].endswith("?lang=uk")
    secret = LINK.fullmatch(made.json["url"].removesuffix("?lang=uk"))[1]
    page = app.test_client().get(f"/login/{secret}?lang=uk")
    assert '<html lang="uk" dir="ltr">' in page.get_data(as_text=True)
