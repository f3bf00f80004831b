"""The shipped languages' catalogues (reports/translations/): each one whole,
for every text the code and the templates mark, with its placeholders kept and
its plural forms right; and the template they are made from is current."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages import checkers
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from reports import languages

ROOT = Path(__file__).parent.parent
TRANSLATIONS = ROOT / "reports" / "translations"
SHIPPED = ("nb", "ar", "uk")
# The keywords that mark a text, besides gettext's own (docs/languages.md).
KEYWORDS = {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def catalogue_of(code):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file)


def extracted():
    """The texts the code and templates mark, as pybabel extracts them with babel.cfg."""
    with open(TRANSLATIONS / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file)
    keywords = {**DEFAULT_KEYWORDS, **KEYWORDS}
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT / "reports"), method_map, options_map, keywords=keywords
    ):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


@pytest.fixture(scope="module")
def marked():
    return extracted()


def ids(catalogue):
    return {
        (message.id if isinstance(message.id, str) else message.id[0], message.context)
        for message in catalogue
        if message.id
    }


def test_the_shipped_languages_are_offered(app):
    assert languages.offered(app) == ["en", "ar", "nb", "uk"]


def test_the_template_holds_every_marked_text_and_no_other(marked):
    with open(TRANSLATIONS / "messages.pot", "rb") as file:
        template = read_po(file)
    assert ids(template) == marked


@pytest.mark.parametrize("code", SHIPPED)
def test_a_shipped_language_translates_every_marked_text(code, marked):
    catalogue = catalogue_of(code)
    assert ids(catalogue) == marked
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else (message.string,))
        )
    ]
    assert untranslated == []
    assert not catalogue.obsolete


@pytest.mark.parametrize("code", SHIPPED)
def test_a_shipped_language_keeps_every_placeholder(code):
    catalogue = catalogue_of(code)
    problems = {
        message.id: [str(error) for error in catalogue_errors]
        for message, catalogue_errors in catalogue.check()
        if catalogue_errors
    }
    assert problems == {}
    for message in catalogue:
        if message.id and message.python_format:
            checkers.python_format(catalogue, message)


@pytest.mark.parametrize("code", SHIPPED)
def test_a_shipped_language_has_its_plural_forms(code):
    catalogue = catalogue_of(code)
    plural = get_plural(code)
    assert (catalogue.num_plurals, catalogue.plural_expr) == (
        plural.num_plurals,
        plural.plural_expr,
    )
    plurals = [message for message in catalogue if message.pluralizable and message.id]
    for message in plurals:
        assert len(message.string) == catalogue.num_plurals, message.id


def test_the_catalogue_files_are_in_the_package():
    with open(ROOT / "setup.cfg") as file:
        setup = file.read()
    assert "translations/*/LC_MESSAGES/*.po" in setup
    assert os.path.isfile(TRANSLATIONS / "babel.cfg")


def test_the_documented_extract_command_makes_the_template(marked, tmp_path):
    with open(ROOT / "docs" / "languages.md") as file:
        [command] = [line for line in file if line.startswith("pybabel extract ")]
    output = tmp_path / "messages.pot"
    arguments = command.split()[1:]
    arguments[arguments.index("-o") + 1] = str(output)
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([pybabel, *arguments], cwd=ROOT, check=True, capture_output=True, timeout=120)
    with open(output, "rb") as file:
        assert ids(read_po(file)) == marked
