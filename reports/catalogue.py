"""The field catalogue: the report form an organisation defines in one TOML
file, read and checked once at start. Every part of the service that knows a
report's fields (validation, the search index, the filters, the summary, the
spreadsheets, the web form, the OpenAPI document) is built from it.

A field's label and help, and each choice's label, are written in the
catalogue's default language, or in several: each is kept as {language: text}.
`label` and `help` give a text in the language of the page being made, or in
the default language where it has none; outside a page (the API, the OpenAPI
document, a command, the start) always in the default language.
`label_in(code)` names the language."""

import os
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from importlib import resources

from flask import current_app, has_request_context

from reports import languages

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
KINDS = ("text", "integer", "decimal", "boolean", "date", "choice", "choices")
MAX_FIELDS = 100
MAX_TEXT = 100_000
MAX_PLACES = 6
LARGEST_INTEGER = 2**53  # what a JSON client reads exactly, and SQLite sums without overflow
LARGEST_DECIMAL = Decimal(10) ** 12
# A text longer than this is written in a text area unless the file says otherwise.
LONG_TEXT = 200
# The longest label or help, in each of its languages.
MAX_LABEL = 500
# The language of a text written as a plain string, unless the file says another.
DEFAULT_LANGUAGE = "en"

# What each kind of field may say about itself, beyond what every field says.
COMMON_KEYS = {"name", "kind", "label", "help", "required"}
KIND_KEYS = {
    "text": {"min_length", "max_length", "multiline", "searchable"},
    "integer": {"min", "max", "summary"},
    "decimal": {"min", "max", "places", "summary"},
    "boolean": {"summary"},
    "date": {"not_after_tomorrow"},
    "choice": {"values", "summary"},
    "choices": {"values", "summary"},
}
# The figures of the summary each kind can give, and the default name of each.
FIGURES = {
    "integer": {"total": "{name}_total", "average": "{name}_average"},
    "decimal": {"total": "{name}_total", "average": "{name}_average"},
    "boolean": {"count": "{name}_count"},
    "choice": {"counts": "{name}"},
    "choices": {"counts": "{name}"},
}
# A summary group's own keys, which no figure may take.
SUMMARY_KEYS = ("group", "reports", "submitted", "drafts")
# The API's query parameters, named here once. The filters of a list, its
# export and its summary, in the API's order: these, then the catalogue's
# boolean and choice fields (each a filter of its own name), then the last ones.
FILTER_NAMES = (
    "status", "org_id", "peer_mentor_id", "activity_id", "session_date_from", "session_date_to",
    "submitted_from", "submitted_to", "updated_since",
)  # fmt: skip
LAST_FILTER_NAMES = ("has_way_forward", "review_state", "q")
# A list's page and order.
PAGING_NAMES = ("page", "limit", "cursor", "sort")
# A download's format and the language of its row of labels, the summary's
# grouping, and the deleted reports' start.
OPTION_NAMES = ("format", "labels", "group_by", "since")
# Every query parameter of the API: no field of the catalogue may take one.
QUERY_NAMES = (*FILTER_NAMES, *LAST_FILTER_NAMES, *PAGING_NAMES, *OPTION_NAMES)
# Names the search index keeps for itself.
SEARCH_NAMES = ("rank", "rowid", "oid", "report_text", "nothing_searchable")
ROLES = {"session_date": ("date",), "way_forward": ("text",), "title": ("text",)}
FILTER_KINDS = ("boolean", "choice", "choices")
# How many filter fields the session-date index also holds, so that a count
# over a period and those filters reads the index alone.
INDEXED_FILTERS = 4


class CatalogueError(ValueError):
    """The catalogue file cannot be used: one line naming the file, the field and why."""


def text_in(texts, code):
    """The text of `texts` ({language: text}, the default language's first) in
    the language `code`, or in the default language when it has none or `code`
    is None; "" when `texts` is empty."""
    return texts.get(code) or next(iter(texts.values()), "")


def page_language():
    """The language of the page being made, or None outside a page: on the API,
    in a command, at the start."""
    if has_request_context() and not languages.in_english_only():
        return languages.current()
    return None


@dataclass(frozen=True, eq=False)
class Choice:
    value: str
    labels: dict  # {language: label}, the default language's first

    @property
    def label(self):
        """The label in the page's language (see page_language), else the default."""
        return text_in(self.labels, page_language())

    @property
    def default_label(self):
        return text_in(self.labels, None)

    def label_in(self, code):
        return text_in(self.labels, code)


@dataclass(frozen=True)
class Figure:
    """One figure of the summary: `what` (total, average, count or counts) of a field."""

    name: str
    what: str
    field: "Field"


