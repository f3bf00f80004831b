"""The youth club's report form (tests/catalogues/youth_club.toml) in a real
browser: a mentor ticks activities, types a cost with one decimal place too
many, gets the error at its field, fixes it and submits. Each page is checked
with axe-core and shot at a phone's and a desk's width (browser.py)."""

from datetime import UTC, datetime

import pytest

from reports import auth, create_app

import browser
from conftest import CLUB_REPORT, YOUTH_CLUB
from serving import Server


@pytest.fixture
def club_web(chromium, tmp_path):
    """The browser, signed out, on a server of the club's form."""
    with Server(tmp_path, REPORTS_CATALOGUE=YOUTH_CLUB) as server:
        chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
        yield browser.Browser(chromium, server, tmp_path / "screenshots")


def mentor_link(server):
    """A one-time sign-in link for a new mentor token on the club's server."""
    app = create_app(
        {
            "DATABASE": str(server.database),
            "SECRET_KEY": "a-test-secret-key",
            "CATALOGUE": YOUTH_CLUB,
        }
    )
    with app.app_context():
        auth.create_token("mona", "mentor", CLUB_REPORT["peer_mentor_id"])
        return f"/login/{auth.create_sign_in_link('mona', 15)}"


def test_a_mentor_fills_in_the_club_s_form_fixes_the_cost_and_submits(club_web):
    web = club_web
    web.open(mentor_link(web.server))
    web.wait_for("main form button[type=submit]").click()
    web.wait_for("main h1")

    web.driver.find_element("css selector", "nav a[href='/reports/new']").click()
    web.wait_for("form.report-form")
    web.check_page("club-new-report")
    find = web.driver.find_element
    find("id", "activity_id").send_keys("act_club")
    find("id", "org_id").send_keys("org_youth")
    today = datetime.now(UTC).date().isoformat()
    web.driver.execute_script("arguments[0].value = arguments[1]", find("id", "held_on"), today)
    find("id", "theme").send_keys("Cooking night")
    find("id", "young_people").send_keys("14")
    find("css selector", "label[for='activities-cooking']").click()
    find("css selector", "label[for='activities-music']").click()
    find("id", "mood").send_keys("Lively")
    find("id", "snack_cost").send_keys("23.505")
    find("css selector", "button[value=submit]").click()

    web.wait_for(".error-summary")
    assert "At most 2 decimal places." in find("id", "snack_cost-error").text
    assert find("id", "snack_cost").get_attribute("aria-invalid") == "true"
    assert find("id", "activities-cooking").is_selected()
    assert find("id", "activities-music").is_selected()
    assert not find("id", "activities").is_selected()
    web.check_page("club-new-report-error")
    cost = find("id", "snack_cost")
    cost.clear()
    cost.send_keys("23.5")
    find("css selector", "button[value=submit]").click()

    assert "Report submitted." in web.wait_for(".flashes").text
    assert find("css selector", "main h1").text == "Cooking night"
    shown = {
        row.find_element("css selector", "dt").text: row.find_element("css selector", "dd").text
        for row in web.driver.find_elements("css selector", "main dl.fields > div")
    }
    assert shown["Activities"] == "Music, Cooking"
    assert shown["Snack cost (EUR)"] == "23.50"
    assert shown["Mood"] == "Lively"
    web.check_page("club-report")
