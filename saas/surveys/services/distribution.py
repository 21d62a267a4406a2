"""Getting a survey to the employees: personal single-use links by e-mail, and sheets of printed one-time
codes for the shared link (its QR code and poster).  Every answer needs one of them, unless the survey was
made with an open link.

A personal token or code is never stored: it is an HMAC of a random salt under the application's secret
key, so a link can be sent again in a reminder and a sheet printed again, while the database holds only a
SHA-256 (a copy of the database alone can't answer in anyone's name).  Rotating SECRET_KEY ends the links
and codes in flight.

In a survey with groups each invitation belongs to one group, and no group gets more invitations than its
headcount (ungrouped: the company's headcount), so no group can ever have more answers than people.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
from datetime import date

import segno
from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.auth import token_digest
from saas.mail import send_mail
from saas.schemas import FieldErrors
from saas.surveys.models import Survey, SurveyInvitation
from saas.surveys.services.surveys import survey_link
from saas.tenants.models import Tenant, User

MAX_INVITATIONS_PER_SEND = 2000
MAX_CODES_PER_SHEET = 500
# Crockford's base32: no I, L, O or U, so a code read from paper is typed right.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits: guessing one of a thousand codes takes about 10^12 tries
_CODE_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SPLIT = re.compile(r"[\s,;]+")
_email = validate.Email(error="Ugyldig e-postadresse.")


def invitation_token(invitation: SurveyInvitation) -> str:
    """The personal token of ``invitation`` (43 URL-safe characters), derived, never stored."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"survey-invitation:{invitation.survey_id}:{invitation.salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def invitation_code(invitation: SurveyInvitation) -> str:
    """The printed code of a code invitation, ``XXXXX-XXXXX``, derived like a personal token."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"survey-code:{invitation.survey_id}:{invitation.salt}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(mac[:8], "big")
    chars = "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))
    return f"{chars[:5]}-{chars[5:]}"


def normalize_code(text: str | None) -> str | None:
    """The code as typed (any case, spaces and dashes, O for 0, I or L for 1) in its stored form; None when
    it can't be a code."""
    plain = "".join((text or "")[:40].split()).replace("-", "").upper().translate(_CODE_TYPOS)
    if len(plain) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in plain):
        return None
    return plain


def code_digest(survey_id: int, code: str) -> str:
    return token_digest(f"survey-code:{survey_id}:{code}")


def _group_of(survey: Survey, group_id: int | None):
    """The survey's group ``group_id``; FieldErrors when the survey has groups and this isn't one of them."""
    if not survey.groups:
        return None
    group = next((g for g in survey.groups if g.id == group_id), None)
    if group is None:
        raise FieldErrors({"group_id": "Velg hvilken gruppe invitasjonene gjelder."})
    return group


def headcount(survey: Survey, group) -> int | None:
    """How many people may be invited: the group's employee count, or the company's for an ungrouped survey."""
    return group.employee_count if group is not None else survey.year.company.employee_count


def _check_room(session: Session, survey: Survey, group, wanted: int) -> None:
    """FieldErrors unless ``wanted`` more invitations fit the group's (or company's) headcount."""
    limit = headcount(survey, group)
    if limit is None:
        return
    issued = session.scalar(select(func.count(SurveyInvitation.id)).where(
        SurveyInvitation.survey_id == survey.id,
        SurveyInvitation.group_id == group.id if group is not None else SurveyInvitation.id.isnot(None))) or 0
    if issued + wanted > limit:
        where = f"gruppen «{group.name}»" if group is not None else "bedriften"
        raise FieldErrors({"group_id" if group is not None else "emails":
                           f"{where[0].upper() + where[1:]} har {limit} ansatte, og {issued} invitasjoner er allerede gitt. "
                           f"Det er plass til {max(limit - issued, 0)} til."})


def personal_link(invitation: SurveyInvitation) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/s/{invitation_token(invitation)}"


