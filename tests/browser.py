"""A real browser for tests: headless Chromium, driven by Selenium, against the
real server of tests/serving.py, with axe-core checking each page and a
screenshot of each page at a phone's and a desk's width.

What it needs: Debian's `chromium` and `chromium-driver`, and axe-core from npm
in tests/axe/node_modules (`npm ci --prefix tests/axe`). Without one of them
the browser tests are skipped with a reason that says what is missing, except
under CI=true, where that is a failure: CI installs them (.ci/run).
"""

import base64
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = ("chromium", "/usr/bin/chromium")
CHROMEDRIVER = ("chromedriver", "/usr/bin/chromedriver")
INSTALL_HINT = (
    "apt-get install chromium chromium-driver && npm ci --prefix tests/axe (as .ci/run does)"
)
# Chromium with nothing of its own going out: this machine reaches no network
# beyond package registries, and without these flags Chromium keeps trying to
# reach Google's servers (updates, sync, safe browsing, ...).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # tests run as root
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",  # screenshots as wide as the page
)
# (name, width, height) of the viewports every page is checked and shot at.
WIDTHS = (("phone", 360, 780), ("desk", 1280, 900))
# A full-page screenshot stops at this height, so that a long page stays a picture.
MAX_SHOT_HEIGHT = 6000
WAIT_SECONDS = 15
# axe-core's impacts that fail a test; "minor" and "moderate" are only reported.
FAILING_IMPACTS = ("serious", "critical")

# Run in each page before its own scripts: it notes what the page's
# Content-Security-Policy blocked and every uncaught script error.
WATCH_PAGE = """
window.__pageProblems = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__pageProblems.push(
    `Content-Security-Policy ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
  );
});
window.addEventListener("error", (event) => {
  window.__pageProblems.push(`script error: ${event.message} (${event.filename}:${event.lineno})`);
});
"""

# The boxes of the elements of a CSS selector that are shown (Browser.targets_at).
SHOWN_BOXES = """
const shown = (element) => {
  if (!element.checkVisibility({visibilityProperty: true})) return false;
  for (let box = element; box; box = box.parentElement) {
    if (getComputedStyle(box).display === "contents") continue;  // a box of none of its own
    const rect = box.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) return false;
  }
  return true;
};
return [...document.querySelectorAll(arguments[0])].filter(shown).map((element) => {
  const rect = element.getBoundingClientRect();
  const what = element.outerHTML.slice(0, 90);
  return {what, x: rect.x, y: rect.y + window.scrollY, width: rect.width, height: rect.height};
});
"""

# Why the browser tests cannot run here, once found; shown again at the end of the run.
skipped_because = []


def missing_parts():
    """What the browser tests need and this machine lacks, as readable phrases."""
    missing = []
    if _find(CHROMIUM) is None:
        missing.append("Chromium (/usr/bin/chromium, Debian package chromium)")
    if _find(CHROMEDRIVER) is None:
        missing.append("ChromeDriver (/usr/bin/chromedriver, Debian package chromium-driver)")
    if not AXE.is_file():
        shown = AXE.relative_to(REPO) if AXE.is_relative_to(REPO) else AXE
        missing.append(f"axe-core ({shown})")
    return missing


def skip_or_fail(reason):
    """Skip the test, loudly; under CI=true, where the browser must be there, fail it."""
    reason = f"Browser tests cannot run: {reason}. Install with: {INSTALL_HINT}."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} CI=true, so this is a failure, not a skip.", pytrace=False)
    if reason not in skipped_because:
        skipped_because.append(reason)
    pytest.skip(reason)


def _find(candidates):
    name, default = candidates
    found = shutil.which(name)
    if found:
        return found
    return default if os.access(default, os.X_OK) else None


