"""Revocation cases (seed 002 § 1.10): open from a trigger, hold the hearing with the manager present,
decide with the factors in view, appeal within the window, the committee's decision.

The register changes in the same transaction as each decision: opening a case may suspend the holder's
competences in the scheme meanwhile; a decision revokes them (until a date or condition) or lifts the
revocation (a warning); the committee's decision does the same.
"""
from __future__ import annotations

from flask_babel import gettext as _
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from saas.audit.services import record
from saas.persons import revocation as rules
from saas.persons.models import CaseState, PersonCompetence, Holding, Person, RevocationCase
from saas.persons.services import NotFound, catalogue
from saas.schemas import FieldErrors
from saas.tenants.models import Role, User

DECIDER_ROLES = (Role.ADMIN, Role.REVIEWER)


def get_case(session: Session, case_id: int) -> RevocationCase:
    case = session.get(RevocationCase, case_id)
    if case is None:
        raise NotFound(case_id)
    return case


def cases_of(session: Session, person: Person) -> list[RevocationCase]:
    return list(session.scalars(select(RevocationCase).where(RevocationCase.person_id == person.id)
                                .order_by(RevocationCase.opened_on.desc(), RevocationCase.id.desc())))


def open_cases(session: Session) -> list[RevocationCase]:
    """Cases not closed, oldest first, each with its person loaded."""
    return list(session.scalars(select(RevocationCase).where(RevocationCase.state != CaseState.CLOSED.value)
                                .order_by(RevocationCase.opened_on, RevocationCase.id)
                                .options(selectinload(RevocationCase.person))))


def _holdings(session: Session, case: RevocationCase) -> list[Holding]:
    return list(session.scalars(select(Holding).join(PersonCompetence, PersonCompetence.id == Holding.competence_id)
                                .where(Holding.person_id == case.person_id, PersonCompetence.scheme_id == case.scheme_id)))


def _periods(session: Session, scheme_id: int) -> rules.Periods:
    return catalogue.current(session, scheme_id)[1].revocation


def periods_of(session: Session, scheme_ids) -> dict[int, rules.Periods]:
    """``scheme id → the revocation periods of its current version``, in one query."""
    return {scheme_id: settings.revocation
            for scheme_id, (_version, settings) in catalogue.currents(session, scheme_ids).items()}


def open_case(session: Session, user: User, person: Person, data: dict, today: date) -> RevocationCase:
    """Open a case from a trigger with its facts; with ``suspend_meanwhile`` the holder's competences in
    the scheme are suspended at once (the register shows it)."""
    if data["trigger"] not in {t.value for t in rules.Trigger}:
        raise FieldErrors({"trigger": _("Ugyldig valg.")})
    try:
        catalogue.get_person_scheme(session, data["scheme_id"])
    except NotFound:
        raise FieldErrors({"scheme_id": _("Ukjent personsertifiseringsordning.")}) from None
    case = RevocationCase(person_id=person.id, scheme_id=data["scheme_id"], trigger=data["trigger"],
                          facts=data.get("facts") or "", opened_on=today,
                          suspend_meanwhile=bool(data.get("suspend_meanwhile")))
    session.add(case)
    session.flush()
    if not _holdings(session, case):
        raise FieldErrors({"scheme_id": _("Personen har ingen registrerte kompetanser i ordningen.")})
    if case.suspend_meanwhile:
        for holding in _holdings(session, case):
            holding.suspended = True
    session.flush()
    record(session, user, "revocation.opened", case, f"{person.name}: {case.trigger}")
    return case


def record_hearing(session: Session, user: User, case: RevocationCase, data: dict) -> RevocationCase:
    """The meeting where the holder explains himself with his manager present (required before any
    decision)."""
    if case.state not in (CaseState.OPEN.value, CaseState.HEARD.value):
        raise FieldErrors({"hearing_on": _("Saken er allerede avgjort.")})
    if not data.get("manager_present"):
        raise FieldErrors({"manager_present": _("Personalansvarlig leder skal være til stede i møtet.")})
    if not (data.get("manager_name") or "").strip():
        raise FieldErrors({"manager_name": _("Feltet må fylles ut.")})
    case.hearing_on = data["hearing_on"]
    case.manager_name = data["manager_name"].strip()
    case.manager_present = True
    case.holder_statement = data.get("holder_statement") or ""
    case.damage_potential = data.get("damage_potential") or case.damage_potential
    case.mitigating = data.get("mitigating") or case.mitigating
    case.state = CaseState.HEARD.value
    session.flush()
    record(session, user, "revocation.hearing", case, str(case.hearing_on))
    return case


