"""The tenant admin's scheme editor over HTTP and the JSON API: a new scheme from the library, a draft's
settings and catalogue, publishing it as the next version; published versions never change; only an
admin of the tenant edits."""
import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.schemes import editor, services
from saas.schemes.models import Requirement, Scheme, SchemeVersion, VersionPublished
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login


@pytest.fixture
def w(app, db):
    tenant = factories.make_tenant(db, slug="edit")
    admin = factories.make_user(db, tenant, roles=("admin", "reviewer"), name="Anne Admin")
    consultant = factories.make_user(db, tenant, roles=("consultant", "reviewer"), name="Kari Konsulent")
    other = factories.make_tenant(db, slug="annen")
    other_admin = factories.make_user(db, other, roles=("admin",))
    bind_tenant(db, tenant.id)
    _, token = create_api_token(db, admin, "test")
    _, consultant_token = create_api_token(db, consultant, "test")
    bind_tenant(db, other.id)
    _, other_token = create_api_token(db, other_admin, "test")
    bind_tenant(db, None)
    db.commit()
    return dict(tenant=tenant, admin=admin, consultant=consultant, other_admin=other_admin, token=token,
               consultant_token=consultant_token, other_token=other_token)


def _scheme(db, tenant, code):
    bind_tenant(db, tenant.id)
    return db.scalar(select(Scheme).where(Scheme.code == code))


def _form(page_values: dict, **changes) -> dict:
    data = {k: v for k, v in page_values.items() if v not in (None, False)}
    data.update(changes)
    return data


BASE_SETTINGS = {"validity_months": "48", "surveillance.mode": "every_period", "surveillance.period_months": "12",
                 "surveillance.min_count": "0", "surveillance.document_only_after_clean": "1",
                 "surveillance.warn_days": "60", "recertification_lead_months": "3",
                 "recertification_warning_days": "90, 30, 7", "grade_rows": "3",
                 "grades.0.code": "serious", "grades.0.label": "Alvorlig avvik", "grades.0.must_close_before_issue": "1",
                 "grades.0.correction_days": "14", "grades.1.code": "minor", "grades.1.label": "Mindre avvik",
                 "grades.1.correction_days": "30", "grades.2.code": "", "grades.2.label": "",
                 "deadlines.application_review_days": "14", "deadlines.pre_evaluation_days": "10",
                 "deadlines.documents_days": "30", "deadlines.document_review_days": "21",
                 "deadlines.team_objection_days": "7", "deadlines.report_days": "14",
                 "deadlines.corrective_action_review_days": "14", "deadlines.decision_days": "30",
                 "deadlines.withdrawal_notice_days": "30", "retention_years": "10", "impartiality_months": "24",
                 "certificate_title": "Sertifikat for kranskoler", "normative_documents": "Forskrift § 8-1\nVår prosedyre P-4",
                 "certificate_fields": ["holder_name", "scopes", "valid_until", "number", "signatory"],
                 "note": "Kortere pre-evaluering"}


