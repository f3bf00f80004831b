"""The pages in a real browser: headless Chromium against the real server, every
page checked with axe-core and shot at a phone's and a desk's width (browser.py)."""

import pytest

import browser

LIST_REPORTS = ".opblock-summary-path[data-path='/api/v1/reports']"


def test_docs_shows_the_api_operations_and_passes_axe(web):
    web.open("/docs")

    operation = web.wait_for(LIST_REPORTS)
    shots = web.check_page("docs")
    web.keep_for_readme(web.screenshot("docs-readme", full_page=False), "screenshot-docs.png")

    assert operation.text.replace("\u200b", "") == "/api/v1/reports"
    paths = {
        element.get_attribute("data-path")
        for element in web.driver.find_elements("css selector", ".opblock-summary-path")
    }
    assert {"/api/v1/reports", "/api/v1/reports/{report_id}", "/api/v1/reports/summary"} <= paths
    assert [shot.name for shot in shots] == ["docs-phone.png", "docs-desk.png"]
    assert all(shot.stat().st_size > 10_000 for shot in shots)


def test_docs_tries_an_operation_against_this_server_and_passes_axe(web):
    web.open("/docs")
    web.wait_for(LIST_REPORTS).click()
    web.wait_for(".opblock-body .try-out__btn").click()
    web.wait_for(".opblock-body .execute").click()

    status = web.wait_for(".live-responses-table .response .response-col_status")
    web.check_page("docs-tried")

    assert status.text == "200"
    assert (
        '"pagination"'
        in web.wait_for(".live-responses-table .response .response-col_description").text
    )


def test_docs_authorize_dialog_passes_axe_and_closes(web):
    web.open("/docs")
    web.wait_for(".btn.authorize").click()

    dialog = web.wait_for(".modal-ux")
    web.check_page("docs-authorize")
    assert "bearer" in dialog.text
    web.wait_for(".modal-ux .close-modal").click()

    assert not web.driver.find_elements("css selector", ".modal-ux")


def test_docs_calls_nothing_but_this_server(web):
    web.open("/docs")
    web.wait_for(LIST_REPORTS)

    resources = web.driver.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )

    assert resources
    assert all(url.startswith(web.base_url + "/") for url in resources), resources


def test_the_browser_notes_what_a_content_security_policy_blocks(web):
    policy = "<meta http-equiv='Content-Security-Policy' content=\"script-src 'none'\">"
    web.driver.get(f"data:text/html,{policy}<script>1</script><h1>Blocked</h1>")

    assert web.page_problems() == ["Content-Security-Policy script-src-elem blocked inline"]


# The machinery itself, without a browser.


def violation(impact, rule="color-contrast"):
    return {
        "id": rule,
        "impact": impact,
        "help": f"the help of {rule}",
        "helpUrl": f"https://example.invalid/{rule}",
        "nodes": [{"target": ["main > p"], "failureSummary": "Fix this"}],
    }


def test_serious_and_critical_violations_fail_listed_and_lesser_ones_pass():
    browser.assert_accessible({"violations": [violation("minor"), violation("moderate")]}, "a")

    found = [violation("serious"), violation("critical", "label"), violation("moderate", "region")]
    with pytest.raises(pytest.fail.Exception) as failure:
        browser.assert_accessible({"violations": found}, "a page")

    message = str(failure.value)
    assert "2 serious or critical violations on a page" in message
    assert "[serious] color-contrast" in message and "[critical] label" in message
    assert "at main > p: Fix this" in message
    assert "region" not in message


@pytest.fixture
def no_axe(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "AXE", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    # Not to be reported at the end of this run: the browser tests did run.
    monkeypatch.setattr(browser, "skipped_because", [])


def test_without_axe_the_browser_tests_are_skipped_saying_what_is_missing(no_axe, monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    assert any("axe-core" in part for part in browser.missing_parts())
    with pytest.raises(pytest.skip.Exception, match="axe-core not found. Install with: apt-get"):
        browser.skip_or_fail("axe-core not found")
    assert browser.skipped_because == [browser.skipped_because[0]]


def test_under_ci_a_missing_browser_part_is_a_failure(no_axe, monkeypatch):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI=true, so this is a failure"):
        browser.skip_or_fail("axe-core not found")