def start_chromium(profile):
    """A headless Chromium under ChromeDriver, with a fresh profile in `profile`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(profile)
    profile.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = _find(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    name, width, height = WIDTHS[-1]
    options.add_argument(f"--window-size={width},{height}")
    service = Service(executable_path=_find(CHROMEDRIVER), log_output=str(profile / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_PAGE})
    driver.set_page_load_timeout(WAIT_SECONDS)
    driver.set_script_timeout(WAIT_SECONDS * 2)
    return driver


class Browser:
    """One test's view of the shared Chromium: it opens the test's server's pages,
    checks each with axe-core and keeps its screenshots in `shots`."""

    def __init__(self, driver, server, shots):
        self.driver = driver
        self.server = server
        self.shots = Path(shots)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.axe_source = AXE.read_text(encoding="utf-8")
        self.checked = []  # names of the pages checked, in order

    @property
    def base_url(self):
        return f"http://{self.server.host}:{self.server.port}"

    def open(self, path):
        self.driver.get(self.base_url + path)
        return self

    def wait_for(self, css, timeout=WAIT_SECONDS):
        """The first element that matches `css`, once it is there and shown."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(
            while_the_page_changes(
                expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)), False
            ),
            f"Nothing matching {css!r} was shown within {timeout} s on {self.driver.current_url}",
        )

    def click_to_leave(self, css, timeout=WAIT_SECONDS):
        """Click the element that matches `css`, and wait until its page is gone,
        so that what is looked for next is on the page it leads to."""
        self.leave_by(self.wait_for(css), timeout)

    def leave_by(self, element, timeout=WAIT_SECONDS):
        """Click `element`, a link or a button that leads to another page, and
        wait until its page is gone."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        page = self.driver.current_url
        element.click()
        WebDriverWait(self.driver, timeout).until(
            while_the_page_changes(expected_conditions.staleness_of(element), True),
            f"The page at {page} stayed after the click",
        )

    def check_page(self, name, include=None):
        """Check the page shown now: nothing blocked by its Content-Security-Policy
        and no script error so far; then at each width of WIDTHS, no axe-core
        violation of impact serious or critical (within the CSS selector `include`,
        if given), and a full-page screenshot `NAME-WIDTH.png`. Returns the
        screenshots' paths."""
        problems = self.page_problems()
        if problems:
            pytest.fail(f"{name} ({self.driver.current_url}):\n" + "\n".join(problems))
        shots = []
        try:
            for width_name, width, height in WIDTHS:
                self._set_viewport(width, height)
                assert_accessible(self.axe(include), f"{name} at {width_name} width ({width} px)")
                shots.append(self.screenshot(f"{name}-{width_name}"))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.checked.append(name)
        return shots

    def page_problems(self):
        """What the page's Content-Security-Policy blocked, and its script errors."""
        return self.driver.execute_script("return window.__pageProblems || []")

    def axe(self, include=None):
        """axe-core's results for the page shown now (injected afresh if need be)."""
        if not self.driver.execute_script("return typeof window.axe === 'object'"):
            self.driver.execute_script(self.axe_source)
        results = self.driver.execute_async_script(
            """
            const [include, done] = arguments;
            axe.run(include ? {include: [include]} : document, {resultTypes: ["violations"]})
              .then(done, (error) => done({error: String(error)}));
            """,
            include,
        )
        if "error" in results:
            pytest.fail(f"axe-core could not check {self.driver.current_url}: {results['error']}")
        return results

    def screenshot(self, name, full_page=True):
        """A PNG of the page as shown now, the whole page unless `full_page` is false."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        command = {"format": "png"}
        if full_page and self.driver.execute_script("return document.dir") == "rtl":
            # Chromium shifts a right-to-left page sideways when it captures
            # beyond the viewport: the viewport is made as tall as the page instead.
            return self._taller_screenshot(name, metrics)
        if full_page:
            content = metrics["cssContentSize"]
            command["captureBeyondViewport"] = True
            command["clip"] = {
                "x": 0,
                "y": 0,
                "width": metrics["cssLayoutViewport"]["clientWidth"],
                "height": min(content["height"], MAX_SHOT_HEIGHT),
                "scale": 1,
            }
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", command)
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def _taller_screenshot(self, name, metrics):
        width = metrics["cssLayoutViewport"]["clientWidth"]
        height = min(metrics["cssContentSize"]["height"], MAX_SHOT_HEIGHT)
        shown = metrics["cssLayoutViewport"]["clientHeight"]
        self._set_viewport(width, int(height))
        try:
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
        finally:
            self._set_viewport(width, shown)
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def screen_at(self, width_name, name, scroll_to=None):
        """A PNG of what one screen shows at a width of WIDTHS ("phone" or "desk"),
        scrolled to the element of the CSS selector `scroll_to` if given."""
        (width, height) = next((w, h) for named, w, h in WIDTHS if named == width_name)
        self._set_viewport(width, height)
        try:
            if scroll_to:
                self.driver.execute_script(
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
                    scroll_to,
                )
            return self.screenshot(f"{name}-{width_name}-screen", full_page=False)
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def download(self, link_text):
        """The href of the link `link_text` on the page shown now, and what the
        server answers it with this browser's session (a serving.Response).
        Chromium would save a download out of sight; this reads it."""
        href = self.driver.find_element("link text", link_text).get_attribute("href")
        cookie = self.driver.get_cookie("session")
        answer = self.server.request(
            "GET",
            href.removeprefix(self.base_url),
            headers={"Cookie": f"session={cookie['value']}"},
        )
        assert answer.status == 200, answer
        return href, answer

    def boxes_at(self, width_name, css):
        """(text, box) of each element that matches `css` on the page shown now,
        laid out at a width of WIDTHS ("phone" or "desk"); a box is the
        element's {x, y, width, height} in CSS pixels."""
        (width, height) = next((w, h) for named, w, h in WIDTHS if named == width_name)
        self._set_viewport(width, height)
        try:
            return [
                (element.text, element.rect)
                for element in self.driver.find_elements("css selector", css)
            ]
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def targets_at(self, width, height, css):
        """The boxes of the elements that match `css` and are shown, in a viewport
        of `width` by `height`: each {what, x, y, width, height} in CSS pixels.
        An element out of sight (hidden, folded in a closed <details>, or within
        a box clipped to a pixel, as .visually-hidden is) is left out."""
        with self.sized(width, height):
            return self.driver.execute_script(SHOWN_BOXES, css)

    @contextmanager
    def sized(self, width, height):
        """Within the block, the viewport is `width` by `height` CSS pixels."""
        self._set_viewport(width, height)
        try:
            yield
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def keep_for_readme(self, shot, name):
        """With UPDATE_SCREENSHOTS=1, copy `shot` to docs/NAME, where the README or a
        page of docs/ shows it; otherwise do nothing, so that a test run never
        changes the checkout."""
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(shot, REPO / "docs" / name)

    def _set_viewport(self, width, height):
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )


