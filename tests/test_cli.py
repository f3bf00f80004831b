"""`flask --app reports token ...`: create, list and revoke API tokens."""

import json

import pytest

from conftest import CONTRACT_REPORT, rows_in

REPORTS = "/api/v1/reports"


def token(runner, *args):
    return runner.invoke(args=["token", *args])


def create(runner, name, role, mentor=None):
    """Create a token through the CLI and return its secret."""
    args = ["create", "--name", name, "--role", role] + (["--mentor", mentor] if mentor else [])
    result = token(runner, *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_create_prints_the_secret_alone_on_stdout_and_it_works(runner, client):
    result = token(runner, "create", "--name", "carla", "--role", "coordinator")

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("psr_") and "\n" not in secret
    assert "shown only this once" in result.stderr
    assert "carla" in result.stderr
    answer = client.get(REPORTS, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200


def test_once_a_token_exists_a_request_without_one_is_refused(runner, client):
    create(runner, "carla", "coordinator")

    assert client.get(REPORTS).status_code == 401


def test_a_mentor_token_acts_for_its_mentor(runner, client):
    secret = create(runner, "mona", "mentor", "usr_mentor_042")
    headers = {"Authorization": f"Bearer {secret}"}

    assert client.get(f"{REPORTS}/by-mentor/usr_mentor_042", headers=headers).status_code == 200
    assert client.get(f"{REPORTS}/by-mentor/usr_mentor_007", headers=headers).status_code == 403


def test_list_shows_every_token_but_never_a_secret(runner, client):
    secrets = [create(runner, "carla", "coordinator"), create(runner, "mona", "mentor", "m_42")]
    token(runner, "revoke", "carla")
    client.get(REPORTS, headers={"Authorization": f"Bearer {secrets[1]}"})

    result = token(runner, "list")

    assert result.exit_code == 0, result.output
    header, carla, mona = result.output.splitlines()
    assert header.split() == ["NAME", "ROLE", "MENTOR", "CREATED", "LAST", "USED", "REVOKED"]
    assert carla.split()[:3] == ["carla", "coordinator", "-"]
    assert carla.split()[4] == "never"
    assert carla.split()[5] != "-"  # revoked, with the time
    assert mona.split()[:3] == ["mona", "mentor", "m_42"]
    assert mona.split()[-1] == "-"  # not revoked
    assert not any(secret in result.output for secret in secrets)
    assert not any(secret[4:12] in result.output for secret in secrets)


def test_list_says_when_there_are_no_tokens(runner):
    result = token(runner, "list")

    assert result.exit_code == 0
    assert "No tokens" in result.output and "open" in result.output
    assert "this machine" in result.output  # loopback only, unless ALLOW_OPEN


def test_revoke_refuses_the_token_from_then_on(runner, client):
    secret = create(runner, "carla", "coordinator")
    create(runner, "victor", "viewer")

    result = token(runner, "revoke", "carla")

    assert result.exit_code == 0, result.output
    assert "Revoked the token 'carla'" in result.stdout
    assert "open" not in result.stderr  # victor's token still guards the API
    assert client.get(REPORTS, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


HOW_TO_CREATE = "flask --app reports token create --name NAME --role coordinator"


def test_revoking_the_last_token_says_the_api_stays_closed_and_how_to_go_on(runner, client):
    create(runner, "carla", "coordinator")

    result = token(runner, "revoke", "carla")

    assert result.exit_code == 0
    assert "closed" in result.stderr and "open to anyone" not in result.stderr
    assert HOW_TO_CREATE in result.stderr
    assert "flask --app reports token reopen" in result.stderr
    assert client.get(REPORTS).status_code == 401


def test_list_with_every_token_revoked_says_the_api_is_closed(runner):
    create(runner, "carla", "coordinator")
    token(runner, "revoke", "carla")

    result = token(runner, "list")

    assert result.exit_code == 0
    assert "closed" in result.output and "is open" not in result.output
    assert HOW_TO_CREATE in result.output


def test_reopen_opens_an_api_whose_tokens_were_all_revoked_and_says_so(runner, client):
    create(runner, "carla", "coordinator")
    token(runner, "revoke", "carla")

    result = token(runner, "reopen")

    assert result.exit_code == 0, result.output
    assert "open" in result.output and "this machine" in result.output
    assert client.get(REPORTS).status_code == 200
    assert "No tokens" not in token(runner, "list").output  # carla stays listed
    assert "is open" in token(runner, "list").output


def test_reopen_is_refused_while_a_token_is_in_force(runner, client):
    create(runner, "carla", "coordinator")
    create(runner, "victor", "viewer")
    token(runner, "revoke", "carla")

    result = token(runner, "reopen")

    assert result.exit_code == 1
    assert "victor" in result.output and "Traceback" not in result.output
    assert client.get(REPORTS).status_code == 401


def test_reopen_of_an_api_that_is_open_says_so(runner, client):
    result = token(runner, "reopen")

    assert result.exit_code == 0, result.output
    assert "Nothing to reopen" in result.output


def test_revoking_twice_keeps_the_first_time(runner):
    create(runner, "carla", "coordinator")
    first = token(runner, "revoke", "carla").stdout

    again = token(runner, "revoke", "carla")

    assert again.exit_code == 0
    assert again.stdout == first


def test_revoke_deletes_the_token_s_unused_sign_in_links(runner, database):
    create(runner, "carla", "coordinator")
    create(runner, "victor", "viewer")
    for name in ("carla", "victor"):
        assert token(runner, "link", name).exit_code == 0

    token(runner, "revoke", "carla")

    assert rows_in(database, "SELECT token_name FROM sign_in_link") == [[("victor",)]]


def test_revoking_an_unknown_token_fails(runner):
    result = token(runner, "revoke", "nobody")

    assert result.exit_code == 1
    assert "No token is named 'nobody'" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "mona", "--role", "mentor"], "needs --mentor"),
        (["--name", "carla", "--role", "coordinator", "--mentor", "m_42"], "needs --mentor"),
        (["--name", "mona", "--role", "mentor", "--mentor", "bad id"], "peer mentor id"),
        (["--name", "carla", "--role", "admin"], "'admin' is not one of"),
        (["--name", "two words", "--role", "viewer"], "A token's name"),
        (["--name", "anonymous", "--role", "viewer"], "A token's name"),
        (["--role", "viewer"], "Missing option '--name'"),
        (["--name", "carla"], "Missing option '--role'"),
    ],
)
def test_create_refuses_a_token_that_breaks_a_rule(runner, args, message):
    result = token(runner, "create", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert "No tokens" in token(runner, "list").output


def test_create_refuses_a_name_taken_before(runner):
    create(runner, "carla", "coordinator")
    token(runner, "revoke", "carla")

    result = token(runner, "create", "--name", "carla", "--role", "viewer")

    assert result.exit_code == 1
    assert "never reused" in result.output
    assert len(token(runner, "list").stdout.splitlines()) == 2  # the header and the old carla


# Counts in words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "said"), [(1, "for 1 minute "), (2, "for 2 minutes "), (15, "for 15 minutes ")]
)
@pytest.mark.parametrize(
    "command", [["link", "carla"], ["create", "--name", "nina", "--role", "viewer", "--link"]]
)
def test_a_sign_in_link_says_its_minutes_in_words_that_fit_the_count(
    app, runner, minutes, said, command
):
    app.config["LINK_MINUTES"] = minutes
    create(runner, "carla", "coordinator")

    result = token(runner, *command)

    assert result.exit_code == 0, result.output
    assert f"it works once, {said}" in result.stderr


