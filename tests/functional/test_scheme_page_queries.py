"""Every page of the audit-based company certification and of the person certification runs as many SQL
statements for 12 of every related thing (findings, corrective actions, team members, cases, companies,
certificates, complaints, schemes, people, register entries, cards, enrolments, courses, tests, ...) as
for 2, and no more than its ceiling, for the provider's staff and for a signed-in client contact."""
from __future__ import annotations

import pytest

from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.scheme_page_world import grow, scheme_page_world

# endpoint → (the page's path under /t/<slug>, its statement ceiling).  A page whose count grows with the
# data fails the test; so does one that passes its ceiling (lower a ceiling when a page gets cheaper).
STAFF_PAGES = {
    "audits.index": ("/audits/", 9),
    "audits.apply_form": ("/audits/apply", 6),
    "audits.case": ("/audits/cases/{case}", 20),
    "audits.audit_page": ("/audits/cases/{case}/audit", 20),
    "audits.matrix": ("/audits/cases/{case}/matrix", 20),
    "programme.programme": ("/audits/programme", 9),
    "programme.programme_calendar": ("/audits/programme.ics", 8),
    "programme.scheme_certificates": ("/audits/certificates", 5),
    "programme.scheme_certificate": ("/audits/certificates/{certificate}", 11),
    "complaint_admin.index": ("/complaints/", 5),
    "complaint_admin.complaint": ("/complaints/{complaint}", 6),
    "persons.index": ("/persons/", 5),
    "persons.new": ("/persons/new", 5),
    "persons.detail": ("/persons/{person}", 19),
    "persons.edit": ("/persons/{person}/edit", 6),
    "persons.card": ("/persons/cards/{card}", 5),
    "persons.cases": ("/persons/cases", 6),
    "persons.case": ("/persons/cases/{revocation}", 7),
    "persons.courses": ("/persons/courses", 8),
    "persons.course": ("/persons/courses/{course}", 10),
    "persons.enrolment": ("/persons/enrolments/{enrolment}", 13),
    "persons.employer_matrix": ("/persons/employer/{company}", 9),
    "persons.register_page": ("/persons/register", 8),
    "persons.register_export": ("/persons/register/export.csv", 6),
    "persons.schemes": ("/persons/schemes", 5),
    "persons.scheme": ("/persons/schemes/{person_scheme}", 5),
    "persons.matrix_editor_page": ("/persons/schemes/{person_scheme}/matrix", 7),
    "persons.submissions_page": ("/persons/submissions", 5),
    "persons.submission": ("/persons/submissions/{submission}", 3),
    "schemes.index": ("/schemes/", 5),
    "schemes.scheme": ("/schemes/{scheme}", 8),
    "schemes.register_view": ("/schemes/register", 9),
    "schemes.draft": ("/schemes/{draft_scheme}/draft", 6),
}
CLIENT_PAGES = {
    "audits.index": ("/audits/", 9),
    "audits.apply_form": ("/audits/apply", 6),
    "audits.case": ("/audits/cases/{case}", 18),
    "audits.audit_page": ("/audits/cases/{case}/audit", 18),
    "programme.scheme_certificates": ("/audits/certificates", 5),
    "programme.scheme_certificate": ("/audits/certificates/{certificate}", 11),
    "persons.index": ("/persons/", 5),
    "persons.new": ("/persons/new", 5),
    "persons.detail": ("/persons/{person}", 13),
    "persons.edit": ("/persons/{person}/edit", 6),
    "persons.card": ("/persons/cards/{card}", 5),
    "persons.employer_matrix": ("/persons/employer/{company}", 9),
}
# GET pages of these blueprints that are files or redirects, not pages: their cost is the file's.
NOT_PAGES = {"audits.case_file", "audits.export_download", "programme.certificate_for_case",
             "programme.scheme_certificate_pdf", "persons.photo", "persons.document", "persons.card_pdf",
             "persons.certificate_pdf", "persons.register_transfer", "persons.submission_export"}
BLUEPRINTS = ("audits", "programme", "complaint_admin", "persons", "schemes")


@pytest.fixture
def world(app, db):
    # Made inside an app context that ends before the requests: each request then has its own ``g``, as in
    # production (a shared one would keep what a request caches there, such as the menu's counts).
    with app.app_context():
        w = scheme_page_world(db)
        grow(w, 2)
        bind_tenant(db, None)
        db.commit()
    return w


def _ids(w) -> dict:
    return dict(case=w["case"].id, certificate=w["certificate"].id, complaint=w["complaint"].id,
                person=w["person"].id, card=w["card"].id, revocation=w["revocation"].id, course=w["course"].id,
                enrolment=w["enrolment"].id, company=w["company"].id, person_scheme=w["person_scheme"].id,
                submission=w["submission"].id, scheme=w["case"].scheme_id, draft_scheme=w["draft_scheme"].id)


def _counts(client, count_queries, w, pages: dict) -> dict:
    slug, ids, out = w["tenant"].slug, _ids(w), {}
    for endpoint, (path, _ceiling) in pages.items():
        url = f"/t/{slug}{path.format(**ids)}"
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, (endpoint, response.status_code)
        out[endpoint] = counter.count
    return out


def _grown(app, db, w, count: int) -> None:
    with app.app_context():
        bind_tenant(db, w["tenant"].id)
        grow(w, count)
        bind_tenant(db, None)
        db.commit()


def _assert_constant(small: dict, big: dict, pages: dict) -> None:
    """The same count in both worlds and none above its ceiling; the message gives every page's counts."""
    table = "\n".join(f"{e}: {small[e]} for 2, {big[e]} for 12 (ceiling {c})" for e, (_path, c) in pages.items())
    assert all(small[e] == big[e] <= c for e, (_path, c) in pages.items()), table


def test_every_get_page_of_the_schemes_is_listed(app):
    gets = {r.endpoint for r in app.url_map.iter_rules()
            if "GET" in r.methods and r.endpoint.split(".")[0] in BLUEPRINTS}
    assert gets - NOT_PAGES == set(STAFF_PAGES), gets - NOT_PAGES ^ set(STAFF_PAGES)


def test_the_staff_pages_run_as_many_statements_for_12_of_everything_as_for_2(app, client, db, world, count_queries):
    login(client, world["admin"])
    small = _counts(client, count_queries, world, STAFF_PAGES)
    _grown(app, db, world, 10)
    big = _counts(client, count_queries, world, STAFF_PAGES)
    _assert_constant(small, big, STAFF_PAGES)


def test_the_client_pages_run_as_many_statements_for_12_of_everything_as_for_2(app, client, db, world, count_queries):
    login(client, world["client"])
    slug, ids = world["tenant"].slug, _ids(world)
    staff_only = {e for e, (path, _c) in STAFF_PAGES.items() if e not in CLIENT_PAGES
                  and client.get(f"/t/{slug}{path.format(**ids)}").status_code in (403, 404)}
    assert staff_only == set(STAFF_PAGES) - set(CLIENT_PAGES)  # every page a client contact may open is counted
    small = _counts(client, count_queries, world, CLIENT_PAGES)
    _grown(app, db, world, 10)
    big = _counts(client, count_queries, world, CLIENT_PAGES)
    _assert_constant(small, big, CLIENT_PAGES)
