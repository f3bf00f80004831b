"""The pages: each role's start page, the lists and a report's page, scoped as
the API is; HTML errors on the pages; CSRF; the headers; escaping; the banner
of an open service."""

import re
from pathlib import Path

import pytest

from reports import auth, create_app

from conftest import CONTRACT_REPORT, revoke_token
from web_helpers import csrf_token, secret_of, signed_in_as, text

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
TEMPLATES = Path(__file__).parent.parent / "reports" / "templates"
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


# Every page for every role -------------------------------------------------------

# What each page answers each kind of browser: a status, or where it is sent.
PAGES = {
    "/": {
        "none": "/login",
        "coordinator": 200,
        "viewer": "/reports",
        "mentor": "/reports/mine",
    },
    "/reports": {"none": "/login", "coordinator": 200, "viewer": 200, "mentor": 200},
    "/reports/mine": {"none": "/login", "coordinator": 403, "viewer": 403, "mentor": 200},
    "/reports/<own>": {"none": "/login", "coordinator": 200, "viewer": 200, "mentor": 200},
    "/reports/<other>": {"none": "/login", "coordinator": 200, "viewer": 200, "mentor": 404},
    "/reports/rpt_00000000": {"none": "/login", "coordinator": 404, "viewer": 404, "mentor": 404},
    "/reports/not-an-id": {"none": "/login", "coordinator": 404, "viewer": 404, "mentor": 404},
    "/login": {"none": 200, "coordinator": 200, "viewer": 200, "mentor": 200},
}


@pytest.mark.parametrize("who", ["none", "coordinator", "viewer", "mentor"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_for_every_role(browsers, new_report, page, who):
    ids = {"<own>": new_report(MENTOR), "<other>": new_report(OTHER_MENTOR)}
    path = ids.get(page.rsplit("/", 1)[1])
    path = page if path is None else f"/reports/{path}"

    response = browsers[who].get(path)

    expected = PAGES[page][who]
    if isinstance(expected, str):
        assert response.status_code == 302 and response.headers["Location"] == expected
        return
    assert response.status_code == expected
    assert response.mimetype == "text/html"
    body = text(response)
    assert body.startswith("<!doctype html>") and '<html lang="en" dir="ltr">' in body
    assert "<h1>" in body


def test_the_pages_show_who_is_signed_in_with_a_sign_out_button(browsers):
    body = text(browsers["viewer"].get("/reports"))

    assert "Signed in as <strong><bdi>victor</bdi></strong> (viewer)" in body
    assert re.search(
        r'<form method="post" action="/logout">\s*<input type="hidden" name="csrf_token"', body
    )
    assert ">Sign out</button>" in body


# What the pages show --------------------------------------------------------------


def test_a_report_page_shows_every_field(browsers, new_report):
    report_id = new_report(MENTOR, status="submitted", way_forward="Letters by Friday")

    body = text(browsers["mentor"].get(f"/reports/{report_id}"))

    for label in (
        "Session date",
        "Attendance",
        "Session topic",
        "Participant engagement",
        "Challenges noted",
        "Mentor&#39;s notes",
        "Way forward",
        "Duration (minutes)",
        "Follow-up needed",
    ):
        assert f"<dt>{label}</dt>" in body
    for value in CONTRACT_REPORT["fields"].values():
        shown = {True: "Yes", False: "No", "high": "High"}.get(value, value)
        assert f"{shown}" in body
    assert "Letters by Friday" in body and report_id in body


def test_my_reports_lists_drafts_first_then_submitted_with_their_review(
    browsers, new_report, review
):
    approved = new_report(status="submitted", session_topic="Approved one")
    issues = new_report(status="submitted", session_topic="Needs work")
    draft = new_report(session_topic="Still a draft")
    review(approved, "approved")
    review(issues, "has_issues", "Attendance looks wrong: 400 people?")
    new_report(OTHER_MENTOR, session_topic="Someone else's")

    body = text(browsers["mentor"].get("/reports/mine"))

    assert body.index("Still a draft") < body.index("<h2>Submitted</h2>") < body.index("Needs work")
    assert f"/reports/{draft}" in body
    assert "Approved</span>" in body
    flagged = re.search(r'<li class="has-issues">(.*?)</li>', body, re.DOTALL).group(1)
    assert "Needs work" in flagged and "Has issues" in flagged
    assert "Attendance looks wrong: 400 people?" in flagged
    assert "Approved one" not in flagged
    assert "Someone else" not in body


def test_my_reports_shows_the_newest_twenty_drafts_and_links_to_all_of_them(browsers, new_report):
    for number in range(23):
        new_report(session_topic=f"Draft {number:02}")

    body = text(browsers["mentor"].get("/reports/mine"))

    assert body.count("Draft ") == 20 and "Draft 22" in body and "Draft 02" not in body
    assert "The newest 20 of 23 drafts" in body
    assert 'href="/reports?status=draft"' in body


def test_a_mentor_gets_nothing_of_another_mentor_s_report(browsers, new_report):
    other = new_report(OTHER_MENTOR, status="submitted", session_topic="Private matter")

    for path in (f"/reports/{other}", "/reports", "/reports/mine"):
        body = text(browsers["mentor"].get(path))
        assert "Private matter" not in body and OTHER_MENTOR not in body
    for path in ("/reports", "/reports/mine"):
        assert other not in text(browsers["mentor"].get(path))
    refused = browsers["mentor"].get(f"/reports/{other}")
    assert refused.status_code == 404 and refused.mimetype == "text/html"
    assert text(refused) == text(browsers["mentor"].get("/reports/rpt_00000000")).replace(
        "rpt_00000000", other
    )


def test_hostile_report_text_is_shown_escaped(browsers, new_report, review):
    report_id = new_report(
        status="submitted", session_topic=HOSTILE, mentor_notes=HOSTILE, challenges_noted=HOSTILE
    )
    review(report_id, "has_issues", HOSTILE)

    for who, path in (
        ("mentor", f"/reports/{report_id}"),
        ("mentor", "/reports/mine"),
        ("coordinator", "/reports"),
    ):
        body = text(browsers[who].get(path))
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x" in body


# Errors -----------------------------------------------------------------------------


def test_errors_on_the_pages_are_html_and_the_api_keeps_problem_json(browsers, client, tokens):
    page = browsers["coordinator"].get("/reports/rpt_00000000")
    api = client.get(f"{REPORTS}/rpt_00000000", headers=tokens["coordinator"])

    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1>Not Found</h1>" in text(page) and "rpt_00000000" in text(page)
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_a_403_page_says_why(browsers):
    refused = browsers["viewer"].get("/reports/mine")

    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert "a mentor&#39;s page" in text(refused) and "viewer token" in text(refused)


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        (None, "application/problem+json"),
        ("*/*", "application/problem+json"),
    ],
)
def test_no_such_page_is_html_for_a_browser_only(client, accept, mimetype):
    headers = {} if accept is None else {"Accept": accept}

    response = client.get("/no-such-page", headers=headers)

    assert response.status_code == 404 and response.mimetype == mimetype
    api = client.get("/api/v1/nothing", headers=headers)
    assert api.mimetype == "application/problem+json"


# CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [{}, {"csrf_token": "made-up"}], ids=["missing", "wrong"])
def test_a_form_without_its_csrf_token_is_refused(client, tokens, form):
    refused = client.post("/login", data={"token": secret_of(tokens["coordinator"]), **form})

    assert refused.status_code == 400 and refused.mimetype == "text/html"
    body = text(refused)
    assert "This form has expired" in body and "Traceback" not in body
    assert signed_in_as(client) is None


def test_a_csrf_token_of_another_session_is_refused(app, tokens):
    stranger, victim = app.test_client(), app.test_client()
    token = csrf_token(stranger)

    refused = victim.post(
        "/login", data={"token": secret_of(tokens["viewer"]), "csrf_token": token}
    )

    assert refused.status_code == 400 and "This form has expired" in text(refused)


def test_the_api_needs_no_csrf_token(client, tokens):
    created = client.post(REPORTS, json=CONTRACT_REPORT, headers=tokens["coordinator"])

    assert created.status_code == 201


# Headers ------------------------------------------------------------------------------

HEADERS = {
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/reports",
        "/reports/rpt_00000000",
        "/static/style.css",
        REPORTS,
        "/healthz",
        "/nope",
    ],
)
def test_every_answer_has_the_security_headers(browsers, path):
    response = browsers["coordinator"].get(path)
    response.close()

    for name, value in HEADERS.items():
        assert response.headers[name] == value
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline'
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'none'"


def test_the_api_s_answers_keep_the_headers_too(client, tokens):
    response = client.get(REPORTS, headers=tokens["viewer"])

    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# The pages' templates: the e-mails' (mail/) are no page, and are tested below.