def test_an_admin_makes_a_scheme_from_the_library_edits_the_draft_and_publishes_it(client, db, w):
    login(client, w["admin"])
    index = client.get("/t/edit/schemes/").get_data(as_text=True)
    assert "Ny ordning fra biblioteket" in index and "NS 9600-4 opplæringsvirksomhet" in index
    bad = client.post("/t/edit/schemes/new", data={"library_code": "ns9600-4", "name": "", "code": "Ugyldig kode!"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Feltet må fylles ut." in body and "Bruk 2–40 små bokstaver" in body
    taken = client.post("/t/edit/schemes/new", data={"library_code": "ns9600-4", "name": "Kopi", "code": "hms"})
    assert taken.status_code == 422 and "Koden er allerede i bruk." in taken.get_data(as_text=True)

    made = client.post("/t/edit/schemes/new", data={"library_code": "ns9600-4", "name": "NS 9600-4 kran",
                                                    "code": "ns9600-4-kran"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/draft")
    scheme = _scheme(db, w["tenant"], "ns9600-4-kran")
    assert scheme.active is False and not scheme.builtin
    # Not usable before it is published: no current version.
    with pytest.raises(services.SchemeNotFound):
        services.current_version(db, scheme)
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Utkast til versjon 1" in page and "NS 9600-4" in page and 'name="deadlines.report_days"' in page

    # A field error, in Norwegian, on the field it concerns; nothing saved.
    wrong = client.post(f"/t/edit/schemes/{scheme.id}/draft/settings",
                        data=_form(BASE_SETTINGS, validity_months="0", **{"deadlines.report_days": "fjorten"}))
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Må være et heltall." in body and 'id="e-deadlines.report_days"' in body
    wrong = client.post(f"/t/edit/schemes/{scheme.id}/draft/settings", data=_form(BASE_SETTINGS, validity_months="0"))
    assert wrong.status_code == 422 and "Må være mellom 1 og 120." in wrong.get_data(as_text=True)
    count = client.post(f"/t/edit/schemes/{scheme.id}/draft/settings",
                        data=_form(BASE_SETTINGS, **{"surveillance.mode": "count_in_validity"}))
    assert count.status_code == 422 and "Må være minst 1." in count.get_data(as_text=True)

    saved = client.post(f"/t/edit/schemes/{scheme.id}/draft/settings",
                        data=_form(BASE_SETTINGS, **{"surveillance.mode": "count_in_validity",
                                                     "surveillance.min_count": "2", "validity_months": "36"}))
    assert saved.status_code == 302
    # The catalogue: add, edit, remove; a duplicate clause is refused.
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements",
                       data={"clause": "P-4.1", "title": "Egen prosedyre for praksis"}).status_code == 302
    dup = client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements", data={"clause": "P-4.1", "title": "Igjen"})
    assert dup.status_code == 422 and "Kravreferansen finnes allerede i katalogen." in dup.get_data(as_text=True)
    empty = client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements", data={"clause": "", "title": ""})
    assert empty.status_code == 422 and "Feltet må fylles ut." in empty.get_data(as_text=True)
    bind_tenant(db, w["tenant"].id)
    draft = editor.draft_of(db, scheme.id)
    reqs = services.requirements_of(db, draft.id)
    added = next(r for r in reqs if r.clause == "P-4.1")
    first, first_clause = reqs[0], reqs[0].clause
    db.commit()
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements/{added.id}",
                       data={"clause": "P-4.2", "title": "Egen prosedyre, revidert"}).status_code == 302
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements/{first.id}/remove").status_code == 302
    # A scope added and one taken out of use.
    assert client.post(f"/t/edit/schemes/{scheme.id}/scopes", data={"code": "T9", "name": "Teleskoptruck"}).status_code == 302

    published = client.post(f"/t/edit/schemes/{scheme.id}/draft/publish", data={"note": ""})
    assert published.status_code == 302
    db.expire_all()
    bind_tenant(db, w["tenant"].id)
    scheme = db.get(Scheme, scheme.id)
    version = services.current_version(db, scheme)
    settings = services.settings_of(version)
    assert scheme.active and version.number == 1 and version.note == "Kortere pre-evaluering"
    assert settings.validity_months == 36 and settings.surveillance.mode == "count_in_validity"
    assert settings.surveillance.min_count == 2 and settings.deadlines.pre_evaluation_days == 10
    assert [g.code for g in settings.grades] == ["serious", "minor"] and settings.grades_blocking_issue == ("serious",)
    assert settings.grades[1].correction_days == 30 and settings.recertification_warning_days == (90, 30, 7)
    assert settings.certificate_fields == ("holder_name", "scopes", "valid_until", "number", "signatory")
    assert settings.normative_documents == ("Forskrift § 8-1", "Vår prosedyre P-4")
    clauses = [r.clause for r in services.requirements_of(db, version.id)]
    assert "P-4.2" in clauses and "P-4.1" not in clauses and first_clause not in clauses
    assert "T9" in [s.code for s in services.scopes_of(db, scheme.id)]
    page = client.get(f"/t/edit/schemes/{scheme.id}").get_data(as_text=True)
    assert "Innstillinger, versjon 1" in page and "36 måneder" in page


def test_a_new_version_leaves_the_old_one_and_what_was_issued_under_it_alone(client, db, w):
    scheme = _scheme(db, w["tenant"], "opplaering-8-1")
    old = services.current_version(db, scheme)
    old_settings, old_clauses = dict(old.settings), [r.clause for r in services.requirements_of(db, old.id)]
    db.commit()
    login(client, w["admin"])
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/start").status_code == 302
    values = {k: v for k, v in BASE_SETTINGS.items()}
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/settings",
                       data=_form(values, validity_months="24")).status_code == 302
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements",
                       data={"clause": "§ 8-1 x", "title": "Nytt krav"}).status_code == 302
    # While the draft is edited, everything still reads version 1.
    db.expire_all()
    bind_tenant(db, w["tenant"].id)
    assert services.current_version(db, scheme.id).number == 1
    assert client.post(f"/t/edit/schemes/{scheme.id}/draft/publish", data={"note": "To år"}).status_code == 302
    db.expire_all()
    bind_tenant(db, w["tenant"].id)
    new = services.current_version(db, scheme.id)
    assert new.number == 2 and services.settings_of(new).validity_months == 24
    old = db.get(SchemeVersion, old.id)
    assert old.settings == old_settings and [r.clause for r in services.requirements_of(db, old.id)] == old_clauses
    # A published version's requirement cannot be changed, through the web or at flush.
    requirement = services.requirements_of(db, old.id)[0]
    db.commit()
    response = client.post(f"/t/edit/schemes/{scheme.id}/draft/requirements/{requirement.id}",
                           data={"clause": "Z", "title": "Endret"})
    assert response.status_code in (303, 404)
    bind_tenant(db, w["tenant"].id)
    requirement = db.get(Requirement, requirement.id)
    assert requirement.clause != "Z"
    requirement.title = "Endret i ettertid"
    with pytest.raises(VersionPublished):
        db.flush()
    db.rollback()
    bind_tenant(db, w["tenant"].id)
    version = db.get(SchemeVersion, new.id)
    version.settings = dict(version.settings, validity_months=12)
    with pytest.raises(VersionPublished):
        db.flush()
    db.rollback()


