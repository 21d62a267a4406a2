"""Person certification services against a real database: enrol, train, test, approve, register, issue,
revoke, appeal; the rules that refuse what seed 002 and § 8-2 forbid."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from saas.persons import card_signing, keys
from saas.persons.models import CardState, Holding
from saas.persons.services import register, revocation, training
from saas.persons.services.register_state import holding_assessment
from saas.schemas import FieldErrors
from tests.person_factories import competence, make_instructor, make_person, make_scheme, train_to_ready

TODAY = date(2026, 12, 6)


@pytest.fixture
def world(db, a):
    scheme = make_scheme(db, a["admin"])
    return dict(a, scheme=scheme, comp=competence(db, scheme, "TYPE-73"))


def test_a_candidate_trained_and_tested_is_approved_registered_and_gets_a_signed_card(db, world, app):
    person = make_person(db, "Kari Kandidat", employer=world["company"])
    enrolment = train_to_ready(db, world["consultant"], world["consultant"], person, world["comp"], TODAY,
                               registrar=world["admin"])
    assert training.progress(db, enrolment).ready
    holding = register.approve(db, world["reviewer"], enrolment, TODAY)
    assert holding_assessment(db, holding, TODAY).usable
    with app.test_request_context():
        card = register.issue_card(db, world["reviewer"], person, world["scheme"].id, TODAY)
        payload = card_signing.verify(card.token, keys.public_keys(db))
    assert payload["no"] == card.number and payload["c"] == ["TYPE-73"] and payload["n"] == "Kari Kandidat"
    assert card.snapshot["birth_date"] == "1990-05-17" and card.snapshot["training_company"] == world["tenant"].name
    assert card.number.endswith("-000001") and len(card.verify_code) >= 24


def test_the_examiner_may_not_approve(db, world):
    person = make_person(db, "Kari Kandidat")
    enrolment = train_to_ready(db, world["admin"], world["reviewer"], person, world["comp"], TODAY)
    with pytest.raises(FieldErrors) as error:
        register.approve(db, world["reviewer"], enrolment, TODAY)
    assert "sensor" in error.value.errors["approver"][0]


def test_approval_is_refused_until_the_matrix_and_practice_are_met(db, world):
    person = make_person(db)
    enrolment = training.enrol(db, world["admin"], person, world["comp"], "new_candidate")
    with pytest.raises(FieldErrors) as error:
        register.approve(db, world["reviewer"], enrolment, TODAY)
    assert "type_training" in error.value.errors["enrolment"][0] and "1000 km" in error.value.errors["enrolment"][0]


def test_an_instructor_must_be_approved_and_certified_on_the_competence(db, world):
    uncertified = make_person(db, "Ukjent", approved_instructor=True)
    data = dict(activity="type_training", title="Type 73", starts_on=TODAY, ends_on=TODAY, hours=21,
                instructor_id=uncertified.id)
    with pytest.raises(FieldErrors) as error:
        training.create_course(db, world["admin"], world["comp"], data)
    assert "sertifisert" in error.value.errors["instructor_id"][0]
    certified = make_instructor(db, world["admin"], world["comp"], TODAY)
    certified.approved_instructor = False
    with pytest.raises(FieldErrors):
        training.create_course(db, world["admin"], world["comp"], {**data, "instructor_id": certified.id})


def test_type_training_has_at_least_21_hours_and_at_most_4_participants(db, world):
    instructor = make_instructor(db, world["admin"], world["comp"], TODAY)
    data = dict(activity="type_training", title="Type 73", starts_on=TODAY, ends_on=TODAY, hours=20,
                instructor_id=instructor.id)
    with pytest.raises(FieldErrors):
        training.create_course(db, world["admin"], world["comp"], data)
    course = training.create_course(db, world["admin"], world["comp"], {**data, "hours": 21})
    for i in range(4):
        training.add_participant(db, world["admin"], course, training.enrol(
            db, world["admin"], make_person(db, f"Deltaker {i}"), world["comp"], "new_candidate"))
    fifth = training.enrol(db, world["admin"], make_person(db, "Femte"), world["comp"], "new_candidate")
    with pytest.raises(FieldErrors) as error:
        training.add_participant(db, world["admin"], course, fifth)
    assert "4" in error.value.errors["enrolment_id"][0]


def test_after_a_failed_test_more_training_comes_first(db, world):
    enrolment = training.enrol(db, world["admin"], make_person(db), world["comp"], "new_candidate")
    fail = dict(kind="theory", taken_on=TODAY, examiner_id=world["consultant"].id, passed=False)
    training.record_test(db, world["admin"], enrolment, fail)
    with pytest.raises(FieldErrors):
        training.record_test(db, world["admin"], enrolment, {**fail, "taken_on": TODAY + timedelta(days=3)})
    training.log_practice(db, world["admin"], enrolment, dict(day=TODAY + timedelta(days=1), hours=4, phase=1))
    training.record_test(db, world["admin"], enrolment, {**fail, "taken_on": TODAY + timedelta(days=3), "passed": True})


def test_the_daily_cap_applies_to_logged_practice(db, world):
    enrolment = training.enrol(db, world["admin"], make_person(db), world["comp"], "new_candidate")
    for i in range(3):
        training.log_practice(db, world["admin"], enrolment, dict(day=TODAY + timedelta(days=i), hours=10, phase=1))
    result = training.progress(db, enrolment).practice_1
    assert result.credited_hours == 18 and result.shifts == 3 and not result.met


def _holder(db, world, today=TODAY):
    person = make_person(db, "Hans Holder", employer=world["company"])
    register.register_documented(db, world["reviewer"], person, world["comp"], today - timedelta(days=100), today,
                                 "Kontrollert")
    return person


def test_a_revocation_ends_in_temporary_revocation_and_the_committee_decides_the_appeal(db, world):
    person = _holder(db, world)
    case = revocation.open_case(db, world["consultant"], person, dict(
        trigger="incident", scheme_id=world["scheme"].id, facts="Passerte signal i stopp", suspend_meanwhile=True),
        TODAY)
    holding = db.scalar(select(Holding).where(Holding.person_id == person.id))
    assert holding.suspended and not holding_assessment(db, holding, TODAY).usable
    with pytest.raises(FieldErrors):  # no decision before the hearing
        revocation.decide(db, world["reviewer"], case, dict(outcome="warning", decision_text="x"), TODAY)
    with pytest.raises(FieldErrors):  # the manager must be present
        revocation.record_hearing(db, world["consultant"], case, dict(hearing_on=TODAY, manager_name="Leder"))
    revocation.record_hearing(db, world["consultant"], case, dict(hearing_on=TODAY, manager_name="Lise Leder",
                                                                  manager_present=True, holder_statement="Sol i øynene"))
    until = TODAY + timedelta(days=60)
    revocation.decide(db, world["reviewer"], case, dict(outcome="temporary", revoked_until=until,
                                                        decision_text="Midlertidig tilbakekall"), TODAY)
    assert holding.revoked and holding.revoked_until == until and not holding.suspended
    assert holding_assessment(db, holding, TODAY).state.value == "revoked"
    assert "innen 20.12.2026" in revocation.appeal_notice(db, case)
    with pytest.raises(FieldErrors):  # out of time
        revocation.receive_appeal(db, world["consultant"], case, dict(received_on=TODAY + timedelta(days=15)))
    revocation.receive_appeal(db, world["consultant"], case, dict(received_on=TODAY + timedelta(days=10)))
    appeal_clock, committee_clock = revocation.case_clocks(db, case, TODAY + timedelta(days=12))
    assert committee_clock.due_on == TODAY + timedelta(days=31) and committee_clock.running
    with pytest.raises(FieldErrors):  # the decider does not decide the appeal
        revocation.decide_appeal(db, world["reviewer"], case, dict(result="upheld", committee_text="x"), TODAY)
    revocation.decide_appeal(db, world["admin"], case, dict(result="overturned", committee_text="Advarsel er nok"),
                             TODAY + timedelta(days=20))
    assert not holding.revoked and holding_assessment(db, holding, TODAY + timedelta(days=20)).usable


def test_warnings_and_revocations_of_the_last_5_years_are_shown_as_factors(db, world):
    person = _holder(db, world)
    for outcome, day in (("warning", TODAY - timedelta(days=400)), ("permanent", TODAY - timedelta(days=6 * 366))):
        old = revocation.open_case(db, world["consultant"], person, dict(trigger="incident", scheme_id=world["scheme"].id), day)
        revocation.record_hearing(db, world["consultant"], old, dict(hearing_on=day, manager_name="L", manager_present=True))
        revocation.decide(db, world["reviewer"], old, dict(outcome=outcome, decision_text="v"), day)
    case = revocation.open_case(db, world["consultant"], person, dict(trigger="incident", scheme_id=world["scheme"].id), TODAY)
    history = revocation.history_for(db, case, TODAY)
    assert (history.warnings, history.revocations) == (1, 0)


def test_a_new_card_supersedes_the_old_one_and_numbers_never_repeat(db, world, app):
    person = _holder(db, world)
    with app.test_request_context():
        first = register.issue_card(db, world["reviewer"], person, world["scheme"].id, TODAY)
        second = register.issue_card(db, world["reviewer"], person, world["scheme"].id, TODAY)
    assert first.state == CardState.SUPERSEDED.value and second.state == CardState.ACTIVE.value
    assert first.number != second.number


def test_the_card_pdfs_are_rendered_by_the_job_with_every_8_2_field(db, world, app):
    from io import BytesIO

    from pypdf import PdfReader

    from saas import storage
    from saas.persons import documents

    person = _holder(db, world)
    with app.test_request_context():
        card = register.issue_card(db, world["reviewer"], person, world["scheme"].id, TODAY)
        assert documents.render_and_store(db, card.id) is True
        assert documents.render_and_store(db, card.id) is False  # run twice, change once
        reader = PdfReader(BytesIO(storage.read(card.card_pdf_key)))
    assert len(reader.pages) == 2
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 85.6 / 25.4 * 72) < 1 and abs(height - 54 / 25.4 * 72) < 1
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (world["tenant"].name, "Hans Holder", "17.05.1990", "TYPE-73", "06.12.2026", "Signe Signatar",
                     card.number):
        assert expected in text


def test_the_register_exports_every_entry_with_its_live_state(db, world):
    _holder(db, world)
    rows = register.register_rows(db, TODAY)
    row = next(r for r in rows if r["holder_name"] == "Hans Holder")
    assert row["state"] == "valid" and row["competence_code"] == "TYPE-73" and row["expires_on"] == "2029-08-28"
    csv_text = register.export_csv(rows)
    assert csv_text.startswith("\ufeffcard_number;holder_name") and "Hans Holder" in csv_text
    whole = register.transfer_export(db, TODAY)
    assert "Hans Holder" in [p["name"] for p in whole["persons"]] and whole["register"]["name"] == world["tenant"].name


def test_a_register_keeper_issues_with_the_training_company_that_trained(db, world, app):
    from saas.persons.services import catalogue

    settings = catalogue.register_settings(db)
    settings.mode = "register_keeper"
    person = make_person(db, "Rita Registrert")
    register.register_documented(db, world["reviewer"], person, world["comp"], TODAY - timedelta(days=5), TODAY,
                                 "Kursbevis og prøveskjema kontrollert", training_company="Truckskolen Nord AS")
    with app.test_request_context():
        card = register.issue_card(db, world["reviewer"], person, world["scheme"].id, TODAY)
    assert card.snapshot["training_company"] == "Truckskolen Nord AS"
    assert card.snapshot["register_keeper"] == world["tenant"].name


def test_a_scheme_that_asks_new_type_training_after_a_failed_practical_test_refuses_a_retest_without_it(db, world):
    from saas.persons.services import catalogue
    from saas.schemes import services as schemes

    version, settings = catalogue.current(db, world["scheme"])
    document = version.parsed.to_document()
    document["extra"]["person"] = {**settings.to_document(), "after_fail": "new_type_training"}
    schemes.publish_version(db, world["scheme"], document)
    enrolment = training.enrol(db, world["admin"], make_person(db, "Frode Feil"), world["comp"], "new_candidate")
    fail = dict(kind="practical", taken_on=TODAY, examiner_id=world["consultant"].id, passed=False)
    training.record_test(db, world["admin"], enrolment, fail)
    training.log_practice(db, world["admin"], enrolment, dict(day=TODAY + timedelta(days=1), hours=4, phase=1))
    retest = {**fail, "taken_on": TODAY + timedelta(days=5), "passed": True}
    with pytest.raises(FieldErrors) as error:  # practice alone is not enough under this scheme
        training.record_test(db, world["admin"], enrolment, retest)
    assert "typeopplæring" in error.value.errors["kind"][0]
    instructor = make_instructor(db, world["admin"], world["comp"], TODAY)
    course = training.create_course(db, world["admin"], world["comp"], dict(
        activity="type_training", title="Ny typeopplæring", starts_on=TODAY + timedelta(days=2),
        ends_on=TODAY + timedelta(days=3), hours=21, instructor_id=instructor.id))
    training.add_participant(db, world["admin"], course, enrolment)
    training.complete_course(db, world["admin"], course, TODAY + timedelta(days=3))
    assert training.record_test(db, world["admin"], enrolment, retest).passed


def test_a_guide_on_a_line_has_been_certified_on_it_for_at_least_3_years(db, world):
    line = competence(db, world["scheme"], "LINE-BERGEN")
    guide = make_person(db, "Gunnar Guide", approved_instructor=True)
    holding = register.register_documented(db, world["reviewer"], guide, line, TODAY - timedelta(days=40), TODAY,
                                           "Kontrollert")
    data = dict(activity="infrastructure", title="Bergensbanen", starts_on=TODAY, ends_on=TODAY, hours=8,
                instructor_id=guide.id)
    with pytest.raises(FieldErrors) as error:
        training.create_course(db, world["admin"], line, data)
    assert "3 år" in error.value.errors["instructor_id"][0]
    holding.first_issued_on = date(2023, 12, 6)  # certified on the line since exactly 3 years
    assert training.create_course(db, world["admin"], line, data).instructor_id == guide.id
