"""What a graded finding becomes in the action plan: its title, deadline and who is responsible by default.

Pure: standard library only, "today" comes in.  The tenant chooses the days and the responsible person per
grade (``Tenant.settings["finding_defaults"]``); these are the defaults (seed 000 §7: a serious nonconformity
gets a short deadline, a minor one a longer one, an observation none).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

GRADES = ("serious", "minor", "observation")
# Who is responsible by default: the company's contact person, the year's consultant, or nobody yet.
RESPONSIBLE_CHOICES = ("contact", "consultant", "")
DEFAULTS = {
    "serious_deadline_days": 14, "minor_deadline_days": 60, "observation_deadline_days": None,
    "serious_responsible": "contact", "minor_responsible": "contact", "observation_responsible": "",
}
TITLE_MAX = 300


@dataclass(frozen=True)
class FindingDefaults:
    deadline: date | None
    responsible: str  # one of RESPONSIBLE_CHOICES


def settings_with_defaults(stored: dict | None) -> dict:
    """The tenant's stored finding settings over the defaults (unknown keys dropped)."""
    stored = stored or {}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def defaults_for(grade: str | None, settings: dict | None, today: date) -> FindingDefaults:
    """The deadline (``today`` + the grade's days, or None) and the responsible choice for a finding."""
    values = settings_with_defaults(settings)
    if grade not in GRADES:
        return FindingDefaults(None, "")
    days = values[f"{grade}_deadline_days"]
    deadline = today + timedelta(days=int(days)) if days else None
    return FindingDefaults(deadline, values[f"{grade}_responsible"] or "")


def finding_title(item_text: str, comment: str | None) -> str:
    """The action's title: what was found (the comment's first line), else "Avvik: <checklist item>".

    The checklist item is phrased as the condition that should hold ("Gulv ... er jevne"), so on its own it
    reads as if nothing were wrong; the prefix says it is the deviation from it.
    """
    first_line = next((line.strip() for line in (comment or "").splitlines() if line.strip()), "")
    title = first_line or f"Avvik: {item_text.strip()}"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"
