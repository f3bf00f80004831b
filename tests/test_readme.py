"""The README stays true: its curl examples answer what it shows, and it names
every route, setting and catalogue field the service has."""

import json
import re
import shlex
from pathlib import Path

import pytest

from reports.config import DEFAULTS
from reports.db import write
from reports.schemas import FIELD_NAMES

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"```console\n\$ ((?:curl|flask|cat) .*?)\n(.*?)```", re.DOTALL)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
REPORT_ID = re.compile(r"rpt_[0-9a-f]{8}")


def parse_curl(command):
    """The method, path, headers, body and whether headers are shown, of one curl line."""
    words = shlex.split(command.split(" | ")[0])[1:]
    method, headers, body, show_headers, url = "GET", {}, None, False, None
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
        else:
            url = word
    return method, url.removeprefix("http://127.0.0.1:8080"), headers, body, show_headers


def split_output(output, show_headers):
    """The status, headers and body that an example shows."""
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
    """JSON with the README's ids swapped for this run's, and every time alike."""
    return json.loads(TIMESTAMP.sub("<time>", with_actual_ids(text, ids)))


def test_the_readme_has_an_example_for_every_endpoint():
    examples = [
        parse_curl(command)[:2]
        for command, _ in EXAMPLE.findall(README)
        if command.startswith("curl")
    ]
    shapes = {(method, REPORT_ID.sub("<id>", path).split("?")[0]) for method, path in examples}

    assert {
        ("GET", "/api/v1/reports"),
        ("POST", "/api/v1/reports"),
        ("GET", "/api/v1/reports/<id>"),
        ("PUT", "/api/v1/reports/<id>"),
        ("DELETE", "/api/v1/reports/<id>"),
        ("GET", "/api/v1/reports/by-activity/act_7b4e9f2a"),
        ("GET", "/api/v1/reports/by-mentor/usr_mentor_042"),
    } <= shapes


def test_every_example_answers_what_the_readme_shows(app, client, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the files the README shows with `cat` are
    ids = {}  # the README's report ids and token secrets, to this run's
    for command, output in EXAMPLE.findall(README):
        if command.startswith("cat"):
            (tmp_path / command.split()[1]).write_text(output, encoding="utf-8")
            continue
        if command.startswith("flask"):
            replay_flask_command(app, runner, command, output, ids)
            continue
        method, path, headers, body, show_headers = parse_curl(command)
        headers = {name: with_actual_ids(value, ids) for name, value in headers.items()}
        response = client.open(
            with_actual_ids(path, ids), method=method, headers=headers, data=body
        )

        status, shown_headers, shown_body = split_output(output, show_headers)
        if not response.is_json:  # an export, shown as it is
            actual = TIMESTAMP.sub("<time>", response.get_data(as_text=True).replace("\r\n", "\n"))
            assert actual == TIMESTAMP.sub("<time>", with_actual_ids(shown_body, ids)), command
            continue
        expected = json.loads(shown_body)
        if isinstance(expected, dict) and "report_id" in expected:
            ids.setdefault(expected["report_id"], response.json["report_id"])
        assert normalised(response.get_data(as_text=True), {}) == normalised(shown_body, ids), (
            command
        )
        if status is not None:
            assert response.status_code == status, command
            for name in ("content-type", "location", "etag", "www-authenticate"):
                if name in shown_headers:
                    assert response.headers[name] == with_actual_ids(shown_headers[name], ids)


def replay_flask_command(app, runner, command, shown, ids):
    """Run `flask --app reports ...` as the README shows it, and compare its output."""
    with app.app_context():
        write(lambda db: None)  # what requests queued (a token's last use) is written
    args = shlex.split(command)
    assert args[:3] == ["flask", "--app", "reports"], command
    result = runner.invoke(args=args[3:])

    assert result.exit_code == 0, (command, result.output)
    if args[3:5] == ["token", "create"]:
        ids[shown.split()[-1]] = result.stdout.strip()
    actual = TIMESTAMP.sub("<time>", result.output)
    assert actual == TIMESTAMP.sub("<time>", with_actual_ids(shown, ids)), command


def test_the_readme_lists_every_route(app):
    # As the README writes them: `<report_id>`, without a converter's name.
    routes = {
        re.sub(r"<[^:>]+:", "<", r.rule)
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("reports.")
    }

    assert len(routes) == 10
    for route in routes:
        assert f"`{route}`" in README


@pytest.mark.parametrize("setting", [*DEFAULTS, "DATABASE"])
def test_the_readme_documents_every_setting(setting):
    assert f"| `{setting}` | `REPORTS_{setting}` |" in README


@pytest.mark.parametrize("field", FIELD_NAMES)
def test_the_readme_documents_every_catalogue_field(field):
    assert f"| `{field}` |" in README
