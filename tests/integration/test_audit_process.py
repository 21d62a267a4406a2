"""The audit process of seed 000 through its services: the steps, their clocks, and the rule that a
tied or unqualified person is never on the team, in the review or in the decision (no override)."""
from datetime import date

import pytest
from sqlalchemy import select

from saas.audits.services import Refused, audit, cases, overview
from saas.certification import scheme_certificates
from saas.certification.scheme_models import SchemeCertificate
from saas.hms.models import CertificationYear
from saas.schemas import FieldErrors
from saas.schemes import register
from tests.audit_helpers import (applied, audit_world, audited, certified, close_all_findings, reviewed_documents,
                                 team_named)


@pytest.fixture
def w(app, db):
    with app.app_context():
        yield audit_world(db)


def test_a_full_initial_certification_issues_a_certificate_with_scope_and_sub_units(w):
    db = w["db"]
    case = applied(w)
    assert overview.where_it_stands(case)[:2] == ("application", "provider")
    reviewed_documents(w, case)
    assert [f.grade for f in case.findings] == ["minor"]  # the document review's nonconformity
    close_all_findings(w, case, date(2026, 1, 25))
    team_named(w, case)
    audited(w, case)
    assert overview.where_it_stands(case)[:2] == ("corrective_actions", "client")
    close_all_findings(w, case)
    assert overview.where_it_stands(case)[:2] == ("decision", "provider")
    audit.review(db, w["reviewer"], case, "Komplett.", date(2026, 3, 10))
    audit.decide(db, w["reviewer"], case, True, "", date(2026, 3, 10))
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    assert certificate.valid_until == date(2030, 3, 9)  # 4 years, from the scheme
    assert [s["name"] for s in certificate.scopes] == [s.name for s in w["scopes"][:2]]
    assert certificate.sub_units == [{"name": "Avdeling Drammen", "address": "Kaia 1, 3015 Drammen",
                                      "responsible": "Per Faglig", "scopes": [w["scopes"][0].name]}]
    assert overview.where_it_stands(case)[0] == "certificate"


def test_the_case_shows_its_clocks_from_the_scheme(w):
    case = applied(w)
    cases.accept(w["db"], w["admin"], case, date(2026, 1, 6))
    clocks = {c.key: c for c in overview.case_clocks(case, date(2026, 1, 21))}
    assert clocks["pre_evaluation"].due == date(2026, 1, 20) and clocks["pre_evaluation"].state == "overdue"
    assert clocks["pre_evaluation"].party == "client"


def test_a_refusal_of_the_application_is_written_with_the_reason(w):
    case = applied(w)
    with pytest.raises(FieldErrors):
        cases.refuse(w["db"], w["admin"], case, "nei", date(2026, 1, 6))
    cases.refuse(w["db"], w["admin"], case, "Vi har ikke kompetanse på tårnkran.", date(2026, 1, 6))
    assert overview.where_it_stands(case)[1] == ""


def test_a_tied_person_cannot_be_put_on_the_team(w):
    db = w["db"]
    case = reviewed_documents(w, applied(w), nonconformity=False)
    register.add_tie(db, w["admin"], dict(user_id=w["auditor"].id, company_id=w["company"].id, kind="trained",
                                          from_on=date(2025, 5, 1), to_on=date(2025, 5, 2), note="Holdt kurs der"))
    with pytest.raises(Refused) as error:
        team_named(w, case)
    assert "Rita Revisor" in str(error.value) and "binding" in str(error.value)
    assert not case.team


def test_a_consultant_who_did_hms_work_for_the_company_cannot_audit_it(w):
    db = w["db"]
    case = reviewed_documents(w, applied(w), nonconformity=False)
    db.add(CertificationYear(company_id=w["company"].id, year=2025, consultant_id=w["lead"].id))
    db.flush()
    with pytest.raises(Refused) as error:
        team_named(w, case)
    assert "HMS-arbeidet" in str(error.value)


def test_an_unqualified_person_cannot_be_put_on_the_team(w):
    case = reviewed_documents(w, applied(w), nonconformity=False)
    with pytest.raises(Refused) as error:
        cases.name_team(w["db"], w["admin"], case, [{"user_id": w["outsider"].id, "role": "lead_auditor"}],
                        "Program", date(2026, 2, 20), date(2026, 2, 1))
    assert "kompetanse" in str(error.value)


