"""Attestations, proposals and decisions: from "the rules say A" to an issued certificate.

The consultant proposes a class no higher than the rules allow today, or "B for other reasons" (B-alt)
with a written justification.  A reviewer approves (a certificate is issued) or sends it back with a
reason.  At decision time the rules are evaluated again on today's records: nobody can decide a class
above the eligible one.  The decision stores the class, the ruleset version, the facts as JSON and
their SHA-256.

Impartiality is a rule, not a setting (seed 000 §7.5–7.6, ISO/IEC 17021-1 5.2): whoever did the year's
work, proposed it or is tied to the client cannot decide it, whatever their roles.  The rule is
``impartiality.conflicts``; ``decide`` refuses with its reasons.  The A+2 attestation is by definition the
deciding person's own, so it does not count.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.certification import impartiality, labels, snapshot
from saas.certification.impartiality import worked_on  # noqa: F401  (callers of decisions.worked_on)
from saas.certification.models import (Attestation, Certificate, CertificationDecision, CertificationProposal,
                                       ProposalStatus)
from saas.certification.services import Conflict, NotFound, Refused
from saas.certification.services.certificates import issue_certificate
from saas.certification.services.facts import gather_facts
from saas.clients import services as clients
from saas.db import utcnow
from saas.hms import rules
from saas.hms.models import CertificationYear
from saas.schemas import FieldErrors
from saas.tenants.models import Role, Tenant, User

PENDING, APPROVED, RETURNED, WITHDRAWN = (s.value for s in ProposalStatus)
PROPOSERS = (Role.CONSULTANT, Role.ADMIN)
B_ALT_MIN_LENGTH = 20


def get_year(session: Session, user: User, year_id: int) -> CertificationYear:
    """The year if the user may see it (staff: any of the tenant's; client contacts: their companies')."""
    year = session.scalar(select(CertificationYear).where(CertificationYear.id == year_id))
    if year is None:
        raise NotFound(year_id)
    if not user.is_staff:
        clients.get_company(session, user, year.company_id)
    return year


def _undecided_year(session: Session, user: User, year_id: int) -> CertificationYear:
    year = get_year(session, user, year_id)
    if session.scalar(select(Certificate.id).where(Certificate.year_id == year.id)) is not None:
        raise Refused(f"Det er allerede utstedt sertifikat for {year.year}.")
    if year.status == "closed":
        raise Refused(f"Året {year.year} er avsluttet.")
    return year


def _require(actor: User, roles, message: str) -> None:
    if not actor.has_role(*roles):
        raise Refused(message)


# -- attestations ----------------------------------------------------------------------------------------

def attest(session: Session, actor: User, year_id: int, data: dict, today: date) -> Attestation:
    """Record an A4 attestation (consultant or admin) or an A+2 attestation (reviewer, who is then the
    one who can decide A+).  Raises NotFound, Refused or FieldErrors (empty note, date in the future)."""
    year = _undecided_year(session, actor, year_id)
    if data["kind"] == "a4":
        _require(actor, PROPOSERS, "Bare en HMS-rådgiver kan bekrefte A4.")
    else:
        _require(actor, (Role.REVIEWER,), "Bare en sertifiseringsansvarlig kan bekrefte A+2.")
    on = data.get("on") or today
    if on > today:
        raise FieldErrors({"on": "Datoen kan ikke være fram i tid."})
    attestation = Attestation(year_id=year.id, kind=data["kind"], note=data["note"].strip(), by_user_id=actor.id, on=on)
    session.add(attestation)
    session.flush()
    record(session, actor, f"attestation.{data['kind']}", attestation, f"{year.year}: {attestation.note}"[:500],
           year_id=year.id)
    return attestation


# -- proposals -------------------------------------------------------------------------------------------

def _class_problem(wanted: rules.CertClass, verdict: rules.Verdict) -> str | None:
    """Why ``wanted`` cannot be given on this verdict, or None when it can."""
    if verdict.eligible is not None and wanted.rank <= verdict.eligible.rank:
        return None
    needed = {rules.CertClass.B: rules.B_CRITERIA,
              rules.CertClass.A: (*rules.B_CRITERIA, *rules.A_CRITERIA),
              rules.CertClass.A_PLUS: (*rules.B_CRITERIA, *rules.A_CRITERIA, *rules.A_PLUS_CRITERIA)}[wanted]
    missing = ", ".join(c.id for c in verdict.criteria if c.id in needed and not c.holds)
    now = f"bare kravene til klasse {verdict.eligible.value}" if verdict.eligible else "ikke kravene til noen klasse"
    return f"Bedriften oppfyller {now}, ikke klasse {wanted.value}. Mangler: {missing}."


def propose(session: Session, actor: User, year_id: int, data: dict, today: date) -> CertificationProposal:
    """Propose a class for the year (``cert_class``), or B for other reasons (``b_alternative`` with a
    ``justification``).  Raises NotFound, FieldErrors, Refused (above the eligible class) or Conflict
    (a proposal is already waiting)."""
    _require(actor, PROPOSERS, "Bare en HMS-rådgiver kan foreslå en klasse.")
    year = _undecided_year(session, actor, year_id)
    b_alt = bool(data.get("b_alternative"))
    justification = (data.get("justification") or "").strip()
    if b_alt and len(justification) < B_ALT_MIN_LENGTH:
        raise FieldErrors({"justification": f"Skriv en begrunnelse på minst {B_ALT_MIN_LENGTH} tegn for klasse B av andre grunner."})
    wanted = rules.CertClass.B if b_alt else rules.CertClass(data["cert_class"])
    if _pending(session, year.id) is not None:
        raise Conflict("Det finnes allerede et forslag som venter på beslutning for dette året.")
    facts = gather_facts(session, year.id, today,
                         b_alternative=rules.BAlternative(justification, actor.id) if b_alt else None)
    verdict = rules.evaluate(facts)
    if b_alt and not verdict.used_b_alternative:
        if verdict.eligible is not None:
            raise Refused(f"Bedriften oppfyller kravene til klasse {verdict.eligible.value} uten unntak. "
                          "Foreslå klassen uten begrunnelse for klasse B av andre grunner.")
        raise Refused(verdict.criterion(rules.B_ALT).reason)
    problem = None if b_alt else _class_problem(wanted, verdict)
    if problem:
        raise Refused(problem)
    proposal = CertificationProposal(
        year_id=year.id, cert_class=wanted.value, b_alternative=b_alt, justification=justification if b_alt else "",
        eligible_class=verdict.eligible.value if verdict.eligible else None, ruleset_version=verdict.ruleset_version,
        status=PENDING, proposed_by=actor.id, scheme_version_id=year.scheme_version_id,
    )
    try:
        with session.begin_nested():
            session.add(proposal)
            session.flush()
    except IntegrityError:
        raise Conflict("Det finnes allerede et forslag som venter på beslutning for dette året.") from None
    record(session, actor, "certification.proposed", proposal,
           f"{year.year}: klasse {wanted.value}" + (" av andre grunner" if b_alt else ""), year_id=year.id)
    return proposal


def _pending(session: Session, year_id: int) -> CertificationProposal | None:
    return session.scalar(select(CertificationProposal).where(
        CertificationProposal.year_id == year_id, CertificationProposal.status == PENDING))


def _locked_proposal(session: Session, proposal_id: int) -> CertificationProposal:
    # FOR UPDATE: a second decider waits here until the first commits, then sees the proposal closed.
    proposal = session.scalar(select(CertificationProposal).where(CertificationProposal.id == proposal_id)
                              .with_for_update().execution_options(populate_existing=True))
    if proposal is None:
        raise NotFound(proposal_id)
    if proposal.status != PENDING:
        closer = session.get(User, proposal.closed_by) if proposal.closed_by else None
        who = f" av {closer.name}" if closer else ""
        raise Conflict(f"Forslaget er allerede {labels.PROPOSAL_STATUS_LABELS[proposal.status].lower()}{who}. "
                       "Last siden på nytt for å se resultatet.")
    return proposal


def withdraw_proposal(session: Session, actor: User, proposal_id: int) -> CertificationProposal:
    """The proposer (or an admin) takes back a waiting proposal.  Raises NotFound, Refused, Conflict."""
    proposal = _locked_proposal(session, proposal_id)
    if proposal.proposed_by != actor.id and not actor.has_role(Role.ADMIN):
        raise Refused("Bare den som foreslo, eller en administrator, kan trekke forslaget.")
    proposal.status, proposal.closed_by, proposal.closed_at = WITHDRAWN, actor.id, utcnow()
    record(session, actor, "certification.proposal_withdrawn", proposal, f"Klasse {proposal.cert_class}",
           year_id=proposal.year_id)
    return proposal


# -- deciding --------------------------------------------------------------------------------------------

def decide(session: Session, tenant: Tenant, actor: User, proposal_id: int, *, approve: bool, reason: str,
           today: date) -> tuple[CertificationDecision, Certificate | None]:
    """Approve (issue the certificate) or send back a waiting proposal, as of ``today``.

    Raises NotFound, FieldErrors (sending back without a reason), Refused (not a reviewer, not impartial
    (``impartiality.conflicts``), the class is above what the rules allow today, A+ without the
    decider's own A+2 attestation) or Conflict (already decided, or a certificate exists for the year).
    """
    _require(actor, (Role.REVIEWER,), "Bare en sertifiseringsansvarlig kan beslutte.")
    reason = (reason or "").strip()
    if not approve and len(reason) < 3:
        raise FieldErrors({"reason": "Skriv hvorfor forslaget sendes tilbake."})
    proposal = _locked_proposal(session, proposal_id)
    year = session.scalar(select(CertificationYear).where(CertificationYear.id == proposal.year_id))
    reasons = impartiality.conflicts(session, year, actor)
    if reasons:
        raise Refused(impartiality.refusal(reasons))
    facts = gather_facts(session, year.id, today)
    verdict = rules.evaluate(facts)
    wanted = rules.CertClass(proposal.cert_class)
    if approve:
        problem = (None if verdict.eligible else "Bedriften oppfyller ikke lenger kravene til klasse B av andre grunner.") \
            if proposal.b_alternative else _class_problem(wanted, verdict)
        if problem:
            raise Refused(f"Kan ikke godkjenne klasse {wanted.value}: {problem}")
        a_plus_2 = facts.a_plus_2_attestation
        if wanted is rules.CertClass.A_PLUS and (a_plus_2 is None or a_plus_2.by_user_id != actor.id):
            raise Refused("Klasse A+ krever at den som beslutter, selv har bekreftet A+2 for dette året.")
    plain = snapshot.facts_to_dict(facts)
    decision = CertificationDecision(
        year_id=year.id, proposal_id=proposal.id, outcome=APPROVED if approve else RETURNED,
        cert_class=wanted.value if approve else None, eligible_class=verdict.eligible.value if verdict.eligible else None,
        ruleset_version=verdict.ruleset_version, facts_snapshot=plain, facts_sha256=snapshot.digest(plain),
        verdict_snapshot=verdict.to_dict(), reason=reason, decided_by=actor.id, decided_on=today,
    )
    session.add(decision)
    session.flush()
    proposal.status = APPROVED if approve else RETURNED
    proposal.closed_by, proposal.closed_at, proposal.close_reason = actor.id, utcnow(), reason
    certificate = None
    if approve:
        certificate = issue_certificate(session, tenant, actor, decision, year)
        year.status = "decided"
    record(session, actor, "certification.approved" if approve else "certification.returned", decision,
           f"{year.year}: klasse {wanted.value}" + (f" – {reason}" if reason else ""), year_id=year.id)
    return decision, certificate
