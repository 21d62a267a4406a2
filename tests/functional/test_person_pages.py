"""Person certification over HTTP: the pages a consultant, a reviewer and a client contact use, and the
public verification (what it shows and hides, its rate limit)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from saas.i18n import today_in_oslo
from saas.persons.models import Enrolment, Holding, Person
from saas.persons.services import register
from tests.conftest import login
from tests.person_factories import competence, make_person, make_scheme, train_to_ready


@pytest.fixture
def scheme(db, a):
    return make_scheme(db, a["admin"])


def _issue(db, app, a, scheme, name="Vera Verifisert", **fields):
    person = make_person(db, name, employer=a["company"], **fields)
    today = today_in_oslo()
    register.register_documented(db, a["reviewer"], person, competence(db, scheme, "TYPE-73"),
                                 today - timedelta(days=10), today, "Kontrollert")
    with app.test_request_context():
        card = register.issue_card(db, a["reviewer"], person, scheme.id, today)
    db.commit()
    return person, card


def test_every_staff_page_renders(app, client, db, a, scheme):
    person, card = _issue(db, app, a, scheme)
    enrolment = train_to_ready(db, a["consultant"], a["consultant"], make_person(db, "Kari"), competence(db, scheme, "TYPE-73"),
                               today_in_oslo(), registrar=a["admin"])
    db.commit()
    login(client, a["admin"])
    base = "/t/tenant-a/persons"
    for url in ("/", "/new", f"/{person.id}", f"/{person.id}/edit", f"/enrolments/{enrolment.id}", "/courses",
                "/schemes", f"/schemes/{scheme.id}", f"/cards/{card.id}", "/register", "/cases",
                f"/employer/{a['company'].id}"):
        response = client.get(base + url)
        assert response.status_code == 200, (url, response.status_code)
    assert "Klar for godkjenning" in client.get(f"{base}/{enrolment.person_id}").get_data(as_text=True)


def test_a_person_form_answers_field_errors_in_norwegian(client, db, a):
    login(client, a["consultant"])
    response = client.post("/t/tenant-a/persons/new", data={"name": "", "birth_date": "1990-13-40"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Må være mellom 1 og 200 tegn." in body and "Ugyldig dato" in body


def test_approval_over_http_by_the_reviewer_registers_the_competence(client, db, a, scheme):
    person = make_person(db, "Per Prøvd")
    enrolment = train_to_ready(db, a["consultant"], a["consultant"], person, competence(db, scheme, "TYPE-73"),
                               today_in_oslo(), registrar=a["admin"])
    db.commit()
    login(client, a["reviewer"])
    response = client.post(f"/t/tenant-a/persons/enrolments/{enrolment.id}/approve")
    assert response.status_code == 302
    assert db.scalar(select(Holding).where(Holding.person_id == person.id)) is not None
    db.expire_all()
    assert db.get(Enrolment, enrolment.id).state == "approved"


def test_the_public_verification_shows_name_competences_and_issuer_but_not_the_birth_date(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme)
    body = client.get(f"/verify/person/{card.verify_code}").get_data(as_text=True)
    assert "Vera Verifisert" in body and "TYPE-73" in body and a["tenant"].name in body and "Gyldig" in body
    assert "17.05.1990" not in body and "/photo" not in body
    data = client.get(f"/verify/person/{card.verify_code}.json").get_json()
    assert data["birth_date"] is None and data["valid"] is True and data["competences"][0]["state"] == "valid"


def test_the_birth_date_is_shown_when_the_holder_consented(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme, public_details_consent=True)
    assert "17.05.1990" in client.get(f"/verify/person/{card.verify_code}").get_data(as_text=True)


def test_a_revocation_shows_at_once_in_the_public_verification(app, client, db, a, scheme):
    person, card = _issue(db, app, a, scheme)
    login(client, a["consultant"])
    client.post(f"/t/tenant-a/persons/{person.id}/cases", data={"scheme_id": scheme.id, "trigger": "incident",
                                                               "facts": "Signal passert"})
    from saas.persons.models import RevocationCase

    case = db.scalar(select(RevocationCase).where(RevocationCase.person_id == person.id))
    client.post(f"/t/tenant-a/persons/cases/{case.id}/hearing", data={
        "hearing_on": today_in_oslo().isoformat(), "manager_name": "Lise Leder", "manager_present": "1"})
    client.get("/logout")
    login(client, a["reviewer"])
    until = today_in_oslo() + timedelta(days=30)
    response = client.post(f"/t/tenant-a/persons/cases/{case.id}/decision", data={
        "outcome": "temporary", "revoked_until": until.isoformat(), "decision_text": "Midlertidig tilbakekall"})
    assert response.status_code == 302
    data = client.get(f"/verify/person/{card.verify_code}.json").get_json()
    assert data["valid"] is False and data["competences"][0]["state"] == "revoked"
    assert data["competences"][0]["revoked_until"] == until.isoformat()


def test_search_by_card_number_needs_the_surname(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme)
    response = client.get(f"/verify/person?number={card.number}&surname=verifisert")
    assert response.status_code == 303 and card.verify_code in response.headers["Location"]
    wrong = client.get(f"/verify/person?number={card.number}&surname=Hansen").get_data(as_text=True)
    assert "Vera" not in wrong and "Fant ikke" in wrong


def test_unknown_and_malformed_codes_are_404_and_guessing_is_rate_limited(client):
    assert client.get("/verify/person/" + "A" * 24).status_code == 404
    assert client.get("/verify/person/x").status_code == 404
    statuses = [client.get(f"/verify/person?number=KB-2026-{i:06d}&surname=Nordmann").status_code for i in range(25)]
    assert 429 in statuses


def test_the_tenants_public_keys_are_published_as_jwks(app, client, db, a, scheme):
    from saas.persons.card_signing import public_keys_from_jwks, verify

    _person, card = _issue(db, app, a, scheme)
    jwks = client.get("/verify/person/keys/tenant-a.json").get_json()
    assert verify(card.token, public_keys_from_jwks(jwks))["no"] == card.number
    assert client.get("/verify/person/keys/no-such-tenant.json").status_code == 404


def test_a_client_contact_sees_and_manages_only_their_own_employees(client, db, a, scheme):
    own = make_person(db, "Egen Ansatt", employer=a["company"])
    other = make_person(db, "Fremmed Ansatt", employer=a["other_company"])
    db.commit()
    login(client, a["client"])
    listing = client.get("/t/tenant-a/persons/").get_data(as_text=True)
    assert "Egen Ansatt" in listing and "Fremmed Ansatt" not in listing
    assert client.get(f"/t/tenant-a/persons/{own.id}").status_code == 200
    assert client.get(f"/t/tenant-a/persons/{other.id}").status_code == 404
    assert client.get(f"/t/tenant-a/persons/employer/{a['other_company'].id}").status_code == 404
    assert client.get(f"/t/tenant-a/persons/employer/{a['company'].id}").status_code == 200
    response = client.post("/t/tenant-a/persons/new", data={"name": "Ny Ansatt", "birth_date": "1995-01-01",
                                                            "employer_id": a["other_company"].id})
    assert response.status_code == 422
    response = client.post("/t/tenant-a/persons/new", data={"name": "Ny Ansatt", "birth_date": "1995-01-01",
                                                            "employer_id": a["company"].id, "approved_instructor": "1"})
    assert response.status_code == 302
    created = db.scalar(select(Person).where(Person.name == "Ny Ansatt"))
    assert created.employer_id == a["company"].id and created.approved_instructor is False
    assert client.post(f"/t/tenant-a/persons/{own.id}/enrolments", data={}).status_code == 403


def test_the_register_exports_csv_and_json(app, client, db, a, scheme):
    _issue(db, app, a, scheme)
    login(client, a["admin"])
    csv_response = client.get("/t/tenant-a/persons/register/export.csv")
    assert csv_response.status_code == 200 and "Vera Verifisert" in csv_response.get_data(as_text=True)
    json_response = client.get("/t/tenant-a/persons/register/export.json")
    assert json_response.get_json()["entries"][0]["state"] == "valid"
    transfer = client.get("/t/tenant-a/persons/register/transfer.json").get_json()
    assert transfer["format"] == "saas.persons.register/1" and transfer["cards"]


def test_the_person_pages_and_public_check_are_in_english_after_choosing_en(app, client, db, a, scheme):
    person, card = _issue(db, app, a, scheme)
    login(client, a["admin"])
    client.post("/lang/en", data={"next": "/"})
    body = client.get(f"/t/tenant-a/persons/{person.id}").get_data(as_text=True)
    for text in ("Competences in the register", "Valid", "Issue competence card", "Open a revocation case"):
        assert text in body, text
    assert "Kompetanser i registeret" not in body
    public = client.get(f"/verify/person/{card.verify_code}").get_data(as_text=True)
    assert "Competence card check" in public and "Kontroll av kompetansebevis" not in public


def test_an_admin_changes_the_periods_and_a_new_scheme_version_applies_them(app, client, db, a, scheme):
    from saas.persons.services import catalogue

    login(client, a["admin"])
    response = client.post(f"/t/tenant-a/persons/schemes/{scheme.id}/settings",
                           data={"periodic_test_months": "24", "appeal_days": "21"})
    assert response.status_code == 302
    db.expire_all()
    version, settings = catalogue.current(db, scheme)
    assert version.number == 2 and settings.validity.periodic_test_months == 24 and settings.revocation.appeal_days == 21
    bad = client.post(f"/t/tenant-a/persons/schemes/{scheme.id}/settings",
                      data={"repetition_after_months": "9"}, follow_redirects=True)  # after new type training (6)
    assert "ny typeopplæring kan ikke kreves før repeterende opplæring" in bad.get_data(as_text=True)
    db.expire_all()
    assert catalogue.current(db, scheme)[0].number == 2
    assert client.post(f"/t/tenant-a/persons/schemes/{scheme.id}/settings", data={}).status_code == 302
    client.get("/logout")


def test_a_photo_needs_a_recorded_consent_and_shows_publicly_only_with_consent(app, client, db, a, scheme):
    import io

    from PIL import Image

    person, card = _issue(db, app, a, scheme)
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), "#336699").save(buffer, format="PNG")
    login(client, a["consultant"])
    url = f"/t/tenant-a/persons/{person.id}/photo"
    client.post(url, data={"photo": (io.BytesIO(buffer.getvalue()), "foto.png"), "consent": ""},
                content_type="multipart/form-data")
    db.expire_all()
    assert db.get(Person, person.id).photo_key == ""
    client.post(url, data={"photo": (io.BytesIO(buffer.getvalue()), "foto.png"), "consent": "Muntlig samtykke 6.12."},
                content_type="multipart/form-data")
    db.expire_all()
    stored = db.get(Person, person.id)
    assert stored.photo_key and stored.photo_consent_at is not None
    assert client.get(url).status_code == 200
    assert client.get(f"/verify/person/{card.verify_code}/photo").status_code == 404  # no public consent
    stored.public_details_consent = True
    db.commit()
    assert client.get(f"/verify/person/{card.verify_code}/photo").status_code == 200


def test_a_closed_register_issues_nothing_and_exports_everything_for_transfer(app, client, db, a, scheme):
    person, _card = _issue(db, app, a, scheme)
    login(client, a["admin"])
    assert client.post("/t/tenant-a/persons/register/close").status_code == 302
    assert "Registeret ble avsluttet" in client.get("/t/tenant-a/persons/register").get_data(as_text=True)
    response = client.post(f"/t/tenant-a/persons/{person.id}/cards", data={"scheme_id": scheme.id},
                           follow_redirects=True)
    assert "Registeret er avsluttet" in response.get_data(as_text=True)
    assert client.get("/t/tenant-a/persons/register/transfer.json").get_json()["entries"]
