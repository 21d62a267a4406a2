"""Renewal reminders: before a certificate ends, its company's contact persons and consultant get an
e-mail, once per certificate and person.

When: from ``renewal_reminder_days`` (tenant setting, default 60) before the last valid day.  Who: each
contact person of the company (the login's address when the contact has an active login, else the
contact's own e-mail) and the company's consultant; one e-mail per address.  Never twice: each is
claimed first under the key ``renewal:<certificate>:user:<id>`` or ``renewal:<certificate>:contact:<id>``
in SentReminder (unique per tenant, claimed in a savepoint), so a second run, or two runs at once,
send nothing new.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.certification.models import Certificate
from saas.certification.services.certificates import ACTIVE
from saas.clients.models import ClientCompany, ContactPerson
from saas.hms.models import SentReminder
from saas.mail import send_mail
from saas.norway import format_date
from saas.tenants.models import DEFAULT_TENANT_SETTINGS, Tenant, User


def _link(tenant: Tenant, certificate_id: int) -> str:
    # A job has no request to build URLs from: build the path from the URL map and prefix the public base.
    path = current_app.url_map.bind("localhost").build(
        "certification.certificate", {"slug": tenant.slug, "certificate_id": certificate_id})
    return current_app.config["PUBLIC_BASE_URL"] + path


def _recipients(session: Session, certificates) -> dict[int, list[tuple[str, str, str, bool]]]:
    """By company id: (key suffix, e-mail, name, has login) of each person to remind, one per address."""
    company_ids = {c.company_id for c, _ in certificates}
    by_company: dict[int, list[tuple[str, str, str, bool]]] = {i: [] for i in company_ids}
    contacts = session.execute(
        select(ContactPerson.id, ContactPerson.company_id, ContactPerson.name, ContactPerson.email,
               ContactPerson.user_id, User.email.label("user_email"), User.active)
        .outerjoin(User, User.id == ContactPerson.user_id)
        .where(ContactPerson.company_id.in_(company_ids)).order_by(ContactPerson.id)).all()
    for c in contacts:
        if c.user_id is not None and c.active:
            by_company[c.company_id].append((f"user:{c.user_id}", c.user_email, c.name, True))
        elif c.email:
            by_company[c.company_id].append((f"contact:{c.id}", c.email, c.name, False))
    consultants = {company.consultant_id for _, company in certificates if company.consultant_id}
    users = {u.id: u for u in session.execute(
        select(User.id, User.email, User.name, User.active).where(User.id.in_(consultants))).all()}
    for _, company in certificates:
        user = users.get(company.consultant_id)
        if user is not None and user.active:
            by_company[company.id].append((f"user:{user.id}", user.email, user.name, True))
    for company_id, people in by_company.items():
        seen: set[str] = set()
        by_company[company_id] = [p for p in people if not (p[1].lower() in seen or seen.add(p[1].lower()))]
    return by_company


def _claim(session: Session, key: str) -> bool:
    """True when this run is the first to claim ``key`` (a savepoint keeps a clash from ending the run)."""
    try:
        with session.begin_nested():
            session.add(SentReminder(key=key))
            session.flush()
        return True
    except IntegrityError:
        return False


def send_for_tenant(session: Session, tenant: Tenant, today: date) -> int:
    """Send the bound tenant's due renewal reminders; returns the number of e-mails sent."""
    days = tenant.setting("renewal_reminder_days") or DEFAULT_TENANT_SETTINGS["renewal_reminder_days"]
    due = session.execute(
        select(Certificate, ClientCompany).join(ClientCompany, ClientCompany.id == Certificate.company_id)
        .where(Certificate.state == ACTIVE, Certificate.valid_until >= today,
               Certificate.valid_until <= today + timedelta(days=int(days)), ClientCompany.archived_at.is_(None))
        .order_by(Certificate.valid_until, Certificate.id)).all()
    if not due:
        return 0
    recipients = _recipients(session, due)
    sent = 0
    for certificate, company in due:
        for suffix, email, name, has_login in recipients[company.id]:
            if not _claim(session, f"renewal:{certificate.id}:{suffix}"):
                continue
            send_mail(session, email, f"Sertifikatet til {company.name} utløper {format_date(certificate.valid_until)}",
                      "renewal_reminder", tenant_id=tenant.id, name=name, company_name=company.name,
                      tenant_name=tenant.name, number=certificate.number, cert_class=certificate.cert_class,
                      valid_until=format_date(certificate.valid_until), days_left=(certificate.valid_until - today).days,
                      link=_link(tenant, certificate.id) if has_login else "")
            sent += 1
    return sent
