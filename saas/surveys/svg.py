"""Server-rendered SVG charts of survey results, for the results page and the PDF report.

Pure: standard library only.  Inputs are the already k-suppressed numbers of a report (a suppressed row
has ``score`` None and is drawn as a grey "hidden" row); every text is escaped here, so the returned
markup can be embedded as it is.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

COLOURS = {"good": "#1b7f4b", "medium": "#b7791f", "bad": "#b42318"}
MUTED = "#8a94a3"
TRACK = "#e6e9ef"
INK = "#1d2430"
# One shade per answer option, first (scores 100 unless reversed) to last.
OPTION_SHADES = ("#1f4e79", "#4f7eab", "#9bb4cc", "#d5dde6", "#f2f4f7")

LABEL_W, BAR_X, BAR_W, ROW_H = 230, 240, 300, 30


def _fmt(number: float) -> str:
    return f"{number:.0f}"


def dimension_chart(rows: Sequence[dict[str, Any]], hidden_text: str = "Skjult", legend: dict[str, str] | None = None) -> str:
    """Horizontal 0–100 bars, one per dimension.

    ``rows``: {"label", "score" (None when suppressed), "n", "colour", "reference" (last year's score or
    None), "company" (the whole company's score or None)}.  The reference is drawn as a dark tick, the
    company as a dashed tick.  ``legend`` names the two markers.
    """
    height = ROW_H * len(rows) + 34
    width = BAR_X + BAR_W + 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(legend.get("title", "") if legend else "")}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
    ]
    for x in (0, 25, 50, 75, 100):
        gx = BAR_X + BAR_W * x / 100
        parts.append(f'<line x1="{gx:.1f}" y1="4" x2="{gx:.1f}" y2="{height - 26}" stroke="{TRACK}" stroke-width="1"/>')
        parts.append(f'<text x="{gx:.1f}" y="{height - 12}" text-anchor="middle" fill="{MUTED}" font-size="10">{x}</text>')
    for i, row in enumerate(rows):
        y = 6 + i * ROW_H
        label = escape(str(row.get("label", "")))
        short = label if len(row.get("label", "")) <= 34 else escape(str(row["label"])[:33]) + "…"
        parts.append(f'<text x="{LABEL_W}" y="{y + 15}" text-anchor="end" fill="{INK}"><title>{label}</title>{short}</text>')
        parts.append(f'<rect x="{BAR_X}" y="{y + 4}" width="{BAR_W}" height="14" rx="3" fill="{TRACK}"/>')
        score = row.get("score")
        if score is None:
            parts.append(f'<text x="{BAR_X + 8}" y="{y + 15}" fill="{MUTED}" font-style="italic">{escape(hidden_text)}</text>')
            continue
        colour = COLOURS.get(row.get("colour"), MUTED)
        parts.append(f'<rect x="{BAR_X}" y="{y + 4}" width="{BAR_W * float(score) / 100:.1f}" height="14" rx="3" fill="{colour}"/>')
        for key, dash in (("reference", ""), ("company", ' stroke-dasharray="3,2"')):
            value = row.get(key)
            if value is not None:
                mx = BAR_X + BAR_W * float(value) / 100
                parts.append(f'<line x1="{mx:.1f}" y1="{y}" x2="{mx:.1f}" y2="{y + 22}" stroke="{INK}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{BAR_X + BAR_W + 8}" y="{y + 15}" fill="{INK}" font-weight="bold">{_fmt(float(score))}</text>')
        parts.append(f'<text x="{BAR_X + BAR_W + 40}" y="{y + 15}" fill="{MUTED}">n={int(row.get("n") or 0)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def distribution_bar(counts: Sequence[int] | None, options: Sequence[str], hidden_text: str = "Skjult") -> str:
    """A 100 % stacked bar of one item's answers (option counts first to last); grey when hidden."""
    width, height = 300, 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'font-family="DejaVu Sans, Arial, sans-serif" font-size="10">']
    total = sum(counts) if counts else 0
    if not counts or total == 0:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" rx="3" fill="{TRACK}"/>')
        parts.append(f'<text x="6" y="13" fill="{MUTED}" font-style="italic">{escape(hidden_text)}</text></svg>')
        return "".join(parts)
    x = 0.0
    for position, count in enumerate(counts):
        if not count:
            continue
        w = width * count / total
        label = escape(f"{options[position] if position < len(options) else position}: {count}")
        fill = OPTION_SHADES[position % len(OPTION_SHADES)]
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{fill}"><title>{label}</title></rect>')
        if w >= 22:
            ink = "#fff" if position < 2 else INK
            parts.append(f'<text x="{x + w / 2:.1f}" y="13" text-anchor="middle" fill="{ink}">{round(100 * count / total)}%</text>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def option_legend(labels: Sequence[str]) -> str:
    """The shade of each answer position, first to last; ``labels[i]`` names the options at position i
    (scales differ, so one label may list several, e.g. "Alltid / I svært stor grad")."""
    height = 20 * len(labels) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 {height}" width="100%" '
             f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">']
    for i, label in enumerate(labels):
        y = 4 + i * 20
        parts.append(f'<rect x="0" y="{y}" width="14" height="14" fill="{OPTION_SHADES[i % len(OPTION_SHADES)]}" stroke="{MUTED}" stroke-width="0.5"/>')
        parts.append(f'<text x="22" y="{y + 11}" fill="{INK}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
