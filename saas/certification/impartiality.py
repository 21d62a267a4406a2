"""Who may decide a certification year: impartiality as a rule, not a setting.

Seed 000 §7.5–7.6 and ISO/IEC 17021-1 5.2: the decision is taken by someone not involved in the process.
``conflicts`` is the one place that says who is involved; deciding refuses with its reasons, whatever the
person's roles, and no tenant setting turns it off.  A person conflicts with a year when they:

* did its work (see ``worked_on``): are the year's consultant or opened it; created an action item, are
  responsible for one or wrote a progress note on one; submitted a checklist of its physical mapping or
  safety rounds, or verified its physical mapping; uploaded or verified evidence, or verified a compliance
  check; gave its A4 attestation; appear in the audit log as the actor on the year or any of its mappings,
  safety rounds, risk assessments, hazards, action items, compliance checks, checklists or evidence;
* proposed a class for it (any proposal, also returned or withdrawn ones);
* are tied to the client: the company's responsible consultant, or any tie in the impartiality register
  (``saas.schemes.impartiality``: registered ties — consulted, trained, employed, family, financial — and
  those derived from HMS work in other years), counted until 24 months after the tie ended.

The A+2 attestation is by definition the deciding person's own, so it does not count.
"""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import Session

from saas.audit.models import AuditEvent
from saas.certification.models import Attestation, CertificationProposal
from saas.clients.models import ClientCompany
from saas.i18n import today_in_oslo
from saas.schemes.impartiality import TIE_LABELS, barring_ties
from saas.hms.models import (ActionItem, ActionNote, CertificationYear, ChecklistRun, ComplianceCheck, Evidence, Hazard,
                             PhysicalMapping, PsychosocialMapping, RiskAssessment, SafetyRound)
from saas.tenants.models import Role, User


TIE_MONTHS = 24  # a tie bars its person until two years after it ended (seed 003 § 7-2)


def conflicts(session: Session, year: CertificationYear, user: User) -> list[str]:
    """Why ``user`` may not decide ``year``, in the user's language (empty: they may, as far as impartiality goes)."""
    return _involved(session, year).get(user.id, [])


def _involved(session: Session, year: CertificationYear) -> dict[int, list[str]]:
    found = worked_on(session, year)
    responsible = session.scalar(select(ClientCompany.consultant_id).where(ClientCompany.id == year.company_id))
    if responsible is not None:
        found.setdefault(responsible, []).append(gettext("ansvarlig HMS-rådgiver for kunden"))
    for user_id, ties in barring_ties(session, year.company_id, today_in_oslo(), TIE_MONTHS).items():
        for tie in ties:
            what = gettext("binding til kunden: %(kind)s", kind=str(TIE_LABELS.get(tie.kind, tie.kind)).lower()) + (
                f" ({tie.note})" if tie.note else "")
            if what not in found.setdefault(user_id, []):
                found[user_id].append(what)
    return found


def refusal(reasons: list[str]) -> str:
    """The message that refuses a decision for ``reasons`` (from ``conflicts``)."""
    return gettext("Du kan ikke beslutte for dette året fordi du ikke er upartisk (%(reasons)s). Beslutningen må tas "
                   "av en sertifiseringsansvarlig som ikke har arbeidet med året eller kunden.", reasons="; ".join(reasons))


def impartial_reviewers(session: Session, year: CertificationYear) -> list[User]:
    """The tenant's active reviewers who may decide ``year`` (for telling a small provider what to do)."""
    involved = _involved(session, year)
    reviewers = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    return [u for u in reviewers if u.has_role(Role.REVIEWER) and u.id not in involved]


def worked_on(session: Session, year: CertificationYear) -> dict[int, list[str]]:
    """Who did the year's work or proposed it, by user id, with what they did (in the user's language)."""
    found: dict[int, list[str]] = {}

    def add(user_id: int | None, what: str) -> None:
        if user_id is not None and what not in found.setdefault(user_id, []):
            found[user_id].append(what)

    add(year.consultant_id, gettext("HMS-rådgiver for året"))
    add(year.opened_by, gettext("åpnet året"))
    for (user_id,) in session.execute(select(CertificationProposal.proposed_by).where(CertificationProposal.year_id == year.id)):
        add(user_id, gettext("foreslo klasse"))
    for row in session.execute(select(ActionItem.created_by, ActionItem.responsible_user_id).where(ActionItem.year_id == year.id)):
        add(row.created_by, gettext("opprettet tiltak"))
        add(row.responsible_user_id, gettext("ansvarlig for tiltak"))
    notes = select(ActionNote.author_id).join(ActionItem, ActionItem.id == ActionNote.action_id).where(ActionItem.year_id == year.id)
    for (user_id,) in session.execute(notes):
        add(user_id, gettext("skrev notat på tiltak"))
    for (user_id,) in session.execute(select(PhysicalMapping.verified_by).where(PhysicalMapping.year_id == year.id)):
        add(user_id, gettext("kontrollerte fysisk kartlegging"))
    for (user_id,) in session.execute(select(ChecklistRun.submitted_by).where(ChecklistRun.id.in_(_run_ids(year.id)))):
        add(user_id, gettext("fylte ut sjekkliste"))
    for row in session.execute(select(Evidence.uploaded_by, Evidence.verified_by).where(Evidence.year_id == year.id)):
        add(row.uploaded_by, gettext("lastet opp dokumentasjon"))
        add(row.verified_by, gettext("kontrollerte dokumentasjon"))
    for (user_id,) in session.execute(select(ComplianceCheck.verified_by).where(ComplianceCheck.year_id == year.id)):
        add(user_id, gettext("kontrollerte krav i arbeidsmiljøloven"))
    for (user_id,) in session.execute(select(Attestation.by_user_id).where(Attestation.year_id == year.id, Attestation.kind == "a4")):
        add(user_id, gettext("bekreftet A4"))
    for (user_id,) in session.execute(select(AuditEvent.actor_id).where(_audit_on_year(year.id)).distinct()):
        add(user_id, gettext("registrerte eller endret arbeid i året"))
    return found


def _run_ids(year_id: int):
    return union(select(PhysicalMapping.run_id).where(PhysicalMapping.year_id == year_id),
                 select(SafetyRound.run_id).where(SafetyRound.year_id == year_id))


def _audit_on_year(year_id: int):
    def on(model, ids) -> object:
        return and_(AuditEvent.object_type == model.__name__, AuditEvent.object_id.in_(ids))

    def of_year(model) -> object:
        return on(model, select(model.id).where(model.year_id == year_id))

    hazards = select(Hazard.id).join(RiskAssessment, RiskAssessment.id == Hazard.assessment_id).where(RiskAssessment.year_id == year_id)
    return or_(
        and_(AuditEvent.object_type == CertificationYear.__name__, AuditEvent.object_id == year_id),
        *(of_year(m) for m in (PhysicalMapping, PsychosocialMapping, SafetyRound, RiskAssessment, ActionItem,
                               ComplianceCheck, Evidence)),
        on(Hazard, hazards), on(ChecklistRun, _run_ids(year_id)),
    )