def test_only_a_tenant_admin_edits(client, db, w):
    scheme = _scheme(db, w["tenant"], "ns9600-5")
    db.commit()
    login(client, w["consultant"])
    assert client.get(f"/t/edit/schemes/{scheme.id}").status_code == 200  # staff read
    for url in (f"/t/edit/schemes/{scheme.id}/draft/start", "/t/edit/schemes/new",
                f"/t/edit/schemes/{scheme.id}/draft/publish", f"/t/edit/schemes/{scheme.id}/scopes"):
        assert client.post(url, data={"library_code": "hms", "name": "X", "code": "xx"}).status_code == 403
    assert client.get(f"/t/edit/schemes/{scheme.id}/draft").status_code == 403
    headers = {"Authorization": f"Bearer {w['consultant_token']}"}
    assert client.post(f"/api/v1/t/edit/schemes/{scheme.id}/draft", headers=headers).status_code == 403
    bind_tenant(db, w["tenant"].id)
    assert editor.draft_of(db, scheme.id) is None


def test_another_tenants_admin_gets_404_and_changes_nothing(client, db, w):
    scheme = _scheme(db, w["tenant"], "ns9600-5")
    bind_tenant(db, w["tenant"].id)
    draft = editor.start_draft(db, w["admin"], scheme.id)
    requirement = services.requirements_of(db, draft.id)[0]
    db.commit()
    login(client, w["other_admin"])
    for url in (f"/t/annen/schemes/{scheme.id}/draft", f"/t/edit/schemes/{scheme.id}/draft"):
        assert client.get(url).status_code == 404
    assert client.post(f"/t/annen/schemes/{scheme.id}/draft/publish").status_code == 404
    assert client.post(f"/t/annen/schemes/{scheme.id}/draft/requirements/{requirement.id}/remove").status_code == 404
    headers = {"Authorization": f"Bearer {w['other_token']}"}
    assert client.put(f"/api/v1/t/annen/schemes/{scheme.id}/draft", headers=headers,
                      json={"settings": {"validity_months": 1}}).status_code == 404
    assert client.delete(f"/api/v1/t/annen/schemes/{scheme.id}/draft/requirements/{requirement.id}",
                         headers=headers).status_code == 404
    db.expire_all()
    bind_tenant(db, w["tenant"].id)
    assert db.get(Requirement, requirement.id) is not None and editor.draft_of(db, scheme.id).published_at is None


