"""The pages in a real browser: headless Chromium against the real server, every
page checked with axe-core and shot at a phone's and a desk's width (browser.py)."""

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


def test_docs_calls_nothing_but_this_server(web):
    web.open("/docs")
    web.wait_for(LIST_REPORTS)

    resources = web.driver.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )

    assert resources
    assert all(url.startswith(web.base_url + "/") for url in resources), resources
