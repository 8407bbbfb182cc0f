# ruff: noqa: RUF001  (Cyrillic letters are the point of this module)
"""Fold text for search: lowercase, Cyrillic to Latin, accents stripped.

The same function folds what is indexed and what is searched, so "skola" finds "škola" and
"школа", "shqiperi" finds "shqipëri", and a Macedonian "ѓ" meets its Latin "gj". Folding happens
in Python rather than in the database so SQLite and PostgreSQL index the very same text.
"""

from __future__ import annotations

import re
import unicodedata

# Serbian and Macedonian Cyrillic follow their official Latin alphabets (ђ → đ, ѓ → gj, ...);
# the remaining letters cover Russian, Bulgarian and Ukrainian text that may be quoted.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "ѓ": "gj", "е": "e",
    "ж": "ž", "з": "z", "ѕ": "dz", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj",
    "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "ћ": "ć", "ќ": "kj", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž",
    "ш": "š", "й": "j", "ё": "e", "ы": "y", "э": "e", "ю": "ju", "я": "ja", "щ": "šč",
    "ъ": "", "ь": "", "є": "je", "і": "i", "ї": "ji", "ґ": "g", "ў": "u",
}  # fmt: skip

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = {"đ": "d", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}

_TABLE = str.maketrans(_CYRILLIC)
_SPECIAL_TABLE = str.maketrans(_SPECIAL)
_TOKEN = re.compile(r"[^\W_]+")


def cyrillic_to_latin(text: str) -> str:
    """Transliterate Serbian/Macedonian Cyrillic to Latin, keeping Latin diacritics (š, ž, ć)."""
    out = []
    for char in text:
        lower = char.lower()
        latin = _CYRILLIC.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower:
            out.append(latin[:1].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


def fold(text: str) -> str:
    """Lowercase, transliterate Cyrillic, strip accents: the form both index and query take."""
    lowered = text.lower().translate(_TABLE)
    if lowered.isascii():
        return lowered  # nothing to strip: most English text, and quick to check
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_SPECIAL_TABLE)


def terms(query: str) -> list[str]:
    """The folded words of a query, in order, without duplicates."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(fold(query)):
        seen.setdefault(token, None)
    return list(seen)
