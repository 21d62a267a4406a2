"""The reviewer's queue: proposals waiting for a decision, oldest first, each with today's verdict in short
and who did the work."""
from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from saas.certification import labels
from saas.certification.models import CertificationProposal
from saas.certification.services.facts import gather_facts_bulk
from saas.clients.models import ClientCompany
from saas.hms import rules
from saas.hms.models import CertificationYear
from saas.tenants.models import User

PENDING = "pending"


@cache
def pending_count_query():
    """The number of proposals waiting for a decision, as a scalar subquery built once (the menu reads it
    together with the unread notifications on every page)."""
    return select(func.count(CertificationProposal.id)).where(CertificationProposal.status == PENDING).scalar_subquery()


def pending_count(session: Session) -> int:
    return session.scalar(select(pending_count_query())) or 0


def waiting(session: Session, today: date, limit: int = 200) -> list[dict]:
    """The pending proposals, oldest first, as plain data: company, year, proposed class (B-alt said so),
    when and by whom, the year's consultant, and today's verdict (eligible class, criteria not met).

    A constant number of queries whatever the number of proposals (the facts are gathered in bulk)."""
    proposer, consultant = aliased(User), aliased(User)
    rows = session.execute(
        select(CertificationProposal.id, CertificationProposal.year_id, CertificationProposal.cert_class,
               CertificationProposal.b_alternative, CertificationProposal.justification, CertificationProposal.eligible_class,
               CertificationProposal.proposed_at, proposer.name.label("proposer"), consultant.name.label("consultant"),
               ClientCompany.id.label("company_id"), ClientCompany.name.label("company"), CertificationYear.year)
        .join(CertificationYear, CertificationYear.id == CertificationProposal.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .join(proposer, proposer.id == CertificationProposal.proposed_by)
        .outerjoin(consultant, consultant.id == func.coalesce(CertificationYear.consultant_id, ClientCompany.consultant_id))
        .where(CertificationProposal.status == PENDING)
        .order_by(CertificationProposal.proposed_at, CertificationProposal.id).limit(limit)).all()
    facts = gather_facts_bulk(session, [r.year_id for r in rows], today)
    out = []
    for r in rows:
        verdict = rules.evaluate(facts[r.year_id]) if r.year_id in facts else None
        not_met = [c.id for c in verdict.criteria if c.outcome is rules.Outcome.NOT_MET and c.id != rules.B_ALT] if verdict else []
        eligible = verdict.eligible.value if verdict and verdict.eligible else None
        out.append(dict(
            id=r.id, year_id=r.year_id, company_id=r.company_id, company=r.company, year=r.year, cert_class=r.cert_class,
            b_alternative=r.b_alternative, justification=r.justification, proposed_at=r.proposed_at,
            days_waiting=(today - r.proposed_at.date()).days, proposer=r.proposer or "", consultant=r.consultant or "",
            eligible_class=eligible, eligible_label=labels.class_label(eligible), not_met=not_met,
            matches=eligible == r.cert_class or (r.b_alternative and eligible is not None),
        ))
    return out