@dataclass(frozen=True, eq=False)
class Field:
    name: str
    kind: str
    labels: dict  # {language: label}, the default language's first
    helps: dict  # as labels; empty when it has none
    required: bool = False
    searchable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    multiline: bool = False
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    places: int | None = None
    not_after_tomorrow: bool = False
    values: tuple = ()
    figures: tuple = ()

    @property
    def is_filter(self):
        return self.kind in FILTER_KINDS

    @property
    def label(self):
        """The label in the page's language (see page_language), else the default."""
        return text_in(self.labels, page_language())

    @property
    def help(self):
        """The help in the page's language (see page_language), else the default;
        "" when the field has none."""
        return text_in(self.helps, page_language())

    @property
    def default_label(self):
        return text_in(self.labels, None)

    @property
    def default_help(self):
        return text_in(self.helps, None)

    def label_in(self, code):
        return text_in(self.labels, code)

    def help_in(self, code):
        return text_in(self.helps, code)

    def texts(self):
        """(what, {language: text}) of each of the field's texts: its label, its
        help if it has one, and each choice's label."""
        found = [("`label`", self.labels)]
        if self.helps:
            found.append(("`help`", self.helps))
        found += [(f"the label of the value {each.value!r}", each.labels) for each in self.values]
        return found

    def label_of(self, value):
        """The label of one of a choice field's values (the value, if unknown)."""
        return next((each.label for each in self.values if each.value == value), value)


@dataclass(frozen=True, eq=False)
class Catalogue:
    version: str
    fields: tuple
    session_date: str
    way_forward: str | None
    title: str | None
    source: str
    default_language: str = DEFAULT_LANGUAGE

    @cached_property
    def languages(self):
        """The languages its texts are written in: the default first, then the
        others in the order the file first gives them."""
        codes = [code for each in self.fields for _, texts in each.texts() for code in texts]
        return tuple(dict.fromkeys([self.default_language, *codes]))

    def lacking(self, codes):
        """(field, what, [the languages of `codes` it lacks]) for each text that
        lacks any of them, in the catalogue's order."""
        found = []
        for each in self.fields:
            for what, texts in each.texts():
                missing = [code for code in codes if code not in texts]
                if missing:
                    found.append((each, what, missing))
        return found

    @cached_property
    def names(self):
        return tuple(field.name for field in self.fields)

    @cached_property
    def by_name(self):
        return {field.name: field for field in self.fields}

    @cached_property
    def required(self):
        """The fields a report must have to be submitted, in catalogue order."""
        return tuple(field.name for field in self.fields if field.required)

    @cached_property
    def searchable(self):
        return tuple(field.name for field in self.fields if field.searchable)

    @cached_property
    def filters(self):
        """The boolean and choice fields: each is a filter of its own name."""
        return tuple(field for field in self.fields if field.is_filter)

    @cached_property
    def indexed_filters(self):
        """The filters the session-date index holds: booleans, then single choices."""
        ordered = [f for f in self.filters if f.kind == "boolean"]
        ordered += [f for f in self.filters if f.kind == "choice"]
        return tuple(field.name for field in ordered[:INDEXED_FILTERS])

    @cached_property
    def figures(self):
        """The summary's figures: those of numbers, then of choices, then of booleans."""
        figures = [figure for field in self.fields for figure in field.figures]
        order = {"integer": 0, "decimal": 0, "choice": 1, "choices": 1, "boolean": 2}
        return tuple(sorted(figures, key=lambda figure: order[figure.field.kind]))

    @cached_property
    def layout(self):
        """What the database's indexes are built from: when it changes, they are built again."""
        return {
            "session_date": self.session_date,
            "indexed_filters": list(self.indexed_filters),
            "searchable": list(self.searchable),
        }


BUILT_IN = "catalogue.toml"


def built_in_text():
    return resources.files("reports").joinpath(BUILT_IN).read_text(encoding="utf-8")


def catalogue_path(config, instance_path):
    """The file to read: CATALOGUE if set, else instance/catalogue.toml if there
    is one, else None for the built-in catalogue."""
    if config.get("CATALOGUE"):
        return str(config["CATALOGUE"])
    own = os.path.join(instance_path, "catalogue.toml")
    return own if os.path.isfile(own) else None


@cache
def built_in():
    """The catalogue the service ships with: one object for every app of a process."""
    return parse(built_in_text(), f"the built-in {BUILT_IN}")


def load(path=None):
    """The catalogue in the file at `path`, or the built-in one; CatalogueError
    if it cannot be read or breaks a rule."""
    if path is None:
        return built_in()
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: cannot be read: {error}") from None
    return parse(text, path)


