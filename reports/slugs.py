"""Ids made from names: an ASCII slug of a name ("Åse Øye" is ase_oye), made
unique with _2, _3, ... and always within the id rule (schemas.ENTITY_ID)."""

import re
import secrets
import unicodedata

# Letters that NFKD does not take apart into a Latin letter and its marks.
LATIN = str.maketrans(
    {
        "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
        "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
        "ı": "i",
    }
)  # fmt: skip
# Ukrainian and Russian Cyrillic, as Ukraine's national transliteration writes it.
CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "",
        "ю": "iu", "я": "ia", "ы": "y", "э": "e", "ё": "io", "ъ": "", "'": "", "’": "",
    }
)  # fmt: skip
NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Room left after a prefix for the slug, so that `_99` still fits in 64 characters.
MAX_SLUG = 56


def slug(name):
    """The name in lower-case ASCII letters and digits joined by `_`, or "" when
    it has none that can be written so (Arabic, Chinese)."""
    text = name.translate(LATIN).lower().translate(CYRILLIC)
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return NOT_SLUG.sub("_", text.encode("ascii", "ignore").decode()).strip("_")


def id_from_name(name, taken, prefix="", fallback="x_"):
    """`prefix` and the name's slug, with _2, _3, ... after it while `taken(id)`;
    for a name with no slug, `fallback` and 8 random hex digits."""
    base = slug(name)[: MAX_SLUG - len(prefix)].rstrip("_")
    if not base:
        while True:
            candidate = f"{fallback}{secrets.token_hex(4)}"
            if not taken(candidate):
                return candidate
    base = prefix + base
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        candidate = f"{base}_{number}"
    return candidate
