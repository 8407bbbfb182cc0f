"""Interface languages: catalogues for the region, and fallbacks where no translator has been.

English, Albanian (sq), Serbian Latin (sr_Latn) and Macedonian (mk) are translated by hand in
``src/firstline/locale``. The other regional languages get *fallbacks* generated from those:

- Serbian Cyrillic (sr) is the Serbian Latin catalogue transliterated (the two scripts map
  one-to-one, so this is a complete translation, not an approximation);
- Bosnian (bs), Croatian (hr) and Montenegrin (cnr) start from the Serbian Latin catalogue,
  which their readers understand; a translator's own entries in their .po files win;
- Slovenian (sl) falls back to English (Django's own Slovenian catalogue covers its parts).

``python -m firstline.core.i18n`` regenerates the fallbacks and compiles every .po to .mo with
polib, so no gettext tools are needed on a node.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
HAND_TRANSLATED = ("sq", "sr_Latn", "mk")
FROM_SERBIAN_LATIN = ("bs", "hr", "cnr")

# Montenegrin has no entry in Django's language table; it reads like Serbian Latin.
CNR_INFO = {
    "bidi": False,
    "code": "cnr",
    "name": "Montenegrin",
    "name_local": "Crnogorski",
    "name_translated": "Montenegrin",
}

_DIGRAPHS = {
    "lj": "љ",
    "nj": "њ",
    "dž": "џ",
    "Lj": "Љ",
    "Nj": "Њ",
    "Dž": "Џ",
    "LJ": "Љ",
    "NJ": "Њ",
    "DŽ": "Џ",
}
_LETTERS = dict(
    zip(
        "abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ",
        "абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ",
        strict=True,
    )
)
# Placeholders, markup and entities must survive transliteration untouched.
_PROTECTED = re.compile(
    r"(%\([^)]+\)[sdif]|%[sdif]|\{[^}]*\}|<[^>]+>|&#?\w+;|https?://\S+"
    # codes and names kept in Latin script: TLP:AMBER+STRICT, H3, SHA-256, MEDIA_ROOT, FreeOTP
    r"|\b[A-Z][A-Z0-9_]*(?:[:+\-][A-Z0-9_]+)*\b(?<=[A-Z0-9_]{2})|\b[A-Z]\w*[A-Z]\w*\b)"
)
_WORD = re.compile(r"(Lj|LJ|lj|Nj|NJ|nj|Dž|DŽ|dž|.)", re.DOTALL)


def latin_to_cyrillic(text: str) -> str:
    """Serbian Latin → Serbian Cyrillic, leaving placeholders, tags and URLs as they are."""
    parts = _PROTECTED.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a protected match
            out.append(part)
            continue
        out.append("".join(_DIGRAPHS.get(ch, _LETTERS.get(ch, ch)) for ch in _WORD.findall(part)))
    return "".join(out)


def register_montenegrin() -> None:
    """Teach Django's language table about ``cnr`` (called from CoreConfig.ready)."""
    from django.conf.locale import LANG_INFO

    LANG_INFO.setdefault("cnr", CNR_INFO)


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def build_fallbacks() -> list[Path]:
    """Write sr, bs, hr, cnr catalogues from sr_Latn; keep entries a translator already made."""
    import polib

    source = polib.pofile(str(_po_path("sr_Latn")))
    written = []
    targets: dict[str, Callable[[str], str] | None] = dict.fromkeys(FROM_SERBIAN_LATIN)
    targets["sr"] = latin_to_cyrillic
    for lang, convert in targets.items():
        path = _po_path(lang)
        existing = polib.pofile(str(path)) if path.exists() else None
        own = {
            (e.msgctxt, e.msgid): e
            for e in (existing or [])
            if e.translated() and "fallback" not in (e.comment or "")
        }
        po = polib.POFile()
        po.metadata = dict(source.metadata)
        po.metadata["Language"] = lang
        for entry in source:
            if (entry.msgctxt, entry.msgid) in own:
                po.append(own[(entry.msgctxt, entry.msgid)])
                continue
            clone = polib.POEntry(
                msgid=entry.msgid,
                msgid_plural=entry.msgid_plural,
                msgctxt=entry.msgctxt,
                occurrences=entry.occurrences,
                flags=[f for f in entry.flags if f != "fuzzy"],
                comment="fallback: generated from sr_Latn by firstline.core.i18n",
            )
            conv = convert or (lambda s: s)
            clone.msgstr = conv(entry.msgstr)
            if entry.msgstr_plural:
                clone.msgstr_plural = {k: conv(v) for k, v in entry.msgstr_plural.items()}
            po.append(clone)
        path.parent.mkdir(parents=True, exist_ok=True)
        po.save(str(path))
        written.append(path)
    return written


def compile_all() -> list[Path]:
    """Compile every catalogue under LOCALE_DIR to .mo (no msgfmt needed)."""
    import polib

    compiled = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        compiled.append(mo_path)
    return compiled


def main() -> int:
    if not _po_path("sr_Latn").exists():
        sys.stderr.write("no Serbian Latin catalogue yet: run `make messages` first\n")
        return 1
    for path in build_fallbacks():
        sys.stdout.write(f"fallback {path.relative_to(LOCALE_DIR)}\n")
    for path in compile_all():
        sys.stdout.write(f"compiled {path.relative_to(LOCALE_DIR)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
