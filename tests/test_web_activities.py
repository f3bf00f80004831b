"""The Activities pages (reports/web/directory.py): a coordinator lists and adds
activities, picks their mentors by name, renames, archives and brings them
back; a mentor and a viewer get the 403 page, and a signed-out browser the
sign-in page. A form that fails shows its errors by their fields and changes
nothing."""

import re

import pytest

from conftest import CONTRACT_REPORT, rows_in
from web_helpers import csrf_token, text

ACTIVITIES = "/activities"
API = "/api/v1/activities"
MONA = CONTRACT_REPORT["peer_mentor_id"]  # the mentor token's peer mentor, "mona"


@pytest.fixture
def stored(database):
    """Every activity and who leads it, to check that a refusal changed nothing."""
    return lambda: rows_in(
        database,
        "SELECT * FROM activity ORDER BY 1, 2",
        "SELECT * FROM activity_mentor ORDER BY 1, 2",
    )


def post(client, path, **form):
    return client.post(path, data={"csrf_token": csrf_token(client, ACTIVITIES), **form})


def add(client, **form):
    added = post(client, ACTIVITIES, **form)
    assert added.status_code == 303, text(added)
    return added


def api_activity(client, tokens, activity_id):
    return client.get(f"{API}/{activity_id}", headers=tokens["coordinator"]).json


def error_of(body, name):
    found = re.search(rf'<p class="error-message" id="{name}-error">.*?</span> (.*?)</p>', body)
    return found and found.group(1)


def test_a_coordinator_adds_an_activity_with_mentors_picked_by_name(browsers, client, tokens):
    form = text(browsers["coordinator"].get(ACTIVITIES))
    assert re.search(
        rf'value="{MONA}"[^>]*>\s*<label for="mentor-\d+">'
        rf'<bdi>mona</bdi> \(<bdi dir="ltr">{MONA}</bdi>\)',
        form,
    )

    add(
        browsers["coordinator"],
        name="Homework club",
        activity_id="",
        org_id="org_x",
        mentors=[MONA],
    )

    assert api_activity(client, tokens, "homework_club") == {
        "activity_id": "homework_club",
        "name": "Homework club",
        "org_id": "org_x",
        "mentors": [MONA],
        "archived": False,
    }
    listed = text(browsers["coordinator"].get(ACTIVITIES))
    row = re.search(
        r'<a href="/activities/homework_club" dir="auto">Homework club</a>.*?</tr>', listed, re.S
    )
    assert row and "<code>homework_club</code>" in row.group(0)
    assert '<td data-label="Organisation"><bdi dir="ltr">org_x</bdi></td>' in row.group(0)
    assert '<td data-label="Mentors"><bdi>mona</bdi></td>' in row.group(0)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": ""}, "name", None),
        ({"name": "Chess", "activity_id": "has space"}, "activity_id", None),
        (
            {"name": "Chess", "mentors": ["usr_nobody"]},
            "mentors",
            "No mentor in the directory has the id &#39;usr_nobody&#39;.",
        ),
        (
            {"name": "Chess", "activity_id": "chess_taken"},
            "activity_id",
            "An activity has the id &#39;chess_taken&#39; already.",
        ),
    ],
)
def test_a_wrong_new_activity_is_shown_by_its_field_and_added_not(
    browsers, tokens, stored, form, field, message
):
    add(browsers["coordinator"], name="Taken", activity_id="chess_taken")
    before = stored()

    answer = post(browsers["coordinator"], ACTIVITIES, **form)

    body = text(answer)
    assert answer.status_code in (409, 422)
    shown = error_of(body, field)
    assert shown and (message is None or shown == message), body
    assert f'<li><a href="#{field}">' in body
    assert stored() == before


def test_a_coordinator_renames_an_activity_and_changes_its_mentors(browsers, client, tokens):
    add(browsers["coordinator"], name="Chess", mentors=[MONA])

    changed = post(browsers["coordinator"], f"{ACTIVITIES}/chess", name="Chess club", org_id="")

    assert changed.status_code == 303 and changed.headers["Location"] == "/activities/chess"
    activity = api_activity(client, tokens, "chess")
    assert (activity["name"], activity["org_id"], activity["mentors"]) == ("Chess club", None, [])


def test_a_wrong_change_is_shown_by_its_field_and_changes_nothing(browsers, tokens, stored):
    add(browsers["coordinator"], name="Chess")
    before = stored()

    answer = post(browsers["coordinator"], f"{ACTIVITIES}/chess", name="", mentors=["usr_nobody"])

    body = text(answer)
    assert answer.status_code == 422 and error_of(body, "name")
    assert stored() == before


def test_a_coordinator_archives_an_activity_and_brings_it_back(browsers, client, tokens):
    add(browsers["coordinator"], name="Chess")

    archived = post(browsers["coordinator"], f"{ACTIVITIES}/chess/archive", archived="yes")
    assert archived.status_code == 303
    assert api_activity(client, tokens, "chess")["archived"] is True
    page = text(browsers["coordinator"].get(f"{ACTIVITIES}/chess"))
    assert '<input type="hidden" name="archived" value="no">' in page
    assert "· archived" in text(browsers["coordinator"].get(ACTIVITIES))

    post(browsers["coordinator"], f"{ACTIVITIES}/chess/archive", archived="no")
    assert api_activity(client, tokens, "chess")["archived"] is False


@pytest.mark.parametrize("who", ["viewer", "mentor"])
def test_a_mentor_and_a_viewer_get_the_403_page_and_change_nothing(browsers, tokens, stored, who):
    add(browsers["coordinator"], name="Chess", mentors=[MONA])
    before = stored()
    browser = browsers[who]
    token = csrf_token(browser, "/login")

    answers = [
        browser.get(ACTIVITIES),
        browser.get(f"{ACTIVITIES}/chess"),
        browser.post(ACTIVITIES, data={"csrf_token": token, "name": "X"}),
        browser.post(f"{ACTIVITIES}/chess", data={"csrf_token": token, "name": "Y"}),
        browser.post(f"{ACTIVITIES}/chess/archive", data={"csrf_token": token}),
    ]

    for answer in answers:
        assert answer.status_code == 403 and answer.mimetype == "text/html"
        assert f"Only a coordinator token may do this, not a {who} token." in text(answer)
    assert stored() == before
    assert 'href="/activities"' not in text(browser.get("/reports"))


def test_a_signed_out_browser_goes_to_the_sign_in_page(browsers, tokens):
    for path in (ACTIVITIES, f"{ACTIVITIES}/chess"):
        answer = browsers["none"].get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_an_unknown_activity_is_a_404_page(browsers):
    for activity_id in ("nothing_here", "not an id"):
        answer = browsers["coordinator"].get(f"{ACTIVITIES}/{activity_id}")
        assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browsers, tokens, stored):
    add(browsers["coordinator"], name="Chess")
    before = stored()

    for path in (ACTIVITIES, f"{ACTIVITIES}/chess", f"{ACTIVITIES}/chess/archive"):
        answer = browsers["coordinator"].post(path, data={"name": "Go"})
        assert answer.status_code == 400 and "This form has expired" in text(answer), path
    assert stored() == before