def history_for(session: Session, case: RevocationCase, today: date) -> rules.History:
    """Warnings and revocations of the same person in the last 5 years (other cases), shown as factors."""
    return histories(session, [case], today, periods_of(session, [case.scheme_id]))[case.id]


def histories(session: Session, cases: list[RevocationCase], today: date,
              periods: dict[int, rules.Periods]) -> dict[int, rules.History]:
    """``case id → history_for(case)`` of many cases (``periods`` by scheme id), in one query."""
    previous: dict[int, list] = {}
    for case_id, person_id, day, outcome, committee in session.execute(
            select(RevocationCase.id, RevocationCase.person_id, RevocationCase.decided_on, RevocationCase.outcome,
                   RevocationCase.committee_outcome)
            .where(RevocationCase.person_id.in_([c.person_id for c in cases]), RevocationCase.decided_on.is_not(None))):
        if committee or outcome:
            previous.setdefault(person_id, []).append((case_id, day, rules.Outcome(committee or outcome)))
    return {case.id: rules.history([(day, outcome) for other, day, outcome in previous.get(case.person_id, [])
                                    if other != case.id], today, periods[case.scheme_id])
            for case in cases}


def _apply(session: Session, case: RevocationCase, effect: rules.RegisterEffect) -> None:
    for holding in _holdings(session, case):
        holding.revoked = effect.revoked
        holding.revoked_until = effect.revoked_until
        holding.revoked_condition = effect.condition
        holding.suspended = False


def decide(session: Session, user: User, case: RevocationCase, data: dict, today: date) -> RevocationCase:
    """The decision: warning, temporary or permanent revocation, with its written text.  Refused before
    the hearing, or without the deciding role.  The register changes in this transaction."""
    if not user.has_role(*DECIDER_ROLES):
        raise FieldErrors({"outcome": _("Vedtak krever rollen sertifiseringsansvarlig eller administrator.")})
    if case.state != CaseState.HEARD.value:
        raise FieldErrors({"outcome": _("Føreren skal ha forklart seg i møte med leder til stede før vedtak.")})
    try:
        outcome = rules.Outcome(data["outcome"])
        effect = rules.effect(outcome, data.get("revoked_until"), data.get("condition") or "")
    except ValueError as error:
        field = "outcome" if "outcome" in str(error) or not data.get("outcome") else "revoked_until"
        raise FieldErrors({field: _("Midlertidig tilbakekall krever en sluttdato eller et vilkår.")
                           if field == "revoked_until" else _("Ugyldig valg.")}) from None
    if effect.revoked_until is not None and effect.revoked_until <= today:
        raise FieldErrors({"revoked_until": _("Sluttdatoen må være etter vedtaksdatoen.")})
    if not (data.get("decision_text") or "").strip():
        raise FieldErrors({"decision_text": _("Skriv vedtaket.")})
    case.outcome = outcome.value
    case.revoked_until, case.condition = effect.revoked_until, effect.condition
    case.damage_potential = data.get("damage_potential") or case.damage_potential
    case.mitigating = data.get("mitigating") or case.mitigating
    case.decision_text = data["decision_text"].strip()
    case.decided_on, case.decided_by = today, user.id
    case.state = CaseState.DECIDED.value if rules.may_appeal(outcome) else CaseState.CLOSED.value
    _apply(session, case, effect)
    session.flush()
    record(session, user, "revocation.decided", case, outcome.value)
    return case


def appeal_notice(session: Session, case: RevocationCase) -> str:
    """How to appeal, as the written decision states it (only for a continued revocation)."""
    if not case.decided_on or not rules.may_appeal(rules.Outcome(case.outcome)):
        return ""
    return appeal_notice_under(case, _periods(session, case.scheme_id))


def appeal_notice_under(case: RevocationCase, periods: rules.Periods) -> str:
    """``appeal_notice`` with the scheme's periods given."""
    if not case.decided_on or not rules.may_appeal(rules.Outcome(case.outcome)):
        return ""
    deadline = rules.appeal_deadline(case.decided_on, periods)
    return (f"Vedtaket kan påklages. Klagen sendes skriftlig til utstederen innen {deadline.strftime('%d.%m.%Y')} "
            f"({periods.appeal_days} dager etter vedtaket). Klagen behandles av et nedsatt utvalg innen "
            f"{periods.committee_days} dager etter at den er mottatt.")