def parse(text, source):
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{source}: not valid TOML: {error}") from None
    return Reader(source).catalogue(data)


class Reader:
    """Checks a parsed file and builds its Catalogue; the first broken rule is raised."""

    def __init__(self, source):
        self.source = source
        self.default_language = DEFAULT_LANGUAGE

    def fail(self, reason, field=None):
        where = f"field {field!r}: " if field else ""
        raise CatalogueError(f"{self.source}: {where}{reason}")

    def catalogue(self, data):
        self.only_keys(data, {"version", "default_language", "roles", "fields"}, "the file")
        version = data.get("version")
        if not isinstance(version, str) or not 1 <= len(version) <= 40 or not version.isprintable():
            self.fail('`version` must be a string of 1 to 40 characters, such as "1".')
        default = data.get("default_language", DEFAULT_LANGUAGE)
        self.default_language = isinstance(default, str) and languages.language_code(default)
        if not self.default_language:
            self.fail(
                f'`default_language` must be a language\'s code, such as "en" or "nb", '
                f"not {default!r}."
            )
        entries = data.get("fields")
        if not isinstance(entries, list) or not entries:
            self.fail("it must have at least one [[fields]] table.")
        if len(entries) > MAX_FIELDS:
            self.fail(f"it has {len(entries)} fields; at most {MAX_FIELDS} are allowed.")
        fields = []
        for position, entry in enumerate(entries, 1):
            field = self.field(entry, position)
            if any(other.name == field.name for other in fields):
                self.fail("the name is used by another field.", field.name)
            fields.append(field)
        self.check_figures(fields)
        roles = self.roles(data.get("roles"), {field.name: field for field in fields})
        return Catalogue(
            version=version,
            fields=tuple(fields),
            source=self.source,
            default_language=self.default_language,
            **roles,
        )

    def only_keys(self, table, allowed, what, field=None):
        if not isinstance(table, dict):
            self.fail(f"{what} must be a table.", field)
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(
                f"unknown key {unknown[0]!r} in {what}; allowed: {', '.join(sorted(allowed))}.",
                field,
            )

    def field(self, entry, position):
        if not isinstance(entry, dict):
            self.fail(f"[[fields]] number {position} must be a table.")
        name = entry.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            self.fail(
                f"[[fields]] number {position} needs a `name` of 1 to 40 characters: "
                "a lower-case letter, then lower-case letters, digits or _."
            )
        kind = entry.get("kind")
        if kind not in KINDS:
            self.fail(f"unknown kind {kind!r}; a kind is one of {', '.join(KINDS)}.", name)
        self.only_keys(entry, COMMON_KEYS | KIND_KEYS[kind], f"a {kind} field", name)
        values = dict(
            labels=self.texts(entry.get("label"), "`label`", name, required=True),
            helps=self.texts(entry.get("help"), "`help`", name),
            required=self.flag(entry, "required", name),
        )
        if kind == "text":
            values.update(self.text_limits(entry, name))
        elif kind in ("integer", "decimal"):
            values.update(self.number_limits(entry, name, kind))
        elif kind == "date":
            values["not_after_tomorrow"] = self.flag(entry, "not_after_tomorrow", name)
        elif kind in ("choice", "choices"):
            values["values"] = self.choices(entry.get("values"), name)
        field = Field(name=name, kind=kind, **values)
        figures = self.summary(entry.get("summary"), field)
        object.__setattr__(field, "figures", figures)
        return field

    def texts(self, value, what, name, required=False):
        """A text (`what` names it) as {language: text}, the default language's
        first: a string is the default language's text; a table gives a text
        per language, the default language's among them. {} for a text that
        is not required and not given."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            return {self.default_language: self.text(value, what, name)}
        texts = {}
        for code, text in value.items():
            language = languages.language_code(code)
            if language is None:
                self.fail(f"{what} is given in {code!r}, which is not a language's code.", name)
            if language in texts:
                self.fail(f"{what} is given twice in {language}.", name)
            texts[language] = self.text(text, f"{what} in {code}", name)
        default = self.default_language
        if default not in texts:
            self.fail(
                f"{what} has no text in {default}, the default language: each table of "
                "texts gives it.",
                name,
            )
        return {default: texts.pop(default), **texts}

    def text(self, value, what, name):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
            self.fail(
                f"{what} must be a text of 1 to {MAX_LABEL} characters, or a table of "
                "such texts by language.",
                name,
            )
        return value

    def flag(self, entry, key, name):
        value = entry.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"`{key}` must be true or false.", name)
        return value

    def whole(self, entry, key, name, low, high, default=None):
        value = entry.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"`{key}` must be a whole number from {low} to {high}.", name)
        return value

    def text_limits(self, entry, name):
        min_length = self.whole(entry, "min_length", name, 0, MAX_TEXT)
        max_length = self.whole(entry, "max_length", name, 1, MAX_TEXT, default=5000)
        if min_length is not None and min_length > max_length:
            self.fail("`min_length` must not be more than `max_length`.", name)
        multiline = entry.get("multiline", max_length > LONG_TEXT)
        if not isinstance(multiline, bool):
            self.fail("`multiline` must be true or false.", name)
        return dict(
            min_length=min_length or None,
            max_length=max_length,
            multiline=multiline,
            searchable=self.flag(entry, "searchable", name),
        )

    def number_limits(self, entry, name, kind):
        if kind == "integer":
            low = self.whole(entry, "min", name, -LARGEST_INTEGER, LARGEST_INTEGER)
            high = self.whole(entry, "max", name, -LARGEST_INTEGER, LARGEST_INTEGER)
            places = None
        else:
            places = self.whole(entry, "places", name, 0, MAX_PLACES, default=2)
            low, high = (self.decimal(entry, key, name, places) for key in ("min", "max"))
        if low is not None and high is not None and low > high:
            self.fail("`min` must not be more than `max`.", name)
        return dict(min=low, max=high, places=places)

    def decimal(self, entry, key, name, places):
        value = entry.get(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(value if isinstance(value, str | int) else repr(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= LARGEST_DECIMAL:
            self.fail(f'`{key}` must be a number, such as "0.00", under 10^12.', name)
        if number != round(number, places):
            self.fail(f"`{key}` has more than `places` ({places}) decimal places.", name)
        return number

    def choices(self, entries, name):
        if not isinstance(entries, list) or not entries:
            self.fail("`values` must list at least one { value, label }.", name)
        choices = []
        for entry in entries:
            if isinstance(entry, str):
                entry = {"value": entry, "label": entry}
            self.only_keys(entry, {"value", "label"}, "a value", name)
            value = entry.get("value")
            if not isinstance(value, str) or not VALUE.fullmatch(value):
                self.fail(
                    f"the value {value!r} must be 1 to 64 characters of A-Z, a-z, 0-9, _ . -, "
                    "starting with a letter or digit.",
                    name,
                )
            if any(choice.value == value for choice in choices):
                self.fail(f"the value {value!r} is listed twice.", name)
            what = f"the label of the value {value!r}"
            choices.append(Choice(value, self.texts(entry.get("label"), what, name, required=True)))
        return tuple(choices)

    def summary(self, summary, field):
        if summary is None:
            return ()
        figures = FIGURES.get(field.kind, {})
        if not figures:
            self.fail(f"a {field.kind} field has no summary figures.", field.name)
        if isinstance(summary, list):
            summary = {what: figures.get(what, "").format(name=field.name) for what in summary}
        self.only_keys(summary, set(figures), "`summary`", field.name)
        for what, figure in summary.items():
            if not isinstance(figure, str) or not NAME.fullmatch(figure):
                self.fail(f"the summary's {what} needs a name like the fields' names.", field.name)
        return tuple(Figure(figure, what, field) for what, figure in summary.items())

    def check_figures(self, fields):
        seen = set(SUMMARY_KEYS)
        for field in fields:
            for figure in field.figures:
                if figure.name in seen:
                    self.fail(f"the summary figure name {figure.name!r} is taken.", field.name)
                seen.add(figure.name)
            if field.name in SEARCH_NAMES:
                self.fail("the name is kept for the search index; choose another.", field.name)
            if field.is_filter and field.name in QUERY_NAMES:
                self.fail(
                    f"a {field.kind} field is a filter of its own name, and {field.name!r} "
                    "is a query parameter already.",
                    field.name,
                )

    def roles(self, roles, fields):
        if roles is None:
            self.fail("it must have a [roles] table naming the session_date field.")
        self.only_keys(roles, set(ROLES), "[roles]")
        found = {}
        for role, kinds in ROLES.items():
            name = roles.get(role)
            if name is None and role != "session_date":
                found[role] = None
                continue
            if name not in fields:
                self.fail(f"the role {role} names {name!r}, which is not a field.")
            if fields[name].kind not in kinds:
                self.fail(f"the role {role} needs a {' or '.join(kinds)} field.", name)
            found[role] = name
        return found


def init_app(app):
    """Read the catalogue the app's settings name, once, into the app."""
    app.extensions["catalogue"] = load(catalogue_path(app.config, app.instance_path))


def live():
    """The catalogue of the app that handles this request."""
    return current_app.extensions["catalogue"]