def test_the_api_has_the_same_editor(client, db, w):
    headers = {"Authorization": f"Bearer {w['token']}"}
    base = "/api/v1/t/edit"
    library = client.get(f"{base}/scheme-library", headers=headers).get_json()
    assert "ns9600-5" in [i["code"] for i in library["items"]]
    bad = client.post(f"{base}/schemes", headers=headers, json={"library_code": "nope", "name": "X", "code": "x y"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"library_code", "code"}
    made = client.post(f"{base}/schemes", headers=headers,
                       json={"library_code": "ns9600-5", "name": "NS 9600-5 tilkomst", "code": "tilkomst"})
    assert made.status_code == 201
    body = made.get_json()
    scheme_id, settings = body["scheme"]["id"], body["draft"]["settings"]
    wrong = client.put(f"{base}/schemes/{scheme_id}/draft", headers=headers,
                       json={"settings": dict(settings, surveillance=dict(settings["surveillance"], mode="sometimes"))})
    assert wrong.status_code == 422 and "surveillance.mode" in wrong.get_json()["fields"]
    ok = client.put(f"{base}/schemes/{scheme_id}/draft", headers=headers,
                    json={"settings": dict(settings, retention_years=12), "note": "Tolv år"})
    assert ok.status_code == 200 and ok.get_json()["draft"]["settings"]["retention_years"] == 12
    added = client.post(f"{base}/schemes/{scheme_id}/draft/requirements", headers=headers,
                        json={"clause": "EGEN 1", "title": "Egen kontroll"})
    assert added.status_code == 201
    req_id = next(r["id"] for r in added.get_json()["requirements"] if r["clause"] == "EGEN 1")
    assert client.put(f"{base}/schemes/{scheme_id}/draft/requirements/{req_id}", headers=headers,
                      json={"clause": "EGEN 2", "title": "Egen kontroll"}).status_code == 200
    published = client.post(f"{base}/schemes/{scheme_id}/draft/publish", headers=headers, json={})
    assert published.status_code == 200 and published.get_json()["version"] == 1 and published.get_json()["active"]
    assert client.get(f"{base}/schemes/{scheme_id}/draft", headers=headers).status_code == 404
    # The published requirement is now immutable: 409.
    assert client.delete(f"{base}/schemes/{scheme_id}/draft/requirements/{req_id}", headers=headers).status_code == 409
    # A version published directly meanwhile does not clash with a draft being edited.
    assert client.post(f"{base}/schemes/{scheme_id}/draft", headers=headers).status_code == 201
    assert client.post(f"{base}/schemes/{scheme_id}/versions", headers=headers,
                       json={"settings": dict(settings, retention_years=11)}).status_code == 201
    again = client.post(f"{base}/schemes/{scheme_id}/draft/publish", headers=headers, json={"note": "Etter"})
    assert again.status_code == 200 and again.get_json()["version"] == 4
    detail = client.get(f"{base}/schemes/{scheme_id}", headers=headers).get_json()
    assert detail["settings"]["retention_years"] == 12 and [v["number"] for v in detail["versions"]] == [4, 3, 1]
