"""What full-text search reads: the words of a report's text, and the terms of a query.

FTS5's unicode61 tokenizer splits text at spaces and punctuation. Chinese and
Japanese are written without spaces, so `segment` makes each ideograph and each
kana a word of its own, and each emoji too (the index keeps symbols as token
characters). The index is filled with segmented text (schema.sql calls it as
the SQL function search_text) and a query's words are segmented the same way:
a word that becomes several, such as 住房, is searched as a phrase.

A query is words and "quoted phrases", every one of which must appear; a word
ending in * matches as a prefix. Nothing else of FTS5's query syntax can be
reached: each term goes to FTS5 as a quoted string.
"""

import re
from dataclasses import dataclass

# At most this many terms (words and phrases, once each) in one search, and
# this many words in all of them: each word of a phrase and each ideograph,
# kana or emoji costs the search as much as a term.
MAX_TERMS = 8
MAX_WORDS = 16
# A prefix shorter than this matches too many words to be worth its cost.
MIN_PREFIX = 2

# Scripts written without spaces between words: CJK ideographs (with their
# extensions and compatibility forms), hiragana, katakana (with its halfwidth
# and supplementary forms) and the ideographic iteration marks.
SPACELESS = (
    "\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\U0001b000-\U0001b16f\U00020000-\U0003ffff"
)

# The blocks of emoji and other pictographic symbols: arrows, technical
# symbols, shapes, miscellaneous symbols, dingbats, and the supplementary
# planes' emoji blocks (with their unassigned code points, so that emoji yet
# to come are words too). Written out, not taken from Python's unicodedata:
# the index holds text segmented this way, and a removal must segment the old
# text exactly as it was segmented when indexed, whatever Python runs.
SYMBOLS = (
    "\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001fbff"
)

# Each of these is a word of its own in the index.
OWN_WORD = re.compile(f"[{SPACELESS}{SYMBOLS}]")
OWN_WORD_APART = re.compile(f"({OWN_WORD.pattern})")
# Emoji variation selectors, which say how to draw a symbol, not which it is.
VARIATION = re.compile("[\ufe0e\ufe0f]")
# What unicode61 keeps of a word, near enough for the checks of a query.
WORD = re.compile(f"(?:[^\\W_]|[\ue000-\uf8ff]|{OWN_WORD.pattern})+")
PHRASE_OR_WORD = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')


def segment(text):
    """`text` as the index reads it: each ideograph, kana and emoji set apart
    by spaces, the rest as it is. Deterministic: the index depends on it."""
    if not isinstance(text, str) or text.isascii():
        return text
    # Split around each such character and join with spaces: one space either side.
    return " ".join(OWN_WORD_APART.split(VARIATION.sub("", text)))


@dataclass(frozen=True)
class Term:
    """One thing a search asks for: a word, several (a phrase), maybe a prefix."""

    text: str
    prefix: bool = False


class BadSearch(ValueError):
    """A search that asks for more than a search may."""


def terms(query):
    """The terms of a search, each once (words compared without case), in order.
    Raises BadSearch for too many terms or a prefix too short to be useful."""
    found = {}
    for phrase, word in PHRASE_OR_WORD.findall(query):
        term = Term(phrase) if phrase or not word else _word(word)
        words = tuple(WORD.findall(segment(term.text).casefold()))
        found.setdefault((words, term.prefix), term)
    if len(found) > MAX_TERMS:
        raise BadSearch(
            f"At most {MAX_TERMS} words or phrases in one search; this has {len(found)}."
        )
    words = sum(len(key[0]) for key in found)
    if words > MAX_WORDS:
        raise BadSearch(
            f"At most {MAX_WORDS} words in one search, counting each word of a phrase and "
            f"each Chinese or Japanese character or emoji; this has {words}."
        )
    return list(found.values())


def _word(word):
    stem = word.rstrip("*")
    if stem == word:
        return Term(word)
    last = WORD.findall(segment(stem))
    if last and OWN_WORD.fullmatch(last[-1]):
        return Term(stem)  # an ideograph or emoji is a whole word already
    if not last or len(last[-1]) < MIN_PREFIX:
        raise BadSearch(
            f"A prefix needs at least {MIN_PREFIX} letters or digits before the *: "
            f"{word!r} has {len(last[-1]) if last else 0}."
        )
    return Term(stem, prefix=True)


def fts_query(query):
    """The FTS5 query that matches reports holding every term of `query`."""
    return " ".join(
        '"' + segment(term.text).strip().replace('"', '""') + '"' + ("*" if term.prefix else "")
        for term in terms(query)
    )
