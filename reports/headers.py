"""The headers every answer gets, in one pass over a prepared list.

Cache-Control: nothing that holds reports is kept by a browser or a proxy
(Back after signing out shows nothing, a shared computer keeps no export).
Only the files that are the same for everyone (styles, scripts, Swagger UI's
assets) may be cached. (The report form and My reports are kept by the service
worker instead, for a phone without a signal: reports/installable.py.)

The security headers, on the API's answers too: no inline script, no framing,
no sniffing.
"""

from flask import request

# The endpoints of files that hold nothing of any report (the service worker
# says itself how it may be cached).
STATIC_FILES = frozenset({"static", "docs.asset", "favicon", "installable.service_worker"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
)
# Each with its name as compared, made once.
_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)


def add_headers(response):
    """Cache-Control (but on the static files), and each security header the
    answer has not set itself (Swagger UI's page has a policy of its own)."""
    headers = response.headers
    if request.endpoint not in STATIC_FILES:
        headers.set("Cache-Control", "no-store")
    present = {name.lower() for name in headers.keys()}
    for compared, name, value in _SECURITY_HEADERS:
        if compared not in present:
            headers.add(name, value)
    return response


def init_app(app):
    app.after_request(add_headers)