def while_the_page_changes(condition, then):
    """`condition`, answering `then` where ChromeDriver, asked about an element
    while its page is being replaced, says the element's node "does not belong
    to the document" rather than that it is stale."""
    from selenium.common.exceptions import WebDriverException

    def checked(driver):
        try:
            return condition(driver)
        except WebDriverException as error:
            if "does not belong to the document" not in str(error):
                raise
            return then

    return checked


def assert_targets_fit(boxes, width, min_size=24):
    """Fail unless each box of `boxes_at` is at least `min_size` px high (WCAG
    2.2's smallest target, which axe-core leaves unchecked by default), within
    `width`, and clear of every other."""
    for box in boxes:
        assert box["height"] >= min_size, box
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, box
    for number, one in enumerate(boxes):
        for other in boxes[number + 1 :]:
            apart = (
                one["x"] + one["width"] <= other["x"]
                or other["x"] + other["width"] <= one["x"]
                or one["y"] + one["height"] <= other["y"]
                or other["y"] + other["height"] <= one["y"]
            )
            assert apart, (one, other)


def assert_accessible(results, where):
    """Fail, listing each one, if axe-core found violations of impact serious or critical."""
    failing = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    if failing:
        pytest.fail(
            f"axe-core: {len(failing)} serious or critical violations on {where}:\n"
            + "\n".join(describe(violation) for violation in failing),
            pytrace=False,
        )


def describe(violation):
    """One violation, with where it is, in a few readable lines."""
    lines = [
        f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
    ]
    for node in violation["nodes"][:5]:
        lines.append(f"    at {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)
