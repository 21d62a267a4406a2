"""The rule-date and data defects of issue 13: B1 dates a physical mapping by the day it was performed;
every date the rules count is refused in the future (forms and API, naming the field); a risk assessment
without hazards counts for B3 only with an explicit conclusion; an invoice needs the tenant's bank account;
the survey's first page says how many questions it has."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.billing.models import Invoice
from saas.billing.services import invoices, settings as billing_settings
from saas.certification.demo import complete_year
from saas.certification.services.facts import gather_facts
from saas.hms import rules
from saas.hms.models import Hazard, PhysicalMapping, RiskAssessment
from saas.hms.services import years
from saas.i18n import today_in_oslo
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import keeps_today, login

TODAY = today_in_oslo()
TOMORROW = TODAY + timedelta(days=1)
_today = keeps_today(TODAY)  # the date the product sees, should the run cross midnight


@pytest.fixture
def world(db):
    tenant = factories.make_tenant(db, slug="bht", name="Bedriftstjenesten AS")
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    admin = factories.make_user(db, tenant, roles=("admin",))
    company = factories.make_company(db, tenant, name="Jondal Bygg AS", consultant_id=consultant.id)
    year = years.open_year(db, consultant, company, {"year": TODAY.year})
    token = create_api_token(db, consultant, "test")[1]
    data = dict(tenant=tenant, consultant=consultant, admin=admin, company=company, year=year, token=token)
    db.flush()
    bind_tenant(db, None)
    db.commit()
    return data


@pytest.fixture
def appctx(app):
    with app.test_request_context():
        yield


def api(client, world, method, path, **kwargs):
    return client.open(f"/api/v1/t/bht{path}", method=method, headers={"Authorization": f"Bearer {world['token']}"}, **kwargs)


# -- B1: the day the mapping was performed ---------------------------------------------------------------

def test_b1_counts_the_day_a_mapping_was_performed_not_the_day_it_was_entered(db, world, appctx):
    bind_tenant(db, world["tenant"].id)
    cert_year = complete_year(db, world["company"], world["consultant"], TODAY, year=TODAY.year - 1)
    mapping = db.scalar(select(PhysicalMapping).where(PhysicalMapping.year_id == cert_year.id))
    # Done 13 months ago, entered (marked completed) last month: outside the cycle.
    mapping.performed_on, mapping.completed_on = TODAY - timedelta(days=400), TODAY - timedelta(days=30)
    db.flush()

    verdict = rules.evaluate(gather_facts(db, cert_year.id, TODAY))

    b1 = verdict.criterion("B1")
    assert b1.outcome is rules.Outcome.NOT_MET
    assert (TODAY - timedelta(days=400)).strftime("%d.%m.%Y") in b1.reason


def test_b1_explanation_names_the_performed_date(db, world, appctx):
    bind_tenant(db, world["tenant"].id)
    cert_year = complete_year(db, world["company"], world["consultant"], TODAY, year=TODAY.year - 1)
    mapping = db.scalar(select(PhysicalMapping).where(PhysicalMapping.year_id == cert_year.id))
    mapping.performed_on, mapping.completed_on = TODAY - timedelta(days=100), TODAY - timedelta(days=2)
    db.flush()

    b1 = rules.evaluate(gather_facts(db, cert_year.id, TODAY)).criterion("B1")

    assert b1.outcome is rules.Outcome.MET
    assert f"gjennomført {(TODAY - timedelta(days=100)).strftime('%d.%m.%Y')}" in b1.reason
    assert (TODAY - timedelta(days=2)).strftime("%d.%m.%Y") not in b1.reason


# -- B3: an empty risk assessment says nothing ----------------------------------------------------------

def _b3(db, year_id):
    return rules.evaluate(gather_facts(db, year_id, TODAY)).criterion("B3")


def test_a_completed_risk_assessment_without_hazards_or_conclusion_does_not_satisfy_b3(db, world, appctx):
    bind_tenant(db, world["tenant"].id)
    cert_year = complete_year(db, world["company"], world["consultant"], TODAY, year=TODAY.year - 1)
    assessment = db.scalar(select(RiskAssessment).where(RiskAssessment.year_id == cert_year.id))
    for hazard in db.scalars(select(Hazard).where(Hazard.assessment_id == assessment.id)):
        db.delete(hazard)
    db.flush()
    assert _b3(db, cert_year.id).outcome is rules.Outcome.NOT_MET

    assessment.no_significant_hazards, assessment.conclusion_note = True, "   "
    db.flush()
    assert _b3(db, cert_year.id).outcome is rules.Outcome.NOT_MET  # the conclusion needs its note

    assessment.conclusion_note = "Kontorarbeid; gått gjennom med verneombudet, ingen vesentlige farer."
    db.flush()
    assert _b3(db, cert_year.id).outcome is rules.Outcome.MET


def test_completing_an_assessment_without_hazards_is_refused_naming_the_conclusion(client, db, world):
    created = api(client, world, "POST", f"/years/{world['year'].id}/risk-assessments",
                  json={"title": "Kontor", "assessed_on": TODAY.isoformat()})
    assert created.status_code == 201
    aid = created.json["id"]
    refused = api(client, world, "PATCH", f"/risk-assessments/{aid}", json={"status": "completed"})
    assert refused.status_code == 422 and "no_significant_hazards" in refused.json["fields"]
    no_note = api(client, world, "PATCH", f"/risk-assessments/{aid}", json={"status": "completed", "no_significant_hazards": True})
    assert no_note.status_code == 422 and "conclusion_note" in no_note.json["fields"]
    done = api(client, world, "PATCH", f"/risk-assessments/{aid}", json={
        "status": "completed", "no_significant_hazards": True, "conclusion_note": "Bare kontorarbeid."})
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["no_significant_hazards"] is True

    login(client, world["consultant"])
    page = client.post(f"/t/bht/risks/{aid}/edit", data={"title": "Kontor", "status": "completed", "conclusion_note": ""})
    assert page.status_code == 422
    assert "minst én vurdert fare" in page.get_data(as_text=True)


# -- no future dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "field", "body"), [
    ("/years/{year}/physical-mappings", "performed_on", {}),
    ("/years/{year}/physical-mappings", "reviewed_with_management_on", {}),
    ("/years/{year}/psychosocial-mappings", "completed_on", {}),
    ("/years/{year}/psychosocial-mappings", "reviewed_with_management_on", {}),
    ("/years/{year}/risk-assessments", "assessed_on", {"title": "Verksted"}),
    ("/years/{year}/safety-rounds", "held_on", {}),
    ("/years/{year}/attestations", "on", {"kind": "a4", "note": "Trivselsmøter hver måned."}),
])
def test_the_api_refuses_a_future_date_the_rules_count_naming_the_field(client, world, path, field, body):
    response = api(client, world, "POST", path.format(year=world["year"].id), json={**body, field: TOMORROW.isoformat()})

    assert response.status_code == 422
    assert response.json["fields"] == {field: ["Datoen kan ikke være frem i tid."]}


def test_today_is_not_in_the_future(client, world):
    response = api(client, world, "POST", f"/years/{world['year'].id}/risk-assessments",
                   json={"title": "Verksted", "assessed_on": TODAY.isoformat()})
    assert response.status_code == 201


def test_the_mapping_form_refuses_a_future_date_with_a_field_error(client, db, world):
    login(client, world["consultant"])
    response = client.post(f"/t/bht/years/{world['year'].id}/mappings/new",
                           data={"performed_on": TOMORROW.isoformat(), "method": "provider"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="e-performed_on"' in html and "Datoen kan ikke være frem i tid." in html


def test_the_api_names_the_field_whatever_the_language(client, db, world):
    response = client.post(f"/api/v1/t/bht/years/{world['year'].id}/risk-assessments",
                           headers={"Authorization": f"Bearer {world['token']}", "Accept-Language": "en"},
                           json={"title": "X", "assessed_on": TOMORROW.isoformat()})
    assert response.status_code == 422 and "assessed_on" in response.json["fields"]


# -- invoices need a bank account ---------------------------------------------------------------------------

def test_an_invoice_is_refused_until_the_tenant_has_a_bank_account(client, db, world):
    bind_tenant(db, world["tenant"].id)
    with pytest.raises(FieldErrors) as refused:
        invoices.manual_invoice(db, world["admin"], world["tenant"], {"company_id": world["company"].id, "lines": [
            dict(description="Rådgivning", quantity=100, unit_price=100_000, vat_code="high")]}, TODAY)
    assert "bank_account" in refused.value.errors
    assert db.scalar(select(Invoice.id)) is None
    bind_tenant(db, None)
    db.commit()

    login(client, world["admin"])
    page = client.post("/t/bht/billing/invoices/new", data={"company_id": str(world["company"].id),
                                                            "line-0-description": "Rådgivning", "line-0-quantity": "1",
                                                            "line-0-unit_price": "1000", "line-0-vat_code": "high"})
    assert page.status_code == 422
    assert "kontonummeret er lagt inn" in page.get_data(as_text=True)
    settings_page = client.get("/t/bht/billing/settings").get_data(as_text=True)
    assert "Kontonummer mangler" in settings_page


def test_a_certificate_invoice_waits_for_the_bank_account_and_is_issued_when_it_is_saved(db, world, appctx, monkeypatch):
    from saas.certification.demo import previous_certificate

    enqueued = []
    monkeypatch.setattr("saas.jobs.enqueue", lambda session, fn, *args, tenant_id, job_id=None: enqueued.append((fn.job_name, args, job_id)))
    bind_tenant(db, world["tenant"].id)
    reviewer = factories.make_user(db, world["tenant"], roles=("reviewer",))
    certificate = previous_certificate(db, world["tenant"], world["company"], world["consultant"], reviewer, TODAY)

    assert invoices.invoice_certificate(db, certificate.id, TODAY) is None
    assert invoices.held_certificate_ids(db) == [certificate.id]
    enqueued.clear()

    billing_settings.update_price_list(db, world["admin"], world["tenant"], {"bank_account": "15031234562"})
    assert [args for _, args, _ in enqueued] == [(certificate.id,)]
    invoice = invoices.invoice_certificate(db, certificate.id, TODAY)
    assert invoice is not None and invoice.seller["bank_account"] == "15031234562"
    assert invoices.held_certificate_ids(db) == []


# -- the survey's first page --------------------------------------------------------------------------------

def test_the_survey_first_page_shows_the_number_of_questions(app, db):
    from tests.functional.test_survey_pages import _open_survey
    from tests.integration.test_survey_services import make_world

    with app.test_request_context():
        survey_world = make_world(db)
    survey = _open_survey(app, db, survey_world)
    html = app.test_client().get(f"/s/{survey.public_token}").get_data(as_text=True)
    assert "built-in method" not in html
    assert "42 spørsmål." in html
