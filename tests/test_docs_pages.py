"""The pages of docs/ stay true, as the README does: their transcripts answer
what they show; they name every route, setting, catalogue field and module the
service has, and the reference tables no other; every link between the pages
and every screenshot leads to something that exists, and so does every file of
the code a page names. The changelog keeps its form and names every migration."""

import configparser
import re

import pytest
from werkzeug.exceptions import HTTPException

from reports.config import DEFAULTS
from reports.schemas import FIELD_NAMES

from docs_pages import (
    CHANGELOG,
    DOCS,
    PAGES,
    REPO,
    anchors,
    code_blocks,
    is_transcript,
    links,
    name_of,
    parse_curl,
    replay,
    table_rows,
    text_of,
    transcripts,
)

DOC_PAGES = sorted(DOCS.glob("*.md"))
REPLAYED = [page for page in DOC_PAGES if transcripts(text_of(page))]
API = DOCS / "api.md"
# What the API's endpoint table lists besides the API's own routes.
API_PAGE_EXTRAS = ("docs.page", "healthz")
# Each API operation has a transcript, but the OpenAPI document (too long to show).
NO_TRANSCRIPT = {"reports.openapi_document"}
KEPT_SCREENSHOT = re.compile(r'\.keep_for_readme\(.*?"([\w.-]+\.png)"', re.DOTALL)
# A file or folder of the code, as a page names it: `reports/db/`, `tests/test_browser*.py`.
NAMED_FILE = re.compile(r"`((?:reports|tests)/[^`\s]*)`")
# Keep a Changelog's kinds of change, and the heading of a release.
KINDS_OF_CHANGE = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
RELEASE = re.compile(r"\[([0-9]+)\.([0-9]+)\.([0-9]+)\] - [0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_written(rule):
    """A route as the pages write it: `<report_id>`, without a converter's name."""
    return re.sub(r"<[^:>]+:", "<", rule.rule)


def operations(app, endpoints):
    """(method, path) of every route whose endpoint `endpoints` accepts."""
    return {
        (method, as_written(rule))
        for rule in app.url_map.iter_rules()
        if endpoints(rule.endpoint)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def is_api(endpoint):
    return endpoint.startswith("reports.")


def backticked(cell):
    return re.findall(r"`([^`]+)`", cell)


# Transcripts ------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=name_of)
def test_every_console_block_is_a_transcript_the_tests_replay(page):
    for block in code_blocks(text_of(page), "console"):
        assert is_transcript(block), (
            f"{name_of(page)}: a `console` block is one `$ curl`, `$ flask` or `$ cat` "
            f"command and what it printed, which the tests replay; this one is not:\n{block}"
        )


@pytest.mark.parametrize("page", REPLAYED, ids=name_of)
def test_every_transcript_answers_what_its_page_shows(
    page, app, client, runner, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where the files a page shows with `cat` are
    replay(text_of(page), app, client, runner, tmp_path)


def test_every_operation_of_the_api_has_a_transcript(app):
    routes = app.url_map.bind("127.0.0.1:8080")
    shown = set()
    for page in PAGES:
        for command, _ in transcripts(text_of(page)):
            if command.startswith("curl"):
                method, path = parse_curl(command)[:2]
                try:
                    shown.add((routes.match(path.split("?")[0], method=method)[0], method))
                except HTTPException:
                    pass  # a path that is no route, shown for its error
    every = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if is_api(rule.endpoint) or rule.endpoint == "healthz"
        if rule.endpoint not in NO_TRANSCRIPT
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }

    assert every - shown == set()


# Routes, settings, fields --------------------------------------------------------


def test_the_api_page_lists_exactly_the_routes_of_the_api(app):
    rows = table_rows(text_of(API), "| method | path |")
    listed = {
        (method, backticked(path)[0]) for methods, path, _ in rows for method in backticked(methods)
    }

    assert listed == operations(
        app, lambda endpoint: is_api(endpoint) or endpoint in API_PAGE_EXTRAS
    )


def test_the_pages_page_names_every_page(app):
    rows = table_rows(text_of(DOCS / "pages.md"), "| path |")
    listed = {path for row in rows for path in backticked(row[0])}

    for _, path in operations(app, lambda endpoint: endpoint.startswith("web.")):
        assert path in listed, path


def shown_default(value):
    if value is None:
        return "none"
    return f"`{int(value)}`" if isinstance(value, bool) else f"`{value}`"


def test_the_configuration_page_lists_exactly_the_settings_with_their_defaults():
    rows = table_rows(text_of(DOCS / "configuration.md"), "| setting |")
    listed = {
        backticked(setting)[0]: (environment, default) for setting, environment, default, _ in rows
    }

    assert set(listed) == {*DEFAULTS, "DATABASE"}
    for setting, (environment, default) in listed.items():
        assert environment == f"`REPORTS_{setting}`", setting
        if setting != "DATABASE":  # its default is a path: instance/reports.sqlite
            assert default == shown_default(DEFAULTS[setting]), setting


def test_the_catalogue_page_lists_exactly_the_fields_in_their_order():
    rows = table_rows(text_of(DOCS / "catalogue.md"), "| field |")

    assert [row[0] for row in rows] == [f"`{field}`" for field in FIELD_NAMES]


# Links, pages, screenshots ------------------------------------------------------


@pytest.mark.parametrize("page", [*PAGES, CHANGELOG], ids=name_of)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    for _, label, target in links(text_of(page)):
        if re.match(r"[a-z]+:", target):
            continue  # https: and the like, elsewhere
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        where = f"{name_of(page)}: [{label}]({target})"
        assert file.is_relative_to(REPO) and file.exists(), f"{where} leads to no file"
        if anchor:
            assert anchor in anchors(text_of(file)), f"{where} leads to no heading"


@pytest.mark.parametrize("page", [*PAGES, CHANGELOG], ids=name_of)
def test_every_file_of_the_code_a_page_names_exists(page):
    for named in NAMED_FILE.findall(text_of(page)):
        assert any(REPO.glob(named.rstrip("/"))), f"{name_of(page)} names `{named}`: no such file"


@pytest.mark.parametrize("page", DOC_PAGES, ids=name_of)
def test_every_page_says_what_it_is_for_and_links_back_to_the_readme(page):
    title, first_paragraph = text_of(page).split("\n\n")[:2]

    assert re.fullmatch(r"# .+", title)
    assert "](../README.md)" in first_paragraph


def screenshots_the_browser_tests_keep():
    return {
        name
        for test in (REPO / "tests").glob("test_*.py")
        for name in KEPT_SCREENSHOT.findall(test.read_text(encoding="utf-8"))
    }


def test_every_screenshot_here_is_one_the_browser_tests_take():
    assert {png.name for png in DOCS.glob("*.png")} <= screenshots_the_browser_tests_keep()


def test_every_screenshot_the_browser_tests_take_is_shown():
    shown = {
        target.rsplit("/", 1)[-1]
        for page in PAGES
        for is_image, _, target in links(text_of(page))
        if is_image
    }

    for name in screenshots_the_browser_tests_keep():
        assert (DOCS / name).exists() and name in shown, name


def test_the_layout_names_every_module_and_folder_of_the_code():
    layout = code_blocks(text_of(DOCS / "development.md"))[0]
    parts = [
        *(REPO / "reports").iterdir(),
        *(
            module
            for package in (REPO / "reports").iterdir()
            if (package / "__init__.py").exists()
            for module in package.glob("*.py")
        ),
        *(path for path in (REPO / "tests").iterdir() if not path.name.startswith("test_")),
    ]
    names = {
        f"{path.name}/" if path.is_dir() else path.name
        for path in parts
        if path.suffix in (".py", "") and not path.name.startswith(("__pycache__", "."))
    }

    for name in sorted(names):
        assert re.search(rf"^\s+{re.escape(name)}(\s|$)", layout, re.MULTILINE), name


def test_the_test_map_names_every_test_module_once():
    rows = table_rows(text_of(DOCS / "development.md"), "| test module |")
    mapped = [backticked(cell)[0] for cell, _ in rows if cell.startswith("`")]
    on_disk = sorted(path.name for path in (REPO / "tests").glob("test_*.py"))

    assert sorted(mapped) == on_disk
    assert len(set(mapped)) == len(mapped)


# The changelog ------------------------------------------------------------------


def project_version():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg", encoding="utf-8")
    return setup["metadata"]["version"]


def test_the_changelog_keeps_a_changelog_up_to_the_project_s_version():
    text = text_of(CHANGELOG)
    sections = re.findall(r"^## (.+)$", text, re.MULTILINE)
    releases = [RELEASE.fullmatch(section) for section in sections[1:]]
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))

    assert text.startswith("# Changelog\n")
    assert "](README.md)" in text.split("\n\n")[1]
    assert sections[0] == "[Unreleased]"
    assert releases and all(releases), sections
    versions = [tuple(int(part) for part in release.groups()) for release in releases]
    assert versions == sorted(versions, reverse=True)
    assert ".".join(map(str, versions[0])) == project_version()
    assert kinds <= set(KINDS_OF_CHANGE)


def test_the_changelog_names_every_migration():
    text = text_of(CHANGELOG)

    for migration in sorted((REPO / "reports" / "migrations").glob("*.sql")):
        assert f"`{migration.name}`" in text, migration.name
