"""The pages as an app a phone installs (reports/installable.py): the web app
manifest, linked from every page; the service worker at the root, registered
by a script file of our own, keeping the app's shell and the two pages a
mentor files with; and its cache's version, the same at every start and new
with any change to what it keeps or a new release. The worker at work, in a
real browser: tests/test_browser_offline.py."""

import json
import re
import shutil

import pytest

from reports import create_app, installable

from test_icons import png_size
from web_helpers import text

WORKER = "/sw.js"
MANIFEST = "/manifest.webmanifest"
MANIFEST_LINK = f'<link rel="manifest" href="{MANIFEST}">'
REGISTER_SCRIPT = '<script src="/static/register.js" defer></script>'
THEME_COLOUR = '<meta name="theme-color" content="#0b0c0c">'
CONFIG = {"TESTING": True, "SECRET_KEY": "a-test-secret-key"}
CONSTANT = re.compile(r"^const (\w+) = (.+);$", re.MULTILINE)
STATIC_FILE = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def constants(worker):
    """The constants written before the worker's source: {name: value}."""
    written = text(worker).split("\n\n", 1)[0]
    return {name: json.loads(value) for name, value in CONSTANT.findall(written)}


def version_of(app):
    return constants(app.test_client().get(WORKER))["VERSION"]


def test_the_manifest_names_the_app_its_start_and_its_icons(client):
    answer = client.get(MANIFEST)

    assert answer.status_code == 200
    assert answer.mimetype == "application/manifest+json"
    manifest = json.loads(text(answer))
    assert manifest["name"] == "Post-Session Reports"
    assert manifest["short_name"] == "Reports"
    assert (manifest["start_url"], manifest["scope"]) == ("/", "/")
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == manifest["background_color"] == "#0b0c0c"
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512", "any"}
    assert sizes["any"]["type"] == "image/svg+xml"
    for size in ("192x192", "512x512"):
        icon = sizes[size]
        assert icon["type"] == "image/png"
        with client.get(icon["src"]) as served:
            assert served.status_code == 200 and served.mimetype == "image/png"
            assert "x".join(map(str, png_size(served.get_data()))) == size
    with client.get(sizes["any"]["src"]) as served:
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"


def test_every_page_links_the_manifest_and_the_script_that_registers_the_worker(browsers):
    pages = [
        browsers["none"].get("/login"),
        browsers["none"].get("/no-such-page", headers={"Accept": "text/html"}),
        browsers["coordinator"].get("/reports"),
        browsers["coordinator"].get("/reports/mine"),  # a mentor's page: 403
        browsers["mentor"].get("/reports/new"),
        browsers["mentor"].get("/reports/mine"),
        browsers["mentor"].get("/reports/rpt_00000000"),
    ]

    assert [page.status_code for page in pages] == [200, 404, 200, 403, 200, 200, 404]
    for page in pages:
        html = text(page)
        assert MANIFEST_LINK in html, page.request.path
        assert THEME_COLOUR in html, page.request.path
        assert REGISTER_SCRIPT in html, page.request.path


def test_the_worker_is_a_script_at_the_root_checked_on_every_visit(client):
    answer = client.get(WORKER)

    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    # At the root, its scope is every page without a Service-Worker-Allowed.
    assert answer.request.path == "/sw.js"
    assert "Service-Worker-Allowed" not in answer.headers
    assert "Set-Cookie" not in answer.headers


def test_the_script_that_registers_the_worker_does_so_at_the_root(client):
    with client.get("/static/register.js") as answer:
        script = text(answer)

    assert 'navigator.serviceWorker.register("/sw.js", { scope: "/" })' in script
    assert '"serviceWorker" in navigator' in script


def test_the_content_security_policy_lets_the_worker_and_the_manifest_come_from_here(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))

    # Where worker-src and manifest-src are not given, these are what apply.
    worker_src = directives.get("worker-src", directives.get("child-src", directives["script-src"]))
    manifest_src = directives.get("manifest-src", directives["default-src"])
    assert worker_src == manifest_src == "'self'"


def test_the_worker_keeps_the_shell_and_the_form_and_my_reports(client):
    kept = constants(client.get(WORKER))

    assert kept["FORM"] == "/reports/new"
    assert kept["MY_REPORTS"] == "/reports/mine"
    assert kept["START"] == "/"
    assert {"/static/style.css", "/static/form.js", "/static/register.js"} <= set(kept["SHELL"])
    assert {"/static/icons/icon-192.png", "/static/icons/icon-512.png"} <= set(kept["SHELL"])
    for path in kept["SHELL"]:
        with client.get(path) as answer:
            assert answer.status_code == 200, path


def test_every_file_the_kept_pages_link_is_in_the_shell(browsers):
    shell = set(constants(browsers["mentor"].get(WORKER))["SHELL"])

    for path in ("/reports/new", "/reports/mine"):
        linked = set(STATIC_FILE.findall(text(browsers["mentor"].get(path))))
        assert linked and linked <= shell, path


def test_the_cache_s_version_is_the_same_at_every_start(app, database):
    again = create_app({**CONFIG, "DATABASE": database})

    first, second = app.test_client().get(WORKER), again.test_client().get(WORKER)
    assert first.get_data() == second.get_data()
    assert version_of(app).startswith(installable.release() + "-")


@pytest.mark.parametrize("changed", ["style.css", "form.js", "icons/icon-192.png", "sw.js"])
def test_a_change_to_a_file_the_worker_keeps_gives_a_new_version(app, tmp_path, changed):
    static = shutil.copytree(app.static_folder, tmp_path / "static")
    release = installable.release()
    assert installable.shell_version(static, release) == version_of(app)

    with open(static / changed, "ab") as file:
        file.write(b"\n")

    assert installable.shell_version(static, release) != version_of(app)


def test_a_new_release_gives_a_new_version(app, database, monkeypatch):
    monkeypatch.setattr(installable, "release", lambda: "99.0.0")
    released = create_app({**CONFIG, "DATABASE": database})

    assert version_of(released).startswith("99.0.0-")
    assert version_of(released) != version_of(app)
