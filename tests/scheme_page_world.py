"""A tenant with every page of the audit and person schemes filled, grown on demand: ``scheme_page_world``
makes it with one case, certificate, complaint, person, enrolment, course, revocation case and submission
in focus (the detail pages show them), and ``grow(w, count)`` adds ``count`` more of every related thing:
findings, corrective actions, team members, samples, files, sub-units and follow-up audits of the focus
case; scopes and versions of its scheme; scopes and draft requirements of a scheme being edited; events
of its certificate; companies with their cases and certificates; complaints over several years; audit and
person schemes; people with register entries, cards, enrolments, practice, tests, courses, revocation
cases, training plans and documents; staff ties and competences; submission items.  Rows are added
directly (the services' rules are tested elsewhere), so a world of 12 of each is quick to make."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import select

from saas.audits.models import AuditCase, AuditSample, CaseFile, ConformityEntry, CorrectiveAction, Finding, TeamMember
from saas.certification.complaint_models import Complaint
from saas.certification.scheme_models import SchemeCertificate, SchemeCertificateEvent
from saas.persons.models import (Card, Course, CourseParticipant, Enrolment, Holding, PersonCompetence,
                                 PersonDocument, PracticeEntry, RevocationCase, Submission, TestAttempt,
                                 TrainingPlanItem)
from saas.persons.services import catalogue, revocation, training
from saas.schemes import editor, services as schemes
from saas.schemes.models import Competence, Requirement, Scheme, SchemeScope, StaffTie
from tests import factories
from tests.audit_helpers import applied, audit_world, audited, certified, reviewed_documents, team_named
from tests.person_factories import competence, make_instructor, make_person, make_scheme

TODAY = date(2026, 12, 6)


def scheme_page_world(db) -> dict:
    """The focus rows of every page (needs an app context: a certificate is issued)."""
    w = audit_world(db)
    certificate_case = certified(w)
    w["certificate"] = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == certificate_case.id))
    w["case"] = audited(w, team_named(w, reviewed_documents(w, applied(w))))
    w["version"] = w["case"].scheme_version
    w["requirements"] = db.scalars(select(Requirement).where(Requirement.version_id == w["version"].id)
                                   .order_by(Requirement.position)).all()
    w["complaint"] = Complaint(company_id=w["company"].id, certificate_ref=w["certificate"].number,
                               from_name="Klager", from_email="klager@example.no", text="Klage på revisjonen",
                               received_on=TODAY)
    db.add(w["complaint"])
    w["draft_scheme"] = Scheme(kind="audit", code="utkast", name="Ordning med utkast", active=True)
    db.add(w["draft_scheme"])
    db.flush()
    schemes.publish_version(db, w["draft_scheme"], {"validity_months": 24},
                            requirements=[dict(clause="K1", title="Krav")])
    w["draft"] = editor.start_draft(db, w["admin"], w["draft_scheme"].id)

    w["person_scheme"] = make_scheme(db, w["admin"])
    catalogue.register_settings(db)
    w["person_version"] = catalogue.current(db, w["person_scheme"])[0]
    w["competence"] = competence(db, w["person_scheme"], "TYPE-73")
    w["person"] = make_person(db, "Fokus Person", employer=w["company"])
    w["instructor"] = make_instructor(db, w["admin"], w["competence"], TODAY)
    w["enrolment"] = training.enrol(db, w["admin"], w["person"], competence(db, w["person_scheme"], "TYPE-DI4"),
                                    "new_candidate")
    w["course"] = _course(db, w, w["enrolment"].competence_id, "Fokuskurset")
    w["card"] = _card(db, w, w["person"], "FOKUS")
    _holding(db, w, w["person"], w["competence"])
    w["revocation"] = revocation.open_case(db, w["admin"], w["person"], dict(
        trigger="incident", scheme_id=w["person_scheme"].id, facts="Fakta"), TODAY)
    w["submission"] = Submission(direction="outgoing", reference="fokus", training_company="Fokus AS", items=[])
    db.add(w["submission"])
    db.flush()
    w["grown"] = 0
    return w


def grow(w: dict, count: int) -> None:
    """``count`` more of every related thing (see the module's docstring)."""
    db = w["db"]
    for i in range(w["grown"], w["grown"] + count):
        _grow_audits(db, w, i)
        _grow_schemes(db, w, i)
        _grow_persons(db, w, i)
    w["grown"] += count
    db.flush()


def _grow_audits(db, w, i: int) -> None:
    case, admin = w["case"], w["admin"]
    staff = factories.make_user(db, w["tenant"], roles=("consultant",), name=f"Revisor {i:02d}")
    db.add(TeamMember(case_id=case.id, user_id=staff.id, role="auditor", named_on=TODAY))
    finding = Finding(case_id=case.id, stage="audit", grade="minor", description=f"Avvik {i}", raised_on=TODAY,
                      due_on=TODAY + timedelta(days=30), raised_by=staff.id,
                      requirement_id=w["requirements"][i % len(w["requirements"])].id)
    db.add(finding)
    db.add(AuditSample(case_id=case.id, kind="course", description=f"Utvalg {i}", taken_by=staff.id, taken_on=TODAY))
    key = hashlib.sha256(f"{w['tenant'].slug}-{i}".encode()).hexdigest()
    db.add(CaseFile(case_id=case.id, kind="document", storage_key=f"{key[:4]}/{key[4:36]}.pdf",
                    filename=f"Fil {i}.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
                    uploaded_by=admin.id))
    db.flush()
    db.add(CorrectiveAction(finding_id=finding.id, root_cause="Årsak", correction="Rettet", corrective_action="Tiltak",
                            received_on=TODAY, submitted_by=w["client"].id))
    db.add(ConformityEntry(case_id=case.id, stage="audit", requirement_id=w["requirements"][i].id,
                           assessment="conform", assessed_by=staff.id, assessed_on=TODAY))
    db.add(AuditCase(company_id=case.company_id, scheme_id=case.scheme_id, scheme_version_id=case.scheme_version_id,
                     kind="extraordinary", origin_case_id=case.id, complaint_id=w["complaint"].id,
                     reason=f"Oppfølging {i}", scope_ids=case.scope_ids, created_by=admin.id))
    db.add(SchemeCertificateEvent(certificate_id=w["certificate"].id, action="note", to_state="active",
                                  reason=f"Hendelse {i}", on=TODAY, by_user_id=staff.id))
    db.add(SchemeScope(scheme_id=case.scheme_id, code=f"V{i:02d}", name=f"Vekstområde {i}", position=100 + i))
    db.add(SchemeScope(scheme_id=w["draft_scheme"].id, code=f"V{i:02d}", name=f"Vekstområde {i}"))
    db.add(Requirement(version_id=w["draft"].id, clause=f"K{i + 2}", title=f"Krav {i}", position=i + 1))
    schemes.publish_version(db, w["scheme"], w["version"].settings, note=f"Versjon med vekst {i}")
    unit = factories.make_sub_unit(db, w["company"], name=f"Avdeling {i:02d}")
    case.sub_units = [*case.sub_units, {"sub_unit_id": unit.id, "scope_ids": case.scope_ids[:1]}]
    # A company of the provider's and one more case and certificate of the client's company, each with its team,
    # findings and corrective actions.
    company = factories.make_company(db, w["tenant"], name=f"Kunde {i:02d} AS")
    for owner in (company, w["company"]):
        other = AuditCase(company_id=owner.id, scheme_id=case.scheme_id, scheme_version_id=case.scheme_version_id,
                          kind="initial", scope_ids=case.scope_ids, application_received_on=TODAY,
                          contract_signed_on=TODAY, accepted_on=TODAY, created_by=staff.id)
        db.add(other)
        db.flush()
        db.add(TeamMember(case_id=other.id, user_id=staff.id, role="lead_auditor", named_on=TODAY))
        other_finding = Finding(case_id=other.id, stage="document", grade="minor", description="Avvik",
                                raised_on=TODAY, raised_by=staff.id)
        db.add(other_finding)
        db.flush()
        db.add(CorrectiveAction(finding_id=other_finding.id, root_cause="Årsak", correction="Rettet",
                                corrective_action="Tiltak", received_on=TODAY, submitted_by=staff.id))
        db.add(SchemeCertificate(
            company_id=owner.id, scheme_id=case.scheme_id, scheme_version_id=case.scheme_version_id, case_id=other.id,
            number=f"VEKST-{i:02d}-{owner.id}", sequence=5000 + 2 * i + (owner is company), issued_on=TODAY,
            valid_until=TODAY + timedelta(days=3 * 365), cycle_started_on=TODAY, state="active",
            state_changed_on=TODAY, holder={"name": owner.name, "org_number": owner.org_number},
            scopes=[], sub_units=[], signatory="Signe", issued_by=admin.id))
    db.add(Complaint(company_id=company.id, from_name=f"Klager {i}", from_email="k@example.no", text="Klage",
                     received_on=TODAY - timedelta(days=400 * (i % 3)), handler_id=staff.id, decided_by=admin.id))
    db.add(StaffTie(user_id=staff.id, company_id=company.id, kind="consulted", from_on=TODAY, registered_by=admin.id))
    db.add(Competence(user_id=staff.id, scheme_id=case.scheme_id, function="auditor", valid_from=TODAY,
                      registered_by=admin.id))


def _grow_schemes(db, w, i: int) -> None:
    own = Scheme(kind="audit", code=f"egen-{i:02d}", name=f"Egen ordning {i:02d}", active=True)
    db.add(own)
    db.flush()
    db.add(SchemeScope(scheme_id=own.id, code="X", name=f"Fagområde {i}"))
    schemes.publish_version(db, own, {"validity_months": 24}, note="Første",
                            requirements=[dict(clause="K1", title="Krav")])
    make_scheme(db, w["admin"], "forer")


def _grow_persons(db, w, i: int) -> None:
    scheme, admin, company = w["person_scheme"], w["admin"], w["company"]
    extra = PersonCompetence(scheme_id=scheme.id, code=f"VEKST-{i:02d}", name=f"Vekst {i}", position=100 + i)
    db.add(extra)
    db.flush()
    person = w["person"]
    absent = _holding(db, w, person, extra)
    absent.absent_since = TODAY - timedelta(days=150)
    db.add(TrainingPlanItem(holding_id=absent.id, title=f"Plan {i}", due_on=TODAY + timedelta(days=30)))
    enrolment = Enrolment(person_id=person.id, scheme_id=scheme.id, competence_id=extra.id, category="new_candidate",
                          documented=[], done=[])
    db.add(enrolment)
    _card(db, w, person, f"{i:02d}")
    db.add(PersonDocument(person_id=person.id, kind="report", title=f"Rapport {i}", file_key=f"{i:04d}/{'0' * 32}.png",
                          content_type="image/png", original_name="r.png", size=0, uploaded_by=admin.id))
    db.add(RevocationCase(person_id=person.id, scheme_id=scheme.id, trigger="incident",
                          opened_on=TODAY - timedelta(days=30), state="closed", outcome="warning",
                          decided_on=TODAY - timedelta(days=20 + i)))
    focus = w["enrolment"]
    db.add(PracticeEntry(enrolment_id=focus.id, phase=1, day=TODAY - timedelta(days=i), hours=8, km=60))
    db.add(TestAttempt(enrolment_id=focus.id, kind="theory", taken_on=TODAY - timedelta(days=i),
                       examiner_id=admin.id, passed=i % 2 == 0))
    db.flush()
    db.add(PracticeEntry(enrolment_id=enrolment.id, phase=1, day=TODAY, hours=8, km=60))
    db.add(TestAttempt(enrolment_id=enrolment.id, kind="theory", taken_on=TODAY, examiner_id=admin.id, passed=True))

    employee = make_person(db, f"Ansatt {i:02d}", employer=company, email=f"ansatt{i}@example.no")
    _holding(db, w, employee, w["competence"])
    _card(db, w, employee, f"A{i:02d}")
    candidate = Enrolment(person_id=employee.id, scheme_id=scheme.id, competence_id=focus.competence_id,
                          category="new_candidate", documented=[], done=[])
    db.add(candidate)
    db.add(RevocationCase(person_id=employee.id, scheme_id=scheme.id, trigger="incident", opened_on=TODAY))
    instructor = make_instructor(db, admin, w["competence"], TODAY, name=f"Instruktør {i:02d}")
    other_course = _course(db, w, focus.competence_id, f"Kurs {i:02d}", instructor=instructor)
    db.flush()
    db.add(CourseParticipant(course_id=w["course"].id, enrolment_id=candidate.id))
    db.add(CourseParticipant(course_id=other_course.id, enrolment_id=candidate.id))
    db.add(Submission(direction="outgoing", reference=f"vekst-{i:02d}", training_company="Vekst AS",
                      items=[dict(holding_id=0, holder_name=employee.name, competence_code="TYPE-73")]))
    w["submission"].items = [*w["submission"].items, dict(holding_id=0, holder_name=employee.name,
                                                          competence_code="TYPE-73")]


def _holding(db, w, person, comp) -> Holding:
    holding = Holding(person_id=person.id, competence_id=comp.id, scheme_version_id=w["person_version"].id,
                      first_issued_on=TODAY - timedelta(days=100), tested_on=TODAY - timedelta(days=100),
                      approved_by=w["admin"].id)
    db.add(holding)
    db.flush()
    return holding


def _card(db, w, person, suffix: str) -> Card:
    card = Card(person_id=person.id, scheme_id=w["person_scheme"].id, scheme_version_id=w["person_version"].id,
                number=f"KB-{suffix}-{person.id}", verify_code=f"code-{suffix}-{person.id}-0123456789abcdef",
                issued_on=TODAY, snapshot=dict(holder_name=person.name, competences=[], title="Kompetansebevis"),
                token="x", approved_by=w["admin"].id)
    db.add(card)
    db.flush()
    return card


def _course(db, w, competence_id: int, title: str, instructor=None) -> Course:
    course = Course(scheme_id=w["person_scheme"].id, competence_id=competence_id, activity="type_training", title=title,
                    starts_on=TODAY, ends_on=TODAY + timedelta(days=2), hours=21,
                    instructor_id=(instructor or w["instructor"]).id)
    db.add(course)
    db.flush()
    return course
