"""README.md and the pages of docs/ as the tests that keep them true read them:
their transcripts (replayed against the app), their tables, their links and
their headings."""

import json
import re
import shlex
from pathlib import Path

from reports.db import write

REPO = Path(__file__).parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
CHANGELOG = REPO / "CHANGELOG.md"

FENCED = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)
# A transcript: one command of a kind the tests can replay, and what it printed.
TRANSCRIPT = re.compile(r"\$ ((?:curl|flask|cat) [^\n]*)\n(.*)", re.DOTALL)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
REPORT_ID = re.compile(r"rpt_[0-9a-f]{8}")
# The ids the service makes at random, which a transcript's answer shows (`id`: an event's).
MADE_IDS = ("report_id", "person_id", "id")
# What a token command prints that differs on every run: a secret, a link's secret.
SECRET = re.compile(r"psr_[A-Za-z0-9_-]+|(?<=/login/)[A-Za-z0-9_-]+")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`]+`")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#* *$", re.MULTILINE)


def name_of(page):
    """How a page is named in test ids and messages: README.md, docs/api.md."""
    return str(page.relative_to(REPO))


def text_of(page):
    return page.read_text(encoding="utf-8")


def code_blocks(text, language=None):
    """The bodies of the fenced code blocks, of one language if given."""
    return [body for lang, body in FENCED.findall(text) if language in (None, lang)]


def is_transcript(block):
    """Whether a `console` block is one command the tests replay, and its output."""
    found = TRANSCRIPT.fullmatch(block)
    return found is not None and not re.search(r"^\$ ", found[2], re.MULTILINE)


def transcripts(text):
    """(command, output) of each `console` block that is a transcript."""
    return [
        TRANSCRIPT.fullmatch(block).groups()
        for block in code_blocks(text, "console")
        if is_transcript(block)
    ]


def prose(text):
    """The text without its code blocks and inline code, where links and headings are."""
    return INLINE_CODE.sub("", FENCED.sub("", text))


def links(text):
    """(is_image, text, target) of each Markdown link and image in the prose."""
    return [(bang == "!", label, target) for bang, label, target in LINK.findall(prose(text))]


def anchors(text):
    """The #anchors of a page's headings, as GitHub makes them: lower case, spaces
    to hyphens, other punctuation dropped; a repeated one gets -1, -2, ..."""
    seen, made = {}, []
    for _, heading in HEADING.findall(prose(text)):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        made.append(slug if count == 0 else f"{slug}-{count}")
    return made


