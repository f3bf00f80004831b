"""A mentor's phone without a signal, in a real browser: once visited, the
report form and My reports open from the service worker's cache while the
service is down (stopped, so that nothing answers), and no other page does;
with the service back, the pages are fresh again; and a new release replaces
the cache of the old one, the pages it kept fetched anew (reports/installable.py,
reports/static/sw.js)."""

import re
import shutil
import sys

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.wait import WebDriverWait

from browser import WAIT_SECONDS
from conftest import CONTRACT_REPORT
from serving import REPO, REPORTS
from test_browser_pages import flask, sign_in

FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
NEXT_RELEASE = "\n/* The next release. */\n"
# The names of the caches, once there is one only and it is not arguments[0].
ONE_CACHE_BUT = """
caches.keys().then((names) => done(names.length === 1 && names[0] !== arguments[0] && names));
"""


def wait_until(web, script, *args):
    """What `script`'s promise resolves to, once it is truthy."""
    run = "const done = arguments[arguments.length - 1];" + script
    return WebDriverWait(web.driver, WAIT_SECONDS).until(
        lambda driver: driver.execute_async_script(run, *args),
        f"This stayed false within {WAIT_SECONDS} s: {script}",
    )


def wait_until_controlled(web):
    """Until the service worker answers this page's requests."""
    wait_until(web, "done(Boolean(navigator.serviceWorker.controller));")


def cache_names(web):
    return web.driver.execute_async_script("caches.keys().then(arguments[0]);")


def kept(web, cache, url):
    """The text the cache `cache` keeps for `url`, or None."""
    return web.driver.execute_async_script(
        """
        const [cache, url, done] = arguments;
        caches.open(cache).then((kept) => kept.match(url, {ignoreVary: true}))
          .then((answer) => (answer ? answer.text() : null)).then(done);
        """,
        cache,
        url,
    )


def shows(web, path):
    """Open `path` and return the heading its page shows."""
    web.open(path)
    return web.wait_for("main h1").text


def fails_to_open(web, path):
    """Whether opening `path` ends in the browser's own error: nothing answered."""
    try:
        web.open(path)
    except WebDriverException as error:
        return "ERR_CONNECTION_REFUSED" in error.msg
    return False


def restart_as(server, app_py):
    """Start the stopped server again on the same address (the same origin for
    the browser, so the same worker and caches), from `app_py`."""
    server.settings["REPORTS_PORT"] = str(server.port)
    server.command = [sys.executable, str(app_py)]
    server.checkout_on_path = False
    server.start()


def next_release(folder):
    """A copy of the service's code with a stylesheet changed, as a new release
    brings, with the same instance folder (the key that signs the sessions);
    returns its app.py."""
    folder.mkdir()
    (folder / "instance").symlink_to(REPO / "instance")
    shutil.copy(REPO / "app.py", folder / "app.py")
    shutil.copytree(
        REPO / "reports", folder / "reports", ignore=shutil.ignore_patterns("__pycache__")
    )
    with open(folder / "reports" / "static" / "style.css", "a", encoding="utf-8") as css:
        css.write(NEXT_RELEASE)
    return folder / "app.py"


def test_the_form_and_my_reports_open_while_the_service_is_down(web, tmp_path):
    server = web.server
    secret, link = flask(
        server, "token", "create", "--name", "mona", "--role", "mentor",
        "--mentor", CONTRACT_REPORT["peer_mentor_id"], "--link",
    )  # fmt: skip
    sign_in(web, link, "mentor")
    wait_until_controlled(web)
    scope = wait_until(web, "navigator.serviceWorker.getRegistration().then((r) => done(r.scope));")
    assert scope == f"{web.base_url}/"
    assert shows(web, "/reports/mine") == "My reports"
    assert shows(web, "/reports/new") == "New report"
    [cache] = cache_names(web)
    form_key = FORM_KEY.search(kept(web, cache, "/reports/new")).group(1)

    server.stop()
    assert shows(web, "/reports/new") == "New report"
    web.wait_for("form.report-form")
    web.check_page("offline-form")
    assert shows(web, "/reports/mine") == "My reports"
    assert "You have no drafts." in web.driver.find_element("css selector", "main").text
    # The installed app opens at /, which leads a mentor to My reports.
    assert shows(web, "/") == "My reports"
    assert fails_to_open(web, "/reports")
    assert fails_to_open(web, "/reports/new?activity_id=act_spring")

    restart_as(server, REPO / "app.py")
    created = server.request(
        "POST", REPORTS, CONTRACT_REPORT, {"Authorization": f"Bearer {secret}"}
    )
    assert created.status == 201, created
    assert shows(web, "/reports/mine") == "My reports"
    web.wait_for(f"a[href$='/reports/{created.json['report_id']}']")
    assert cache_names(web) == [cache]

    # A new release: a new worker, whose cache replaces the old one, with the
    # pages the old one kept fetched anew, and the new stylesheet.
    server.stop()
    restart_as(server, next_release(tmp_path / "next-release"))
    assert shows(web, "/reports/mine") == "My reports"
    [new_cache] = wait_until(web, ONE_CACHE_BUT, cache)
    assert kept(web, new_cache, "/static/style.css").endswith(NEXT_RELEASE)
    new_form_key = FORM_KEY.search(kept(web, new_cache, "/reports/new")).group(1)
    assert new_form_key != form_key

    server.stop()
    assert shows(web, "/reports/new") == "New report"
    # The page is the new release's copy; the form's key is made afresh each
    # time it opens (form.js), so that two reports filed from it are two.
    kept_form = kept(web, new_cache, "/reports/new")
    kept_token = re.search(r'name="csrf_token" value="([^"]+)"', kept_form).group(1)
    assert web.driver.find_element("name", "csrf_token").get_property("value") == kept_token
    assert web.driver.find_element("name", "form_key").get_property("value") != new_form_key

    # Signed out, My reports leads to the sign-in page: what was kept of it goes.
    server.start()
    assert shows(web, "/reports/mine") == "My reports"
    web.leave_by(web.wait_for("header form button[type=submit]"))
    assert shows(web, "/reports/mine") == "Sign in"
    assert kept(web, new_cache, "/reports/mine") is None
