"""The pages on a phone, in a real browser: for each role, the header takes at
most about 15% of a 360 by 740 screen; every link of the header and of the
lists, every button, summary, checkbox and radio is at least 24 by 24 px
(WCAG 2.2, 2.5.8) on a phone and at a desk; the report form's Submit is on
the first screen, and its bar covers neither the error summary nor the last
field. Every page is checked with axe-core and shot (browser.py)."""

from reports import auth, create_app

from browser import assert_accessible
from conftest import CONTRACT_REPORT
from serving import REPORTS

PHONE = (360, 740)
DESK = (1280, 900)
# About 15% of the phone's 740 px.
MAX_HEADER = 111
MIN_TARGET = 24
# The header's pages, not its language menu.
PAGES = "header nav:not(.languages)"
TARGETS = ", ".join(
    (
        "header a",
        "header button",
        "main .report-list a",
        "main .report-table a",
        "main .pager a",
        "main .downloads a",
        "main .trash-list a",
        "main .buttons a",
        "main .actions a",
        "main .summary-table a",
        "main .report-actions a",
        "main button",
        "main summary",
        "main input[type=checkbox]",
        "main input[type=radio]",
    )
)


def people(server):
    """A coordinator, a viewer and a mentor, each with a sign-in link; and two
    reports of the mentor, one submitted and one in the trash."""
    app = create_app({"DATABASE": str(server.database), "SECRET_KEY": "a-test-secret-key"})
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
        auth.create_token("victor", "viewer")
        auth.create_token("mona", "mentor", CONTRACT_REPORT["peer_mentor_id"])
        links = {
            name: f"/login/{auth.create_sign_in_link(name, 15)}"
            for name in ("carla", "victor", "mona")
        }
    bearer = {"Authorization": f"Bearer {secret}"}
    kept = server.request("POST", REPORTS, {**CONTRACT_REPORT, "status": "submitted"}, bearer)
    trashed = server.request("POST", REPORTS, CONTRACT_REPORT, bearer)
    assert kept.status == trashed.status == 201, (kept, trashed)
    gone = server.request("DELETE", f"{REPORTS}/{trashed.json['report_id']}", None, bearer)
    assert gone.status == 200, gone
    return links, kept.json["report_id"]


def sign_in_kept(web, link):
    """Sign in with a link, "Keep me signed in on this device" ticked as it comes."""
    web.open(link)
    keep = web.wait_for("main input#keep")
    assert keep.is_selected()
    web.click_to_leave("main form button[type=submit]")
    web.wait_for("main h1")
    cookie = web.driver.get_cookie("session")
    assert cookie.get("expiry"), cookie  # kept: it outlives the browser


def sign_out(web):
    web.click_to_leave("header form button[type=submit]")
    web.wait_for("main form input[name=token]")


def assert_fits(web, name):
    """The header's height on a phone, and every target's size on a phone and a desk."""
    header = web.targets_at(*PHONE, "header.site-header")
    assert header and header[0]["height"] <= MAX_HEADER, (name, header)
    # At a desk, one row, each page's link whole within it.
    [row] = web.targets_at(*DESK, "header.site-header")
    assert row["height"] <= 3 * MIN_TARGET, (name, row)
    for link in web.targets_at(*DESK, f"{PAGES} a"):
        assert link["x"] + link["width"] <= DESK[0] and link["height"] >= MIN_TARGET, link
    with web.sized(*DESK):
        widths = web.driver.execute_script(
            f"const nav = document.querySelector('{PAGES}');"
            "return [nav.scrollWidth, nav.clientWidth]"
        )
    assert widths[0] <= widths[1], (name, widths)  # nothing of it scrolled out of sight
    # The language menu: beside the service's name, a whole target.
    for width, height in (PHONE, DESK):
        [service] = web.targets_at(width, height, "header .service-name")
        [menu] = web.targets_at(width, height, "header .languages summary")
        assert menu["width"] >= MIN_TARGET and menu["height"] >= MIN_TARGET, (name, menu)
        assert abs(middle(menu) - middle(service)) < 4, (name, width, service, menu)
    for width, height in (PHONE, DESK):
        boxes = web.targets_at(width, height, TARGETS)
        assert any(box["what"].startswith("<button") for box in boxes), name
        small = [box for box in boxes if box["width"] < MIN_TARGET or box["height"] < MIN_TARGET]
        assert small == [], (name, width, small)


def middle(box):
    """How far down the page a box's middle is."""
    return box["y"] + box["height"] / 2


def visit(web, path, name, heading=None):
    web.open(path)
    shown = web.wait_for("main h1")
    if heading is not None:
        assert shown.text == heading
    web.check_page(f"phone-{name}")
    assert_fits(web, name)


