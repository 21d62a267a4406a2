"""A certification year with one of every piece of HMS work."""
from datetime import date

from saas.hms.models import (ActionItem, ActionNote, CertificationYear, ChecklistAnswer, ChecklistRun, ChecklistTemplate,
                             ChecklistTemplateVersion, ComplianceCheck, Evidence, Hazard, PhysicalMapping,
                             PsychosocialMapping, RiskAssessment, RiskMatrixVersion, SafetyRound, SentReminder)
from saas.hms.risk import default_matrix


def populate(session, base):
    key = base["key"].upper()
    company, consultant = base["company"], base["consultant"]
    year = CertificationYear(company_id=company.id, year=2026, consultant_id=consultant.id, opened_by=consultant.id)
    template = ChecklistTemplate(kind="physical", name=f"Sjekkliste {key} Hemmelig", is_default=True)
    session.add_all([year, template])
    session.flush()
    version = ChecklistTemplateVersion(template_id=template.id, version=1, content={"sections": []})
    session.add(version)
    session.flush()
    run = ChecklistRun(template_version_id=version.id)
    session.add(run)
    session.flush()
    action = ActionItem(year_id=year.id, title=f"Tiltak {key} Hemmelig", deadline=date(2026, 12, 1), responsible_user_id=base["client"].id)
    session.add(action)
    session.flush()
    answer = ChecklistAnswer(run_id=run.id, section_key="A", item_key="A1", item_text=f"Punkt {key} Hemmelig", answer="finding",
                             finding_grade="minor", action_item_id=action.id)
    mapping = PhysicalMapping(year_id=year.id, run_id=run.id, performed_on=date(2026, 3, 1), participants=f"Deltaker {key} Hemmelig")
    psy = PsychosocialMapping(year_id=year.id, completed_on=date(2026, 4, 1), findings=f"Funn {key} Hemmelig")
    safety_round = SafetyRound(year_id=year.id, run_id=run.id, held_on=date(2026, 5, 1), notes=f"Runde {key} Hemmelig")
    matrix = RiskMatrixVersion(version=1, data=default_matrix().to_dict())
    assessment = RiskAssessment(year_id=year.id, title=f"Risiko {key} Hemmelig", matrix_snapshot=default_matrix().to_dict())
    session.add_all([answer, mapping, psy, safety_round, matrix, assessment])
    session.flush()
    hazard = Hazard(assessment_id=assessment.id, description=f"Fare {key} Hemmelig", probability=3, consequence=4)
    check = ComplianceCheck(year_id=year.id, key="employment_contracts", note=f"Kontrakter {key} Hemmelig")
    evidence = Evidence(year_id=year.id, target_type="action_item", target_id=action.id, file_key=f"0000/{'ab' * 15}{key.lower() * 2}.pdf",
                        original_name=f"bevis-{key}-hemmelig.pdf", content_type="application/pdf", size=10, sha256="0" * 64)
    note = ActionNote(action_id=action.id, author_id=consultant.id, text=f"Notat {key} Hemmelig")
    reminder = SentReminder(key=f"test:{key}")
    session.add_all([hazard, check, evidence, note, reminder])
    session.flush()
    return dict(year=year, template=template, template_version=version, run=run, action=action, answer=answer,
                mapping=mapping, psy_mapping=psy, safety_round=safety_round, matrix_version=matrix, assessment=assessment,
                hazard=hazard, compliance_check=check, evidence=evidence)
