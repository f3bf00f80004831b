"""The languages of the pages: which are offered, which one a request gets, and
the gettext catalogues behind them (Flask-Babel).

The pages are written in English, the source language; every other language is
a gettext catalogue, `<code>/LC_MESSAGES/messages.po`, shipped under
`reports/translations/` or added by an organisation under
`instance/translations/` (docs/languages.md). A catalogue is compiled in memory
the first time a page needs it, so no compiled file can drift from its `.po`.

A request's language is the first of: `?lang=CODE` on a page's address, the
signed-in person's preferred language (people's `language`, which that choice
sets), the language cookie (which it sets too, for a browser nobody is signed
in on), and the browser's Accept-Language; else English. The API, its
problem details and the OpenAPI document stay in English whatever is asked.
"""

import functools
import io
import os

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale
from markupsafe import escape

SOURCE = "en"
SHIPPED = os.path.join(os.path.dirname(__file__), "translations")
CATALOGUE_PATH = os.path.join("{directory}", "{code}", "LC_MESSAGES", "messages.po")
COOKIE = "lang"
COOKIE_DAYS = 365
# The query parameter that chooses a page's language.
CHOOSE = "lang"
# Codes browsers send for a language offered under another code.
ALIASES = {"no": "nb", "nn": "nb"}


def catalogue_directories(app):
    """Where catalogues are looked for: the organisation's first, so that its
    own catalogue of a shipped language takes that language's place."""
    return [os.path.join(app.instance_path, "translations"), SHIPPED]


def catalogue_files(app):
    """Each language's catalogue file, by its code: the first one found."""
    found = {}
    for directory in catalogue_directories(app):
        if not os.path.isdir(directory):
            continue
        for code in sorted(os.listdir(directory)):
            path = CATALOGUE_PATH.format(directory=directory, code=code)
            if code not in found and os.path.isfile(path) and language_code(code) == code:
                found[code] = path
    return found


def language_code(code):
    """`code` as Babel writes a language's code ("pt-BR" is "pt_BR", "NB" is
    "nb"), or None when it names no language Babel knows."""
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (ValueError, TypeError, AttributeError, UnknownLocaleError):
        return None


def offered(app=None):
    """The codes of the languages the pages are offered in: English first, then
    the others by code."""
    app = app or current_app
    return app.extensions["languages"]["offered"]


def compiled(path):
    """The catalogue at `path` as gettext translations: its fuzzy entries and
    empty ones left out, so that those texts stay in English."""
    with open(path, "rb") as file:
        catalogue = read_po(file)
    binary = io.BytesIO()
    write_mo(binary, catalogue, use_fuzzy=False)
    binary.seek(0)
    return Translations(binary)


class Catalogues(Domain):
    """Flask-Babel's domain, with each language's translations compiled from
    its `.po` file when first asked for and kept for the process."""

    def __init__(self, files):
        super().__init__()
        self.files = files

    @functools.cache  # noqa: B019 -- one domain per app, kept as long as the app
    def translations_of(self, code):
        path = self.files.get(code)
        return compiled(path) if path else NullTranslations()

    def get_translations(self):
        locale = get_locale()
        return NullTranslations() if locale is None else self.translations_of(str(locale))


class Languages(Babel):
    """Flask-Babel, with the app's catalogues as its domain."""

    def __init__(self, files):
        self.catalogues = Catalogues(files)
        super().__init__()

    @property
    def domain_instance(self):
        return self.catalogues


def catalogues(app=None):
    """The app's catalogues (its Flask-Babel domain)."""
    return (app or current_app).extensions["babel"].instance.catalogues


def tags(app=None):
    """The offered languages as (BCP 47 tag, code) pairs: "pt-BR" for "pt_BR",
    the tag being how a person's language is written."""
    return [(code.replace("_", "-"), code) for code in offered(app)]


def name_of(code):
    """A language's name in that language, as its speakers write it at the
    start of a line: "Norsk bokmål", "العربية"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def direction_of(code):
    """ "rtl" for a language written right to left, else "ltr"."""
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


def known(code):
    """`code` as one of the offered languages' codes, or None."""
    if not code:
        return None
    code = code.strip().replace("-", "_")
    choices = offered()
    for each in (code, code.lower(), ALIASES.get(code.lower())):
        if each in choices:
            return each
    return None


def in_english_only():
    """Whether this request is the API's, which speaks English whatever is asked."""
    return request.path.startswith("/api/")


def for_request():
    """The language of this request (Flask-Babel's locale selector)."""
    if not has_request_context() or in_english_only():
        return SOURCE
    caller = g.get("caller")
    preferred = caller.language if caller is not None else None
    for choice in (request.args.get(CHOOSE), preferred, request.cookies.get(COOKIE)):
        if (code := known(choice)) is not None:
            return code
    browser = request.accept_languages
    choices = offered()
    for code, _quality in browser:
        if (match := known(code) or known(code.split("-")[0])) is not None:
            return match
    return SOURCE if SOURCE in choices else choices[0]


def current():
    """The code of the page's language (English outside a request)."""
    locale = get_locale() if has_app_context() else None
    return str(locale) if locale is not None else SOURCE


def remember_choice(response):
    """A page whose address chose a language keeps the choice in a cookie."""
    code = None if in_english_only() else known(request.args.get(CHOOSE))
    if code is not None and request.cookies.get(COOKIE) != code:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_DAYS * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SECURE_COOKIES"],
            httponly=True,
        )
    return response


def _escaped(translate):
    """A gettext callable for the templates whose translation is escaped like
    any other text: a translator's `<` is shown, never taken as markup."""
    return lambda *args: escape(translate(*args))


def plain_text_gettext(app):
    """gettext and ngettext for a plain-text template (an e-mail's text part),
    in the current language: nothing escaped, the translation nor what goes
    into it; as newstyle gettext, `%(name)s` filled from keywords. Given in the
    template's context, they stand in for the escaped ones of the environment."""
    translations = catalogues(app).get_translations

    def gettext(text, **variables):
        return translations().ugettext(text) % variables

    def ngettext(one, many, count, **variables):
        return translations().ungettext(one, many, count) % {"num": count, **variables}

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def init_app(app):
    files = catalogue_files(app)
    others = sorted(code for code in files if code != SOURCE)
    app.extensions["languages"] = {"offered": [SOURCE, *others]}
    Languages(files).init_app(app, default_locale=SOURCE, locale_selector=for_request)
    translations = catalogues(app).get_translations
    app.jinja_env.install_gettext_callables(
        gettext=_escaped(lambda text: translations().ugettext(text)),
        ngettext=_escaped(lambda one, many, n: translations().ungettext(one, many, n)),
        pgettext=_escaped(lambda context, text: translations().upgettext(context, text)),
        npgettext=_escaped(
            lambda context, one, many, n: translations().unpgettext(context, one, many, n)
        ),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        language_name=name_of, language_direction=direction_of, person_languages=tags
    )
    app.after_request(remember_choice)