def test_an_expired_competence_does_not_qualify(w):
    db = w["db"]
    case = reviewed_documents(w, applied(w), nonconformity=False)
    from saas.schemes.models import Competence

    for c in db.scalars(select(Competence).where(Competence.user_id == w["auditor"].id)):
        register.expire_competence(db, w["admin"], c.id, date(2026, 1, 31))
    with pytest.raises(Refused):
        team_named(w, case)


@pytest.mark.parametrize("step", ["review", "decision"])
def test_a_tied_person_cannot_review_or_decide(w, step):
    db = w["db"]
    case = applied(w)
    reviewed_documents(w, case, nonconformity=False)
    team_named(w, case)
    audited(w, case, minor=False)
    register.add_tie(db, w["admin"], dict(user_id=w["reviewer"].id, company_id=w["company"].id, kind="family",
                                          from_on=date(2010, 1, 1), to_on=None, note=""))
    if step == "decision":
        # Someone else reviews; the tied reviewer still may not decide.
        other = w["admin"]
        register.add_competence(db, w["admin"], dict(user_id=other.id, scheme_id=w["scheme"].id, scope_id=None,
                                                     function="reviewer", valid_from=date(2024, 1, 1)))
        audit.review(db, other, case, "Komplett.", date(2026, 3, 10))
    with pytest.raises(Refused) as error:
        if step == "review":
            audit.review(db, w["reviewer"], case, "Komplett.", date(2026, 3, 10))
        else:
            audit.decide(db, w["reviewer"], case, True, "", date(2026, 3, 10))
    assert "binding" in str(error.value)
    assert case.decision is None


@pytest.mark.parametrize("who", ["lead", "outsider"])
def test_an_involved_or_unqualified_person_cannot_review_or_decide(w, who):
    db = w["db"]
    case = applied(w)
    reviewed_documents(w, case, nonconformity=False)
    team_named(w, case)
    audited(w, case, minor=False)
    for call in (lambda: audit.review(db, w[who], case, "Komplett.", date(2026, 3, 10)),):
        with pytest.raises(Refused) as error:
            call()
        assert ("involvert" if who == "lead" else "kompetanse") in str(error.value)
    audit.review(db, w["reviewer"], case, "Komplett.", date(2026, 3, 10))
    with pytest.raises(Refused):
        audit.decide(db, w[who], case, True, "", date(2026, 3, 10))


def test_a_refusal_decision_needs_reasons_and_issues_nothing(w):
    db = w["db"]
    case = applied(w)
    reviewed_documents(w, case, nonconformity=False)
    team_named(w, case)
    audited(w, case, minor=False)
    audit.review(db, w["reviewer"], case, "Komplett.", date(2026, 3, 10))
    with pytest.raises(FieldErrors):
        audit.decide(db, w["reviewer"], case, False, "", date(2026, 3, 10))
    audit.decide(db, w["reviewer"], case, False, "Instruktørene mangler dokumentert erfaring.", date(2026, 3, 10))
    assert db.scalar(select(SchemeCertificate.id).where(SchemeCertificate.case_id == case.id)) is None


def test_an_open_minor_finding_blocks_the_decision(w):
    db = w["db"]
    case = applied(w)
    reviewed_documents(w, case, nonconformity=False)
    team_named(w, case)
    audited(w, case)
    audit.review(db, w["reviewer"], case, "Komplett.", date(2026, 3, 10))
    with pytest.raises(Refused) as error:
        audit.decide(db, w["reviewer"], case, True, "", date(2026, 3, 10))
    assert "lukket" in str(error.value) and case.decision is None


def test_ns_9600_requires_document_findings_closed_before_the_audit_is_agreed(app, db):
    with app.app_context():
        w = audit_world(db, "ns9600-5")
        case = reviewed_documents(w, applied(w))
        with pytest.raises(Refused) as error:
            team_named(w, case)
        assert "lukkes før revisjonen" in str(error.value)
        close_all_findings(w, case, date(2026, 1, 25))
        team_named(w, case)


