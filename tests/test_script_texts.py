"""The texts the pages' scripts write (reports/web/script_texts.py): every key a
script asks for is there, in the English the script falls back to, and every
page carries them in its language, counted ones in each plural form, as JSON
that the page's markup cannot break out of."""

import json
import re
from pathlib import Path

import pytest

from web_helpers import add_catalogue, app_in, text

STATIC = Path(__file__).parent.parent / "reports" / "static"
SCRIPTS = ("offline.js", "form.js")
# Each English table a script hands to window.reportsTexts, and the keys it asks for.
TABLE = re.compile(r"window\.reportsTexts\((\{.*?\})\);", re.DOTALL)
ASKED = re.compile(r'texts\.say\(\s*"([\w-]+)"|texts\.fill\(\s*[^,()]+,\s*"([\w-]+)"')
TEXTS = re.compile(r"""<meta name="reports-texts" content='([^']*)'>""")


def source(script):
    return (STATIC / script).read_text(encoding="utf-8")


def english_of(script):
    """The script's own English texts, by key (its tables are JSON, but for
    their trailing commas)."""
    english = {}
    for table in TABLE.findall(source(script)):
        english.update(json.loads(re.sub(r",(\s*\})", r"\1", table)))
    return english


def asked_by(script):
    """The keys the script asks for; each call names its key as a literal."""
    code = source(script)
    asked = [say or fill for say, fill in ASKED.findall(code)]
    assert len(asked) == len(re.findall(r"texts\.(say|fill)\(", code)), script
    return set(asked)


def page_texts(response):
    """The texts a page gives its scripts."""
    return json.loads(TEXTS.search(text(response)).group(1))


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_has_english_for_exactly_the_keys_it_asks_for(script):
    assert asked_by(script)
    assert asked_by(script) == set(english_of(script))


def test_every_page_gives_the_scripts_each_text_they_ask_for_in_their_english(client):
    given = page_texts(client.get("/login"))

    for script in SCRIPTS:
        for key, english in english_of(script).items():
            assert given[key] == english, (script, key)
    assert set(given) == set().union(*(asked_by(script) for script in SCRIPTS))


# A page in another language ---------------------------------------------------------

# Russian: three plural forms of a whole number, "one" (1, 21), "few" (2, 22) and "many" (5, 11).
TRANSLATED = {
    "Untitled report": "Отчёт <без названия> & 'кавычки' \"тоже\"",
    ("%(count)s character left", "%(count)s characters left"): (
        "Остался %(count)s символ",
        "Осталось %(count)s символа",
        "Осталось %(count)s символов",
    ),
}


@pytest.fixture
def russian(tmp_path):
    """The app with a Russian catalogue of two of the scripts' texts, in its instance folder."""
    add_catalogue(tmp_path / "instance", "ru", TRANSLATED)
    app = app_in(tmp_path / "instance", str(tmp_path / "reports.sqlite"))
    return app.test_client()


def test_a_page_gives_the_scripts_its_language_s_texts_as_json_its_markup_keeps(russian):
    page = russian.get("/login?lang=ru")
    body = text(page)
    given = page_texts(page)

    assert '<html lang="ru" dir="ltr">' in body
    assert given["outbox-untitled"] == TRANSLATED["Untitled report"]
    # Nothing of a translation ends the attribute or starts markup: the JSON escapes it.
    content = TEXTS.search(body).group(1)
    assert not set("<>&'") & set(content)
    assert r"\u003cбез названия\u003e \u0026 \u0027кавычки\u0027" in content
    # A counted text in each of the language's forms, by the category Intl.PluralRules names.
    one, few, many = TRANSLATED[("%(count)s character left", "%(count)s characters left")]
    assert given["counter-left"] == {"one": one, "few": few, "many": many}
    # A text the catalogue has not translated is given in English.
    assert given["form-discard"] == "Discard"
