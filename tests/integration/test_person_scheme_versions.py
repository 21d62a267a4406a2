"""A holder's competence is judged by the rules of the scheme version it was issued under: publishing a
version with other periods changes what is issued from then on, never what was already issued."""
from __future__ import annotations

from datetime import timedelta, date

import pytest

from saas.persons.services import catalogue, employer, register
from saas.persons.services.register_state import holding_assessment
from tests.person_factories import competence, make_person, make_scheme

TODAY = date(2026, 12, 6)


@pytest.fixture
def world(db, a):
    scheme = make_scheme(db, a["admin"])
    return dict(a, scheme=scheme, comp=competence(db, scheme, "TYPE-73"))


def _documented(db, world, name: str, tested_on: date):
    person = make_person(db, name, employer=world["company"])
    holding = register.register_documented(db, world["reviewer"], person, world["comp"], tested_on, TODAY, "Kontrollert")
    register.record_use(db, world["reviewer"], holding, TODAY - timedelta(days=3), None)
    return person, holding


def test_a_later_version_with_a_shorter_period_leaves_an_issued_competence_valid(db, world, app):
    tested_on = TODAY - timedelta(days=800)  # 26 months ago: valid under 36 months, expired under 24
    old_person, old = _documented(db, world, "Olga Opprinnelig", tested_on)
    first_version = catalogue.current(db, world["scheme"])[0]
    with app.test_request_context():
        card = register.issue_card(db, world["reviewer"], old_person, world["scheme"].id, TODAY)
    assert old.scheme_version_id == first_version.id and holding_assessment(db, old, TODAY).state.value == "valid"

    second_version = catalogue.update_person_settings(db, world["admin"], world["scheme"], {"periodic_test_months": 24})
    assert second_version.number == first_version.number + 1

    # Issued before: still judged by the 36 months it was issued with, everywhere the state is shown.
    assert old.scheme_version_id == first_version.id
    assert holding_assessment(db, old, TODAY).state.value == "valid"
    row = next(r for r in register.register_rows(db, TODAY) if r["holder_name"] == "Olga Opprinnelig")
    assert row["state"] == "valid" and row["expires_on"] == "2027-09-27"
    cells = {p["name"]: p["cells"] for p in employer.matrix(db, world["company"].id, TODAY)["people"]}
    assert cells["Olga Opprinnelig"]["TYPE-73"]["state"] == "valid"
    from saas.persons import presenters

    with app.test_request_context():
        public = presenters.public_verification(db, card, old_person, world["tenant"], TODAY)
    assert public["valid"] and public["competences"][0]["state"] == "valid"

    # Issued after: the new version's 24 months apply to the same dates.
    _new_person, new = _documented(db, world, "Nils Ny", tested_on)
    assert new.scheme_version_id == second_version.id
    assert holding_assessment(db, new, TODAY).state.value == "repetition"
    cells = {p["name"]: p["cells"] for p in employer.matrix(db, world["company"].id, TODAY)["people"]}
    assert cells["Nils Ny"]["TYPE-73"]["state"] == "repetition"


def test_a_periodic_test_renews_the_competence_under_the_current_version(db, world):
    _person, holding = _documented(db, world, "Per Periodisk", TODAY - timedelta(days=100))
    first_version = catalogue.current(db, world["scheme"])[0]
    second_version = catalogue.update_person_settings(db, world["admin"], world["scheme"], {"periodic_test_months": 24})
    assert holding_assessment(db, holding, TODAY).expires_on == _months(holding.tested_on, 36)
    register.record_periodic_test(db, world["reviewer"], holding, TODAY)
    assert holding.scheme_version_id == second_version.id != first_version.id
    assert holding_assessment(db, holding, TODAY).expires_on == _months(TODAY, 24)


def _months(day: date, months: int) -> date:
    from saas.persons.validity import add_months

    return add_months(day, months)
