"""The schemes and audits packages' service messages (flash messages, refusals, field errors) follow the
user's language: an English user sees them in English."""
from saas.tenancy import bind_tenant
from tests.audit_helpers import applied, audit_world
from tests.conftest import login
from tests.functional.test_i18n import english


def test_an_english_user_sees_the_scheme_editors_messages_in_english(app, client, db):
    with app.test_request_context():
        w = audit_world(db)
        db.commit()
    slug = w["tenant"].slug
    login(client, w["admin"])
    english(client)
    taken = client.post(f"/t/{slug}/schemes/new", data={"library_code": "ns9600-4", "name": "Kopi", "code": "hms"})
    body = taken.get_data(as_text=True)
    assert taken.status_code == 422 and "The code is already in use." in body and "Koden er allerede i bruk." not in body
    made = client.post(f"/t/{slug}/schemes/new", data={"library_code": "ns9600-4", "name": "Kopi", "code": "kopi"},
                       follow_redirects=True)
    body = made.get_data(as_text=True)
    assert "The scheme has been created as a draft. Adjust its settings and publish it." in body
    assert "Draft of version 1" in body and "Save the settings" in body


def test_an_english_user_sees_an_audit_refusal_and_a_field_error_in_english(app, client, db):
    with app.test_request_context():
        w = audit_world(db)
        case = applied(w)
        case_id = case.id
        db.commit()
    slug = w["tenant"].slug
    login(client, w["client"])
    english(client)
    refused = client.post(f"/t/{slug}/audits/cases/{case_id}/accept")  # staff only
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Only the provider&#39;s staff can do this." in body
    assert "Bare tilbyderens ansatte" not in body
    client.post("/logout")
    login(client, w["admin"])
    english(client)
    assert client.post(f"/t/{slug}/audits/cases/{case_id}/accept", follow_redirects=True).status_code == 200
    again = client.post(f"/t/{slug}/audits/cases/{case_id}/accept")
    assert again.status_code == 422 and "The application has already been accepted." in again.get_data(as_text=True)
    # A field error raised by the service, through the API in English too.
    from saas.auth import create_api_token

    bind_tenant(db, w["tenant"].id)
    w["admin"].locale = "en"
    _, token = create_api_token(db, w["admin"], "t")
    db.commit()
    response = client.post(f"/api/v1/t/{slug}/audit-cases/{case_id}/team", headers={"Authorization": f"Bearer {token}"},
                           json={"members": [], "programme": "", "audit_planned_on": None})
    assert response.status_code == 422
    assert response.get_json()["message"] == "The document review must be finished before the audit team is named."
