"""Every clock of audit-based certification, and the validity arithmetic of every scheme.

Pure: standard library only, dates in, deadlines and states out, "today" always an argument.  The
numbers come from the scheme's settings (saas.schemes.settings), passed in as plain values.
"""
from __future__ import annotations

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the target month lacks rolls over to the 1st of the next
    month (29 Feb + 12 months = 1 Mar), so "N months, both ends counted" ends the day before."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    try:
        return day.replace(year=year, month=month)
    except ValueError:
        return date(year + (month == 12), month % 12 + 1, 1)


def validity_end(issued_on: date, months: int) -> date:
    """The last valid day of something valid ``months`` months from ``issued_on``, both ends counted."""
    return add_months(issued_on, months) - timedelta(days=1)


def duration_label(months: int) -> str:
    """"12 måneder", "3 år", "4 år" (bokmål, as printed on a certificate)."""
    if months >= 24 and months % 12 == 0:
        return f"{months // 12} år"
    return f"{months} måneder" if months != 1 else "1 måned"
