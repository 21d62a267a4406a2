"""Plain data for pages, the API and the public verification (never ORM objects into templates)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.persons.models import Card, PersonCompetence, Enrolment, Person, RevocationCase
from saas.persons.services import revocation, training, training_plan
from saas.persons.services.register import verification_url
from saas.persons.services.register_state import assessments, holdings_of


def holding_rows(session: Session, person_id: int, today: date, scheme_id: int | None = None) -> list[dict]:
    holdings = holdings_of(session, person_id, scheme_id)
    competences = {c.id: c for c in session.scalars(select(PersonCompetence).where(
        PersonCompetence.id.in_([h.competence_id for h in holdings])))}
    states = assessments(session, holdings, competences, today)
    plans = training_plan.items_of(session, [h.id for h in holdings if h.absent_since is not None])
    rows = []
    for h in holdings:
        c, s = competences[h.competence_id], states[h.id]
        rows.append(dict(id=h.id, competence_id=c.id, scheme_id=c.scheme_id, code=c.code, name=c.name,
                         first_issued_on=h.first_issued_on, tested_on=h.tested_on, last_used_on=h.last_used_on,
                         absent_since=h.absent_since, state=s.state.value, usable=s.usable, expires_on=s.expires_on,
                         next_step=s.next_step, next_deadline=s.next_deadline, revoked_until=h.revoked_until,
                         revoked_condition=h.revoked_condition,
                         plan=training_plan.plan_data(plans[h.id], today) if plans.get(h.id) else None))
    return rows


def _practice(result) -> dict:
    return dict(met=result.met, credited_hours=result.credited_hours, shifts=result.shifts, km=result.km,
                hours_missing=result.hours_missing, shifts_missing=result.shifts_missing)


def progress_data(session: Session, enrolment: Enrolment) -> dict:
    state = training.progress(session, enrolment)
    return dict(enrolment_id=enrolment.id, person_id=enrolment.person_id, competence_id=enrolment.competence_id,
                category=enrolment.category, state=enrolment.state,
                missing_activities=list(state.outstanding.activities), km=state.km,
                km_missing=state.outstanding.km_missing, practice_1=_practice(state.practice_1),
                practice_2=_practice(state.practice_2), practical_passed=state.practical_passed,
                ready=state.ready, theory_passed_on=enrolment.theory_passed_on,
                examiner_ids=list(state.examiner_ids))


def card_data(card: Card) -> dict:
    return dict(id=card.id, number=card.number, state=card.state, issued_on=card.issued_on,
                verify_url=verification_url(card.verify_code), token=card.token,
                snapshot={k: v for k, v in card.snapshot.items() if k != "photo_key"},
                received_at=card.received_at, pdf_ready=bool(card.card_pdf_key), person_id=card.person_id,
                withdrawn_at=card.withdrawn_at, withdrawal_reason=card.withdrawal_reason or None,
                withdrawal_note=card.withdrawal_note, replaced_by_id=card.replaced_by_id)


def case_data(session: Session, case: RevocationCase, today: date) -> dict:
    return case_rows(session, [case], today)[0]


def case_rows(session: Session, cases: list[RevocationCase], today: date) -> list[dict]:
    """``case_data`` of many cases, in a fixed number of statements."""
    periods = revocation.periods_of(session, {c.scheme_id for c in cases})
    histories = revocation.histories(session, cases, today, periods)
    return [_case_dict(c, histories[c.id], periods[c.scheme_id], today) for c in cases]


def _case_dict(case: RevocationCase, history, periods, today: date) -> dict:
    clocks = revocation.case_clocks_under(case, today, periods)
    return dict(
        id=case.id, person_id=case.person_id, scheme_id=case.scheme_id, trigger=case.trigger, facts=case.facts,
        state=case.state, opened_on=case.opened_on, hearing_on=case.hearing_on, manager_name=case.manager_name,
        manager_present=case.manager_present, holder_statement=case.holder_statement,
        damage_potential=case.damage_potential, mitigating=case.mitigating, outcome=case.outcome,
        revoked_until=case.revoked_until, condition=case.condition, decided_on=case.decided_on,
        decision_text=case.decision_text, appeal_notice=revocation.appeal_notice_under(case, periods),
        appeal_received_on=case.appeal_received_on, appeal_text=case.appeal_text, committee=case.committee,
        committee_result=case.committee_result, committee_outcome=case.committee_outcome,
        committee_decided_on=case.committee_decided_on, committee_text=case.committee_text,
        warnings_last_5_years=history.warnings, revocations_last_5_years=history.revocations,
        history=[dict(day=day, outcome=outcome.value) for day, outcome in history.cases],
        clocks=[dict(name=c.name, due_on=c.due_on, days_left=c.days_left, done_on=c.done_on, overdue=c.overdue,
                     running=c.running) for c in clocks],
    )


def public_verification(session: Session, card: Card, person: Person, tenant, today: date) -> dict:
    """What anyone may see of a card: name, competences with live state, issuer; the birth date and
    photo only when the holder consented to show them."""
    scheme_rows = holding_rows(session, person.id, today, card.scheme_id)
    codes = {c["code"] for c in card.snapshot.get("competences", [])}
    rows = [dict(code=r["code"], name=r["name"], state=r["state"], usable=r["usable"], expires_on=r["expires_on"],
                 revoked_until=r["revoked_until"]) for r in scheme_rows if r["code"] in codes]
    consent = person.public_details_consent
    return dict(
        number=card.number, card_state=card.state, holder_name=person.name, issuer=tenant.name,
        issued_on=card.issued_on, title=card.snapshot.get("title", ""), competences=rows,
        birth_date=person.birth_date if consent else None,
        show_photo=bool(consent and person.photo_key and person.photo_consent_at), verify_code=card.verify_code,
        valid=card.state == "active" and any(r["usable"] for r in rows),
        # A withdrawn card says why (not the free-text note: it may name people) and whether a new card
        # replaced it; the replacement's number is not shown to whoever holds the old card.
        withdrawal_reason=card.withdrawal_reason or None if card.state == "withdrawn" else None,
        withdrawn_on=card.withdrawn_at.date() if card.withdrawn_at and card.state == "withdrawn" else None,
        replaced=card.replaced_by_id is not None,
    )