def test_a_suspension_and_a_scope_reduction(w):
    db = w["db"]
    case = certified(w)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    scheme_certificates.sanction(db, w["admin"], certificate.id, "suspend", "Alvorlig avvik ved kontroll",
                                 date(2026, 6, 1))
    assert certificate.state == "suspended"
    from saas.tenancy import platform_access
    from saas.tenants.models import OutboxMessage

    with platform_access(db):  # the company is told, with the marketing notice
        body = db.scalar(select(OutboxMessage.body).where(OutboxMessage.subject.like(f"%{certificate.number}%")))
    assert "Alvorlig avvik ved kontroll" in body and "markedsføring" in body
    new = scheme_certificates.reduce_scope(db, w["admin"], certificate.id, [w["scopes"][0].id],
                                           "Mangler instruktør for fagområdet", date(2026, 6, 2))
    assert certificate.state == "superseded" and new.supersedes_id == certificate.id
    assert new.scope_reduced and [s["id"] for s in new.scopes] == [w["scopes"][0].id]
    assert new.valid_until == certificate.valid_until and new.number != certificate.number


def test_a_change_reported_by_the_company_extends_the_scope_with_a_new_certificate(w):
    db = w["db"]
    case = certified(w)
    old = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    scopes = [s["id"] for s in old.scopes] + [w["scopes"][3].id]
    change = cases.open_follow_on(db, w["client"], company_id=w["company"].id, scheme_id=w["scheme"].id,
                                  kind="change", certificate_id=old.id, scope_ids=scopes, sub_units=case.sub_units,
                                  today=date(2026, 9, 1), change_note="Ny instruktør for tårnkran",
                                  reported_by_company=True)
    with pytest.raises(Refused):  # only staff open surveillance or recertification
        cases.open_follow_on(db, w["client"], company_id=w["company"].id, scheme_id=w["scheme"].id,
                             kind="surveillance", certificate_id=old.id, scope_ids=scopes, sub_units=[],
                             today=date(2026, 9, 1))
    cases.accept(db, w["admin"], change, date(2026, 9, 2))
    cases.submit_documents(db, w["client"], change, "CV og kursbevis for ny instruktør", date(2026, 9, 3))
    rows = {r.id: {"assessment": "conform", "where_documented": "Håndbok", "note": ""}
            for r in cases.requirements(db, change)}
    cases.save_matrix(db, w["lead"], change, rows, date(2026, 9, 5))
    cases.complete_document_review(db, w["lead"], change, date(2026, 9, 5))
    cases.name_team(db, w["admin"], change, [{"user_id": w["lead"].id, "role": "lead_auditor"}], "Dokumentrevisjon",
                    date(2026, 9, 20), date(2026, 9, 6))
    cases.accept_team(db, w["client"], change, date(2026, 9, 7))
    audit.hold_opening(db, w["lead"], change, "Revisjonsleder, daglig leder", True, date(2026, 9, 20))
    audit.hold_closing(db, w["lead"], change, "Daglig leder", "", date(2026, 9, 20))
    audit.send_report(db, w["lead"], change, dict(recommendation="issue", follow_up_on=None, summary="OK"),
                      date(2026, 9, 25))
    audit.review(db, w["reviewer"], change, "Komplett.", date(2026, 9, 28))
    audit.decide(db, w["reviewer"], change, True, "", date(2026, 9, 28))
    new = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == change.id))
    assert new.supersedes_id == old.id and old.state == "superseded"
    assert [s["id"] for s in new.scopes] == scopes and new.valid_until == old.valid_until
    assert not new.scope_reduced


def test_the_scheme_register_finds_a_holder_by_name_or_by_its_number_as_typed(w):
    db = w["db"]
    case = certified(w)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    org = w["company"].org_number
    on = certificate.issued_on
    for q in (w["company"].name.upper(), f"{org[:3]} {org[3:6]} {org[6:]}", f"NO {org} MVA", org[:4]):
        assert [r["id"] for r in scheme_certificates.register_rows(db, on, q)] == [certificate.id], q
    # digits in a name are not an organisation number
    assert scheme_certificates.register_rows(db, on, f"Firma {org[:4]}") == []
