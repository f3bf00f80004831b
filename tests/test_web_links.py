"""The links and redirects of the pages that carry a query string (the reports
table, its downloads, the summary) are built from that query without handing
a visitor's names to url_for: `_external`, `_scheme`, `_anchor` and `_method`
are url_for's own options, which a visitor could otherwise use to make a page
fail or to point its links at the Host the request named."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import CONTRACT_REPORT
from web_helpers import CSRF_FIELD, text

URL_FOR_OPTIONS = ("_external", "_scheme", "_anchor", "_method")
PATHS = ("/reports", "/reports.csv", "/reports.ndjson", "/reports.xlsx", "/summary")
# The Host a visitor sends, which no link may name.
ATTACKER = "attacker.example"
LINK = re.compile(r'(?:href|action)="([^"]*)"')


@pytest.fixture
def visitor(app, client, tokens):
    """A browser signed in as `role` that sends Host: attacker.example, with a
    report of the role's own to show."""
    body = {**CONTRACT_REPORT, "status": "submitted"}
    created = client.post("/api/v1/reports", json=body, headers=tokens["coordinator"])
    assert created.status_code == 201, created.json

    def signed_in(role):
        browser = app.test_client()
        base = f"http://{ATTACKER}"
        page = text(browser.get("/login", base_url=base))
        secret = tokens[role]["Authorization"].split()[1]
        form = {"token": secret, "csrf_token": CSRF_FIELD.search(page).group(1)}
        assert browser.post("/login", data=form, base_url=base).status_code == 302
        return lambda path: browser.get(path, base_url=base)

    return signed_in


def queries(name, path):
    """Queries that carry `name` into each way a page builds a link or a redirect:
    the blank fields a form sends (a redirect), a view with its links, a bad filter."""
    shown = [f"{name}=1", f"{name}=https&status=", f"{name}=1&status=submitted&sort=created_at",
             f"{name}=1&status=nonsense", f"status=&{name}=post&{name}=get"]  # fmt: skip
    if path == "/summary":
        shown += [f"{name}=1&group_by=mentor", f"{name}=1&group_by=org&status=submitted"]
    return shown


def relative(link):
    """Whether `link` leads somewhere on this service, whatever Host the request named."""
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc and not link.startswith("//")


@pytest.mark.parametrize("role", ["coordinator", "mentor"])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", URL_FOR_OPTIONS)
def test_url_for_s_own_names_in_the_query_are_answered_with_relative_links(
    visitor, role, path, name
):
    get = visitor(role)
    for query in queries(name, path):
        with get(f"{path}?{query}") as response:
            assert response.status_code in (200, 302, 422), (query, response.status_code)
            assert_relative_links(response, query)
            location = response.headers.get("Location")
        if location is not None:
            # The tidy address keeps the visitor's name, as any other the page does not use.
            assert name in dict(parse_qsl(urlsplit(location).query)), (query, location)
            with get(location) as followed:
                assert followed.status_code in (200, 422), (location, followed.status_code)
                assert_relative_links(followed, location)


def assert_relative_links(response, query):
    """The answer's Location and, on a page, every link and form lead to this
    service, whatever Host the request named."""
    location = response.headers.get("Location")
    if location is not None:
        assert relative(location) and ATTACKER not in location, (query, location)
    if response.mimetype == "text/html":
        body = text(response)
        links = [unescape(link) for link in LINK.findall(body)]
        assert links and all(relative(link) for link in links), (query, links)
        assert ATTACKER not in body, query


def test_a_tidy_address_keeps_every_other_name_and_drops_only_the_blank_ones(visitor):
    get = visitor("coordinator")

    response = get("/reports?_external=1&status=&q=cv&_anchor=top&sort=created_at")

    assert response.status_code == 302
    assert response.headers["Location"] == "/reports?_external=1&q=cv&_anchor=top&sort=created_at"
