"""Complaints and appeals for every scheme, the HMS-sertifikat included (seed 000 § 7.13).

Received from the public (the form on the verification page) or registered by staff; acknowledged to
the sender; assessed for relevance; handled and decided by people not involved in the certification
the complaint concerns, and the decider not the handler; the outcome told to the sender; statistics
per year.  Nothing is deleted.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.audits.models import AuditCase
from saas.audits.services.audit import involved
from saas.certification.complaint_models import Complaint
from saas.certification.models import Certificate, CertificationDecision
from saas.certification.scheme_models import SchemeCertificate
from saas.mail import send_mail
from saas.schemas import FieldErrors
from saas.schemes.impartiality import impartiality_problem
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant, User


class ComplaintNotFound(LookupError):
    pass


class ComplaintRefused(Exception):
    pass


STATUS_LABELS = {"received": "Mottatt", "acknowledged": "Bekreftet mottatt", "assessed": "Vurdert",
                 "handled": "Behandlet", "decided": "Avgjort", "told": "Avgjort og svar sendt"}


def status(c: Complaint) -> str:
    if c.outcome_told_on:
        return "told"
    if c.decided_on:
        return "decided"
    if c.handling_note:
        return "handled"
    if c.relevant is not None:
        return "assessed"
    return "acknowledged" if c.acknowledged_on else "received"


def receive_public(session: Session, code: str, data: dict, today: date) -> Complaint | None:
    """A complaint from the verification page about the certificate with ``code`` (any scheme): stored
    with the certificate's tenant, and acknowledged by e-mail at once.  None for an unknown code."""
    with platform_access(session):
        hms = session.execute(select(Certificate.tenant_id, Certificate.company_id, Certificate.number)
                              .where(Certificate.verification_code == code)).first()
        scheme = None if hms else session.execute(
            select(SchemeCertificate.tenant_id, SchemeCertificate.company_id, SchemeCertificate.number,
                   SchemeCertificate.scheme_id).where(SchemeCertificate.verification_code == code)).first()
    row = hms or scheme
    if row is None:
        return None
    bind_tenant(session, row.tenant_id)
    tenant = session.get(Tenant, row.tenant_id)
    complaint = Complaint(kind=data.get("kind") or "complaint", company_id=row.company_id, certificate_ref=row.number,
                          scheme_id=getattr(row, "scheme_id", None), from_public=True, from_name=data["name"].strip(),
                          from_email=data["email"].strip(), text=data["text"].strip(), received_on=today,
                          acknowledged_on=today)
    session.add(complaint)
    session.flush()
    send_mail(session, complaint.from_email, f"Vi har mottatt {'klagen' if complaint.kind == 'complaint' else 'anken'} din",
              "complaint_received", tenant_id=tenant.id, name=complaint.from_name, tenant_name=tenant.name,
              number=complaint.certificate_ref, reference=complaint.id)
    record(session, None, "complaint.received", complaint, complaint.certificate_ref)
    return complaint


def register(session: Session, actor: User, data: dict, today: date) -> Complaint:
    """A complaint or appeal registered by staff (from a client or by letter)."""
    complaint = Complaint(kind=data["kind"], company_id=data.get("company_id"), certificate_ref=data.get("certificate_ref") or "",
                          scheme_id=data.get("scheme_id"), from_public=False, from_name=data["name"].strip(),
                          from_email=data["email"].strip(), text=data["text"].strip(), received_on=today)
    session.add(complaint)
    session.flush()
    record(session, actor, "complaint.registered", complaint)
    return complaint


