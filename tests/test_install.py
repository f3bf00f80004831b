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


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory):
    """The wheel's contents, as `pip install` would put them in site-packages."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_the_wheel_holds_schema_sql_as_a_regular_file(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "reports/schema.sql" in names, names
        info = archive.getinfo("reports/schema.sql")
        mode = info.external_attr >> 16
        assert not stat.S_ISLNK(mode), oct(mode)
        assert archive.read(info) == (REPO / "schema.sql").read_bytes()


def test_the_wheel_holds_every_module_of_the_package(wheel):
    modules = {f"reports/{path.name}" for path in (REPO / "reports").glob("*.py")}
    with zipfile.ZipFile(wheel) as archive:
        assert modules <= set(archive.namelist())


def test_the_wheel_holds_every_template_and_the_stylesheet(wheel):
    package = REPO / "reports"
    assets = {
        path.relative_to(REPO).as_posix()
        for pattern in ("templates/**/*.html", "static/*")
        for path in package.glob(pattern)
    }
    assert "reports/templates/base.html" in assets and "reports/static/style.css" in assets
    with zipfile.ZipFile(wheel) as archive:
        assert assets <= set(archive.namelist())


def run_installed(code, unpacked, folder):
    """Python `code` run in `folder` with the package from the unpacked wheel alone."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env=clean_env(PYTHONPATH=str(unpacked)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_installed_package_serves_its_pages(unpacked, tmp_path):
    code = (
        "from reports import create_app, db; app = create_app(); "
        "db.init_db(app.config['DATABASE'], app.instance_path); c = app.test_client(); "
        "page = c.get('/reports'); css = c.get('/static/style.css'); "
        "print(page.status_code, css.status_code, 'lang=\"en\"' in page.text); css.close()"
    )
    result = run_installed(code, unpacked, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "200", "True"], result.stdout


def test_the_installed_package_creates_its_database_from_any_folder(unpacked, tmp_path):
    code = (
        "import reports; print(reports.__file__); from reports import create_app, db; "
        "app = create_app(); db.init_db(app.config['DATABASE'], app.instance_path)"
    )
    result = run_installed(code, unpacked, tmp_path)

    assert result.returncode == 0, result.stderr
    # The package came from the wheel, not from the checkout or an editable install.
    assert Path(result.stdout.strip()).resolve().is_relative_to(unpacked.resolve()), result
    database = tmp_path / "instance" / "reports.sqlite"
    assert database.is_file()
    db = sqlite3.connect(database)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    assert "report" in tables


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
