"""The stylesheets mirror by themselves under <html dir="rtl">: they lay out
with logical properties (margin-inline-start, text-align: start, inset-inline-end,
...), and name a physical left or right only where the direction is really
physical, each such place listed in ALLOWED with its reason. A change that
writes `margin-left` or `text-align: right` fails here, before it breaks an
Arabic page."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "reports" / "static"
STYLESHEETS = ("style.css", "docs.css")
# (stylesheet, selector, property): why that side is physical.
ALLOWED = {
    ("style.css", ".num", "text-align"): (
        "figures are written left to right in every language the pages are in, "
        "so a column of them lines up on its last digit, on the right"
    ),
}
# Shorthands whose four values go top, right, bottom, left: the right and the
# left must be equal for the declaration to mirror.
SIDED_SHORTHANDS = {
    "margin", "padding", "inset", "border-width", "border-style", "border-color",
    "scroll-margin", "scroll-padding",
}  # fmt: skip
SIDE = re.compile(r"(?:^|-)(?:left|right)(?:-|$)")
SIDE_WORD = re.compile(r"\b(?:left|right)\b")


def declarations(css):
    """(selector, property, value) of every declaration of `css`, those inside
    an @media or @supports block included; comments, strings and url()s left out
    of the values."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    opened = []  # the preludes of the blocks we are in: a selector or an @rule
    start = 0
    for at, character in enumerate(css):
        if character == "{":
            opened.append(" ".join(css[start:at].split()))
            start = at + 1
        elif character == "}":
            if opened and not opened[-1].startswith("@"):
                for declaration in css[start:at].split(";"):
                    name, colon, value = declaration.partition(":")
                    if colon:
                        value = re.sub(r'"[^"]*"|\'[^\']*\'|url\([^)]*\)', '""', value)
                        found.append((opened[-1], name.strip().lower(), " ".join(value.split())))
            opened.pop()
            start = at + 1
        elif character == ";" and (not opened or opened[-1].startswith("@")):
            start = at + 1  # an @import or @charset line, not a rule's start
    return found


def physical(css):
    """(selector, property, value) of each declaration that names a physical
    side: a left or right property, a `left`/`right` keyword, or a sided
    shorthand whose right and left values differ."""
    sided = []
    for selector, name, value in declarations(css):
        values = value.replace("!important", "").split()
        if SIDE.search(name) or SIDE_WORD.search(value.lower()):
            sided.append((selector, name, value))
        elif name in SIDED_SHORTHANDS and len(values) == 4 and values[1] != values[3]:
            sided.append((selector, name, value))
        elif name == "border-radius" and len(set(value.split("/")[0].split())) > 1:
            sided.append((selector, name, value))
    return sided


def test_the_detector_finds_every_kind_of_physical_side():
    css = """
    @media (min-width: 10rem) { .a { margin-left: 1px; float: right } }
    .b { text-align: left; padding: 0 1rem 0 2rem; inset: 0 auto 0 0; right: 0 }
    .c { border-radius: 0 4px 4px 0; background: url(left.png); content: "right" }
    .d { margin-inline-start: 1px; text-align: end; padding: 0 1rem 2rem; margin: 1rem 2rem }
    .e { border-top-right-radius: 2px; padding: 1px 2px 3px 2px; float: inline-start }
    """

    assert [(selector, name) for selector, name, _ in physical(css)] == [
        (".a", "margin-left"), (".a", "float"),
        (".b", "text-align"), (".b", "padding"), (".b", "inset"), (".b", "right"),
        (".c", "border-radius"),
        (".e", "border-top-right-radius"),
    ]  # fmt: skip


@pytest.mark.parametrize("stylesheet", STYLESHEETS)
def test_the_stylesheet_names_no_physical_side_but_the_allowed_ones(stylesheet):
    css = (STATIC / stylesheet).read_text(encoding="utf-8")
    assert len(declarations(css)) > 15  # the whole of it is read

    found = {(stylesheet, selector, name) for selector, name, _ in physical(css)}
    allowed = {key for key in ALLOWED if key[0] == stylesheet}

    assert found - allowed == set(), "use a logical property, or add it to ALLOWED with why"
    assert allowed - found == set(), "ALLOWED names a declaration the stylesheet no longer has"


def test_ids_codes_and_figures_read_left_to_right_in_a_right_to_left_page():
    rules = declarations((STATIC / "style.css").read_text(encoding="utf-8"))

    def values(selector, name):
        return [value for each, prop, value in rules if each == selector and prop == name]

    isolated = 'code, kbd, samp, [dir="ltr"]'
    assert values(isolated, "direction") == ["ltr"]
    assert values(isolated, "unicode-bidi") == ["isolate"]
    assert values("td.num", "unicode-bidi") == ["plaintext"]
    assert values("time", "unicode-bidi") == ["plaintext"]
    # The chart is drawn left to right, its labels anchored to that.
    assert values(".chart-svg", "direction") == ["ltr"]


def test_the_language_menu_marks_the_page_s_language_and_shows_the_focus():
    selectors = {selector for selector, _, _ in declarations(
        (STATIC / "style.css").read_text(encoding="utf-8")
    )}  # fmt: skip

    assert any(".languages" in each and '[aria-current="true"]' in each for each in selectors)
    assert any(".languages summary:focus-visible" in each for each in selectors)
