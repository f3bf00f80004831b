"""The service's icon: /favicon.ico, and the SVG and PNG icons the pages name,
drawn by bench/icons.py; cached like any static file, with no session."""

import importlib.util
import re
import struct
from pathlib import Path

import pytest

from web_helpers import secret_of, sign_in, text

ROOT = Path(__file__).resolve().parent.parent
ICONS = {
    "/static/icons/apple-touch-icon.png": 180,
    "/static/icons/icon-192.png": 192,
    "/static/icons/icon-512.png": 512,
}


def png_size(data):
    """The width and height a PNG's header gives."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def drawing():
    spec = importlib.util.spec_from_file_location("icons", ROOT / "bench" / "icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_favicon_ico_is_an_icon_cached_with_no_session(app, tokens):
    for client in (app.test_client(), app.test_client()):
        with client.get("/favicon.ico") as answer:
            assert answer.status_code == 200
            assert answer.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
            assert answer.headers.get("Cache-Control") != "no-store"
            assert "Set-Cookie" not in answer.headers
            data = answer.get_data()
        # An ICO header (type 1) of its images, each a PNG of its size.
        reserved, kind, count = struct.unpack("<HHH", data[:6])
        assert (reserved, kind) == (0, 1) and count >= 1
        for index in range(count):
            width, _, _, _, _, _, size, offset = struct.unpack(
                "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
            )
            assert png_size(data[offset : offset + size]) == (width, width)
        sign_in(client, secret_of(tokens["viewer"]))


@pytest.mark.parametrize(("path", "size"), ICONS.items())
def test_each_png_icon_is_of_its_size(client, path, size):
    with client.get(path) as answer:
        assert answer.status_code == 200 and answer.mimetype == "image/png"
        assert answer.headers.get("Cache-Control") != "no-store"
        assert png_size(answer.get_data()) == (size, size)


def test_the_pages_name_the_icons_and_each_answers(client, tokens):
    page = text(client.get("/login"))
    named = re.findall(r'<link rel="(icon|apple-touch-icon)" href="([^"]+)"', page)

    assert named == [
        ("icon", "/favicon.ico"),
        ("icon", "/static/icons/icon.svg"),
        ("apple-touch-icon", "/static/icons/apple-touch-icon.png"),
    ]
    assert '<link rel="icon" href="/static/icons/icon.svg" type="image/svg+xml">' in page
    for _, href in named:
        with client.get(href) as answer:
            assert answer.status_code == 200, href
            assert answer.mimetype.startswith("image/"), href
    with client.get("/static/icons/icon.svg") as svg:
        assert svg.mimetype == "image/svg+xml" and b"<title>Post-Session Reports" in svg.data


def test_the_committed_icons_are_what_bench_icons_py_draws():
    icons = drawing()
    static = ROOT / "reports" / "static"

    assert (static / "icons" / "icon.svg").read_text(encoding="utf-8") == icons.SVG
    assert (static / "icons" / "icon-192.png").read_bytes() == icons.png(192)
    assert (static / "favicon.ico").read_bytes() == icons.ico((16, 32, 48))
