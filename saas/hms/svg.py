"""The risk heat map as a server-rendered SVG: pure string building, standard library only.

Takes the plain dict of ``saas.hms.risk.heatmap`` (counts and colours indexed [p-1][c-1]) and draws the
grid as it is printed on paper: highest probability on top, consequence 1..n left to right, each cell
coloured by the matrix the hazards were scored on and showing how many hazards sit in it. Every piece of
text that comes from a tenant (labels, the title) is escaped, so the markup is safe to embed as is.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

FILL = {"green": "#5cb85c", "yellow": "#f0c419", "red": "#d9534f"}
TEXT = {"green": "#ffffff", "yellow": "#222222", "red": "#ffffff"}
# The words drawn in the map, bokmål by default; a caller passes the user's language (``words=``).
WORDS_NB = {"probability": "Sannsynlighet", "consequence": "Konsekvens", "hazards": "farer",
            "green": "grønn", "yellow": "gul", "red": "rød"}

CELL = 44
LEFT = 34     # room for the probability numbers and the axis name
BOTTOM = 34   # room for the consequence numbers and the axis name
TOP = 8


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def heatmap_svg(data: Mapping, probability_labels: Sequence[str] = (), consequence_labels: Sequence[str] = (),
                title: str = "Risikokart", words: Mapping[str, str] | None = None) -> str:
    """An ``<svg>`` element for one heat map; cells without hazards stay coloured but show no number.

    ``probability_labels``/``consequence_labels`` are the levels' names, used in each cell's tooltip;
    missing names fall back to the level number.  ``words`` replaces any of ``WORDS_NB`` (the axis
    names, "farer" and the colour names) with the user's language.
    """
    w = {**WORDS_NB, **(words or {})}
    probability, consequence, hazards = w["probability"], w["consequence"], w["hazards"]
    counts: Sequence[Sequence[int]] = data["counts"]
    colours: Sequence[Sequence[str]] = data["colours"]
    n_p = len(colours)
    n_c = len(colours[0]) if n_p else 0
    width, height = LEFT + n_c * CELL + 2, TOP + n_p * CELL + BOTTOM
    total = data.get("total", sum(sum(row) for row in counts))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{_attr(title)}: {total} {_attr(hazards)}">',
        f"<title>{escape(title)}</title>",
    ]
    for p in range(n_p, 0, -1):  # printed with the highest probability on top
        y = TOP + (n_p - p) * CELL
        parts.append(f'<text x="{LEFT - 8}" y="{y + CELL // 2 + 4}" text-anchor="end" font-size="12">{p}</text>')
        for c in range(1, n_c + 1):
            colour = colours[p - 1][c - 1]
            count = counts[p - 1][c - 1]
            x = LEFT + (c - 1) * CELL
            tooltip = (f"{probability} {p} ({_label(probability_labels, p)}) × {consequence.lower()} {c} "
                       f"({_label(consequence_labels, c)}): {w.get(colour, colour)}, {count} {hazards}")
            parts.append(
                f'<g data-p="{p}" data-c="{c}" data-count="{count}"><title>{escape(tooltip)}</title>'
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{FILL.get(colour, "#cccccc")}" '
                f'stroke="#ffffff" stroke-width="2"/>'
            )
            if count:
                parts.append(f'<text x="{x + CELL // 2}" y="{y + CELL // 2 + 5}" text-anchor="middle" font-size="15" '
                             f'font-weight="bold" fill="{TEXT.get(colour, "#222222")}">{count}</text>')
            parts.append("</g>")
    base = TOP + n_p * CELL
    for c in range(1, n_c + 1):
        parts.append(f'<text x="{LEFT + (c - 1) * CELL + CELL // 2}" y="{base + 14}" text-anchor="middle" font-size="12">{c}</text>')
    parts.append(f'<text x="{LEFT + n_c * CELL // 2}" y="{base + 29}" text-anchor="middle" font-size="11">{escape(consequence)}</text>')
    parts.append(f'<text x="10" y="{TOP + n_p * CELL // 2}" text-anchor="middle" font-size="11" '
                 f'transform="rotate(-90 10 {TOP + n_p * CELL // 2})">{escape(probability)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label(labels: Sequence[str], level: int) -> str:
    return labels[level - 1] if 0 < level <= len(labels) and labels[level - 1] else str(level)
