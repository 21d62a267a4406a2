"""Issue 15 follow-ups over HTTP: withdrawing and replacing a card (web, API, register, /verify), the
requirement-matrix editor on a draft version, the individual training plan, submissions to a register
keeper."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from saas.audit.models import AuditEvent
from saas.i18n import today_in_oslo
from saas.persons.models import Card
from saas.persons.services import register
from tests.conftest import login
from tests.person_factories import competence, make_person, make_scheme

BASE = "/t/tenant-a/persons"


@pytest.fixture
def scheme(db, a):
    return make_scheme(db, a["admin"])


def _issue(db, app, a, scheme, name="Vera Verifisert"):
    person = make_person(db, name, employer=a["company"])
    today = today_in_oslo()
    register.register_documented(db, a["reviewer"], person, competence(db, scheme, "TYPE-73"),
                                 today - timedelta(days=10), today, "Kontrollert")
    with app.test_request_context():
        card = register.issue_card(db, a["reviewer"], person, scheme.id, today)
    db.commit()
    return person, card


def _api(client, token, method, path, json=None):
    return client.open(f"/api/v1/t/tenant-a{path}", method=method, json=json,
                       headers={"Authorization": f"Bearer {token}"})


# -- withdrawing and replacing a card -----------------------------------------------------------------

def test_a_reviewer_withdraws_a_lost_card_and_verify_and_the_register_show_it_at_once(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme)
    assert "Gyldig" in client.get(f"/verify/person/{card.verify_code}").get_data(as_text=True)
    login(client, a["reviewer"])
    response = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "lost", "note": "Meldt tapt"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Card, card.id).state == "withdrawn"
    page = client.get(f"/verify/person/{card.verify_code}").get_data(as_text=True)
    assert "Ikke gyldig" in page and "Mistet eller stjålet" in page and "Meldt tapt" not in page
    data = client.get(f"/verify/person/{card.verify_code}.json").get_json()
    assert data["valid"] is False and data["card_state"] == "withdrawn" and data["withdrawal_reason"] == "lost"
    register_page = client.get(f"{BASE}/register").get_data(as_text=True)
    assert card.number in register_page and "Trukket tilbake" in register_page
    csv_text = client.get(f"{BASE}/register/export.csv").get_data(as_text=True)
    assert f"{card.number};" in csv_text and ";withdrawn" in csv_text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "card.withdrawn")) is not None
    # Twice is refused with a Norwegian message.
    again = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "lost"}, follow_redirects=True)
    assert "allerede trukket tilbake" in again.get_data(as_text=True)


def test_a_replacement_card_supersedes_the_withdrawn_one(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme)
    login(client, a["admin"])
    response = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "damaged", "replace": "1"})
    assert response.status_code == 302
    db.expire_all()
    old = db.get(Card, card.id)
    new = db.get(Card, old.replaced_by_id)
    assert old.state == "withdrawn" and new.state == "active" and new.number != old.number
    assert response.headers["Location"].endswith(f"/cards/{new.id}")
    assert new.number in client.get(response.headers["Location"]).get_data(as_text=True)  # (and the flash is shown)
    old_page = client.get(f"/verify/person/{old.verify_code}").get_data(as_text=True)
    assert "Ikke gyldig" in old_page and "erstattet av et nytt kort" in old_page and new.number not in old_page
    assert "Ikke gyldig" not in client.get(f"/verify/person/{new.verify_code}").get_data(as_text=True)


def test_only_an_approver_may_withdraw_and_a_reason_is_required(app, client, db, a, scheme):
    _person, card = _issue(db, app, a, scheme)
    login(client, a["consultant"])
    page = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "lost"}, follow_redirects=True)
    assert "krever rollen" in page.get_data(as_text=True)
    login(client, a["reviewer"])
    page = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "error"}, follow_redirects=True)
    assert "Beskriv hvorfor" in page.get_data(as_text=True)
    page = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "tull"}, follow_redirects=True)
    assert "Ugyldig valg" in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(Card, card.id).state == "active"


def test_the_api_withdraws_and_replaces_a_card(app, client, db, a, scheme):
    from saas.auth import create_api_token

    _person, card = _issue(db, app, a, scheme)
    _row, token = create_api_token(db, a["reviewer"], "test")
    db.commit()
    bad = _api(client, token, "POST", f"/cards/{card.id}/withdraw", {"reason": "nope"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["fields"]
    replaced = _api(client, token, "POST", f"/cards/{card.id}/withdraw", {"reason": "changed", "replace": True})
    assert replaced.status_code == 201, replaced.get_json()
    new = replaced.get_json()
    assert new["state"] == "active" and new["number"] != card.number
    old = _api(client, token, "GET", f"/cards/{card.id}").get_json()
    assert old["state"] == "withdrawn" and old["replaced_by_id"] == new["id"] and old["withdrawal_reason"] == "changed"
    withdrawn = _api(client, token, "POST", f"/cards/{new['id']}/withdraw", {"reason": "error", "note": "Feil person"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"


# -- the requirement-matrix editor ----------------------------------------------------------------------

def _matrix_form(rows, **practice):
    data = {"rows": str(len(rows) + 1)}
    for i, row in enumerate(rows):
        data[f"matrix.{i}.category"] = row["category"]
        data[f"matrix.{i}.extra_km"] = str(row.get("extra_km", ""))
        for activity, need in row.get("needs", {}).items():
            data[f"matrix.{i}.needs.{activity}"] = need
        if row.get("remove"):
            data[f"matrix.{i}.remove"] = "1"
    data.update({f"practice.{k}": str(v) for k, v in practice.items()})
    return data


def test_an_admin_edits_the_matrix_on_a_draft_and_publishes_it(client, db, a, scheme):
    from saas.persons.services import catalogue

    db.commit()
    login(client, a["admin"])
    url = f"{BASE}/schemes/{scheme.id}/matrix"
    page = client.get(url).get_data(as_text=True)
    assert "Ny kandidat" in page and 'name="matrix.0.category" value="new_candidate"' in page
    published_before = catalogue.current(db, scheme)[0].number
    rows = [dict(category="new_candidate", needs={"internal_training": "required", "type_training": "required",
                                                  "practical_test": "required"}, extra_km=500),
            dict(category="previously_certified_driver", remove=True),
            dict(category="Erfaren truckfører", needs={"type_training": "unless_documented",
                                                       "practical_test": "required"})]
    response = client.post(url, data=_matrix_form(rows, practice_1_hours=20, daily_cap_hours=5))
    assert response.status_code == 302
    db.expire_all()
    # A draft: the published version (what enrolments use) has not changed yet.
    assert catalogue.current(db, scheme)[0].number == published_before
    assert catalogue.current(db, scheme)[1].row("Erfaren truckfører") is None
    page = client.get(url).get_data(as_text=True)
    assert "Utkast til versjon" in page and "Erfaren truckfører" in page
    assert client.post(f"{url}/publish").status_code == 302
    db.expire_all()
    version, settings = catalogue.current(db, scheme)
    assert version.number == published_before + 1
    assert settings.categories == ("new_candidate", "Erfaren truckfører")
    assert settings.row("new_candidate").extra_km == 500
    assert settings.row("Erfaren truckfører").needs["type_training"].value == "unless_documented"
    assert settings.practice.practice_1_hours == 20 and settings.practice.daily_cap_hours == 5
    assert settings.validity.periodic_test_months == 36  # untouched settings stay


def test_the_matrix_editor_answers_field_errors_in_norwegian_and_saves_nothing(client, db, a, scheme):
    from saas.persons.services import matrix_editor

    db.commit()
    login(client, a["admin"])
    rows = [dict(category="new_candidate", extra_km="mange"), dict(category="new_candidate"),
            dict(category="", needs={"type_training": "required"})]
    response = client.post(f"{BASE}/schemes/{scheme.id}/matrix", data=_matrix_form(rows, practice_1_shifts="x"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Må være et heltall ≥ 0." in body and "Kategorien står allerede i rad 1." in body
    assert "Skriv kategorien." in body
    assert matrix_editor.draft_of(db, scheme) is None


def test_a_consultant_sees_the_matrix_but_may_not_edit_it(client, db, a, scheme):
    db.commit()
    login(client, a["consultant"])
    url = f"{BASE}/schemes/{scheme.id}/matrix"
    assert client.get(url).status_code == 200
    assert client.post(url, data=_matrix_form([dict(category="x")])).status_code == 403


def test_the_api_edits_publishes_and_discards_a_matrix_draft(client, db, a, scheme):
    db.commit()
    token = a["api_token"]  # the admin's
    path = f"/person-schemes/{scheme.id}/matrix-draft"
    shown = _api(client, token, "GET", path).get_json()
    assert shown["published"] is True and shown["matrix"][0]["category"] == "new_candidate"
    bad = _api(client, token, "PUT", path, {"matrix": [{"category": "a", "needs": {"flying": "required"}}],
                                              "practice": {"practice_1_hours": -1}})
    assert bad.status_code == 422
    assert {"matrix.0.needs.flying", "practice.practice_1_hours"} <= set(bad.get_json()["fields"])
    saved = _api(client, token, "PUT", path, {"matrix": [{"category": "ny", "needs": {"practical_test": "required"},
                                                          "extra_km": 0}], "practice": {"extra_km": 800}})
    assert saved.status_code == 200 and saved.get_json()["published"] is False
    assert _api(client, token, "DELETE", path).status_code == 204
    assert _api(client, token, "GET", path).get_json()["published"] is True
    _api(client, token, "PUT", path, {"matrix": [{"category": "ny", "needs": {"practical_test": "required"}}]})
    published = _api(client, token, "POST", f"{path}/publish")
    assert published.status_code == 200 and published.get_json()["matrix"] == [
        {"category": "ny", "needs": {"practical_test": "required"}, "extra_km": 0}]
    assert _api(client, token, "POST", f"{path}/publish").status_code == 422  # no draft left


# -- the individual training plan ---------------------------------------------------------------------

def _absent_holder(db, app, a, scheme):
    from saas.persons.models import Holding

    person, _card = _issue(db, app, a, scheme, name="Anne Fravær")
    holding = db.scalar(select(Holding).where(Holding.person_id == person.id))
    holding.absent_since = today_in_oslo() - timedelta(days=160)  # over 4 months
    db.commit()
    return person, holding


def test_a_structured_plan_is_shown_to_the_employer_and_clears_the_absence_when_completed(app, client, db, a, scheme):
    person, holding = _absent_holder(db, app, a, scheme)
    today = today_in_oslo()
    login(client, a["consultant"])
    detail = client.get(f"{BASE}/{person.id}").get_data(as_text=True)
    assert "Fravær over 4 mnd." in detail and "Ingen plan ennå." in detail, detail[detail.find("kompetanser"):][:3000]
    for title, days in (("Gjennomgang av endrede instrukser", 10), ("Kjøring med instruktør", 20)):
        response = client.post(f"{BASE}/holdings/{holding.id}/plan",
                               data={"title": title, "due_on": (today + timedelta(days=days)).isoformat()})
        assert response.status_code == 302
    bad = client.post(f"{BASE}/holdings/{holding.id}/plan", data={"title": "", "due_on": "2020-01-01"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Må være mellom 1 og 200 tegn." in bad
    # The holder and the employer's contacts get the plan by e-mail.
    from saas.tenants.models import OutboxMessage
    from saas.tenancy import platform_access

    db.get(type(person), person.id).email = "anne@example.no"
    db.commit()
    client.post(f"{BASE}/holdings/{holding.id}/plan/send")
    with platform_access(db):
        mails = db.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Anne Fravær: individuell%"))).all()
    assert "anne@example.no" in {m.to for m in mails} and len(mails) >= 2
    assert "Kjøring med instruktør" in mails[0].body and "0 av 2 punkter fullført" in mails[0].body
    # The employer's contact sees the plan on the person page and its progress in the matrix.
    login(client, a["client"])
    detail = client.get(f"{BASE}/{person.id}").get_data(as_text=True)
    assert "Kjøring med instruktør" in detail and "0 av 2 fullført" in detail
    matrix = client.get(f"{BASE}/employer/{a['company'].id}").get_data(as_text=True)
    assert "plan: 0 av 2 fullført" in matrix
    # Completing the last item clears the absence: the competence is valid again.
    login(client, a["consultant"])
    from saas.persons.models import TrainingPlanItem

    items = db.scalars(select(TrainingPlanItem).where(TrainingPlanItem.holding_id == holding.id)
                       .order_by(TrainingPlanItem.due_on)).all()
    client.post(f"{BASE}/plan-items/{items[0].id}/complete", data={"completed_on": today.isoformat()})
    db.expire_all()
    assert db.get(type(holding), holding.id).absent_since is not None
    client.post(f"{BASE}/plan-items/{items[1].id}/complete", data={"completed_on": today.isoformat(), "note": "OK"})
    db.expire_all()
    refreshed = db.get(type(holding), holding.id)
    assert refreshed.absent_since is None and refreshed.last_used_on == today
    detail = client.get(f"{BASE}/{person.id}").get_data(as_text=True)
    assert "Fravær over 4 mnd." not in detail


def test_the_api_makes_and_completes_a_plan(app, client, db, a, scheme):
    _person, holding = _absent_holder(db, app, a, scheme)
    token = a["api_token"]
    today = today_in_oslo()
    bad = _api(client, token, "POST", f"/holdings/{holding.id}/plan", {"title": "Kurs", "due_on": "2001-01-01"})
    assert bad.status_code == 422 and "due_on" in bad.get_json()["fields"]
    plan = _api(client, token, "POST", f"/holdings/{holding.id}/plan",
                {"title": "Kurs", "due_on": (today + timedelta(days=5)).isoformat()})
    assert plan.status_code == 201 and plan.get_json()["total"] == 1
    item_id = plan.get_json()["items"][0]["id"]
    done = _api(client, token, "POST", f"/plan-items/{item_id}/complete", {"completed_on": today.isoformat()})
    assert done.status_code == 200 and done.get_json()["done"] == 1
    sent = _api(client, token, "POST", f"/holdings/{holding.id}/plan/send")
    assert sent.status_code == 200 and sent.get_json()["sent"] >= 1  # the employer's contacts
    rows = _api(client, token, "GET", f"/persons/{holding.person_id}/competences").get_json()["items"]
    assert rows[0]["state"] == "valid" and rows[0]["absent_since"] is None


# -- submissions from a training company to an independent register keeper ------------------------------

def _make_keeper(db, world):
    from saas.persons.services import catalogue
    from saas.tenancy import bind_tenant

    b = world["b"]
    bind_tenant(db, b["tenant"].id)
    catalogue.register_settings(db).mode = "register_keeper"
    db.commit()
    bind_tenant(db, world["a"]["tenant"].id)
    return b


def test_a_batch_travels_from_the_training_company_to_the_keeper_and_back(app, client, db, a, two_tenants, scheme):
    import io
    import json

    from saas.persons.models import Holding, Person

    from saas.persons.services import catalogue

    catalogue.register_settings(db).outside_register = "Tilbyder B AS"
    person = make_person(db, "Sara Sendt", birth_date=__import__("datetime").date(1988, 3, 4))
    today = today_in_oslo()
    register.register_documented(db, a["reviewer"], person, competence(db, scheme, "TYPE-73"),
                                 today - timedelta(days=20), today, "Kursbevis kontrollert")
    other = make_person(db, "Rune Ruset")
    register.register_documented(db, a["reviewer"], other, competence(db, scheme, "TYPE-73"),
                                 today - timedelta(days=20), today, "Kursbevis kontrollert")
    db.commit()
    holdings = db.scalars(select(Holding).where(Holding.person_id.in_([person.id, other.id])).order_by(Holding.person_id)).all()
    b = _make_keeper(db, two_tenants)

    # The training company: a draft, submitted, exported.
    login(client, a["reviewer"])
    response = client.post(f"{BASE}/submissions", data={"holding_ids": [str(h.id) for h in holdings]})
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    assert "Sara Sendt" in client.get(batch_url).get_data(as_text=True)
    assert client.get(batch_url + "/export.json").status_code == 302  # a draft is not exported
    client.post(batch_url + "/submit")
    assert "Sendt" in client.get(batch_url).get_data(as_text=True)
    exported = client.get(batch_url + "/export.json")
    document = json.loads(exported.get_data(as_text=True))
    assert document["format"] == "kompetansebevis-grunnlag/1" and len(document["items"]) == 2
    assert document["items"][0]["competence_code"] == "TYPE-73" and document["items"][0]["documents"] == []
    assert "Sara Sendt" in client.get(batch_url + "/export.csv").get_data(as_text=True)
    # A training company has no queue to import into.
    refused = client.post(f"{BASE}/submissions/import", data={"file": (io.BytesIO(exported.data), "x.json")},
                          follow_redirects=True)
    assert "Bare en uavhengig registerfører" in refused.get_data(as_text=True)

    # The register keeper (another tenant) imports the file, accepts one entry (and issues), rejects one.
    login(client, b["reviewer"])
    keeper = "/t/tenant-b/persons"
    response = client.post(f"{keeper}/submissions/import", data={"file": (io.BytesIO(exported.data), "innsending.json")})
    assert response.status_code == 302
    queue_url = response.headers["Location"]
    page = client.get(queue_url).get_data(as_text=True)
    assert "Sara Sendt" in page and "Mottatt" in page
    again = client.post(f"{keeper}/submissions/import", data={"file": (io.BytesIO(exported.data), "x.json")},
                        follow_redirects=True)
    assert "allerede mottatt" in again.get_data(as_text=True)
    assert client.post(queue_url + "/decide", data={"index": "1", "accept": "0"}, follow_redirects=True) \
        .get_data(as_text=True).count("Skriv hvorfor registreringen avvises.") == 1
    client.post(queue_url + "/decide", data={"index": "1", "accept": "0", "reason": "Mangler prøveskjema"})
    client.post(queue_url + "/decide", data={"index": "0", "accept": "1", "issue": "1"})
    page = client.get(queue_url).get_data(as_text=True)
    assert "Godkjent" in page and "KB-" in page
    from saas.tenancy import bind_tenant

    bind_tenant(db, b["tenant"].id)
    registered = db.scalar(select(Person).where(Person.name == "Sara Sendt"))
    holding = db.scalar(select(Holding).where(Holding.person_id == registered.id))
    assert holding.training_company == a["tenant"].name
    bind_tenant(db, a["tenant"].id)
    answer = client.get(queue_url + "/export.json")
    verdicts = json.loads(answer.get_data(as_text=True))
    assert [i["state"] for i in verdicts["items"]] == ["accepted", "rejected"]

    # Back at the training company: the answer is read into the batch.
    login(client, a["reviewer"])
    client.post(batch_url + "/response", data={"file": (io.BytesIO(answer.data), "svar.json")})
    page = client.get(batch_url).get_data(as_text=True)
    assert "Mangler prøveskjema" in page and "Godkjent" in page


def test_the_api_submits_and_the_keeper_imports_and_decides(app, client, db, a, two_tenants, scheme):
    from saas.auth import create_api_token
    from saas.persons.models import Holding

    person = make_person(db, "Api Innsendt")
    today = today_in_oslo()
    register.register_documented(db, a["reviewer"], person, competence(db, scheme, "TYPE-73"),
                                 today - timedelta(days=5), today, "Kontrollert")
    holding = db.scalar(select(Holding).where(Holding.person_id == person.id))
    _row, token = create_api_token(db, a["reviewer"], "test")
    db.commit()
    b = _make_keeper(db, two_tenants)
    assert _api(client, token, "POST", "/person-submissions", {"holding_ids": []}).status_code == 422
    created = _api(client, token, "POST", "/person-submissions", {"holding_ids": [holding.id]})
    assert created.status_code == 201 and created.get_json()["state"] == "draft"
    sid = created.get_json()["id"]
    assert _api(client, token, "POST", f"/person-submissions/{sid}/submit").get_json()["state"] == "submitted"
    document = _api(client, token, "GET", f"/person-submissions/{sid}/file").get_json()
    headers = {"Authorization": f"Bearer {b['api_token']}"}
    bad = client.post("/api/v1/t/tenant-b/person-submissions/import", json={"format": "x"}, headers=headers)
    assert bad.status_code == 422 and "file" in bad.get_json()["fields"]
    received = client.post("/api/v1/t/tenant-b/person-submissions/import", json=document, headers=headers)
    assert received.status_code == 201 and received.get_json()["state"] == "received"
    rid = received.get_json()["id"]
    decided = client.post(f"/api/v1/t/tenant-b/person-submissions/{rid}/decide", headers=headers,
                          json={"index": 0, "accept": True, "issue": True})
    assert decided.status_code == 200 and decided.get_json()["state"] == "accepted"
    assert decided.get_json()["items"][0]["card_number"].startswith("KB-")
    answer = client.get(f"/api/v1/t/tenant-b/person-submissions/{rid}/file", headers=headers).get_json()
    back = _api(client, token, "POST", f"/person-submissions/{sid}/response", answer)
    assert back.status_code == 200 and back.get_json()["state"] == "accepted"
    outcome = _api(client, token, "POST", f"/person-submissions/{sid}/outcome", {"state": "rejected"})
    assert outcome.status_code == 422  # already decided


# -- service messages in English --------------------------------------------------------------------------

def test_service_messages_of_the_person_package_follow_the_chosen_language(app, client, db, a, scheme):
    from babel.messages.pofile import read_po

    person, card = _issue(db, app, a, scheme)
    login(client, a["admin"])
    # Bokmål first ...
    page = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "error"}, follow_redirects=True)
    assert "Beskriv hvorfor kortet trekkes tilbake." in page.get_data(as_text=True)
    # ... English after choosing it: on a page, and in the API's field errors.
    client.post("/lang/en", data={"next": "/"})
    page = client.post(f"{BASE}/cards/{card.id}/withdraw", data={"reason": "error"}, follow_redirects=True)
    assert "Describe why the card is withdrawn." in page.get_data(as_text=True)
    page = client.post(f"{BASE}/{person.id}/enrolments", data={"competence_id": competence(db, scheme, "TYPE-73").id,
                                                              "category": "ingen slik"}, follow_redirects=True)
    assert "Unknown candidate category for the scheme." in page.get_data(as_text=True)
    api = client.post(f"/api/v1/t/tenant-a/cards/{card.id}/withdraw", json={"reason": "other"},
                      headers={"Authorization": f"Bearer {a['api_token']}", "Accept-Language": "en"})
    assert api.status_code == 422 and api.get_json()["fields"]["note"] == ["Describe why the card is withdrawn."]
    matrix_page = client.get(f"{BASE}/schemes/{scheme.id}/matrix").get_data(as_text=True)
    assert "Save draft" in matrix_page and "Required unless documented" in matrix_page and "Lagre" not in matrix_page
    submissions_page = client.get(f"{BASE}/submissions").get_data(as_text=True)
    assert "Submissions to the register keeper" in submissions_page and "Innsendinger" not in submissions_page
    card_page = client.get(f"{BASE}/cards/{card.id}").get_data(as_text=True)
    assert "Withdraw and issue a new card" in card_page and "Lost or stolen" in card_page
    # Every message the person services raise has an English entry in the catalogue.
    catalogue = read_po(open(app.root_path + "/translations/en/LC_MESSAGES/messages.po", "rb"))
    import ast
    import pathlib

    missing = []
    for path in pathlib.Path(app.root_path, "persons", "services").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                entry = catalogue.get(node.args[0].value)
                if entry is None or not entry.string:
                    missing.append((path.name, node.args[0].value))
    assert not missing, missing


def test_a_batch_keeps_the_order_its_entries_were_chosen_in(db, a, scheme):
    """The keeper decides a batch's entries by position, so the batch, once submitted too, lists them in the
    order they were chosen (not in whatever order the database returns them)."""
    from saas.persons.models import Holding
    from saas.persons.services import catalogue, submissions

    catalogue.register_settings(db).outside_register = "Tilbyder B AS"
    today = today_in_oslo()
    people = [make_person(db, name) for name in ("Anne Først", "Bjørn Andre", "Cato Tredje")]
    for person in people:
        register.register_documented(db, a["reviewer"], person, competence(db, scheme, "TYPE-73"),
                                     today - timedelta(days=20), today, "Kursbevis kontrollert")
    db.flush()
    ids = [db.scalar(select(Holding.id).where(Holding.person_id == p.id)) for p in reversed(people)]
    batch = submissions.create_batch(db, a["reviewer"], [ids[1], ids[0], ids[2], ids[0]])
    assert [item["holding_id"] for item in batch.items] == [ids[1], ids[0], ids[2]]
    submissions.submit(db, a["reviewer"], batch)
    assert [item["holder_name"] for item in batch.items] == ["Bjørn Andre", "Cato Tredje", "Anne Først"]
