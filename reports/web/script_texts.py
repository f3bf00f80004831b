"""The texts the pages' scripts write (static/offline.js, static/form.js), in
the page's language. base.html gives them to the scripts as JSON in
`<meta name="reports-texts">` (the Content-Security-Policy forbids inline
script); each script reads them once, and writes a text it does not find there
in English, as it has it itself: a page the service worker kept from an older
release has none, or not a newer one.

A text's values are named placeholders, `%(count)s`, which the script fills in:
with text, or with an element (a link, a report's title). A counted text is
given in each of the language's plural forms, by the CLDR category that the
browser's `Intl.PluralRules` picks for a number ("one", "few", "other"...):
gettext's form for a number of that category."""

import functools
import itertools

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from reports import languages

TEXTS = {
    "outbox-sign-in-link": _l("Sign in again to send them"),
    "outbox-refused": _l(
        "A report kept on this phone was not taken as it was: %(link)s to see why."
    ),
    "outbox-refused-link": _l("open it"),
    "outbox-untitled": _l("Untitled report"),
    "outbox-to-draft": _l("%(title)s (to save as a draft)"),
    "outbox-to-submit": _l("%(title)s (to submit)"),
    "sign-out-stay": _l("Stay signed in"),
    "form-restored": _l("Restored what you typed at %(time)s."),
    "form-discard": _l("Discard"),
    "form-start-another": _l("Start another report"),
}

# The placeholders of the counted texts, left for the script to fill in.
KEPT = {name: f"%({name})s" for name in ("count", "link")}


def counted(number):
    """The counted texts as the page's language says them of `number`."""
    return {
        "outbox-waiting": ngettext(
            "Saved on this phone. It will be sent when you are back online: %(count)s waiting.",
            "Saved on this phone. It will be sent when you are back online: %(count)s waiting.",
            number,
            **KEPT,
        ),
        "outbox-sign-in": ngettext(
            "Saved on this phone: %(count)s report waits to be sent. %(link)s",
            "Saved on this phone: %(count)s reports wait to be sent. %(link)s",
            number,
            **KEPT,
        ),
        "sign-out-heading": ngettext(
            "%(count)s report is not sent yet",
            "%(count)s reports are not sent yet",
            number,
            **KEPT,
        ),
        "sign-out-text": ngettext(
            "Send it first: stay signed in until the phone has a signal again. "
            "Or discard it: nobody who uses this phone next will see it.",
            "Send them first: stay signed in until the phone has a signal again. "
            "Or discard them: nobody who uses this phone next will see them.",
            number,
            **KEPT,
        ),
        "sign-out-discard": ngettext(
            "Discard it and sign out", "Discard them and sign out", number, **KEPT
        ),
        "counter-left": ngettext(
            "%(count)s character left", "%(count)s characters left", number, **KEPT
        ),
        "counter-over": ngettext(
            "%(count)s character too many", "%(count)s characters too many", number, **KEPT
        ),
    }


@functools.cache
def samples(code):
    """A number of each plural category of the language `code` (CLDR's, from
    Babel): the smallest count of it up to a thousand, or a million, which
    some languages say in a form of its own."""
    category = Locale.parse(code).plural_form
    found = {}
    for number in itertools.chain(range(1000), [1_000_000]):
        found.setdefault(category(number), number)
    return found


def translated():
    """Every text of the scripts in the page's language: a text, or a counted
    text's forms by plural category."""
    return translated_in(languages.current(), languages.catalogues())


@functools.lru_cache(maxsize=32)
def translated_in(code, catalogues):
    """translated() in the language `code`, as the app's `catalogues` say it,
    made once: the same on every page in that language."""
    texts = {key: str(text) for key, text in TEXTS.items()}
    forms = {category: counted(number) for category, number in samples(code).items()}
    for key in counted(1):
        texts[key] = {category: said[key] for category, said in forms.items()}
    return texts
