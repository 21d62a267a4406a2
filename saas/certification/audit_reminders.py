"""Daily reminders for the audit-based schemes' clocks, each sent once (claimed in SentReminder):

* a case clock that is due soon or overdue, to whoever it waits for (the company's contacts, or the
  lead auditor, or else the tenant's admins);
* the next surveillance audit of a certificate coming due or overdue, to the admins;
* each recertification warning (seed 000: apply at the latest 3 months before expiry), to the
  company's contacts; past the deadline, the notice of withdrawal, to the contacts and the admins;
* when the notice's own deadline has passed with no application, the withdrawal itself: the certificate
  is withdrawn (once), the company and the admins are told;
* scheme certificates past their last day are stored as expired.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audits import clocks
from saas.audits.models import AuditCase
from saas.audits.services import overview
from saas.certification import programme, scheme_certificates
from saas.tenants.services import each_tenant
from saas.certification.reminders import _claim
from saas.clients.models import ContactPerson
from saas.jobs import job
from saas.mail import send_mail
from saas.norway import format_date
from saas.scheduler import daily_job
from saas.tenants.models import Role, Tenant, User, UserRole


def _link(tenant: Tenant, endpoint: str, **values) -> str:
    path = current_app.url_map.bind("localhost").build(endpoint, {"slug": tenant.slug, **values})
    return current_app.config["PUBLIC_BASE_URL"] + path


def _contacts(session: Session, company_id: int) -> list[tuple[str, str]]:
    rows = session.execute(select(ContactPerson.id, ContactPerson.email, ContactPerson.name)
                           .where(ContactPerson.company_id == company_id).order_by(ContactPerson.id)).all()
    return [(f"contact:{r.id}", r.email) for r in rows if r.email]


def _admins(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(User.id, User.email).join(UserRole, UserRole.user_id == User.id)
                           .where(UserRole.role == Role.ADMIN.value, User.active.is_(True)).order_by(User.id)).all()
    return [(f"user:{r.id}", r.email) for r in rows]


def _send(session, tenant, key, people, subject, lines, link) -> int:
    sent = 0
    for suffix, email in people:
        if _claim(session, f"{key}:{suffix}"):
            send_mail(session, email, subject, "audit_reminder", tenant_id=tenant.id, tenant_name=tenant.name,
                      lines=lines, link=link)
            sent += 1
    return sent


def send_for_tenant(session: Session, tenant: Tenant, today: date) -> int:
    """Send the bound tenant's due audit reminders; returns the number of e-mails sent."""
    sent = 0
    admins = _admins(session)
    open_cases = session.scalars(select(AuditCase).where(AuditCase.closed_on.is_(None),
                                                         AuditCase.refused_on.is_(None))).all()
    for case in open_cases:
        for clock in overview.case_clocks(case, today):
            if clock.state not in (clocks.DUE_SOON, clocks.OVERDUE):
                continue
            if clock.party == clocks.CLIENT:
                people = _contacts(session, case.company_id)
            else:
                lead = next((m for m in case.team if m.role == "lead_auditor" and m.removed_on is None), None)
                user = session.get(User, lead.user_id) if lead else None
                people = [(f"user:{user.id}", user.email)] if user else admins
            state = "forfalt" if clock.state == clocks.OVERDUE else "snart"
            sent += _send(session, tenant, f"audit:{case.id}:{clock.key}:{clock.state}", people,
                          f"{case.company.name}: {clock.label} – frist {format_date(clock.due)}",
                          [f"Sak {case.id}: {case.scheme.name}", f"{clock.label}: frist {format_date(clock.due)} ({state})."],
                          _link(tenant, "audits.case", case_id=case.id))
    page = programme.programme(session, today)
    for row in page["rows"]:
        if not row["certificate_id"]:
            continue
        link = _link(tenant, "programme.scheme_certificate", scheme_certificate_id=row["certificate_id"])
        if row["next_state"] in (clocks.DUE_SOON, clocks.OVERDUE):
            sent += _send(session, tenant, f"surveillance:{row['certificate_id']}:{row['next_due']}:{row['next_state']}",
                          admins, f"{row['company_name']}: oppfølgingsrevisjon senest {format_date(row['next_due'])}",
                          [f"{row['scheme_name']}, sertifikat {row['number']}.",
                           f"Neste oppfølgingsrevisjon må holdes senest {format_date(row['next_due'])}."], link)
        if row["recert_state"] == clocks.NOTICE and row["withdrawal_on"] and today >= row["withdrawal_on"]:
            # The notice's deadline has passed without an application: the withdrawal is carried out.
            withdrawn = scheme_certificates.withdraw_after_notice(session, row["certificate_id"], today)
            if withdrawn is not None:
                sent += _send(session, tenant, f"recert-withdrawn:{row['certificate_id']}", admins,
                              f"{row['company_name']}: sertifikat {row['number']} er trukket tilbake",
                              [f"{row['scheme_name']}, sertifikat {row['number']}.",
                               scheme_certificates.WITHDRAWN_AFTER_NOTICE], link)
            continue
        if row["recert_state"] in ("warn", "notice"):
            recert_key = "notice" if row["recert_state"] == "notice" else "warn"
            people = _contacts(session, row["company_id"]) + (admins if recert_key == "notice" else [])
            lines = [f"{row['scheme_name']}, sertifikat {row['number']}, gyldig til {format_date(row['valid_until'])}."]
            if recert_key == "notice":
                scheme_certificates.give_withdrawal_notice(session, row["certificate_id"], today)
                withdrawal_on = row["withdrawal_on"] or min(today + timedelta(days=row["withdrawal_notice_days"]),
                                                            row["valid_until"] + timedelta(days=1))
                lines.append(f"Søknad om resertifisering skulle vært sendt innen {format_date(row['apply_by'])}. "
                             "Dette er varsel om tilbaketrekking av sertifiseringen.")
                lines.append(f"Kommer ikke søknaden, trekkes sertifiseringen tilbake {format_date(withdrawal_on)}.")
                key = f"recert-notice:{row['certificate_id']}"
            else:
                lines.append(f"Søk om resertifisering senest {format_date(row['apply_by'])}.")
                # One e-mail per warning threshold reached (e.g. 90, 30 and 7 days before the deadline).
                key = f"recert:{row['certificate_id']}:{row['apply_by']}:{row['recert_warning']}"
            sent += _send(session, tenant, key, people, f"{row['company_name']}: resertifisering", lines, link)
    return sent


@daily_job
@job
def send_audit_reminders(session: Session, today_iso: str) -> int:
    """Expire past scheme certificates and e-mail the due audit reminders (each once); returns e-mails sent."""
    today = date.fromisoformat(today_iso)
    total = 0
    for tenant in each_tenant(session):
        scheme_certificates.expire_due(session, today)
        total += send_for_tenant(session, tenant, today)
    return total