def parse_emails(text: str) -> list[str]:
    """Distinct addresses in ``text`` (lower-cased, in order); FieldErrors {"emails"} names the bad ones."""
    found, bad = [], []
    for raw in _SPLIT.split(text or ""):
        address = raw.strip().strip("<>").lower()
        if not address:
            continue
        try:
            _email(address)
        except ValidationError:
            bad.append(raw)
            continue
        if address not in found:
            found.append(address)
    if bad:
        shown = ", ".join(bad[:10]) + (f" og {len(bad) - 10} til" if len(bad) > 10 else "")
        raise FieldErrors({"emails": f"Ugyldige e-postadresser: {shown}."})
    if not found:
        raise FieldErrors({"emails": "Skriv minst én e-postadresse."})
    if len(found) > MAX_INVITATIONS_PER_SEND:
        raise FieldErrors({"emails": f"Maks {MAX_INVITATIONS_PER_SEND} adresser om gangen."})
    return found


def _mail_context(tenant: Tenant, survey: Survey, link: str) -> dict:
    return dict(tenant_name=tenant.name, company_name=survey.year.company.name, title=survey.title,
                closes_on=survey.closes_on.strftime("%d.%m.%Y"), link=link)


def _check_sending(survey: Survey, today: date) -> None:
    if survey.status != "open" or survey.closes_on < today:
        raise FieldErrors({"emails": "Personlige lenker kan bare sendes mens undersøkelsen er publisert og ikke har passert sluttdatoen."})


def _lock_survey(session: Session, survey: Survey) -> None:
    # Two sends at once must not both fit into the same room under the headcount.
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())


def invite(session: Session, actor: User, tenant: Tenant, survey: Survey, emails: list[str], today: date,
           group_id: int | None = None) -> dict:
    """Send a personal single-use link to each address not invited before, for group ``group_id`` (required
    when the survey has groups).  Returns {"sent", "skipped"}.  FieldErrors when the survey isn't taking
    answers, the group is missing, or the addresses don't fit the group's headcount."""
    _check_sending(survey, today)
    group = _group_of(survey, group_id)
    _lock_survey(session, survey)
    already = set(session.scalars(select(SurveyInvitation.email).where(SurveyInvitation.survey_id == survey.id,
                                                                       SurveyInvitation.email.in_(emails))).all())
    _check_room(session, survey, group, len([a for a in emails if a not in already]))
    sent = 0
    for address in emails:
        if address in already:
            continue
        invitation = SurveyInvitation(survey_id=survey.id, email=address, salt=secrets.token_hex(16), invited_on=today,
                                      kind="email", group_id=group.id if group is not None else None)
        invitation.token_hash = token_digest(invitation_token(invitation))
        try:
            with session.begin_nested():  # a parallel send to the same address loses here, not with a 500
                session.add(invitation)
                session.flush()
        except IntegrityError:
            continue
        send_mail(session, address, f"Spørreundersøkelse: {survey.title}", "survey_invitation", tenant_id=tenant.id,
                  **_mail_context(tenant, survey, personal_link(invitation)))
        sent += 1
    survey.invited_count += sent
    session.flush()
    record(session, actor, "survey.invited", survey, survey.title, sent=sent, skipped=len(emails) - sent)
    return {"sent": sent, "skipped": len(emails) - sent}


def issue_codes(session: Session, actor: User, survey: Survey, count: int, today: date, group_id: int | None = None) -> int:
    """Make a sheet of ``count`` one-time codes for the shared link, for group ``group_id`` (required when
    the survey has groups); returns the sheet's number.  FieldErrors when the survey isn't taking answers,
    has no shared link, or the codes don't fit the group's headcount."""
    _check_sending(survey, today)
    if not survey.shared_link:
        raise FieldErrors({"count": "Undersøkelsen har ingen felles lenke. Slå den på, eller send personlige lenker."})
    if not 1 <= count <= MAX_CODES_PER_SHEET:
        raise FieldErrors({"count": f"Velg mellom 1 og {MAX_CODES_PER_SHEET} koder."})
    group = _group_of(survey, group_id)
    _lock_survey(session, survey)
    _check_room(session, survey, group, count)
    batch = (session.scalar(select(func.max(SurveyInvitation.batch)).where(SurveyInvitation.survey_id == survey.id)) or 0) + 1
    made, clashes = 0, 0
    while made < count:
        invitation = SurveyInvitation(survey_id=survey.id, kind="code", batch=batch, salt=secrets.token_hex(16),
                                      invited_on=today, group_id=group.id if group is not None else None)
        invitation.token_hash = code_digest(survey.id, normalize_code(invitation_code(invitation)))
        try:
            with session.begin_nested():  # two codes alike (one in 2^50): draw again
                session.add(invitation)
                session.flush()
        except IntegrityError:
            clashes += 1
            if clashes > 10:  # not a clash of random codes, then: let it surface
                raise
            continue
        made += 1
    survey.invited_count += count
    session.flush()
    record(session, actor, "survey.codes_issued", survey, survey.title, batch=batch, count=count,
           group=group.name if group is not None else None)
    return batch


