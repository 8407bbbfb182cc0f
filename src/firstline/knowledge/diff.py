"""A readable diff of two versions: per field, line by line, words marked with <del> and <ins>.

The result is an HTML table (caption, column and row headers) that a screen reader can walk;
removed and added words also carry visually hidden "removed"/"added" words, because most screen
readers do not announce <del> and <ins> by themselves. All text is escaped here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.knowledge.content import fields_for
from firstline.knowledge.models import ItemVersion

_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

METADATA_LABELS = {
    "tlp": gettext_lazy("TLP"),
    "classification": gettext_lazy("Classification"),
    "scope": gettext_lazy("Sharing scope"),
    "networks": gettext_lazy("Networks"),
    "country": gettext_lazy("Country"),
    "year": gettext_lazy("Year"),
    "approach": gettext_lazy("Approach"),
    "target_groups": gettext_lazy("Target groups"),
    "related": gettext_lazy("Related items"),
    "presented_at": gettext_lazy("Presented at"),
    "presented_at_url": gettext_lazy("Presented at (link)"),
}


@dataclass
class FieldChange:
    name: str
    label: str
    rows: list[tuple[str, str]]  # (old html, new html) per line


def _mark(tag: str, text: str) -> str:
    hidden = _("removed:") if tag == "del" else _("added:")
    return f'<{tag}><span class="visually-hidden">{escape(hidden)} </span>{escape(text)}</{tag}>'


def _words(old: str, new: str) -> tuple[str, str]:
    """One changed line: words removed from ``old`` and added in ``new`` marked up."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape("".join(a[i1:i2])))
            right.append(escape("".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(_mark("del", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(_mark("ins", "".join(b[j1:j2])))
    return "".join(left), "".join(right)


def _lines(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    rows: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend((escape(line), escape(line)) for line in a[i1:i2])
        elif op == "replace":
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                o = olds[k] if k < len(olds) else ""
                n = news[k] if k < len(news) else ""
                rows.append(_words(o, n))
        elif op == "delete":
            rows.extend((_mark("del", line), "") for line in a[i1:i2])
        else:
            rows.extend(("", _mark("ins", line)) for line in b[j1:j2])
    return rows


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def changes(old: ItemVersion, new: ItemVersion) -> list[FieldChange]:
    """The fields that differ between two versions, in reading order."""
    out: list[FieldChange] = []
    if old.title != new.title:
        out.append(FieldChange("title", _("Title"), _lines(old.title, new.title)))
    for spec in fields_for(new.item.kind):
        a = str(old.fields.get(spec.name, ""))
        b = str(new.fields.get(spec.name, ""))
        if a != b:
            out.append(FieldChange(spec.name, str(spec.label), _lines(a, b)))
    for key, label in METADATA_LABELS.items():
        a, b = _text(old.metadata.get(key)), _text(new.metadata.get(key))
        if a != b:
            out.append(FieldChange(key, str(label), _lines(a, b)))
    return out


def render_table(old: ItemVersion, new: ItemVersion) -> SafeString:
    """The diff as an accessible HTML table."""
    found = changes(old, new)
    caption = _("Changes from version %(old)s (%(old_lang)s) to version %(new)s (%(new_lang)s)") % {
        "old": old.number,
        "old_lang": old.language,
        "new": new.number,
        "new_lang": new.language,
    }
    if not found:
        return format_html('<p class="diff-none">{}</p>', _("The two versions are the same."))
    body: list[str] = []
    for change in found:
        # one <tbody> per field, so the field's header can span it as a row group
        rows = change.rows or [("", "")]
        body.append("<tbody>")
        for index, (left, right) in enumerate(rows):
            header = ""
            if index == 0:
                header = f'<th scope="rowgroup" rowspan="{len(rows)}">{escape(change.label)}</th>'
            body.append(f"<tr>{header}<td>{left}</td><td>{right}</td></tr>")
        body.append("</tbody>")
    html = (
        '<div class="table-wrap"><table class="diff">'
        f"<caption>{escape(caption)}</caption>"
        "<thead><tr>"
        f'<th scope="col">{escape(_("Field"))}</th>'
        f'<th scope="col">{escape(_("Version %(n)s") % {"n": old.number})}</th>'
        f'<th scope="col">{escape(_("Version %(n)s") % {"n": new.number})}</th>'
        "</tr></thead>" + "".join(body) + "</table></div>"
    )
    return mark_safe(html)  # noqa: S308  every piece of text above went through escape()
