"""The certification page of a year as plain data: verdict, attestations, proposals, decisions, certificate,
and what the person looking may do there."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from saas.certification import labels
from saas.certification.models import Attestation, Certificate, CertificationDecision, CertificationProposal
from saas.certification.services.certificates import certificate_dict
from saas.certification import impartiality
from saas.certification.services.decisions import PENDING, PROPOSERS, get_year
from saas.certification.services.facts import REFS_SHOWN, verdict_for_year
from saas.hms.rules import CertClass
from saas.tenants.models import Role, Tenant, User


def client_verdict(verdict: dict) -> dict:
    """Only what a client contact sees: the class within reach and, in plain words, what is missing."""
    return {key: verdict[key] for key in ("year_id", "year", "company_id", "company_name", "as_of", "eligible",
                                         "eligible_label", "next_class", "next_class_label")} | {
        "missing_for_next": [dict(id=c["id"], title=c["title"], client_step=c["client_step"], reason=c["reason"])
                             for c in verdict["missing_for_next"]],
    }


def _names(session: Session, user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def year_page(session: Session, tenant: Tenant, user: User, year_id: int, today: date) -> dict:
    """Everything the year's certification page shows.  Raises NotFound (unknown year, or a client
    contact's view of another company's year)."""
    year = get_year(session, user, year_id)
    verdict = verdict_for_year(session, year.id, today, linked=REFS_SHOWN)
    certificate = session.scalar(select(Certificate).where(Certificate.year_id == year.id)
                                 .options(selectinload(Certificate.company)))
    page = dict(year_id=year.id, year=year.year, company_id=year.company_id, company_name=verdict["company_name"],
                status=year.status, today=today,
                certificate=certificate_dict(certificate, today) if certificate else None)
    if not user.is_staff:
        return page | {"verdict": client_verdict(verdict)}

    attestations = session.scalars(select(Attestation).where(Attestation.year_id == year.id)
                                   .order_by(Attestation.on.desc(), Attestation.id.desc())).all()
    names = _names(session, [a.by_user_id for a in attestations])
    proposals = year_proposals(session, year.id)
    pending = next((p for p in proposals if p["status"] == PENDING), None)
    undecided = certificate is None and year.status != "closed"
    eligible_rank = CertClass(verdict["eligible"]).rank if verdict["eligible"] else 0
    return page | dict(
        verdict=verdict,
        attestations=[dict(id=a.id, kind=a.kind, kind_label=labels.ATTESTATION_LABELS[a.kind], note=a.note, on=a.on,
                           by=names.get(a.by_user_id, ""), by_user_id=a.by_user_id) for a in attestations],
        proposals=proposals,
        pending=pending,
        can_propose=undecided and pending is None and user.has_role(*PROPOSERS),
        # (value, label), the highest first: the form offers nothing above what the rules allow today.
        proposable_classes=[(c.value, labels.class_label(c.value)) for c in reversed(CertClass) if c.rank <= eligible_rank],
        attestation_kinds=[(kind, labels.ATTESTATION_LABELS[kind]) for kind, roles in
                           (("a4", PROPOSERS), ("a_plus_2", (Role.REVIEWER,))) if undecided and user.has_role(*roles)],
        decide=_decide_box(session, tenant, user, year, pending, verdict) if pending else None,
    )


def year_proposals(session: Session, year_id: int) -> list[dict]:
    """The year's proposals, newest first, each with its decision (None while it waits) as plain data."""
    proposals = session.scalars(select(CertificationProposal).where(CertificationProposal.year_id == year_id)
                                .order_by(CertificationProposal.id.desc())).all()
    decisions = {d.proposal_id: d for d in session.scalars(
        select(CertificationDecision).where(CertificationDecision.year_id == year_id))}
    names = _names(session, [p.proposed_by for p in proposals] + [p.closed_by for p in proposals]
                   + [d.decided_by for d in decisions.values()])
    return [_proposal(p, decisions.get(p.id), names) for p in proposals]


def _proposal(p: CertificationProposal, decision: CertificationDecision | None, names: dict) -> dict:
    return dict(
        id=p.id, cert_class=p.cert_class, b_alternative=p.b_alternative, justification=p.justification,
        eligible_class=p.eligible_class, status=p.status, status_label=labels.PROPOSAL_STATUS_LABELS[p.status],
        proposed_by=names.get(p.proposed_by, ""), proposed_by_id=p.proposed_by, proposed_at=p.proposed_at,
        closed_by=names.get(p.closed_by, ""), closed_at=p.closed_at, close_reason=p.close_reason,
        decision=dict(id=decision.id, outcome=decision.outcome, cert_class=decision.cert_class,
                      eligible_class=decision.eligible_class, ruleset_version=decision.ruleset_version,
                      facts_sha256=decision.facts_sha256, decided_on=decision.decided_on,
                      decided_by=names.get(decision.decided_by, ""), reason=decision.reason) if decision else None,
    )


def _decide_box(session: Session, tenant: Tenant, user: User, year, pending: dict, verdict: dict) -> dict:
    """Whether this user may decide the waiting proposal, and if not, why (shown instead of the form)."""
    if not user.has_role(Role.REVIEWER):
        others = [u.name for u in impartiality.impartial_reviewers(session, year)]
        return dict(allowed=False, reason="Forslaget venter på beslutning av en sertifiseringsansvarlig.", others=others,
                    invite_external=not others, can_invite=user.has_role(Role.ADMIN))
    reasons = impartiality.conflicts(session, year, user)
    if reasons:
        others = [u.name for u in impartiality.impartial_reviewers(session, year)]
        return dict(allowed=False, reason=impartiality.refusal(reasons), others=others,
                    # Nobody in the tenant may decide: a small provider invites an outside reviewer.
                    invite_external=not others, can_invite=user.has_role(Role.ADMIN))
    warnings = []
    eligible_rank = CertClass(verdict["eligible"]).rank if verdict["eligible"] else 0
    if not pending["b_alternative"] and CertClass(pending["cert_class"]).rank > eligible_rank:
        warnings.append(f"Reglene gir i dag {verdict['eligible_label'].lower()}: klasse {pending['cert_class']} kan ikke godkjennes nå.")
    if pending["cert_class"] == CertClass.A_PLUS.value:
        a_plus_2 = next((c for c in verdict["criteria"] if c["id"] == "A+2"), None)
        mine = any(r["kind"] == "user" and r["id"] == user.id for r in (a_plus_2 or {}).get("refs", []))
        if not mine:
            warnings.append("Klasse A+ krever at du selv bekrefter A+2 før du godkjenner.")
    return dict(allowed=True, reason="", warnings=warnings)