def test_each_role_s_header_and_targets_fit_a_phone(web):
    links, report_id = people(web.server)
    web.open("/login")
    web.wait_for("main input[name=token]")
    assert_fits_signed_out(web)

    sign_in_kept(web, links["mona"])
    for path, name in (
        ("/reports/mine", "mentor-mine"),
        (f"/reports/{report_id}", "mentor-report"),
        ("/summary", "mentor-summary"),
    ):
        visit(web, path, name)
    sign_out(web)

    sign_in_kept(web, links["carla"])
    for path, name in (
        ("/reports", "coordinator-reports"),
        (f"/reports/{report_id}", "coordinator-report"),
        ("/summary", "coordinator-summary"),
        ("/trash", "coordinator-trash"),
    ):
        visit(web, path, name)
    assert_more_opens(web)
    sign_out(web)

    sign_in_kept(web, links["victor"])
    for path, name in (("/reports", "viewer-reports"), (f"/reports/{report_id}", "viewer-report")):
        visit(web, path, name)
    nav = web.targets_at(*PHONE, f"{PAGES} a")
    assert [box["what"].split(">")[1].split("<")[0] for box in nav] == ["Reports", "Summary"]


def assert_more_opens(web):
    """A coordinator's row on a phone: its first pages, and "More" that opens
    on the rest, every one a whole target in sight."""
    row = web.targets_at(*PHONE, f"{PAGES} a, {PAGES} summary")
    assert [box["what"].split(">")[1].split("<")[0] for box in row] == [
        "Reports", "New report", "Summary", "More",
    ]  # fmt: skip
    with web.sized(*PHONE):
        web.driver.find_element("css selector", f"{PAGES} summary").click()
    opened = web.targets_at(*PHONE, ".nav-more a")
    assert [box["what"].split(">")[1].split("<")[0] for box in opened] == [
        "Trash", "People", "Activities", "Integrations",
    ]  # fmt: skip
    for box in opened:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], box
        assert box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, box
    web.screen_at("phone", "coordinator-more")
    with web.sized(*PHONE):
        assert_accessible(web.axe(), "the More menu, open, on a phone")
    desk = web.targets_at(*DESK, f"{PAGES} a, {PAGES} summary")
    assert [box["what"].split(">")[1].split("<")[0] for box in desk] == [
        "Reports", "New report", "Summary", "Trash", "People", "Activities", "Integrations",
    ]  # fmt: skip


def assert_fits_signed_out(web):
    boxes = web.targets_at(*PHONE, "header a, main button, main input[type=checkbox]")
    assert len(boxes) == 3 and all(
        box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET for box in boxes
    ), boxes
    assert web.targets_at(*PHONE, "header.site-header")[0]["height"] <= MAX_HEADER
    web.check_page("phone-login")


def test_the_report_form_s_submit_is_on_the_first_screen_and_covers_nothing(web):
    links, _ = people(web.server)
    sign_in_kept(web, links["mona"])
    web.open("/reports/new")
    web.wait_for("form.report-form")
    with web.sized(*PHONE):
        web.driver.execute_script("window.scrollTo(0, 0)")
        bar, first, submit = web.driver.execute_script(
            """
            const box = (css) => {
              const r = document.querySelector(css).getBoundingClientRect();
              return {top: r.top, bottom: r.bottom};
            };
            return [box(".report-form .buttons"), box(".report-form .field"),
                    box("button[value=submit]")];
            """
        )
        shot = web.screenshot("phone-new-report-first-screen", full_page=False)
        # On load, Submit is within the screen, and the bar at its foot below the first field.
        assert 0 <= submit["top"] and submit["bottom"] <= PHONE[1], submit
        assert bar["bottom"] <= PHONE[1] and first["bottom"] <= bar["top"], (first, bar)

        # A field the keyboard moves to behind the bar is scrolled clear of it.
        behind = web.driver.execute_script(
            """
            const bar = document.querySelector(".report-form .buttons").getBoundingClientRect();
            const input = [...document.querySelectorAll(".report-form .field input")]
              .find((element) => element.getBoundingClientRect().bottom > bar.top);
            input.focus();
            const moved = input.getBoundingClientRect();
            return [input.id, moved.bottom, bar.top];
            """
        )
        assert behind[1] <= behind[2], behind

        # At the end of the form, the bar is in its place, below the last field.
        web.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        bar, last = web.driver.execute_script(
            """
            const fields = document.querySelectorAll(".report-form .field");
            const r = (element) => element.getBoundingClientRect();
            const bar = r(document.querySelector(".report-form .buttons"));
            const last = r(fields[fields.length - 1]);
            return [{top: bar.top, bottom: bar.bottom}, {top: last.top, bottom: last.bottom}];
            """
        )
        assert last["bottom"] <= bar["top"], (last, bar)
        web.screenshot("phone-new-report-end", full_page=False)
    assert shot.stat().st_size > 0

    # A failed submit: the error summary is on the first screen, clear of the bar.
    web.click_to_leave("button[value=submit]")
    web.wait_for(".error-summary")
    with web.sized(*PHONE):
        web.driver.execute_script("window.scrollTo(0, 0)")
        summary, bar = web.driver.execute_script(
            """
            const r = (css) => document.querySelector(css).getBoundingClientRect();
            const summary = r(".error-summary"), bar = r(".report-form .buttons");
            return [{top: summary.top, bottom: summary.bottom}, {top: bar.top, bottom: bar.bottom}];
            """
        )
        assert summary["bottom"] <= bar["top"], (summary, bar)
        web.screenshot("phone-new-report-errors", full_page=False)
    web.check_page("phone-new-report-errors")
