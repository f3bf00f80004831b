"""The pages' language (reports/languages.py): which one a request gets, the
menu that chooses it, a person's preference, an organisation's own catalogue,
escaping, and the API, which stays English."""

import pytest

from reports import languages
from reports.db import get_db

from web_helpers import add_catalogue, app_in, secret_of, sign_in, text

# The person of the mentor token "mona" (conftest's `tokens`).
MONA = "person_id = (SELECT person_id FROM api_token WHERE name = 'mona')"
# An organisation's own language, which the service does not ship.
POLISH = {"Post-Session Reports": "Raporty po spotkaniach", "Sign in": "Zaloguj się"}


@pytest.fixture
def instance(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.fixture
def polish(instance, database):
    """An app whose organisation added Polish."""
    add_catalogue(instance, "pl", POLISH)
    return app_in(instance, database).test_client()


def html_lang(response):
    page = text(response)
    return page[page.index("<html") : page.index(">", page.index("<html")) + 1]


def test_an_organisation_adds_a_language_by_adding_its_catalogue(polish):
    assert "pl" in languages.offered(polish.application)
    page = polish.get("/login", headers={"Accept-Language": "pl"})
    assert html_lang(page) == '<html lang="pl" dir="ltr">'
    assert "Raporty po spotkaniach" in text(page)


def test_the_browsers_language_is_taken_when_nothing_else_chose_one(polish):
    assert 'lang="pl"' in html_lang(polish.get("/login", headers={"Accept-Language": "pl-PL"}))
    chosen = polish.get("/login", headers={"Accept-Language": "fr, pl;q=0.5"})
    assert 'lang="pl"' in html_lang(chosen)
    assert html_lang(polish.get("/login", headers={"Accept-Language": "fr"})) == (
        '<html lang="en" dir="ltr">'
    )


def test_lang_in_a_pages_address_chooses_and_a_cookie_keeps_the_choice(polish):
    page = polish.get("/login?lang=pl", headers={"Accept-Language": "en"})
    assert 'lang="pl"' in html_lang(page)
    assert "lang=pl" in page.headers["Set-Cookie"]
    again = polish.get("/login", headers={"Accept-Language": "en"})
    assert 'lang="pl"' in html_lang(again)
    assert 'lang="en"' in html_lang(polish.get("/login?lang=en"))


def test_a_language_not_offered_chooses_nothing(polish):
    page = polish.get("/login?lang=xx", headers={"Accept-Language": "pl"})
    assert 'lang="pl"' in html_lang(page)
    assert "Set-Cookie" not in page.headers or "lang=" not in page.headers["Set-Cookie"]


def test_the_language_menu_links_every_language_keeping_the_pages_query(polish):
    page = text(polish.get("/login?next=%2Freports&lang=pl"))
    assert 'href="/login?next=%2Freports&amp;lang=en" lang="en" hreflang="en"' in page
    assert 'href="/login?next=%2Freports&amp;lang=pl" lang="pl" hreflang="pl"' in page
    assert 'aria-current="true">Polski</a>' in page


def test_arabic_is_written_right_to_left(instance, database):
    add_catalogue(instance, "ar", {"Sign in": "تسجيل الدخول"})
    client = app_in(instance, database).test_client()
    assert html_lang(client.get("/login?lang=ar")) == '<html lang="ar" dir="rtl">'


def test_a_missing_empty_or_fuzzy_translation_falls_back_to_english(instance, database):
    add_catalogue(
        instance, "pl", {"Post-Session Reports": "", "Sign in": "Zaloguj"}, fuzzy={"Sign in"}
    )
    page = text(app_in(instance, database).test_client().get("/login?lang=pl"))
    assert "Post-Session Reports" in page
    assert "Zaloguj" not in page


def test_a_translation_is_escaped_like_any_other_text(instance, database):
    hostile = '<img src=x onerror="alert(1)">Raporty'
    add_catalogue(instance, "pl", {"Post-Session Reports": hostile})
    page = text(app_in(instance, database).test_client().get("/login?lang=pl"))
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Raporty" in page


def test_a_signed_in_persons_preferred_language_is_its_pages_language(polish, tokens):
    app = polish.application
    with app.app_context():
        get_db().execute(f"UPDATE person SET language = 'pl' WHERE {MONA}")
    sign_in(polish, secret_of(tokens["mentor"]))
    polish.delete_cookie(languages.COOKIE)
    assert 'lang="pl"' in html_lang(polish.get("/reports/mine", headers={"Accept-Language": "en"}))


def test_choosing_a_language_signed_in_makes_it_the_persons_preferred_one(polish, tokens):
    sign_in(polish, secret_of(tokens["mentor"]))
    polish.get("/reports/mine?lang=pl")
    with polish.application.app_context():
        chosen = get_db().execute(f"SELECT language FROM person WHERE {MONA}").fetchone()
    assert chosen["language"] == "pl"
    polish.delete_cookie(languages.COOKIE)
    assert 'lang="pl"' in html_lang(polish.get("/reports/mine", headers={"Accept-Language": "en"}))


def test_the_api_stays_english_whatever_is_asked(polish, tokens):
    headers = {**tokens["coordinator"], "Accept-Language": "pl"}
    english = polish.get("/api/v1/reports/rpt_nonexistent", headers=tokens["coordinator"])
    asked = polish.get("/api/v1/reports/rpt_nonexistent?lang=pl", headers=headers)
    assert asked.get_json()["detail"] == english.get_json()["detail"]
    assert "Set-Cookie" not in asked.headers
    document = polish.get("/api/v1/openapi.json", headers={"Accept-Language": "pl"})
    assert document.data == polish.get("/api/v1/openapi.json").data
