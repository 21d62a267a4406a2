"""Person-certification jobs: rendering a card's PDFs, and the daily job that reminds holders and
employers before each validity deadline and both parties of the revocation clocks."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.jobs import enqueue, job
from saas.mail import send_mail
from saas.persons import revocation as revocation_rules
from saas.persons.models import CaseState, PersonCompetence, Holding, Person, PersonReminder, RevocationCase
from saas.persons.services.register_state import dates_of, rules_for_versions
from saas.persons.validity import ValidityRules, assess
from saas.scheduler import daily_job
from saas.tenants.models import Role, Tenant, User
from saas.tenants.services import each_tenant

VALIDITY_LEADS = (90, 30, 7)


@job
def render_card(session: Session, card_id: int) -> bool:
    from saas.persons import documents

    return documents.render_and_store(session, card_id)


def request_render(session: Session, card_id: int, tenant_id: int) -> None:
    """Render the card's PDFs after the commit, under a deterministic job id."""
    enqueue(session, render_card, card_id, tenant_id=tenant_id, job_id=f"person-card-pdf-{card_id}")




def _claim(session: Session, key: str, recipients: list[str]) -> bool:
    try:
        with session.begin_nested():
            session.add(PersonReminder(key=key[:120], recipients=recipients))
            session.flush()
        return True
    except IntegrityError:
        return False


def _employer_addresses(session: Session, company_ids: set[int]) -> dict[int, list[str]]:
    from saas.clients.models import ContactPerson

    out: dict[int, list[str]] = {i: [] for i in company_ids}
    rows = session.execute(select(ContactPerson.company_id, ContactPerson.email, User.email, User.active)
                           .outerjoin(User, User.id == ContactPerson.user_id)
                           .where(ContactPerson.company_id.in_(company_ids))).all()
    for company_id, contact_email, user_email, active in rows:
        address = user_email if user_email and active else contact_email
        if address and address.lower() not in {a.lower() for a in out[company_id]}:
            out[company_id].append(address)
    return out


STEP_TEXT = {
    "periodic_test": "periodisk prøve", "repeat_test": "repeterende prøve",
    "periodic_training_and_test": "periodisk opplæring og prøve",
    "repetition_training_and_test": "repeterende opplæring før repeterende prøve",
    "new_type_training": "ny typeopplæring", "individual_training_plan": "individuell opplæringsplan",
    "none": "ingen tiltak",
}


def validity_reminders_for_tenant(session: Session, tenant: Tenant, today: date) -> int:
    """Remind each holder and their employer's contacts when a competence's next deadline is 90, 30 or
    7 days away; each reminder once (claimed under a unique key)."""
    rows = session.execute(select(Holding, Person, PersonCompetence).join(Person, Person.id == Holding.person_id)
                           .join(PersonCompetence, PersonCompetence.id == Holding.competence_id)
                           .where(Person.archived_at.is_(None), Holding.revoked.is_(False),
                                  Holding.suspended.is_(False))).all()
    if not rows:
        return 0
    rules = rules_for_versions(session, {h.scheme_version_id for h, _p, _c in rows})
    employers = _employer_addresses(session, {p.employer_id for _h, p, _c in rows if p.employer_id})
    sent = 0
    for holding, person, competence in rows:
        result = assess(dates_of(holding, competence.seasonal), rules.get(holding.scheme_version_id, ValidityRules()), today)
        if result.next_deadline is None:
            continue
        lead = (result.next_deadline - today).days
        if lead not in VALIDITY_LEADS:
            continue
        recipients = ([person.email] if person.email else []) + employers.get(person.employer_id, [])
        if not recipients or not _claim(session, f"validity:{holding.id}:{result.next_deadline}:{lead}", recipients):
            continue
        for address in recipients:
            send_mail(session, address, f"{person.name}: {competence.code} – frist {result.next_deadline:%d.%m.%Y}",
                      "person_validity_reminder", tenant_id=tenant.id, tenant_name=tenant.name,
                      holder_name=person.name, competence=f"{competence.code} {competence.name}",
                      state=result.state.value, step=STEP_TEXT.get(result.next_step, result.next_step),
                      deadline=result.next_deadline.strftime("%d.%m.%Y"), days_left=lead)
            sent += 1
    return sent


def case_reminders_for_tenant(session: Session, tenant: Tenant, today: date) -> int:
    """Remind the deciders of running revocation clocks (appeal window, committee deadline), and close
    cases whose appeal window ran out without an appeal."""
    from saas.persons.services.revocation import case_clocks
    from saas.tenants.models import UserRole

    cases = session.scalars(select(RevocationCase).where(RevocationCase.state.in_(
        [CaseState.DECIDED.value, CaseState.APPEALED.value]))).all()
    deciders = [row.email for row in session.execute(
        select(User.email).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.ADMIN.value, Role.REVIEWER.value]), User.active.is_(True)).distinct())]
    sent = 0
    for case in cases:
        for clock in case_clocks(session, case, today):
            if clock.name == "appeal" and case.state == CaseState.DECIDED.value and clock.days_left < 0:
                case.state = CaseState.CLOSED.value  # no appeal came in time: the decision is final
                continue
            if not revocation_rules.reminder_due(clock) or not deciders:
                continue
            if not _claim(session, f"case:{case.id}:{clock.name}:{clock.days_left}", deciders):
                continue
            person = session.get(Person, case.person_id)
            for address in deciders:
                send_mail(session, address, f"Tilbakekallssak {person.name}: frist {clock.due_on:%d.%m.%Y}",
                          "person_case_reminder", tenant_id=tenant.id, tenant_name=tenant.name,
                          holder_name=person.name, clock=clock.name, due_on=clock.due_on.strftime("%d.%m.%Y"),
                          days_left=clock.days_left)
                sent += 1
    session.flush()
    return sent


@daily_job
@job
def send_person_reminders(session: Session, today_iso: str) -> int:
    """The daily run over every tenant: validity reminders and revocation clocks; returns e-mails sent."""
    today = date.fromisoformat(today_iso)
    sent = 0
    for tenant in each_tenant(session):
        sent += validity_reminders_for_tenant(session, tenant, today)
        sent += case_reminders_for_tenant(session, tenant, today)
    return sent
