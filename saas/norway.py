"""Norwegian business helpers: organisation numbers, KID, money, dates and headcount rules.

Pure functions over plain values, standard library only. Error messages are Norwegian because
they reach the user unchanged (form errors, import reports); callers catch ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Literal

# --- Organisasjonsnummer -------------------------------------------------------------------

ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)

MSG_ORG_DIGITS = "Organisasjonsnummeret må ha 9 siffer."
MSG_ORG_CHECK = "Organisasjonsnummeret har feil kontrollsiffer."

# Every kind of space a pasted number may carry (regular, no-break, thin, narrow no-break).
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_NINE_DIGITS = re.compile(r"[0-9]{9}")


def org_number_check_digit(first_eight: str) -> int | None:
    """The MOD11 check digit for the first 8 digits, or None when none exists (remainder gives 10)."""
    if len(first_eight) != 8 or not first_eight.isascii() or not first_eight.isdigit():
        raise ValueError(MSG_ORG_DIGITS)
    remainder = sum(int(d) * w for d, w in zip(first_eight, ORG_NUMBER_WEIGHTS)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return None if check == 10 else check


def normalize_org_number(raw: str) -> str:
    """Return the 9 digits of an organisation number as typed or pasted by a person.

    Accepts spaces anywhere, a "NO" prefix and an "MVA" suffix in any case ("NO 974 760 673 MVA"),
    the forms that appear on Norwegian invoices. Raises ValueError with a Norwegian message.
    """
    if not isinstance(raw, str):
        raise ValueError(MSG_ORG_DIGITS)
    text = _SPACES.sub("", raw).upper()
    if text.startswith("NO"):
        text = text[2:]
    if text.endswith("MVA"):
        text = text[:-3]
    # isdigit() alone would accept other scripts' digits ("٩"); the regex keeps it to 0-9.
    if not _NINE_DIGITS.fullmatch(text):
        raise ValueError(MSG_ORG_DIGITS)
    if org_number_check_digit(text[:8]) != int(text[8]):
        raise ValueError(MSG_ORG_CHECK)
    return text


_NUMBER_SEARCH = re.compile(r"(?:NO)?[0-9][0-9.\-]*(?:MVA)?")


def org_number_searched(query: str) -> str | None:
    """The digits of ``query`` when it is an organisation number or a piece of one as people type and paste
    them ("923 456", "974.760.673", "NO 974 760 673 MVA"), else None: "Bedrift 01" names a company, it is
    not a number to look for."""
    text = _SPACES.sub("", query or "").upper()
    if not _NUMBER_SEARCH.fullmatch(text):
        return None
    return re.sub(r"[^0-9]", "", text.removeprefix("NO").removesuffix("MVA"))


def is_valid_org_number(raw: object) -> bool:
    try:
        normalize_org_number(raw)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def format_org_number(raw: str) -> str:
    """Group as "974 760 673" (regular spaces, as Brønnøysund prints it); normalises first."""
    return _grouped(normalize_org_number(raw))


def _grouped(digits: str) -> str:
    return f"{digits[0:3]} {digits[3:6]} {digits[6:9]}"


def display_org_number(value: str | None) -> str:
    """A stored organisation number as pages and documents show it: nine digits grouped "974 760 673" (a
    stored number was checked when it was saved: a list of 25 companies does not check each again), any other
    form grouped when it is a valid number, and shown as stored when it is not (never an error on a page)."""
    if value is None:
        return ""
    if len(value) == 9 and value.isascii() and value.isdigit():
        return _grouped(value)
    try:
        return format_org_number(value)
    except ValueError:  # stored before validation was strict: show it as stored
        return value


def generate_valid_org_numbers(seed_prefix: int, count: int) -> Iterator[str]:
    """Yield ``count`` valid organisation numbers whose digits start with ``seed_prefix``, in order.

    Deterministic, for demo and test data. Valid numbers may belong to real companies, so demo
    data should also be marked as such by name; the prefix only makes them easy to recognise.
    Raises ValueError at once for a bad prefix or count, and when iteration runs out of numbers
    under the prefix (an 8-digit prefix has at most one).
    """
    if seed_prefix < 0 or count < 0:
        raise ValueError("seed_prefix og count kan ikke være negative.")
    prefix = str(seed_prefix)
    if len(prefix) > 8:
        raise ValueError("seed_prefix kan ha høyst 8 siffer.")
    free = 8 - len(prefix)
    return _org_numbers_from(seed_prefix * 10**free, (seed_prefix + 1) * 10**free, count)


def _org_numbers_from(start: int, stop: int, count: int) -> Iterator[str]:
    produced = 0
    base = start
    while produced < count:
        if base == stop:
            raise ValueError(f"Prefikset gir ikke plass til {count} organisasjonsnumre.")
        first_eight = f"{base:08d}"
        check = org_number_check_digit(first_eight)
        # About one base in eleven has no check digit (remainder 1); skip it.
        if check is not None:
            produced += 1
            yield f"{first_eight}{check}"
        base += 1


# --- KID (kundeidentifikasjon on giro/invoice payments) -------------------------------------

KID_MIN_LENGTH = 2   # at least one digit plus the check digit
KID_MAX_LENGTH = 25  # the bank agreement (Nets/Mastercard Payment Services) limit

MSG_KID_BASE = "KID-grunnlaget kan bare inneholde siffer."


def _check_kid_base(base: str) -> None:
    if (
        not isinstance(base, str)
        or not base.isascii()
        or not base.isdigit()
        or not KID_MIN_LENGTH - 1 <= len(base) <= KID_MAX_LENGTH - 1
    ):
        raise ValueError(MSG_KID_BASE)


def _luhn_digit(base: str) -> int:
    total = 0
    # The rightmost base digit sits next to the check digit, so it is the one doubled.
    for i, ch in enumerate(reversed(base)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def _mod11_digit(base: str) -> int | None:
    """Weights 2,3,4,5,6,7,2,3,... from the right; None where the bank scheme would print "-"."""
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(base)))
    remainder = total % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def kid_mod10(base: str) -> str:
    """Append a MOD10 (Luhn) check digit: ``kid_mod10("7992739871") == "79927398713"``."""
    _check_kid_base(base)
    return f"{base}{_luhn_digit(base)}"


def kid_mod11(base: str) -> str:
    """Append a MOD11 check digit (weights 2..7 cycling from the right).

    Remainder 0 gives "0". Remainder 1 would give check 10, which the bank scheme writes as "-";
    many payers' banks reject such a KID, so this raises ValueError and the caller picks another
    base (e.g. the next invoice number) or uses ``kid_mod10`` instead.
    """
    _check_kid_base(base)
    check = _mod11_digit(base)
    if check is None:
        raise ValueError("Dette KID-grunnlaget gir kontrollsiffer «-» med MOD11. Velg et annet grunnlag.")
    return f"{base}{check}"


def is_valid_kid(kid: str, method: Literal["mod10", "mod11"] | None = None) -> bool:
    """True when ``kid`` (digits only, 2–25 long) carries a valid MOD10 or MOD11 check digit.

    ``method`` restricts the check to one algorithm; None accepts either, as a payer's bank does
    when it does not know which the payee agreed. A "-" check digit is never valid here.
    """
    if not isinstance(kid, str):
        return False
    kid = kid.strip()
    if not kid.isascii() or not kid.isdigit() or not KID_MIN_LENGTH <= len(kid) <= KID_MAX_LENGTH:
        return False
    base, check = kid[:-1], int(kid[-1])
    if method not in (None, "mod10", "mod11"):
        raise ValueError(f"Ukjent KID-metode: {method!r}")
    if method in (None, "mod10") and _luhn_digit(base) == check:
        return True
    return method in (None, "mod11") and _mod11_digit(base) == check


# --- Money and dates -----------------------------------------------------------------------

# U+00A0 NO-BREAK SPACE groups thousands and sits before "kr", so "1 250,00 kr" never wraps
# across lines in HTML or PDF. Norwegian typography prefers a thin space, but U+00A0 renders in
# every font we embed and is what spreadsheets and screen readers expect.
NBSP = "\u00a0"
# U+2212 MINUS SIGN: a real minus, as Norwegian typesetting uses, not the hyphen.
MINUS = "\u2212"


def format_money(ore: int) -> str:
    """Integer øre -> "1 250,00 kr" (NBSP as thousands separator and before "kr"); negative "−1 250,00 kr"."""
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise TypeError("Beløp må være et heltall i øre.")
    kroner, rest = divmod(abs(ore), 100)
    grouped = f"{kroner:,}".replace(",", NBSP)
    sign = MINUS if ore < 0 else ""
    return f"{sign}{grouped},{rest:02d}{NBSP}kr"


def format_date(d: date) -> str:
    """A date -> "22.11.2026". Pass a local (Europe/Oslo) date; a datetime is not converted here."""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


MSG_MONEY = "Ugyldig beløp. Skriv for eksempel 1 250,50."

# An integer part either plain ("1250") or grouped by spaces in threes ("1 250 000"), then an
# optional decimal part with comma or point, or the Norwegian ",-" for whole kroner ("1 250,-").
_MONEY = re.compile(
    r"(?P<sign>[-\u2212])?"
    r"(?P<int>[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)"
    r"(?:[.,](?P<dec>[0-9]{1,2})|,-)?"
)


def parse_money(text: str) -> int:
    """Parse an amount typed by a person into integer øre: "1 250,50" -> 125050.

    Accepts "1 250,50", "1250.50", "1250", "1 250,-", an optional "kr"/"NOK" before or after, and a
    leading minus. Refuses a point as thousands separator ("1.250,00") because "1.250" is ambiguous.
    Raises ValueError with a Norwegian message.
    """
    if not isinstance(text, str):
        raise ValueError(MSG_MONEY)
    cleaned = _SPACES.sub(" ", text).strip()
    cleaned = re.sub(r"^(?:kr\.?|nok)\s*|\s*(?:kr\.?|nok)$", "", cleaned, flags=re.IGNORECASE)
    match = _MONEY.fullmatch(cleaned.strip())
    if match is None:
        raise ValueError(MSG_MONEY)
    kroner = int(match["int"].replace(" ", ""))
    dec = match["dec"] or "0"
    ore = kroner * 100 + int(dec.ljust(2, "0"))
    return -ore if match["sign"] else ore


# --- Headcount rules (arbeidsmiljøloven, as changed 1 January 2024) --------------------------
# Headcount is the average over the last calendar year of people working 20+ hours a week; the
# caller computes it. These functions only apply the thresholds.

SAFETY_REPRESENTATIVE_REQUIRED_FROM = 5
AMU_ON_REQUEST_FROM = 10
AMU_REQUIRED_FROM = 30

AmuRequirement = Literal["required", "on_request", "not_required"]


def _check_headcount(employees: int) -> None:
    if isinstance(employees, bool) or not isinstance(employees, int):
        raise TypeError("Antall ansatte må være et heltall.")
    if employees < 0:
        raise ValueError("Antall ansatte kan ikke være negativt.")


def safety_representative_required(employees: int) -> bool:
    """A verneombud is required from 5 employees; below that a written agreement may replace it."""
    _check_headcount(employees)
    return employees >= SAFETY_REPRESENTATIVE_REQUIRED_FROM


def amu_required(employees: int) -> AmuRequirement:
    """AMU: "required" from 30, "on_request" (either side may demand one) from 10, else "not_required"."""
    _check_headcount(employees)
    if employees >= AMU_REQUIRED_FROM:
        return "required"
    if employees >= AMU_ON_REQUEST_FROM:
        return "on_request"
    return "not_required"
