"""What the tests of the pages share: a form's CSRF token, signing a test
client in, and the pages' own markers."""

import re

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/login"):
    """The CSRF token of the form on the page at `path`."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


def secret_of(headers):
    """The token secret of an Authorization header from the `tokens` fixture."""
    return headers["Authorization"].split()[1]


def sign_in(client, secret):
    response = client.post("/login", data={"token": secret, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text(response):
    return response.get_data(as_text=True)