def get(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFound(complaint_id)
    return complaint


def _involved_problem(session: Session, complaint: Complaint, user: User, today: date) -> str | None:
    """Why ``user`` may not handle or decide the complaint: tied to the company, or involved in the
    certification it concerns (the audit case's people, or who decided the HMS certificate)."""
    if complaint.company_id is not None:
        problem = impartiality_problem(session, user.id, complaint.company_id, today)
        if problem:
            return problem
    if complaint.certificate_ref:
        scheme_cert = session.scalar(select(SchemeCertificate).where(SchemeCertificate.number == complaint.certificate_ref))
        if scheme_cert is not None:
            case = session.get(AuditCase, scheme_cert.case_id)
            if user.id in involved(session, case) | {case.reviewed_by, case.decided_by}:
                return "Personen var involvert i sertifiseringen klagen gjelder."
        hms = session.scalar(select(Certificate).where(Certificate.number == complaint.certificate_ref))
        if hms is not None:
            decider = session.scalar(select(CertificationDecision.decided_by).where(CertificationDecision.id == hms.decision_id))
            if user.id in (decider, hms.issued_by):
                return "Personen var involvert i sertifiseringen klagen gjelder."
    return None


def act(session: Session, actor: User, complaint: Complaint, action: str, data: dict, today: date) -> Complaint:
    """acknowledge / assess (relevant, note) / handle (note; the handler is the actor) / decide (outcome) /
    tell (the outcome to the sender).  Raises FieldErrors, ComplaintRefused."""
    note = (data.get("note") or "").strip()
    if action == "acknowledge":
        if complaint.acknowledged_on is None:
            complaint.acknowledged_on = today
            send_mail(session, complaint.from_email, "Vi har mottatt henvendelsen din", "complaint_received",
                      tenant_id=complaint.tenant_id, name=complaint.from_name,
                      tenant_name=session.get(Tenant, complaint.tenant_id).name, number=complaint.certificate_ref,
                      reference=complaint.id)
    elif action == "assess":
        if data.get("relevant") is None:
            raise FieldErrors({"relevant": "Ta stilling til om klagen er relevant for sertifiseringen."})
        complaint.relevant, complaint.assessment = bool(data["relevant"]), note
    elif action == "handle":
        if complaint.relevant is None:
            raise ComplaintRefused("Klagen må vurderes først.")
        problem = _involved_problem(session, complaint, actor, today)
        if problem:
            raise ComplaintRefused(problem)
        if len(note) < 5:
            raise FieldErrors({"note": "Beskriv behandlingen."})
        complaint.handler_id, complaint.handling_note = actor.id, note
    elif action == "decide":
        if not complaint.handling_note:
            raise ComplaintRefused("Klagen må behandles før den avgjøres.")
        if actor.id == complaint.handler_id:
            raise ComplaintRefused("Avgjørelsen tas av en annen enn den som behandlet klagen.")
        problem = _involved_problem(session, complaint, actor, today)
        if problem:
            raise ComplaintRefused(problem)
        if len(note) < 5:
            raise FieldErrors({"note": "Skriv avgjørelsen."})
        complaint.decided_by, complaint.decided_on, complaint.outcome = actor.id, today, note
    elif action == "tell":
        if complaint.decided_on is None:
            raise ComplaintRefused("Klagen er ikke avgjort.")
        if complaint.outcome_told_on is None:
            complaint.outcome_told_on = today
            send_mail(session, complaint.from_email, "Resultatet av henvendelsen din", "complaint_outcome",
                      tenant_id=complaint.tenant_id, name=complaint.from_name, outcome=complaint.outcome,
                      tenant_name=session.get(Tenant, complaint.tenant_id).name, reference=complaint.id)
    else:
        raise FieldErrors({"action": "Ugyldig handling."})
    record(session, actor, f"complaint.{action}", complaint, note[:300])
    return complaint


def open_extraordinary_audit(session: Session, actor: User, complaint: Complaint, reason: str, today: date,
                             planned_on: date | None = None) -> AuditCase:
    """A complaint's decision leads to an extraordinary audit of the certified company it concerns (its newest
    live certificate of an audit-based scheme): the case names the complaint, and the complaint lists the
    case.  Raises ComplaintRefused, FieldErrors, saas.audits.services.Refused."""
    from saas.audits.services import cases as audit_cases

    if complaint.decided_on is None:
        raise ComplaintRefused("Klagen må være avgjort før en ekstraordinær revisjon opprettes.")
    query = (select(SchemeCertificate).where(SchemeCertificate.company_id == complaint.company_id,
                                             SchemeCertificate.state.in_(("active", "suspended")))
             .order_by(SchemeCertificate.id.desc()).limit(1))
    if complaint.scheme_id is not None:
        query = query.where(SchemeCertificate.scheme_id == complaint.scheme_id)
    certificate = session.scalar(query) if complaint.company_id is not None else None
    if certificate is None:
        raise ComplaintRefused("Klagen gjelder ingen bedrift med gyldig sertifikat i en revisjonsbasert ordning.")
    origin = session.get(AuditCase, certificate.case_id)
    case = audit_cases.open_extraordinary(
        session, actor, company_id=certificate.company_id, scheme_id=certificate.scheme_id, reason=reason,
        today=today, certificate_id=certificate.id, complaint_id=complaint.id,
        scope_ids=[s["id"] for s in certificate.scopes], sub_units=origin.sub_units if origin else [],
        planned_on=planned_on)
    record(session, actor, "complaint.extraordinary_audit", complaint, f"sak {case.id}")
    return case


def audits_for(session: Session, complaint_id: int) -> list[dict]:
    """The extraordinary audits opened after this complaint's decision."""
    rows = session.scalars(select(AuditCase).where(AuditCase.complaint_id == complaint_id).order_by(AuditCase.id))
    return [dict(id=k.id, reason=k.reason, closed=bool(k.closed_on or k.refused_on), decision=k.decision)
            for k in rows]


def complaint_dict(c: Complaint, users: dict) -> dict:
    return dict(id=c.id, kind=c.kind, kind_label="Klage" if c.kind == "complaint" else "Anke",
                certificate_ref=c.certificate_ref, from_public=c.from_public, from_name=c.from_name,
                from_email=c.from_email, text=c.text, received_on=c.received_on, acknowledged_on=c.acknowledged_on,
                relevant=c.relevant, assessment=c.assessment, handler=users.get(c.handler_id, ""),
                handling_note=c.handling_note, decided_by=users.get(c.decided_by, ""), decided_on=c.decided_on,
                outcome=c.outcome, outcome_told_on=c.outcome_told_on, status=status(c),
                status_label=STATUS_LABELS[status(c)])


def listing(session: Session) -> tuple[list[dict], list[dict]]:
    """Every complaint (newest first) and the statistics per year: received, relevant, decided, told,
    by kind."""
    rows = session.scalars(select(Complaint).order_by(Complaint.received_on.desc(), Complaint.id.desc())).all()
    users = {u.id: u.name for u in session.scalars(select(User))}
    stats: dict[int, Counter] = {}
    for c in rows:
        counter = stats.setdefault(c.received_on.year, Counter())
        counter[c.kind] += 1
        counter["relevant"] += bool(c.relevant)
        counter["decided"] += c.decided_on is not None
        counter["told"] += c.outcome_told_on is not None
    return ([complaint_dict(c, users) for c in rows],
            [dict(year=y, complaints=s["complaint"], appeals=s["appeal"], relevant=s["relevant"], decided=s["decided"],
                  told=s["told"]) for y, s in sorted(stats.items(), reverse=True)])