def receive_appeal(session: Session, user: User, case: RevocationCase, data: dict) -> RevocationCase:
    """Register an appeal; refused when out of time or when the decision cannot be appealed."""
    if case.state != CaseState.DECIDED.value:
        raise FieldErrors({"received_on": _("Saken har ikke et vedtak som kan påklages.")})
    periods = _periods(session, case.scheme_id)
    if not rules.appeal_in_time(case.decided_on, data["received_on"], periods):
        raise FieldErrors({"received_on": _("Klagefristen gikk ut %(date)s.", date=rules.appeal_deadline(
            case.decided_on, periods).strftime('%d.%m.%Y'))})
    case.appeal_received_on = data["received_on"]
    case.appeal_text = data.get("appeal_text") or ""
    case.committee = data.get("committee") or ""
    case.state = CaseState.APPEALED.value
    session.flush()
    record(session, user, "revocation.appealed", case, str(case.appeal_received_on))
    return case


def decide_appeal(session: Session, user: User, case: RevocationCase, data: dict, today: date) -> RevocationCase:
    """The committee's decision: the revocation stands, is changed to another outcome, or is lifted.
    The register follows at once."""
    if not user.has_role(*DECIDER_ROLES):
        raise FieldErrors({"result": _("Klagevedtak krever rollen sertifiseringsansvarlig eller administrator.")})
    if case.state != CaseState.APPEALED.value:
        raise FieldErrors({"result": _("Det er ingen klage til behandling.")})
    if user.id == case.decided_by:
        raise FieldErrors({"result": _("Klagen skal behandles av andre enn den som fattet vedtaket.")})
    try:
        result = rules.AppealResult(data["result"])
    except ValueError:
        raise FieldErrors({"result": _("Ugyldig valg.")}) from None
    if result is rules.AppealResult.UPHELD:
        outcome = rules.Outcome(case.outcome)
        effect = rules.effect(outcome, case.revoked_until, case.condition)
    elif result is rules.AppealResult.OVERTURNED:
        outcome, effect = rules.Outcome.WARNING, rules.effect(rules.Outcome.WARNING)
    else:
        try:
            outcome = rules.Outcome(data.get("outcome") or "")
            effect = rules.effect(outcome, data.get("revoked_until"), data.get("condition") or "")
        except ValueError:
            raise FieldErrors({"outcome": _("Velg nytt utfall (midlertidig krever sluttdato eller vilkår).")}) from None
    if not (data.get("committee_text") or "").strip():
        raise FieldErrors({"committee_text": _("Skriv utvalgets beslutning.")})
    case.committee_result = result.value
    case.committee_outcome = outcome.value
    case.committee_decided_on = today
    case.committee_text = data["committee_text"].strip()
    case.committee = data.get("committee") or case.committee
    case.revoked_until, case.condition = effect.revoked_until, effect.condition
    case.state = CaseState.CLOSED.value
    _apply(session, case, effect)
    session.flush()
    record(session, user, "revocation.appeal_decided", case, result.value)
    return case


def lift_condition(session: Session, user: User, case: RevocationCase, today: date) -> RevocationCase:
    """A temporary revocation's condition is met: the revocation ends now."""
    if not case.condition or case.outcome != rules.Outcome.TEMPORARY.value:
        raise FieldErrors({"condition": _("Saken har ikke et vilkår som kan oppfylles.")})
    for holding in _holdings(session, case):
        holding.revoked, holding.revoked_until, holding.revoked_condition = False, None, ""
    case.condition = f"{case.condition} (oppfylt {today.strftime('%d.%m.%Y')})"[:300]
    if case.state == CaseState.DECIDED.value:
        case.state = CaseState.CLOSED.value
    session.flush()
    record(session, user, "revocation.condition_met", case, str(today))
    return case


def case_clocks(session: Session, case: RevocationCase, today: date) -> tuple[rules.Clock, ...]:
    return case_clocks_under(case, today, _periods(session, case.scheme_id))


def case_clocks_under(case: RevocationCase, today: date, periods: rules.Periods) -> tuple[rules.Clock, ...]:
    """``case_clocks`` with the scheme's periods given."""
    outcome = rules.Outcome(case.outcome) if case.outcome else None
    return rules.clocks(today, case.decided_on, outcome, case.appeal_received_on, case.committee_decided_on, periods)
