"""Configuration: defaults, instance/config.py, REPORTS_* environment, test mapping."""

import os

import pytest

from reports import create_app, db
from reports.config import ConfigError


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Start the app from an empty folder, as an operator would from theirs."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("REPORTS_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_defaults(workdir):
    config = create_app().config

    assert config["DATABASE"] == str(workdir / "instance" / "reports.sqlite")
    assert (config["HOST"], config["PORT"], config["THREADS"]) == ("127.0.0.1", 8080, 16)
    assert config["DEFAULT_ORG_ID"] is None
    assert config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["ALLOW_OPEN"] is False


def test_building_the_app_creates_no_database(workdir):
    create_app()

    assert list(workdir.iterdir()) == []


def test_the_database_is_created_on_first_start(workdir):
    app = create_app()

    assert db.open_or_create(app.config["DATABASE"], app.instance_path) is True
    assert (workdir / "instance" / "reports.sqlite").is_file()
    assert db.open_or_create(app.config["DATABASE"], app.instance_path) is False


def test_instance_config_py_overrides_the_defaults(workdir):
    (workdir / "instance").mkdir()
    (workdir / "instance" / "config.py").write_text("PORT = 9000\nDEFAULT_ORG_ID = 'org_a'\n")

    config = create_app().config

    assert (config["PORT"], config["DEFAULT_ORG_ID"]) == (9000, "org_a")


def test_reports_environment_variables_override_config_py(workdir, monkeypatch):
    (workdir / "instance").mkdir()
    (workdir / "instance" / "config.py").write_text("PORT = 9000\n")
    monkeypatch.setenv("REPORTS_PORT", "9100")
    monkeypatch.setenv("REPORTS_HOST", "0.0.0.0")
    monkeypatch.setenv("REPORTS_THREADS", "8")
    monkeypatch.setenv("REPORTS_DATABASE", str(workdir / "elsewhere" / "r.sqlite"))
    monkeypatch.setenv("REPORTS_MAX_CONTENT_LENGTH", "2048")

    config = create_app().config

    assert (config["PORT"], config["HOST"], config["THREADS"]) == (9100, "0.0.0.0", 8)
    assert config["MAX_CONTENT_LENGTH"] == 2048
    assert config["DATABASE"] == str(workdir / "elsewhere" / "r.sqlite")


def test_a_numeric_default_org_id_from_the_environment_stays_an_id(workdir, monkeypatch):
    monkeypatch.setenv("REPORTS_DEFAULT_ORG_ID", "42")

    assert create_app().config["DEFAULT_ORG_ID"] == "42"


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("0", False), ("true", True)])
def test_allow_open_from_the_environment_is_a_boolean(workdir, monkeypatch, value, allowed):
    monkeypatch.setenv("REPORTS_ALLOW_OPEN", value)

    assert create_app().config["ALLOW_OPEN"] is allowed


def test_the_test_mapping_overrides_the_environment(workdir, monkeypatch):
    monkeypatch.setenv("REPORTS_PORT", "9100")

    assert create_app({"PORT": 9200}).config["PORT"] == 9200


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PORT", "abc"),
        ("PORT", 70000),
        ("THREADS", 0),
        ("THREADS", True),
        ("MAX_CONTENT_LENGTH", -1),
        ("HOST", ""),
        ("DATABASE", ""),
        ("DEFAULT_ORG_ID", "org with spaces"),
        ("DEFAULT_ORG_ID", "x" * 65),
        ("ALLOW_OPEN", 2),
        ("ALLOW_OPEN", "yes"),
        ("ALLOW_OPEN", 1.0),
        ("MAX_EXPORTS", 0),
        ("MAX_SEARCHES", "many"),
        ("QUERY_TIMEOUT_MS", 0),
        ("SEND_TIMEOUT", -5),
        ("RECEIVE_TIMEOUT", 0),
        ("CONNECTION_LIMIT", 0),
        ("TIME_ZONE", "Europe/Olso"),
        ("TIME_ZONE", "utc"),
        ("TIME_ZONE", ""),
        ("TIME_ZONE", "/etc/localtime"),
        ("TIME_ZONE", "../zone.tab"),
        ("TIME_ZONE", 1),
    ],
)
def test_a_bad_setting_stops_the_start_and_names_the_setting(workdir, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({setting: value})


def test_a_wrong_time_zone_is_one_line_that_names_it(workdir, monkeypatch):
    monkeypatch.setenv("REPORTS_TIME_ZONE", "Europe/Olso")

    with pytest.raises(ConfigError) as refused:
        create_app()

    message = str(refused.value)
    assert "\n" not in message
    assert (
        message.startswith("TIME_ZONE must be an IANA time zone name")
        and "'Europe/Olso'" in message
    )


def test_the_time_zone_is_utc_unless_set(workdir, monkeypatch):
    assert create_app().config["TIME_ZONE"] == "UTC"
    monkeypatch.setenv("REPORTS_TIME_ZONE", "Europe/Oslo")
    assert create_app().config["TIME_ZONE"] == "Europe/Oslo"


def test_a_database_that_cannot_be_opened_stops_the_start(workdir):
    (workdir / "a-folder.sqlite").mkdir()

    app = create_app({"DATABASE": str(workdir / "a-folder.sqlite")})

    with pytest.raises(ConfigError, match="DATABASE"):
        db.open_or_create(app.config["DATABASE"])
