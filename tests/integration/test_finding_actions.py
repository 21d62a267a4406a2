"""A graded finding becomes a real action (issue 13, point 4): a title saying what is wrong, the tenant's
default deadline and responsible person for its grade, and a link back to the finding."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from saas.hms import finding_defaults
from saas.hms.services import actions, mappings, years
from saas.i18n import today_in_oslo
from tests import factories
from tests.conftest import keeps_today
from tests.integration.test_hms_years_services import answers_by_key

TODAY = today_in_oslo()
_today = keeps_today(TODAY)  # the date the product sees, should the run cross midnight


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        tenant = factories.make_tenant(db, slug="funn")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        leader = factories.make_user(db, tenant, roles=("client",), name="Dag Leder")
        company = factories.make_company(db, tenant, name="Verkstedet AS", consultant_id=consultant.id)
        factories.make_contact(db, company, name="Uten Konto")
        factories.make_contact(db, company, user=leader, name="Dag Leder")
        year = years.open_year(db, consultant, company, {"year": TODAY.year})
        mapping = mappings.create_physical(db, consultant, year, {"method": "provider", "performed_on": TODAY})
        yield dict(db=db, tenant=tenant, consultant=consultant, leader=leader, company=company, year=year, mapping=mapping)


def _find(world, key: str, grade: str, comment: str = ""):
    answer = answers_by_key(world["db"], world["mapping"].run_id)[key]
    created = mappings.save_physical_answers(world["db"], world["consultant"], world["year"], world["mapping"], [
        {"id": answer.id, "answer": "finding", "finding_grade": grade, "comment": comment}])
    return answer, created[0]


# -- the pure part ------------------------------------------------------------------------------------------

def test_the_title_is_the_comment_or_avvik_and_the_checklist_item():
    assert finding_defaults.finding_title("Gulv er jevne", "Løs matte ved døra\nflere detaljer") == "Løs matte ved døra"
    assert finding_defaults.finding_title("Gulv er jevne", "  ") == "Avvik: Gulv er jevne"
    assert len(finding_defaults.finding_title("x" * 400, None)) == 300


@pytest.mark.parametrize(("grade", "days", "responsible"), [
    ("serious", 14, "contact"), ("minor", 60, "contact"), ("observation", None, ""), (None, None, "")])
def test_default_deadlines_and_responsible_by_grade(grade, days, responsible):
    got = finding_defaults.defaults_for(grade, None, date(2026, 5, 1))
    assert got.deadline == (date(2026, 5, 1) + timedelta(days=days) if days else None)
    assert got.responsible == responsible


def test_the_tenants_settings_override_the_defaults():
    got = finding_defaults.defaults_for("serious", {"serious_deadline_days": 7, "serious_responsible": "consultant"},
                                        date(2026, 5, 1))
    assert got == finding_defaults.FindingDefaults(date(2026, 5, 8), "consultant")


# -- through the service ------------------------------------------------------------------------------------

def test_a_serious_finding_gets_a_14_day_deadline_the_contact_who_logs_in_and_a_title_from_the_comment(world):
    answer, item = _find(world, "A1", "serious", "Løs matte ved inngangsdøra")

    assert item.title == "Løs matte ved inngangsdøra"
    assert answer.item_text in item.description
    assert item.deadline == TODAY + timedelta(days=14)
    assert item.responsible_user_id == world["leader"].id  # the contact with a login, not the first by id
    source = actions.item_source(world["db"], item)
    assert source == dict(kind="physical_mapping", id=world["mapping"].id, answer_id=answer.id,
                          label=f"A1 {answer.item_text}")


def test_a_minor_finding_without_a_comment_is_titled_avvik_and_gets_60_days(world):
    answer, item = _find(world, "A2", "minor")

    assert item.title == f"Avvik: {answer.item_text}"[:300]
    assert item.deadline == TODAY + timedelta(days=60)


def test_an_observation_gets_no_deadline_and_nobody_by_default(world):
    _, item = _find(world, "A2", "observation", "Vurder bedre skilting")

    assert item.deadline is None and item.responsible_user_id is None and item.responsible_name == ""


def test_the_tenant_may_give_serious_findings_to_the_consultant_with_another_deadline(world):
    actions.save_finding_settings(world["db"], world["consultant"], world["tenant"],
                                  {"serious_deadline_days": 5, "serious_responsible": "consultant"})
    _, item = _find(world, "A1", "serious", "Skarp kant på benken")

    assert item.deadline == TODAY + timedelta(days=5)
    assert item.responsible_user_id == world["consultant"].id


def test_without_a_contact_who_logs_in_the_contact_is_named_as_an_outsider(world, db):
    company = factories.make_company(db, world["tenant"], consultant_id=world["consultant"].id)
    factories.make_contact(db, company, name="Ola Utenfor")
    year = years.open_year(db, world["consultant"], company, {"year": TODAY.year})
    mapping = mappings.create_physical(db, world["consultant"], year, {"method": "provider", "performed_on": TODAY})
    answer = answers_by_key(db, mapping.run_id)["A1"]
    item = mappings.save_physical_answers(db, world["consultant"], year, mapping, [
        {"id": answer.id, "answer": "finding", "finding_grade": "serious"}])[0]

    assert item.responsible_user_id is None and item.responsible_name == "Ola Utenfor"
