"""Interface languages: complete catalogues for sq, sr-Latn and mk; fallbacks for the others."""

from __future__ import annotations

import re

import polib
import pytest
from django.test import Client

from firstline.core.i18n import LOCALE_DIR, latin_to_cyrillic

PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^}]*\}|<[^>]+>")


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", ["sq", "sr_Latn", "mk"])
def test_the_hand_translated_catalogues_are_complete(lang: str) -> None:
    po = catalogue(lang)
    assert len(po) > 1000
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


@pytest.mark.parametrize("lang", ["sq", "sr_Latn", "mk"])
def test_every_translation_keeps_its_placeholders_and_markup(lang: str) -> None:
    broken = []
    for entry in catalogue(lang):
        pairs = (
            [(entry.msgid, entry.msgstr)]
            if not entry.msgid_plural
            else [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        )
        for source, text in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                broken.append(entry.msgid)
    assert broken == []


def test_serbian_cyrillic_is_the_latin_catalogue_transliterated() -> None:
    latin = {e.msgid: e.msgstr for e in catalogue("sr_Latn") if not e.msgid_plural}
    cyrillic = {e.msgid: e.msgstr for e in catalogue("sr") if not e.msgid_plural}
    assert cyrillic == {k: latin_to_cyrillic(v) for k, v in latin.items()}


def test_transliteration_keeps_codes_placeholders_and_markup() -> None:
    assert latin_to_cyrillic("Ljubljana i Njegoš") == "Љубљана и Његош"
    assert (
        latin_to_cyrillic('Oznaka TLP:AMBER+STRICT, kod H3 <a href="x">%(name)s</a>')
        == 'Ознака TLP:AMBER+STRICT, код H3 <a href="x">%(name)s</a>'
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "Sign in"),
        ("sq", "Hyr"),
        ("sr-latn", "Prijava"),
        ("sr", "Пријава"),
        ("mk", "Најава"),
        ("bs", "Prijava"),  # falls back to Serbian Latin, which its readers understand
        ("hr", "Prijava"),
        ("cnr", "Prijava"),
    ],
)
def test_the_sign_in_page_speaks_each_regional_language(
    client: Client, db: None, code: str, expected: str
) -> None:
    response = client.post("/i18n/setlang/", {"language": code, "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert f'<html lang="{code}"' in page
    assert f"<h1>{expected}</h1>" in page


def test_slovenian_falls_back_to_english_for_our_own_text(client: Client, db: None) -> None:
    client.post("/i18n/setlang/", {"language": "sl", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="sl"' in page
    assert "<h1>Sign in</h1>" in page
