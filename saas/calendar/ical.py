"""iCalendar (RFC 5545) text for all-day events, written by hand: standard library only, plain data in.

Lines end in CRLF and are folded at 75 octets; text values escape backslash, semicolon, comma and newline.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone


@dataclass(frozen=True)
class Event:
    uid: str
    on: date
    summary: str
    description: str = ""
    url: str = ""
    category: str = ""


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces joined by CRLF + space, never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with the space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def calendar(name: str, events, stamp: datetime) -> str:
    """A VCALENDAR with one all-day VEVENT per event; ``stamp`` is the DTSTAMP of every event (UTC)."""
    dtstamp = stamp.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//HMS-sertifisering//Kalender//NO", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}", "X-WR-TIMEZONE:Europe/Oslo"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{dtstamp}",
                  f"DTSTART;VALUE=DATE:{event.on.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(event.on + timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{escape(event.summary)}", "TRANSP:TRANSPARENT"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        if event.category:
            lines.append(f"CATEGORIES:{escape(event.category)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
