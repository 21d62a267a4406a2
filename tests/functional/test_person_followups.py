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
