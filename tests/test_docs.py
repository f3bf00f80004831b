"""/docs: Swagger UI's page for the OpenAPI document, with every asset served by
the app itself (no CDN), and open to anyone as the document is."""

from html.parser import HTMLParser

import pytest
from swagger_ui_bundle import swagger_ui_path

from reports.docs import ASSETS


class References(HTMLParser):
    """The URLs a page loads (src, and href of <link>) and those it links to (<a>)."""

    def __init__(self):
        super().__init__()
        self.loads = []
        self.links = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "src" in attrs:
            self.loads.append(attrs["src"])
        if "href" in attrs:
            (self.links if tag == "a" else self.loads).append(attrs["href"])
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def references(client, path):
    parser = References()
    parser.feed(client.get(path).get_data(as_text=True))
    return parser


def status_of(client, path):
    """The status of GET `path`, with the response closed (a sent file is an open file)."""
    with client.get(path) as response:
        return response.status_code


def is_local(url):
    return url.startswith("/") and not url.startswith("//")


def test_docs_is_a_page_of_swagger_ui_for_the_openapi_document(client):
    response = client.get("/docs")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="en">' in html
    assert 'data-openapi-url="/api/v1/openapi.json"' in html
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "/docs/assets/swagger-ui.css" in html


def test_docs_loads_nothing_from_elsewhere_and_has_no_inline_script(client):
    page = references(client, "/docs")

    assert page.loads
    assert all(is_local(url) for url in page.loads + page.links), page.loads + page.links
    assert page.inline_scripts == 0


def test_every_file_the_page_loads_answers(client):
    for url in references(client, "/docs").loads:
        assert status_of(client, url) == 200, url


@pytest.mark.parametrize(
    "name, mimetypes",
    [
        ("swagger-ui-bundle.js", {"text/javascript", "application/javascript"}),
        ("swagger-ui.css", {"text/css"}),
        ("favicon-32x32.png", {"image/png"}),
    ],
)
def test_the_assets_are_the_bundles_files_with_their_content_types(client, name, mimetypes):
    with client.get(f"/docs/assets/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype in mimetypes
        assert response.data == (swagger_ui_path / name).read_bytes()


def test_our_script_for_the_page_is_javascript(client):
    with client.get("/static/docs.js") as response:
        assert response.status_code == 200
        assert response.mimetype in {"text/javascript", "application/javascript"}
        assert b"SwaggerUIBundle(" in response.data


def test_the_page_uses_every_asset_it_serves(client):
    page = references(client, "/docs")

    assert {url.removeprefix("/docs/assets/") for url in page.loads} >= ASSETS


@pytest.mark.parametrize(
    "name",
    [
        "no-such-file.js",
        "index.html",  # the bundle's demo page, which loads its own example API
        "index.j2",
        "swagger-ui-bundle.js.map",
        "../__init__.py",
        "%2e%2e/__init__.py",
    ],
)
def test_a_file_that_is_no_asset_is_a_404_problem(client, name):
    response = client.get(f"/docs/assets/{name}")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_docs_and_its_assets_need_no_token(client, tokens):
    assert client.get("/api/v1/reports").status_code == 401  # the API now needs one

    for path in ["/docs", "/docs/assets/swagger-ui.css", "/static/docs.js"]:
        assert status_of(client, path) == 200, path