def table_rows(text, header):
    """The rows of the table whose header row starts with `header`, each a list of cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


# Replaying transcripts -------------------------------------------------------


# Where the transcripts' curl commands send their requests, and so the replay.
CURL_BASE = "http://127.0.0.1:8080"


def parse_curl(command):
    """The method, path, headers, body, whether headers are shown, and the file
    the body is saved to (or None), of one curl line."""
    words = shlex.split(command.split(" | ")[0])[1:]
    method, headers, body, show_headers, url, saved_to = "GET", {}, None, False, None, None
    while words:
        word = words.pop(0)
        if word in ("-s", "-si", "-i"):
            show_headers = show_headers or "i" in word
        elif word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, value = words.pop(0).split(": ", 1)
            headers[name] = value
        elif word == "-d":
            body = words.pop(0)
            method = "POST" if method == "GET" else method
        elif word == "-o":
            saved_to = words.pop(0)
        else:
            url = word
    path = url.removeprefix(CURL_BASE)
    return method, path, headers, body, show_headers, saved_to


def split_output(output, show_headers):
    """The status, headers and body that a transcript shows."""
    if not show_headers:
        return None, {}, output
    head, body = output.split("\n\n", 1)
    status_line, *header_lines = head.splitlines()
    headers = {
        name.lower(): value for name, value in (line.split(": ", 1) for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


def with_actual_ids(text, ids):
    for shown, actual in ids.items():
        text = text.replace(shown, actual)
    return text


def normalised(text, ids):
    """JSON with the page's ids swapped for this run's, and every time alike."""
    return json.loads(TIMESTAMP.sub("<time>", with_actual_ids(text, ids)))


def replay(text, app, client, runner, folder):
    """Run every transcript of a page, in order, against `app`, and check that
    each answers what the page shows, but for ids, secrets and times. A `cat`
    transcript writes the file it shows into `folder`, the current directory."""
    ids = {}  # the page's report ids, token secrets and link secrets, to this run's
    for command, output in transcripts(text):
        if command.startswith("cat"):
            (folder / command.split()[1]).write_text(output, encoding="utf-8")
        elif command.startswith("flask"):
            replay_flask_command(app, runner, command, output, ids)
        else:
            replay_curl(client, command, output, ids, folder)


def replay_curl(client, command, output, ids, folder):
    method, path, headers, body, show_headers, saved_to = parse_curl(command)
    headers = {name: with_actual_ids(value, ids) for name, value in headers.items()}
    with client.open(
        with_actual_ids(path, ids), CURL_BASE, method=method, headers=headers, data=body
    ) as response:
        data = response.get_data()
    if saved_to is not None:  # a file curl saves, and prints nothing
        assert response.status_code == 200 and output == "", command
        (folder / saved_to).write_bytes(data)
        return

    status, shown_headers, shown_body = split_output(output, show_headers)
    if not response.is_json:  # an export, shown as a terminal shows it: no byte-order mark
        text = data.decode().removeprefix("\ufeff").replace("\r\n", "\n")
        assert TIMESTAMP.sub("<time>", text) == TIMESTAMP.sub(
            "<time>", with_actual_ids(shown_body, ids)
        ), command
        return
    expected = json.loads(shown_body)
    ids.update(made_ids(expected, response.json, ids))
    # A sign-in link's secret.
    shown_secrets, actual_secrets = SECRET.findall(shown_body), SECRET.findall(response.text)
    if len(shown_secrets) == len(actual_secrets):
        ids.update(zip(shown_secrets, actual_secrets, strict=True))
    assert normalised(response.get_data(as_text=True), {}) == normalised(shown_body, ids), command
    if status is not None:
        assert response.status_code == status, command
        for name in ("content-type", "location", "etag", "www-authenticate"):
            if name in shown_headers:
                assert response.headers[name] == with_actual_ids(shown_headers[name], ids)


def made_ids(shown, actual, ids):
    """{id the page shows: this run's} of the ids the service made (MADE_IDS) in an
    answer, at the top or in its list of `data`, that `ids` lacks."""
    pairs = [(shown, actual)]
    if isinstance(shown, dict) and isinstance(shown.get("data"), list):
        pairs += list(zip(shown["data"], actual.get("data") or [], strict=False))
    return {
        one[name]: other[name]
        for one, other in pairs
        if isinstance(one, dict) and isinstance(other, dict)
        for name in MADE_IDS
        if isinstance(one.get(name), str) and one[name] not in ids and name in other
    }


def replay_flask_command(app, runner, command, shown, ids):
    """Run `flask --app reports ...` as the page shows it, and compare its output."""
    with app.app_context():
        write(lambda db: None)  # what requests queued (a token's last use) is written
    args = shlex.split(command)
    assert args[:3] == ["flask", "--app", "reports"], command
    result = runner.invoke(args=args[3:])

    assert result.exit_code == 0, (command, result.output)
    shown_secrets, actual_secrets = SECRET.findall(shown), SECRET.findall(result.output)
    assert len(shown_secrets) == len(actual_secrets), (command, result.output)
    ids.update(zip(shown_secrets, actual_secrets, strict=True))
    actual = TIMESTAMP.sub("<time>", result.output)
    assert actual == TIMESTAMP.sub("<time>", with_actual_ids(shown, ids)), command
