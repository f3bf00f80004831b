"""Installing: a built wheel carries everything the app needs (schema.sql included),
and `flask --app reports init-db` creates the schema without losing reports."""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reports import create_app
from reports.db import schema_sql

from conftest import CONTRACT_REPORT
from serving import Server

REPO = Path(__file__).resolve().parent.parent
# What a checkout holds besides the project's sources: never part of a build.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "instance", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".benchmarks", "node_modules",
)  # fmt: skip


def clean_env(**settings):
    """The caller's environment without any REPORTS_* setting, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPORTS_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(settings)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built the way `pip install .` builds one (with build isolation).

    It is built from a copy of the checkout, so that the build's `build/` and
    `*.egg-info` folders land in a temporary folder rather than in the repository,
    and so that no leftover of an earlier build can slip into the wheel. The copy
    keeps reports/schema.sql as the symlink it is in the repository."""
    source = tmp_path_factory.mktemp("source") / "project"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_SOURCES)
    assert (source / "reports" / "schema.sql").is_symlink()
    out = tmp_path_factory.mktemp("wheelhouse")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "-w", out, source],
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_holds_schema_sql_as_a_regular_file(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "reports/schema.sql" in names, names
        info = archive.getinfo("reports/schema.sql")
        mode = info.external_attr >> 16
        assert not stat.S_ISLNK(mode), oct(mode)
        assert archive.read(info) == (REPO / "schema.sql").read_bytes()


def tracked_files_of_the_package():
    """Every file of reports/ that git tracks: modules, templates, static files,
    migrations, the catalogue and schema.sql."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "reports"], cwd=REPO, capture_output=True, check=True
    )
    return {name for name in listed.stdout.decode().split("\0") if name}


def test_the_wheel_holds_every_tracked_file_of_the_package(wheel):
    tracked = tracked_files_of_the_package()
    assert {"reports/web/__init__.py", "reports/templates/web/form.html"} <= tracked
    assert {"reports/static/style.css", "reports/migrations/0002_report_version.sql"} <= tracked
    with zipfile.ZipFile(wheel) as archive:
        missing = tracked - set(archive.namelist())
    assert not missing, f"not in the wheel: {sorted(missing)}"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The bin/ folder of a new virtual environment where the wheel is installed as
    a user installs it, its dependencies from the package index."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-input", "-q", wheel],
        env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return venv / "bin"


@pytest.fixture
def empty_folder(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def run_installed(command, folder, **settings):
    """An installed command, run in `folder` with nothing of the checkout on its path."""
    result = subprocess.run(
        command,
        cwd=folder,
        env=clean_env(**settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_installed_package_is_the_wheel_s_own(installed, empty_folder):
    result = run_installed(
        [installed / "python", "-c", "import reports.web; print(reports.web.__file__)"],
        empty_folder,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.parent), result.stdout


def test_the_installed_commands_show_their_help(installed, empty_folder):
    for command in ([installed / "post-session-reports"], [installed / "python", "-m", "reports"]):
        result = run_installed([*command, "--help"], empty_folder)

        assert result.returncode == 0, result.stderr
        assert "serve" in result.stdout and "token" in result.stdout, result.stdout


def test_the_installed_console_script_serves_pages_styles_docs_and_the_api(installed, empty_folder):
    command = [str(installed / "post-session-reports"), "serve"]
    with Server(empty_folder, command=command, checkout_on_path=False) as server:
        page = server.request("GET", "/reports")
        arabic = server.request("GET", "/reports?lang=ar")
        style = server.request("GET", "/static/style.css")
        docs = server.request("GET", "/docs")
        created = server.request("POST", "/api/v1/reports", CONTRACT_REPORT)
        listed = server.request("GET", "/api/v1/reports")

    assert page.status == 200 and b'lang="en"' in page.raw, page
    # The shipped catalogues are in the wheel, and compiled where it is installed.
    assert arabic.status == 200 and '<html lang="ar" dir="rtl">' in arabic.raw.decode(), arabic
    assert "تقارير ما بعد الجلسة" in arabic.raw.decode(), arabic
    assert style.status == 200 and style.content_type.startswith("text/css"), style
    assert docs.status == 200 and b"swagger" in docs.raw.lower(), docs
    assert created.status == 201, created
    assert listed.status == 200 and listed.json["pagination"]["total"] == 1, listed
    assert "Traceback" not in server.stderr(), server


def test_the_installed_flask_command_makes_and_lists_tokens(installed, tmp_path, empty_folder):
    database = str(tmp_path / "data" / "reports.sqlite")
    flask = [str(installed / "flask"), "--app", "reports"]
    made = run_installed([*flask, "init-db"], empty_folder, REPORTS_DATABASE=database)
    assert made.returncode == 0, made.stderr
    token = ["token", "create", "--name", "carla", "--role", "coordinator"]
    created = run_installed([*flask, *token], empty_folder, REPORTS_DATABASE=database)
    assert created.returncode == 0, created.stderr

    listed = run_installed([*flask, "token", "list"], empty_folder, REPORTS_DATABASE=database)

    assert listed.returncode == 0, listed.stderr
    assert "carla" in listed.stdout and "coordinator" in listed.stdout, listed.stdout


def test_the_installed_package_creates_its_database_in_the_folder_it_runs_in(
    installed, empty_folder
):
    result = run_installed([str(installed / "flask"), "--app", "reports", "init-db"], empty_folder)

    assert result.returncode == 0, result.stderr
    database = empty_folder / "instance" / "reports.sqlite"
    assert str(database) in result.stdout
    assert ("table", "report") in tables_and_indexes(database)


def tables_and_indexes(database):
    db = sqlite3.connect(database)
    try:
        return {
            (kind, name)
            for kind, name in db.execute("SELECT type, name FROM sqlite_master")
            if not name.startswith("sqlite_")
        }
    finally:
        db.close()


def test_init_db_creates_the_schema(runner, database):
    expected = tables_and_indexes(database)  # the app fixture made it once
    for suffix in ("", "-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)

    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    assert database in result.output
    assert tables_and_indexes(database) == expected
    assert ("table", "report") in expected
    assert {"report_by_created", "report_by_activity", "report_by_mentor"} <= {
        name for kind, name in expected if kind == "index"
    }
    assert "CREATE TABLE IF NOT EXISTS report" in schema_sql()


def test_init_db_keeps_an_existing_report(client, runner, database):
    created = client.post("/api/v1/reports", json=CONTRACT_REPORT)
    assert created.status_code == 201, created.json
    before = client.get(created.headers["Location"]).json

    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    after = client.get(created.headers["Location"])
    assert after.status_code == 200, after.json
    assert after.json == before
    assert client.get("/api/v1/reports").json["pagination"]["total"] == 1


def test_the_flask_command_line_init_db_creates_the_schema_and_keeps_reports(tmp_path):
    """The real `flask --app reports init-db`, as an operator types it."""
    database = tmp_path / "data" / "reports.sqlite"
    env = clean_env(REPORTS_DATABASE=str(database), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "flask", "--app", "reports", "init-db"]

    def init_db():
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert str(database) in result.stdout
        return result

    init_db()
    assert ("table", "report") in tables_and_indexes(str(database))

    client = create_app({"TESTING": True, "DATABASE": str(database)}).test_client()
    created = client.post("/api/v1/reports", json=CONTRACT_REPORT)
    assert created.status_code == 201, created.json
    before = client.get(created.headers["Location"]).json

    init_db()

    assert client.get(created.headers["Location"]).json == before
