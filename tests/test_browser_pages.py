"""The web pages in a real browser, as a mentor and a coordinator use them: a
coordinator makes a mentor's token with a sign-in link, the mentor opens it and
finds its reports, both sign out. Every page is checked with axe-core and shot
at a phone's and a desk's width (browser.py)."""

import os
import subprocess
import sys

from conftest import CONTRACT_REPORT
from serving import REPO, REPORTS

HOSTILE_TOPIC = '<script>alert("topic")</script> & "quotes"'


def flask(server, *args):
    """`flask --app reports ...` on the test server's database, as an operator runs it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPORTS_")}
    env.update(
        PYTHONPATH=str(REPO),
        REPORTS_DATABASE=str(server.database),
        REPORTS_PUBLIC_URL=f"http://{server.host}:{server.port}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "reports", *args],
        cwd=server.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result
    return result.stdout.split()


def sign_in(web, link, name):
    web.driver.get(link)
    web.wait_for("main form button[type=submit]")
    web.check_page(f"{name}-link")
    web.click_to_leave("main form button[type=submit]")


def test_a_mentor_signs_in_with_its_link_and_finds_its_reports(web):
    server = web.server
    coordinator_secret, coordinator_link = flask(
        server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    mentor_secret, mentor_link = flask(
        server, "token", "create", "--name", "mona", "--role", "mentor",
        "--mentor", CONTRACT_REPORT["peer_mentor_id"], "--link",
    )  # fmt: skip
    body = {
        **CONTRACT_REPORT,
        "fields": {**CONTRACT_REPORT["fields"], "session_topic": HOSTILE_TOPIC},
    }
    created = server.request("POST", REPORTS, body, {"Authorization": f"Bearer {mentor_secret}"})
    assert created.status == 201, created
    report_id = created.json["report_id"]

    web.open("/")
    web.wait_for("main form input[type=password], main form input[name=token]")
    web.check_page("login")

    sign_in(web, mentor_link, "mentor")
    heading = web.wait_for("main h1")
    assert heading.text == "My reports"
    web.keep_for_readme(web.check_page("mentor-my-reports")[0], "screenshot-my-reports.png")
    link = web.wait_for(f"a[href$='/reports/{report_id}']")
    # Hostile text is shown as text, never run.
    assert link.text == HOSTILE_TOPIC
    assert not web.driver.execute_script("return window.__pageProblems || []")

    web.leave_by(link)
    web.wait_for("main h1")
    assert HOSTILE_TOPIC in web.driver.find_element("css selector", "main").text
    web.check_page("mentor-report")

    web.leave_by(web.wait_for("header form button[type=submit]"))
    web.wait_for("main form input[name=token], main form input[type=password]")
    web.open(f"/reports/{report_id}")
    assert "/login" in web.driver.current_url or "Sign in" in web.driver.page_source

    # The link worked once: opened again, it signs nobody in.
    web.driver.get(mentor_link)
    assert "My reports" not in web.driver.find_element("css selector", "main").text

    sign_in(web, coordinator_link, "coordinator")
    assert web.wait_for("main h1").text == "Review queue"
    web.open("/reports")
    web.wait_for(f"a[href$='/reports/{report_id}']")
    web.keep_for_readme(web.check_page("coordinator-reports")[1], "screenshot-reports.png")
    assert coordinator_secret not in web.driver.page_source
