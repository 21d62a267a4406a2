"""Enhetsregisteret (Brønnøysundregistrene): look up a company by organisation number to prefill the form.

The product must work when the register is unreachable, so every failure becomes a message and an empty
prefill, never an error page.  The answer is outside input: the body is size-limited, and only the fields
the form uses are taken, each checked for type, length and shape, and dropped when it does not fit.
CompanySchema still validates everything when the form is saved.
"""
from __future__ import annotations

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MSG_FOUND = "Opplysningene er hentet fra Enhetsregisteret. Kontroller dem før du lagrer."
MSG_NOT_FOUND = "Fant ikke organisasjonsnummeret i Enhetsregisteret."
MSG_DELETED = "Enheten er slettet fra Enhetsregisteret."
MSG_UNAVAILABLE = "Enhetsregisteret svarer ikke akkurat nå. Fyll inn opplysningene selv."
MSG_UNEXPECTED = "Enhetsregisteret ga et svar vi ikke forstår. Fyll inn opplysningene selv."
NOTE_EMPLOYEES_WITHHELD = "Enhetsregisteret oppgir ikke antall ansatte (under 5 ansatte vises ikke). Fyll inn antallet selv."
NOTE_BANKRUPT = "Merk: enheten er registrert konkurs."
NOTE_WINDING_UP = "Merk: enheten er under avvikling."

MAX_BODY = 512 * 1024  # one unit is a few kB; anything far larger is not an answer we asked for
_INDUSTRY = re.compile(r"\d{2}\.\d{1,3}")
_POSTCODE = re.compile(r"\d{4}")
_ORG_FORM = re.compile(r"[A-ZÆØÅ0-9]{1,10}")
# Field lengths of ClientCompany; a longer value from the register is cut, never stored whole.
LIMITS = {"name": 200, "address": 200, "city": 100, "postal_address": 300}


@dataclass(frozen=True)
class Lookup:
    found: bool
    message: str
    values: dict = field(default_factory=dict)  # CompanySchema field -> value, only fields that were usable


class _Unavailable(Exception):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The API answers directly; a redirect elsewhere is not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def lookup(org_number: str, base_url: str, timeout: float) -> Lookup:
    """Fetch ``{base_url}/enheter/{org_number}`` (a valid, normalised number) and map it to form values."""
    try:
        status, body = _get(f"{base_url.rstrip('/')}/enheter/{org_number}", timeout)
    except _Unavailable as error:
        log.warning("Enhetsregisteret unreachable for %s: %s", org_number, error)
        return Lookup(False, MSG_UNAVAILABLE)
    if status == 404:
        return Lookup(False, MSG_NOT_FOUND)
    if status == 410:
        deleted = _norwegian_date(_string(_json_or_none(body), "slettedato", 10))
        return Lookup(False, f"{MSG_DELETED} Slettet {deleted}." if deleted else MSG_DELETED)
    if status != 200:
        log.warning("Enhetsregisteret answered %s for %s", status, org_number)
        return Lookup(False, MSG_UNAVAILABLE)
    payload = _json_or_none(body)
    if not isinstance(payload, dict) or payload.get("organisasjonsnummer") != org_number:
        log.warning("Enhetsregisteret gave an unexpected body for %s", org_number)
        return Lookup(False, MSG_UNEXPECTED)
    values, notes = company_values(payload)
    if not values.get("name"):
        return Lookup(False, MSG_UNEXPECTED)
    return Lookup(True, " ".join([MSG_FOUND, *notes]), values)


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    """Status and body (at most MAX_BODY bytes, read within ``timeout`` in total).  Raises _Unavailable."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "hms-sertifisering/1.0"})
    deadline = time.monotonic() + timeout
    try:
        try:
            response = _opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error  # 404 and 410 carry an answer; the status decides what it means
        with response:
            status = response.status
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise _Unavailable("slow answer")
                chunk = response.read(16 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise _Unavailable("answer too large")
                chunks.append(chunk)
            return status, b"".join(chunks)
    # URLError (refused, DNS), TimeoutError and ConnectionError are all OSErrors; a broken HTTP answer
    # raises http.client's errors; a malformed base URL raises ValueError.
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise _Unavailable(repr(error)) from error


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def company_values(payload: dict) -> tuple[dict, list[str]]:
    """Map a unit from the register to CompanySchema fields; return (values, notes for the person)."""
    values: dict = {}
    notes: list[str] = []
    name = _string(payload, "navn", LIMITS["name"])
    if name:
        values["name"] = name
    # Codes are read whole (up to a sanity limit) and then checked: cutting first could make a wrong one fit.
    form_code = _string(payload.get("organisasjonsform"), "kode", 20)
    if form_code and _ORG_FORM.fullmatch(form_code):
        values["org_form"] = form_code
    industry = _string(payload.get("naeringskode1"), "kode", 20)
    if industry and _INDUSTRY.fullmatch(industry):
        values["industry_code"] = industry
    business = _address(payload.get("forretningsadresse"))
    postal = _address(payload.get("postadresse"))
    main = business or postal
    if main:
        values.update(address=main["street"][:LIMITS["address"]], postcode=main["postcode"], city=main["city"][:LIMITS["city"]])
    if business and postal and postal != business:
        values["postal_address"] = _one_line(postal)[:LIMITS["postal_address"]]
    employees = payload.get("antallAnsatte")
    if isinstance(employees, int) and not isinstance(employees, bool) and 0 <= employees <= 1_000_000:
        values["employee_count"] = employees
    elif employees is None:
        notes.append(NOTE_EMPLOYEES_WITHHELD)  # null means withheld (fewer than 5), not zero
    if payload.get("konkurs") is True:
        notes.append(NOTE_BANKRUPT)
    elif payload.get("underAvvikling") is True or payload.get("underTvangsavviklingEllerTvangsopplosning") is True:
        notes.append(NOTE_WINDING_UP)
    return values, notes


def _string(obj: object, key: str, limit: int) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]  # control characters and line breaks become single spaces


def _address(obj: object) -> dict | None:
    if not isinstance(obj, dict):
        return None
    lines = obj.get("adresse")
    street = ", ".join(" ".join(x.split())[:200] for x in lines[:5] if isinstance(x, str) and x.strip()) if isinstance(lines, list) else ""
    postcode = _string(obj, "postnummer", 20)
    if not _POSTCODE.fullmatch(postcode or ""):
        postcode = ""
    city = _string(obj, "poststed", 100)
    if not (street or postcode or city):
        return None
    return {"street": street, "postcode": postcode, "city": city}


def _one_line(address: dict) -> str:
    place = " ".join(p for p in (address["postcode"], address["city"]) if p)
    return ", ".join(p for p in (address["street"], place) if p)


def _norwegian_date(iso: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{match[3]}.{match[2]}.{match[1]}" if match else ""
