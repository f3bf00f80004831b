"""The README stays a newcomer's first five minutes, and true: at most 150
lines, the two commands first, its example answers what it shows, and it leads
to every page of docs/, where the reference is (tests/test_docs_pages.py keeps
those true), and to the changelog."""

import re

from docs_pages import (
    CHANGELOG,
    DOCS,
    README,
    REPO,
    code_blocks,
    links,
    replay,
    text_of,
    transcripts,
)

TEXT = text_of(README)
RUN = "pip install . && python app.py"
TEST = "pip install -e '.[test]' && pytest"
# A newcomer's first five minutes: the reference belongs in docs/.
MOST_LINES = 150


def test_the_readme_is_at_most_150_lines():
    count = len(TEXT.splitlines())

    assert count <= MOST_LINES, f"README.md has {count} lines; move the reference to docs/"


def test_the_readme_names_the_two_commands_first():
    sections = re.findall(r"^## (.+)$", TEXT, re.MULTILINE)

    assert sections[:2] == ["Run it", "Test it"]
    assert [block.strip() for block in code_blocks(TEXT, "sh")[:2]] == [RUN, TEST]


def test_ci_runs_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")

    assert script.strip().splitlines()[-1] == TEST


def test_the_readme_s_curl_examples_send_the_token_it_creates():
    commands = [command for command, _ in transcripts(TEXT)]
    curls = [command for command in commands if command.startswith("curl")]

    assert curls
    assert all("Authorization: Bearer psr_" in curl for curl in curls)
    assert any(command.startswith("flask --app reports token create") for command in commands)


def test_the_readme_example_answers_what_it_shows(app, client, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    replay(TEXT, app, client, runner, tmp_path)


def test_the_readme_shows_the_pages_in_screenshots():
    images = [target for is_image, _, target in links(TEXT) if is_image]

    assert images
    assert all(target.startswith("docs/") and target.endswith(".png") for target in images)


def test_the_readme_leads_to_every_page_of_docs():
    targets = {target.split("#")[0] for is_image, _, target in links(TEXT) if not is_image}

    for page in sorted(DOCS.glob("*.md")):
        assert f"docs/{page.name}" in targets, page.name


def test_the_readme_leads_to_the_changelog():
    targets = {target for is_image, _, target in links(TEXT) if not is_image}

    assert CHANGELOG.name in targets
