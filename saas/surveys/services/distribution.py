"""Getting a survey to the employees: the shared link with its QR code, and personal single-use links.

A personal token is never stored: it is an HMAC of a random salt under the application's secret key, so
the link can be sent again in a reminder, while the database holds only the token's SHA-256 (a copy of the
database alone can't answer in anyone's name).  Rotating SECRET_KEY ends the personal links in flight.
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
from sqlalchemy import select
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
_SPLIT = re.compile(r"[\s,;]+")
_email = validate.Email(error="Ugyldig e-postadresse.")


def invitation_token(invitation: SurveyInvitation) -> str:
    """The personal token of ``invitation`` (43 URL-safe characters), derived, never stored."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"survey-invitation:{invitation.survey_id}:{invitation.salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


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


def invite(session: Session, actor: User, tenant: Tenant, survey: Survey, emails: list[str], today: date) -> dict:
    """Send a personal single-use link to each address not invited before.  Returns {"sent", "skipped"}."""
    _check_sending(survey, today)
    already = set(session.scalars(select(SurveyInvitation.email).where(SurveyInvitation.survey_id == survey.id,
                                                                       SurveyInvitation.email.in_(emails))).all())
    sent = 0
    for address in emails:
        if address in already:
            continue
        invitation = SurveyInvitation(survey_id=survey.id, email=address, salt=secrets.token_hex(16), invited_on=today)
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


def remind(session: Session, actor: User, tenant: Tenant, survey: Survey, today: date) -> int:
    """Remind everyone invited who has not answered (at most once a day); returns how many were reminded."""
    _check_sending(survey, today)
    pending = session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.responded.is_(False),
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
    """How many personal links are out, and whether anyone can be reminded today.  How many have answered
    is not told: with few answers that count is itself an aggregate below k."""
    remindable = session.scalar(select(SurveyInvitation.id).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.responded.is_(False),
        (SurveyInvitation.reminded_on.is_(None)) | (SurveyInvitation.reminded_on < today)).limit(1))
    return dict(invited=survey.invited_count, remindable=remindable is not None)


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
