"""Certification years, checklists and mappings against a real database: one year per company and year,
start from last year, findings that become action items, versioned templates and the report job."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from saas import storage
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ChecklistTemplate,
                             ComplianceCheck, Evidence, Hazard, PhysicalMapping, RiskAssessment, RiskMatrixVersion)
from saas.hms.risk import simple_matrix
from saas.hms.services import checklists, compliance, mappings, reports, rounds, years
from saas.schemas import FieldErrors
from tests import factories


@pytest.fixture
def world(db):
    tenant = factories.make_tenant(db)
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    admin = factories.make_user(db, tenant, roles=("admin",))
    company = factories.make_company(db, tenant, name="Verksted Ærlig & Sønn AS", consultant_id=consultant.id,
                                     employee_count=35, works_off_premises=True)
    return dict(tenant=tenant, consultant=consultant, admin=admin, company=company)


def answers_by_key(db, run_id: int) -> dict[str, ChecklistAnswer]:
    return {a.item_key: a for a in db.scalars(select(ChecklistAnswer).where(ChecklistAnswer.run_id == run_id))}


# -- one year per company and year ----------------------------------------------------------------------

def test_a_second_year_with_the_same_number_is_refused_with_a_clear_message(db, world):
    years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    with pytest.raises(FieldErrors) as error:
        years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    assert error.value.errors == {"year": ["Verksted Ærlig & Sønn AS har allerede et sertifiseringsår for 2026."]}
    assert db.scalar(select(func.count(CertificationYear.id))) == 1


def test_the_database_itself_refuses_a_duplicate_year(db, world):
    years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(CertificationYear(company_id=world["company"].id, year=2026))
            db.flush()


def test_opening_a_year_adds_the_compliance_checks_for_the_company_size(db, world):
    year = years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    keys = set(db.scalars(select(ComplianceCheck.key).where(ComplianceCheck.year_id == year.id)))
    assert "amu" in keys and "safety_representative" in keys  # 35 employees: AMU is required
    assert compliance.ensure_compliance_checks(db, year) == []  # idempotent


def test_starting_from_last_year_without_one_is_refused(db, world):
    with pytest.raises(FieldErrors) as error:
        years.open_year(db, world["consultant"], world["company"], {"year": 2026, "start_from_previous": True})
    assert "start_from_previous" in error.value.errors


# -- templates -----------------------------------------------------------------------------------------

def test_default_templates_are_seeded_once(db, world):
    first = checklists.ensure_default_templates(db)
    second = checklists.ensure_default_templates(db)
    assert {k: t.id for k, t in first.items()} == {k: t.id for k, t in second.items()}
    assert db.scalar(select(func.count(ChecklistTemplate.id))) == 2
    physical = checklists.current_version(db, first["physical"].id)
    assert physical.version == 1 and physical.content["sections"][0]["items"][0]["key"] == "A1"


def test_a_template_edit_makes_a_new_version_and_old_mappings_keep_theirs(db, world):
    consultant, admin = world["consultant"], world["admin"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    old = mappings.create_physical(db, consultant, year, {"method": "provider"})
    template = checklists.ensure_default_templates(db)["physical"]
    version = checklists.edit_template(db, admin, template, "update_item", {"item_key": "A1", "text_nb": "Gulv er jevne og tørre."})
    assert version.version == 2
    unchanged = checklists.edit_template(db, admin, template, "update_item", {"item_key": "A1", "text_nb": "Gulv er jevne og tørre."})
    assert unchanged.id == version.id  # nothing changed: no version
    new = mappings.create_physical(db, consultant, year, {"method": "provider"})
    assert old.run.template_version.version == 1 and new.run.template_version.version == 2
    assert answers_by_key(db, old.run_id)["A1"].item_text.startswith("Gulv, trapper")
    assert answers_by_key(db, new.run_id)["A1"].item_text == "Gulv er jevne og tørre."
    assert checklists.run_sections(db, old.run)["sections"][0]["answers"][0]["item_text"].startswith("Gulv, trapper")
    with pytest.raises(FieldErrors) as error:
        checklists.edit_template(db, admin, template, "add_item", {"section_key": "A", "text_nb": ""})
    assert error.value.errors == {"text_nb": ["Punktet må ha en tekst."]}


# -- findings ------------------------------------------------------------------------------------------

def test_a_graded_finding_becomes_an_action_item_in_the_same_transaction(db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    mapping = mappings.create_physical(db, consultant, year, {"method": "provider", "performed_on": date(2026, 3, 2)})
    answer = answers_by_key(db, mapping.run_id)["B2"]
    with pytest.raises(FieldErrors) as error:
        mappings.save_physical_answers(db, consultant, year, mapping, [{"id": answer.id, "answer": "finding"}])
    assert error.value.errors == {f"{answer.id}.finding_grade": ["Velg alvorlighetsgrad for avviket."]}

    created = mappings.save_physical_answers(db, consultant, year, mapping, [
        {"id": answer.id, "answer": "finding", "finding_grade": "serious", "comment": "320 lx ved kassa", "measured_value": 320}])
    assert len(created) == 1
    item = created[0]
    assert (item.year_id, item.area, item.source_type, item.source_id, item.grade) == (year.id, "physical", "finding", answer.id, "serious")
    assert item.title == "320 lx ved kassa" and answer.action_item_id == item.id  # what was found, not the checklist's ideal
    # Saving again (a new grade) updates the same item instead of adding another.
    again = mappings.save_physical_answers(db, consultant, year, mapping, [{"id": answer.id, "answer": "finding", "finding_grade": "minor"}])
    assert again == [] and db.get(ActionItem, item.id).grade == "minor"
    assert db.scalar(select(func.count(ActionItem.id)).where(ActionItem.year_id == year.id)) == 1


def test_a_mapping_completes_only_when_every_item_is_answered(db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    mapping = mappings.create_physical(db, consultant, year, {"method": "provider"})
    with pytest.raises(FieldErrors) as error:
        mappings.complete_physical(db, consultant, year, mapping, date(2026, 3, 5))
    assert error.value.errors["_schema"][0] == "Fyll inn dato for kartleggingen."
    mappings.update_physical(db, consultant, year, mapping, {"performed_on": date(2026, 3, 4)})
    mappings.save_physical_answers(db, consultant, year, mapping, [], fill_unanswered_ok=True)
    mappings.complete_physical(db, consultant, year, mapping, date(2026, 3, 5))
    assert (mapping.status, mapping.completed_on) == ("completed", date(2026, 3, 5))


def test_a_safety_round_finding_becomes_an_action_item(db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    safety_round = rounds.create_round(db, consultant, year, {"held_on": date(2026, 6, 1), "location": "Byggeplass Kongsberg"})
    assert safety_round.run.template_version.template.kind == "safety_round"
    answer = answers_by_key(db, safety_round.run_id)["B1"]
    [item] = rounds.save_round_answers(db, consultant, year, safety_round, [{"id": answer.id, "answer": "finding", "finding_grade": "serious"}])
    assert (item.source_type, item.source_id, item.area) == ("safety_round", answer.id, "physical")


# -- start from last year ----------------------------------------------------------------------------------

def test_start_from_last_year_copies_checklists_risks_and_open_actions_with_flags(db, world):
    consultant, admin, company = world["consultant"], world["admin"], world["company"]
    last = years.open_year(db, consultant, company, {"year": 2025})
    mapping = mappings.create_physical(db, consultant, last, {"method": "third_party", "performed_by": "Bedriftshelse AS"})
    by_key = answers_by_key(db, mapping.run_id)
    [finding_item] = mappings.save_physical_answers(db, consultant, last, mapping, [
        {"id": by_key["A1"].id, "answer": "finding", "finding_grade": "minor", "comment": "Løse matter i gangen"},
        {"id": by_key["B2"].id, "answer": "ok", "comment": "540 lx"},
        {"id": by_key["C4"].id, "answer": "ok", "comment": "Tørt"},
    ])
    done = ActionItem(year_id=last.id, title="Ferdig tiltak", status="done")
    db.add(done)
    assessment = RiskAssessment(year_id=last.id, title="Verkstedet", matrix_snapshot={"old": True}, status="completed",
                                assessed_on=date(2025, 2, 1))
    db.add(assessment)
    db.flush()
    db.add(Hazard(assessment_id=assessment.id, description="Klemfare i presse", probability=5, consequence=4,
                  probability_after=2, consequence_after=4, measures="Tohåndsbetjening"))
    # The tenant edits its template and moves to a 3×3 matrix after last year.
    template = checklists.ensure_default_templates(db)["physical"]
    checklists.edit_template(db, admin, template, "update_item", {"item_key": "B2", "text_nb": "Belysningen er målt ved arbeidsflaten."})
    checklists.edit_template(db, admin, template, "remove_item", {"item_key": "C4"})
    checklists.edit_template(db, admin, template, "add_item", {"section_key": "J", "text_nb": "Det finnes en plan for hjemmekontor."})
    db.add(RiskMatrixVersion(version=99, data=simple_matrix().to_dict()))
    db.flush()

    year = years.open_year(db, consultant, company, {"year": 2026, "start_from_previous": True})

    assert year.previous_year_id == last.id
    [copy] = db.scalars(select(PhysicalMapping).where(PhysicalMapping.year_id == year.id)).all()
    assert (copy.method, copy.performed_by, copy.status) == ("third_party", "Bedriftshelse AS", "draft")
    assert copy.run.template_version.version == 4 and copy.run.previous_run_id == mapping.run_id
    answers = answers_by_key(db, copy.run_id)
    assert all(a.answer is None for a in answers.values())
    assert (answers["A1"].previous_answer, answers["A1"].previous_comment, answers["A1"].change_flag) == ("finding", "Løse matter i gangen", None)
    assert answers["B2"].change_flag == "changed" and answers["B2"].previous_comment == "540 lx"
    assert answers["J5"].change_flag == "new" and answers["J5"].previous_answer is None
    assert answers["C4"].change_flag == "removed" and answers["C4"].previous_comment == "Tørt"
    sections = checklists.run_sections(db, copy.run)
    assert [a["item_key"] for a in sections["removed"]] == ["C4"] and sections["total"] == len(answers) - 1

    [carried] = db.scalars(select(ActionItem).where(ActionItem.year_id == year.id)).all()
    assert (carried.carried_from_id, carried.status, carried.title) == (finding_item.id, "open", finding_item.title)
    assert answers["A1"].action_item_id == carried.id  # answering "finding" again updates the carried item

    [new_assessment] = db.scalars(select(RiskAssessment).where(RiskAssessment.year_id == year.id)).all()
    assert new_assessment.status == "draft" and new_assessment.matrix_snapshot == simple_matrix().to_dict()
    [hazard] = new_assessment.hazards
    assert (hazard.description, hazard.probability, hazard.consequence, hazard.probability_after) == ("Klemfare i presse", 3, 3, 2)

    stats = years.physical_rows(db, year.id)[0]
    assert (stats["new"], stats["changed"], stats["removed"]) == (1, 1, 1)
    with pytest.raises(FieldErrors):
        years.start_from_previous(db, consultant, year)


# -- the report job ----------------------------------------------------------------------------------------

def test_the_report_job_renders_a_pdf_with_the_company_and_findings_and_a_second_run_changes_nothing(app, db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    mapping = mappings.create_physical(db, consultant, year, {"method": "provider", "performed_on": date(2026, 3, 2)})
    answer = answers_by_key(db, mapping.run_id)["G3"]
    mappings.save_physical_answers(db, consultant, year, mapping, [
        {"id": answer.id, "answer": "finding", "finding_grade": "serious", "comment": "Trucken mangler kontrollbevis"}],
        fill_unanswered_ok=True)
    mappings.complete_physical(db, consultant, year, mapping, date(2026, 3, 3))
    with app.test_request_context():
        version = reports._bump(db, PhysicalMapping, mapping)
        evidence_id = reports.generate_physical_report(db, mapping.id, version, consultant.id)
        assert reports.generate_physical_report(db, mapping.id, version, consultant.id) is None
        evidence = db.get(Evidence, evidence_id)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(storage.read(evidence.file_key))).pages)
    assert "Verksted Ærlig & Sønn AS" in text
    assert "Trucken mangler kontrollbevis" in text and "sakkyndig kontroll" in text
    assert (evidence.target_type, evidence.target_id, evidence.generated, evidence.status) == (
        "physical_mapping_report", mapping.id, True, "verified")
    assert mapping.report_evidence_id == evidence.id and mapping.report_generated_version == version
    assert db.scalar(select(func.count(Evidence.id)).where(Evidence.target_type == "physical_mapping_report")) == 1


def test_a_stale_report_job_does_nothing_when_a_newer_version_was_asked_for(app, db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    mapping = mappings.create_physical(db, consultant, year, {"method": "provider"})
    with app.test_request_context():
        first = reports._bump(db, PhysicalMapping, mapping)
        second = reports._bump(db, PhysicalMapping, mapping)
        assert reports.generate_physical_report(db, mapping.id, first, None) is None
        assert reports.generate_physical_report(db, mapping.id, second, None) is not None
    assert mapping.report_generated_version == second


def test_the_psychosocial_report_has_the_conclusion_and_no_personal_data_warning(app, db, world):
    consultant = world["consultant"]
    year = years.open_year(db, consultant, world["company"], {"year": 2026})
    psy = mappings.create_psychosocial(db, consultant, year, {"method_interviews": True, "conversation_count": 12,
                                                              "themes": "Arbeidsmengde og tidspress", "findings": "Travle perioder",
                                                              "no_significant_conditions": True})
    mappings.add_psychosocial_finding(db, consultant, year, {"title": "Planlegg bemanning i høysesong", "grade": "minor"})
    mappings.complete_psychosocial(db, consultant, year, psy, date(2026, 5, 1))
    with app.test_request_context():
        version = reports._bump(db, type(psy), psy)
        evidence = db.get(Evidence, reports.generate_psychosocial_report(db, psy.id, version, consultant.id))
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(storage.read(evidence.file_key))).pages)
    assert "Ingen vesentlige forhold funnet" in text and "Planlegg bemanning i høysesong" in text
    assert "ikke personopplysninger" in text and psy.report_evidence_id == evidence.id
