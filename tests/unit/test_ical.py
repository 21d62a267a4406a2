"""The hand-written iCalendar: CRLF lines folded at 75 octets, escaped text, all-day events.  Pure."""
from datetime import date, datetime, timezone

from saas.calendar.ical import Event, calendar, escape, fold


def test_text_is_escaped():
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "æøå" * 40
    folded = fold(line)
    pieces = folded.split("\r\n ")
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert "".join(pieces) == line


def test_an_all_day_event():
    text = calendar("Kari; kalender", [Event("action-7@hms", date(2026, 12, 24), "Verkstedet AS: Nødlys, trapp",
                                             "Tiltaksfrist", "https://x/t/a/actions/7")],
                    datetime(2026, 12, 6, 6, 0, tzinfo=timezone.utc))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261225\r\n" in text
    assert "SUMMARY:Verkstedet AS: Nødlys\\, trapp\r\n" in text and "X-WR-CALNAME:Kari\\; kalender" in text
    assert "DTSTAMP:20261206T060000Z" in text and "UID:action-7@hms" in text
