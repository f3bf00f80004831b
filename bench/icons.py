"""Draw the service's icon: a white speech bubble with a green tick on a green
square, in the pages' colours. Writes reports/static/icons/icon.svg, the PNGs
of 180 (apple-touch-icon.png), 192 and 512 px and reports/static/favicon.ico
(PNGs of 16, 32 and 48 px), with nothing but the standard library: each shape
is a distance from a point, and a pixel's share of it is its coverage.

    python bench/icons.py

The files are committed; run this again only when the drawing changes."""

import itertools
import math
import struct
import sys
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "reports" / "static"
GREEN = (0x00, 0x70, 0x3C)
WHITE = (0xFF, 0xFF, 0xFF)
SIZE = 64  # the drawing's units: a square of 64

# The shapes, in the drawing's units.
BACKGROUND = {"box": (0, 0, 64, 64), "radius": 12}
BUBBLE = {"box": (9, 13, 55, 45), "radius": 5}
TAIL = ((29, 44), (18, 54), (18, 44))
TICK = ((21, 29.5), (28, 36.5), (43, 21.5))
TICK_WIDTH = 6

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">
  <title>Post-Session Reports</title>
  <rect width="64" height="64" rx="12" fill="#00703c"/>
  <rect x="9" y="13" width="46" height="32" rx="5" fill="#fff"/>
  <path d="M29 44 18 54V44z" fill="#fff"/>
  <path d="M21 29.5l7 7 15-15" fill="none" stroke="#00703c" stroke-width="{TICK_WIDTH}"
        stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def rounded_box(x, y, shape):
    """Signed distance from (x, y) to a rounded rectangle: negative inside."""
    left, top, right, bottom = shape["box"]
    radius = shape["radius"]
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    qx = abs(x - (left + right) / 2) - (half_w - radius)
    qy = abs(y - (top + bottom) / 2) - (half_h - radius)
    outside = math.hypot(max(qx, 0), max(qy, 0))
    return outside + min(max(qx, qy), 0) - radius


def segment(x, y, a, b):
    """Distance from (x, y) to the segment from a to b."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)


def polygon(x, y, points):
    """Signed distance from (x, y) to a polygon: negative inside."""
    edges = list(zip(points, points[1:] + points[:1], strict=True))
    distance = min(segment(x, y, a, b) for a, b in edges)
    inside = False
    for (ax, ay), (bx, by) in edges:
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return -distance if inside else distance


def stroke(x, y, points, width):
    """Signed distance from (x, y) to a line of `width` with round ends."""
    return min(segment(x, y, a, b) for a, b in itertools.pairwise(points)) - width / 2


def pixel(x, y, unit, background):
    """The RGBA of the point (x, y), a pixel being `unit` of the drawing's units."""

    def coverage(distance):
        return max(0.0, min(1.0, 0.5 - distance / unit))

    alpha = coverage(rounded_box(x, y, background))
    bubble = coverage(min(rounded_box(x, y, BUBBLE), polygon(x, y, TAIL)))
    tick = coverage(stroke(x, y, TICK, TICK_WIDTH)) * bubble
    white = bubble - tick
    rgb = [round(g + (w - g) * white) for g, w in zip(GREEN, WHITE, strict=True)]
    return (*rgb, round(255 * alpha))


def png(size, square=False):
    """The icon as a PNG of size by size pixels; `square`: with no corners cut
    (an apple-touch-icon, which the phone rounds itself)."""
    unit = SIZE / size
    background = {**BACKGROUND, "radius": 0} if square else BACKGROUND
    rows = []
    for row in range(size):
        y = (row + 0.5) * unit
        line = bytearray(b"\x00")
        for column in range(size):
            line.extend(pixel((column + 0.5) * unit, y, unit, background))
        rows.append(bytes(line))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def ico(sizes):
    """A .ico of PNG images, as every browser of today reads them."""
    images = [png(size) for size in sizes]
    entries, offset = b"", 6 + 16 * len(images)
    for size, image in zip(sizes, images, strict=True):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return struct.pack("<HHH", 0, 1, len(images)) + entries + b"".join(images)


def main():
    icons = STATIC / "icons"
    icons.mkdir(exist_ok=True)
    (icons / "icon.svg").write_text(SVG, encoding="utf-8")
    (icons / "apple-touch-icon.png").write_bytes(png(180, square=True))
    for size in (192, 512):
        (icons / f"icon-{size}.png").write_bytes(png(size))
    (STATIC / "favicon.ico").write_bytes(ico((16, 32, 48)))
    print(f"icons written in {icons} and {STATIC / 'favicon.ico'}", file=sys.stderr)


if __name__ == "__main__":
    main()
