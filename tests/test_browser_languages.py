"""The pages in the mentor's own language, in a real browser: a mentor signs in
in Arabic on a phone, right to left, files a report whose error shows next to
its field in Arabic, and finds the report in My reports; a coordinator reads
the reports and the summary in Ukrainian at a desk, and picks a language in
the menu. Every page is checked with axe-core and shot (browser.py)."""

from pathlib import Path

from babel.messages.pofile import read_po

from reports import human

from conftest import CONTRACT_REPORT
from serving import REPORTS
from test_browser_pages import flask, sign_in

PHONE = (360, 740)
DESK = (1280, 900)
MENTOR = "usr_mentor_042"
# Reports a Ukrainian-speaking group's mentor filed.
UKRAINIAN_REPORTS = (
    ("2026-02-12", "Як написати резюме", "submitted"),
    ("2026-03-05", "Співбесіда норвезькою мовою", "submitted"),
    ("2026-03-19", "Пошук житла", "draft"),
)
TRANSLATIONS = Path(__file__).parent.parent / "reports" / "translations"


def said_in(code, english):
    """`english` as the shipped catalogue of `code` says it."""
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as file:
        translation = read_po(file).get(english)
    assert translation is not None and translation.string, english
    return translation.string


def test_a_mentor_files_a_report_in_arabic_on_a_phone(web):
    _, link = flask(
        web.server, "token", "create", "--name", "mona", "--role", "mentor", "--mentor", MENTOR,
        "--link",
    )  # fmt: skip
    web.driver.set_window_size(*PHONE)
    sign_in(web, f"{link}?lang=ar", "arabic-mentor")
    page = web.wait_for("html")
    assert (page.get_attribute("lang"), page.get_attribute("dir")) == ("ar", "rtl")
    assert web.wait_for("main h1").text == said_in("ar", "My reports")

    web.open("/reports/new")
    web.wait_for("#session_topic").send_keys("مهارات كتابة السيرة الذاتية")
    web.click_to_leave("button[value=submit]")
    summary = web.wait_for(".error-summary")
    assert said_in("ar", "There is a problem") in summary.text
    error = web.wait_for("#activity_id-error")
    assert said_in("ar", "Missing data for required field.") in error.text
    assert web.driver.find_element("id", "session_topic").get_attribute("dir") == "auto"
    web.keep_for_readme(
        web.screen_at("phone", "arabic-form-error", scroll_to=".field-error"),
        "screenshot-arabic-form.png",
    )
    web.check_page("arabic-form-error")

    web.driver.find_element("id", "activity_id").send_keys("act_7b4e9f2a")
    web.driver.find_element("id", "org_id").send_keys("org_nansen_01")
    web.driver.execute_script(
        "arguments[0].value = arguments[1]",
        web.driver.find_element("id", "session_date"),
        "2026-03-20",
    )
    web.driver.find_element("id", "attendance_count").send_keys("6")
    web.click_to_leave("button[value=submit]")
    assert said_in("ar", "Report submitted.") in web.wait_for(".flashes").text

    web.open("/reports/mine")
    listed = web.wait_for("main").text
    assert "مهارات كتابة السيرة الذاتية" in listed
    web.keep_for_readme(web.check_page("arabic-my-reports")[0], "screenshot-arabic-my-reports.png")


def test_a_coordinator_reads_the_reports_in_ukrainian_at_a_desk(web):
    secret, link = flask(
        web.server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    for day, topic, status in UKRAINIAN_REPORTS:
        body = {**CONTRACT_REPORT, "status": status}
        body["fields"] = {**CONTRACT_REPORT["fields"], "session_date": day, "session_topic": topic}
        created = web.server.request("POST", REPORTS, body, {"Authorization": f"Bearer {secret}"})
        assert created.status == 201, created
    web.driver.set_window_size(*DESK)
    sign_in(web, link, "coordinator")
    web.wait_for("main h1")

    # The language menu: plain links, each language named in itself.
    web.wait_for("nav.languages summary").click()
    menu = web.wait_for("nav.languages ul")
    names = [each.text for each in menu.find_elements("css selector", "a")]
    assert names == ["English", "العربية", "Norsk bokmål", "Українська"]
    web.keep_for_readme(web.screen_at("desk", "language-menu"), "screenshot-languages.png")
    web.click_to_leave("nav.languages a[lang=uk]")
    page = web.wait_for("html")
    assert (page.get_attribute("lang"), page.get_attribute("dir")) == ("uk", "ltr")
    assert web.wait_for("main h1").text == said_in("uk", "Review queue")

    web.open("/reports")
    assert web.wait_for("main h1").text == said_in("uk", "Reports")
    web.keep_for_readme(web.check_page("ukrainian-reports")[1], "screenshot-ukrainian-reports.png")
    assert "Співбесіда норвезькою мовою" in web.wait_for("main table").text
    web.open("/summary")
    web.wait_for("main h1")
    # The months as Ukrainian writes them, by Babel.
    assert human.month("2026-03", language="uk") in web.wait_for("main table").text
    web.check_page("ukrainian-summary")
    # The choice is kept: a page without ?lang= is in Ukrainian still.
    web.open("/people")
    assert web.wait_for("html").get_attribute("lang") == "uk"
