"""A certification year with one of every piece of HMS work; and ``build_company_history``, a company
with years of history and a big current year (the year page's query-count test and bench/year_page.py)."""
from datetime import date, timedelta

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
    content = {"sections": [{"key": "A", "title_nb": f"Del {key} Hemmelig", "title_en": "", "items": [
        {"key": "A1", "text_nb": f"Punkt {key} Hemmelig", "text_en": "", "guidance_nb": "", "unit": ""}]}], "retired_keys": []}
    version = ChecklistTemplateVersion(template_id=template.id, version=1, content=content)
    session.add(version)
    session.flush()
    run = ChecklistRun(template_version_id=version.id)
    session.add(run)
    session.flush()
    action = ActionItem(year_id=year.id, title=f"Tiltak {key} Hemmelig", deadline=date(2026, 12, 1), responsible_user_id=base["client"].id)
    session.add(action)
    session.flush()
    answer = ChecklistAnswer(run_id=run.id, section_key="A", item_key="A1", item_text=f"Punkt {key} Hemmelig", answer="finding",
                             finding_grade="minor", action_item_id=action.id, previous_comment=f"I fjor {key} Hemmelig")
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


def build_company_history(session, company, actor, *, years: int = 5, actions: int = 300, hazards: int = 100,
                          last_year: int = 2026) -> CertificationYear:
    """Give ``company`` ``years`` certification years through the services, each with a physical mapping
    (a finding on it), a psychosocial mapping, a safety round and a risk assessment; the newest year also
    gets ``actions`` action items (a third overdue, a third in progress) and ``hazards`` hazards.  Returns
    the newest year."""
    from saas.hms.services import mappings, rounds, years as year_services

    year = None
    for number in range(last_year - years + 1, last_year + 1):
        year = year_services.open_year(session, actor, company, {"year": number})
        mapping = mappings.create_physical(session, actor, year, {"performed_on": date(number, 3, 1), "method": "provider"})
        first = mapping.run.answers[0]
        mappings.save_physical_answers(session, actor, year, mapping, [
            {"id": first.id, "answer": "finding", "finding_grade": "minor", "comment": f"Funn {number}"}])
        mappings.create_psychosocial(session, actor, year, {"method_interviews": True, "conversation_count": 8,
                                                             "themes": "Arbeidsmengde", "completed_on": date(number, 4, 1)})
        rounds.create_round(session, actor, year, {"held_on": date(number, 5, 1), "location": "Byggeplass"})
        assessment = RiskAssessment(year_id=year.id, title=f"Risikovurdering {number}", assessed_on=date(number, 2, 1),
                                    matrix_snapshot=default_matrix().to_dict(), status="completed")
        session.add(assessment)
        session.flush()
        count = hazards if number == last_year else 3
        session.add_all(Hazard(assessment_id=assessment.id, description=f"Fare {i}", location="Verksted",
                               probability=1 + i % 5, consequence=1 + (i // 5) % 5,
                               probability_after=1, consequence_after=1 + (i // 5) % 5) for i in range(count))
        session.add(Evidence(year_id=year.id, target_type="physical_mapping", target_id=mapping.id,
                             file_key=f"{number:04d}/{company.id:032x}.pdf", original_name="kart.pdf",
                             content_type="application/pdf", size=10, sha256="0" * 64))
    statuses = ("open", "in_progress", "done")
    session.add_all(ActionItem(year_id=year.id, title=f"Tiltak {i}", area="physical" if i % 4 else "psychosocial",
                               status=statuses[i % 3], deadline=date(last_year, 1, 1) + timedelta(days=i * 3 % 700),
                               responsible_name="Ola") for i in range(actions))
    session.flush()
    return year