def code_sheets(session: Session, survey: Survey) -> list[dict]:
    """The survey's code sheets: number, group and how many codes (never how many are used)."""
    names = {g.id: g.name for g in survey.groups}
    rows = session.execute(select(SurveyInvitation.batch, SurveyInvitation.group_id, func.count(SurveyInvitation.id))
                           .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.kind == "code")
                           .group_by(SurveyInvitation.batch, SurveyInvitation.group_id).order_by(SurveyInvitation.batch)).all()
    return [dict(batch=batch, group=names.get(group_id), count=count) for batch, group_id, count in rows]


def code_sheet(session: Session, survey: Survey, batch: int) -> dict | None:
    """One sheet to print: every code on it, used or not (which ones are used is nobody's business)."""
    rows = session.scalars(select(SurveyInvitation).where(SurveyInvitation.survey_id == survey.id,
                                                          SurveyInvitation.kind == "code", SurveyInvitation.batch == batch)
                           .order_by(SurveyInvitation.id)).all()
    if not rows:
        return None
    names = {g.id: g.name for g in survey.groups}
    return dict(batch=batch, group=names.get(rows[0].group_id), codes=[invitation_code(r) for r in rows])


def remind(session: Session, actor: User, tenant: Tenant, survey: Survey, today: date) -> int:
    """Remind everyone invited by e-mail who has not answered (at most once a day); returns how many."""
    _check_sending(survey, today)
    pending = session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.responded.is_(False), SurveyInvitation.kind == "email",
        (SurveyInvitation.reminded_on.is_(None)) | (SurveyInvitation.reminded_on < today))
        .order_by(SurveyInvitation.id)).all()
    for invitation in pending:
        send_mail(session, invitation.email, f"Påminnelse: {survey.title}", "survey_reminder", tenant_id=tenant.id,
                  **_mail_context(tenant, survey, personal_link(invitation)))
        invitation.reminded_on, invitation.reminder_count = today, invitation.reminder_count + 1
    session.flush()
    record(session, actor, "survey.reminded", survey, survey.title, reminded=len(pending))
    return len(pending)


def invitation_counts(session: Session, survey: Survey, today: date) -> dict:
    """How many personal links are out (codes are counted on their sheets), and whether anyone can be reminded today.  How many have answered
    is not told: with few answers that count is itself an aggregate below k."""
    remindable = session.scalar(select(SurveyInvitation.id).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.responded.is_(False), SurveyInvitation.kind == "email",
        (SurveyInvitation.reminded_on.is_(None)) | (SurveyInvitation.reminded_on < today)).limit(1))
    personal = session.scalar(select(func.count(SurveyInvitation.id)).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.kind == "email")) or 0
    return dict(invited=personal, remindable=remindable is not None)


def qr_svg(survey: Survey) -> str:
    """The shared link as a QR code (SVG markup, for the page and posters)."""
    out = io.BytesIO()
    segno.make(survey_link(survey), error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True,
                                                    title="QR-kode til undersøkelsen")
    return out.getvalue().decode()


def qr_png(survey: Survey) -> bytes:
    out = io.BytesIO()
    segno.make(survey_link(survey), error="m").save(out, kind="png", scale=12, border=2)
    return out.getvalue()


def qr_data_uri(survey: Survey) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(survey)).decode()