def import_rows(app, tmp_path, count, *options, bad=0):
    """Import `count` good rows, then `bad` rows of a report with no activity_id."""
    rows = [CONTRACT_REPORT] * count + [{**CONTRACT_REPORT, "activity_id": None}] * bad
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return app.test_cli_runner().invoke(args=["import", str(path), *options]), path


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "Imported 1 report from"),
        (2, "Imported 2 reports from"),
        (0, "Imported no reports from"),
    ],
)
def test_import_says_how_many_reports_in_words_that_fit_the_count(app, tmp_path, count, said):
    result, path = import_rows(app, tmp_path, count)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{said} {path}.\n"


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "The 1 report of {path} is valid."),
        (2, "All 2 reports of {path} are valid."),
        (0, "{path} holds no reports."),
    ],
)
def test_a_dry_run_says_how_many_reports_in_words_that_fit_the_count(app, tmp_path, count, said):
    result, path = import_rows(app, tmp_path, count, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{said.format(path=path)} Nothing was imported (--dry-run).\n"


@pytest.mark.parametrize(
    ("bad", "said"), [(1, "1 of the rows is not valid."), (2, "2 of the rows are not valid.")]
)
def test_a_failed_import_says_how_many_rows_in_words_that_fit_the_count(app, tmp_path, bad, said):
    result, _ = import_rows(app, tmp_path, 1, bad=bad)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {said} Nothing was imported."