PAGE_TEMPLATES = sorted(set(TEMPLATES.rglob("*.html")) - set((TEMPLATES / "mail").glob("*")))
MAIL_TEMPLATES = sorted((TEMPLATES / "mail").glob("*.html"))


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda path: path.name)
def test_no_template_has_inline_script_or_style(template):
    source = template.read_text(encoding="utf-8")

    # A script comes from a file of ours (the policy allows nothing else), with nothing inside.
    assert not re.search(r"<script(?![^>]*\ssrc=)", source)
    assert not re.search(r"<script[^>]*>[^<]", source)
    assert "<style" not in source
    assert not re.search(r"\sstyle=|\son[a-z]+=", source)
    assert "|safe" not in source.replace(" ", "")


@pytest.mark.parametrize("template", MAIL_TEMPLATES, ids=lambda path: path.name)
def test_an_email_template_has_no_script_and_styles_only_inline(template):
    # Mail clients drop a <style> block and never run scripts: styles go inline.
    source = template.read_text(encoding="utf-8")

    assert "<script" not in source and "<style" not in source
    assert not re.search(r"\son[a-z]+=", source)
    assert "|safe" not in source.replace(" ", "")


def test_the_stylesheet_is_served_from_the_app(client):
    with client.get("/static/style.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert "@media print" in text(response) and ":focus-visible" in text(response)


# A coordinator's start page: the review queue ---------------------------------------------


def queue_titles(body):
    """The titles of the reports the queue lists, in its order."""
    listed = re.search(r'<ol class="report-list queue-list">(.*?)</ol>', body, re.S)
    return (
        re.findall(r'<a href="/reports/rpt_\w+" dir="auto">([^<]+)</a>', listed.group(1))
        if listed
        else []
    )


def test_a_coordinator_s_start_page_is_the_queue_oldest_submitted_first(
    browsers, new_report, review, clock
):
    reviewed = new_report(status="submitted", session_topic="Reviewed already")
    review(reviewed, "approved")
    clock.advance(minutes=1)
    new_report(status="submitted", session_topic="First in")
    new_report(status="draft", session_topic="A draft")
    new_report(status="draft", session_topic="Still a draft")
    clock.advance(minutes=1)
    new_report(OTHER_MENTOR, status="submitted", session_topic="Third in")

    body = text(browsers["coordinator"].get("/"))

    assert "<h1>Review queue</h1>" in body
    assert "2 reports wait for review, oldest submitted first." in body
    assert queue_titles(body) == ["First in", "Third in"]
    assert "Reviewed already" not in body and "A draft" not in body
    assert "Drafts: 2, not yet submitted." in body
    assert '<a href="/reports?status=draft">See the drafts</a>' in body
    assert '<a href="/reports">All reports</a>' in body
    # Each with its mentor (by name), activity (an id the directory does not
    # know, as itself), session date and when it was submitted.
    assert (
        f"by <bdi>mona</bdi> · <bdi>{CONTRACT_REPORT['activity_id']}</bdi> · session "
        f'<time datetime="{CONTRACT_REPORT["fields"]["session_date"]}">'
    ) in body
    assert 'submitted <time datetime="2026-03-20T14:11:00Z">20 Mar 2026, 14:11</time>' in body


def test_the_queue_is_oldest_submitted_first_not_oldest_created(
    browsers, new_report, client, tokens, clock
):
    early = new_report(status="draft", session_topic="Created first, submitted last")
    clock.advance(minutes=1)
    new_report(status="submitted", session_topic="Created last, submitted first")
    clock.advance(minutes=1)
    put = client.put(f"{REPORTS}/{early}", json={"status": "submitted"}, headers=tokens["mentor"])
    assert put.status_code == 200, put.json

    body = text(browsers["coordinator"].get("/"))

    assert queue_titles(body) == ["Created last, submitted first", "Created first, submitted last"]
    assert "2 reports wait for review" in body and "Drafts: none." in body


def test_an_empty_queue_says_so(browsers, new_report, review):
    review(new_report(status="submitted"), "approved")

    body = text(browsers["coordinator"].get("/"))

    assert "Nothing waits for review." in body
    assert queue_titles(body) == [] and "wait for review," not in body
    assert "Drafts: none." in body


def test_one_report_waits(browsers, new_report):
    new_report(status="submitted")

    assert "1 report waits for review, oldest submitted first." in text(
        browsers["coordinator"].get("/")
    )


def test_a_long_queue_shows_its_oldest_and_links_to_the_table_filtered_the_same_way(
    browsers, new_report, clock, monkeypatch
):
    monkeypatch.setattr("reports.web.pages.QUEUE_LIMIT", 2)
    for number in range(3):
        new_report(status="submitted", session_topic=f"Report {number}")
        clock.advance(minutes=1)

    body = text(browsers["coordinator"].get("/"))

    assert queue_titles(body) == ["Report 0", "Report 1"]
    assert "3 reports wait for review" in body
    link = (
        '<a href="/reports?status=submitted&amp;review_state=none&amp;sort=submitted_at">'
        "all the reports that wait for review</a>"
    )
    assert f"The oldest 2 of 3: {link}." in body
    table = text(
        browsers["coordinator"].get("/reports?status=submitted&review_state=none&sort=submitted_at")
    )
    assert "3 reports (page 1 of 1)" in table


def test_a_viewer_and_a_mentor_keep_their_start_pages(browsers, new_report):
    new_report(status="submitted", session_topic="Mona own report")
    new_report(OTHER_MENTOR, status="submitted", session_topic="Another mentor report")

    viewer, mentor = browsers["viewer"].get("/"), browsers["mentor"].get("/")

    assert viewer.status_code == 302 and viewer.headers["Location"] == "/reports"
    assert mentor.status_code == 302 and mentor.headers["Location"] == "/reports/mine"
    mine = text(browsers["mentor"].get("/", follow_redirects=True))
    assert "Mona own report" in mine and "Another mentor report" not in mine
    assert "Review queue" not in mine


# Times and dates in TIME_ZONE --------------------------------------------------------------


def test_a_report_page_shows_its_times_in_the_organisation_s_zone(app, browsers, new_report, clock):
    report_id = new_report(status="submitted")
    app.config["TIME_ZONE"] = "Europe/Oslo"

    body = text(browsers["coordinator"].get(f"/reports/{report_id}"))

    # 14:10 UTC is 15:10 in Oslo in March (CET, UTC+1).
    assert '<dd><time datetime="2026-03-20T14:10:00Z">20 Mar 2026, 15:10</time></dd>' in body
    assert "2026-03-20T14:10:00Z</" not in body
    session_date = CONTRACT_REPORT["fields"]["session_date"]
    assert f'<time datetime="{session_date}">' in body


def test_a_date_input_s_hint_names_the_organisation_s_zone(app, browsers):
    utc = text(browsers["mentor"].get("/reports/new"))
    app.config["TIME_ZONE"] = "Europe/Oslo"
    oslo = text(browsers["mentor"].get("/reports/new"))

    assert "not after tomorrow (universal time)." in utc
    assert "not after tomorrow (Europe/Oslo time)." in oslo
    assert "(UTC)" not in utc and "(UTC)" not in oslo


# An open service -------------------------------------------------------------------------


def test_while_the_api_is_open_here_the_pages_are_open_under_a_banner(client):
    start = client.get("/")
    page = client.get("/reports")

    # The anonymous coordinator's start page is the review queue, as a coordinator's.
    assert start.status_code == 200 and "<h1>Review queue</h1>" in text(start)
    assert page.status_code == 200
    body = text(page)
    assert "anyone on this machine can use it" in body
    assert "flask --app reports token create --name NAME --role coordinator" in body
    assert "acting as the <strong>anonymous</strong> coordinator" in body


def test_an_open_service_is_not_open_to_another_machine(client):
    response = client.get("/reports", environ_base={"REMOTE_ADDR": "192.0.2.7"})

    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_with_allow_open_the_banner_says_anyone_can_use_it(app, database):
    app = create_app({"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "ALLOW_OPEN": 1})

    page = app.test_client().get("/reports", environ_base={"REMOTE_ADDR": "192.0.2.7"})

    assert page.status_code == 200 and "anyone who can reach this service" in text(page)


def test_once_a_token_is_in_force_there_is_no_banner(app, browsers):
    body = text(browsers["coordinator"].get("/reports"))

    assert "Open to use without a token" not in body
    assert browsers["none"].get("/reports").headers["Location"] == "/login"


def test_a_closed_service_sends_everyone_to_sign_in(app, client):
    with app.app_context():
        auth.create_token("carla", "coordinator")
        revoke_token("carla")

    assert client.get("/").headers["Location"] == "/login"
    assert "Open to use" not in text(client.get("/login"))


def test_no_page_is_kept_in_a_cache(browsers):
    assert browsers["mentor"].get("/reports/mine").headers["Cache-Control"] == "no-store"
    assert browsers["none"].get("/login").headers["Cache-Control"] == "no-store"


def test_the_api_keeps_no_session_even_with_a_session_cookie(browsers, tokens):
    response = browsers["coordinator"].get(REPORTS, headers=tokens["coordinator"])

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary
