"""Bar charts drawn on the server as SVG: no script, the same picture in the page and the PDF.

Every chart carries its numbers as well, so the page shows a table (the text alternative)
under each picture; the SVG itself is labelled by its title for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b4f8a", "#2a7ab0", "#5d9ccf", "#8a6d00", "#b00020", "#3c7d3c", "#6b4c9a")
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
BAR_WIDTH = 300
VALUE_WIDTH = 60


@dataclass(frozen=True)
class Chart:
    """A titled list of (label, value) pairs, drawable as horizontal bars."""

    id: str
    title: str
    rows: tuple[tuple[str, int], ...]
    unit: str = ""

    @property
    def total(self) -> int:
        return sum(value for _, value in self.rows)

    @property
    def svg(self) -> SafeString:
        return mark_safe(bar_svg(self))  # noqa: S308  every text in it is escaped


def bar_svg(chart: Chart) -> str:
    rows = chart.rows or (("—", 0),)
    peak = max((value for _, value in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title_id = f"{chart.id}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{escape(title_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<title id="{escape(title_id)}">{escape(chart.title)}</title>',
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = round(BAR_WIDTH * value / peak)
        colour = PALETTE[index % len(PALETTE)]
        shown = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 7}" text-anchor="end" '
            f'fill="#1a1a1a">{escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(length, 1) if value else 0}" '
            f'height="{BAR_HEIGHT}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR_HEIGHT - 7}" '
            f'fill="#1a1a1a">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart(
    id: str, title: str, rows: list[tuple[str, int]] | tuple[tuple[str, int], ...], unit: str = ""
) -> Chart:
    return Chart(
        id=id, title=title, rows=tuple((str(label), int(v)) for label, v in rows), unit=unit
    )
