"""No 500 from any input (issue 12.6): control characters are refused with 400 before any view runs, ids and
page numbers beyond the database's integer range answer 404/400, API bodies are validated whole.

The public pages are found by enumerating the URL map: every GET rule that answers an anonymous visitor with
an HTML page is "public", and every field of every form on it, and every query parameter, is tried with NUL."""
from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from saas.i18n import today_in_oslo
from saas.tenancy import platform_access
from tests.conftest import login

NUL = "\x00"
CONTROL_MESSAGE = "Teksten inneholder ugyldige tegn."


class _Forms(HTMLParser):
    """The forms of a page: action, method and the name and a value of each field."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": {}})
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "button") and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and attrs["name"] in self.forms[-1]["fields"]:
                return
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.forms[-1]["fields"].setdefault(self._select, "")
        elif tag == "option" and self._select and not self.forms[-1]["fields"][self._select]:
            self.forms[-1]["fields"][self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _candidates(world: dict, survey_token: str) -> dict[str, list[str]]:
    a = world
    return {
        "slug": [a["tenant"].slug],
        "token": [survey_token, a["invoice"].public_token, "x" * 43],
        "code": [a["certificate"].verification_code],
        "lang": ["en"], "code_lang": ["en"],
    }


def _urls_for(rule, candidates: dict[str, list[str]], ids: list[int]) -> list[str]:
    """Every URL of ``rule`` built from the candidates for its arguments (an int argument takes each id)."""
    urls = [rule.rule]
    for name in rule.arguments:
        converter = rule._converters[name]
        values = [str(i) for i in ids] if type(converter).__name__.endswith("IntConverter") else candidates.get(name, [])
        if not values:
            return []
        urls = [re.sub(rf"<(?:[^>:]+:)?{name}>", value, url) for url in urls for value in values]
    return urls


@pytest.fixture
def public_world(db, two_tenants):
    """Tenant A's world with its survey open today, so the survey page shows its form."""
    a = two_tenants["a"]
    today = today_in_oslo()
    with platform_access(db):
        survey = a["survey"]
        survey.opens_on, survey.closes_on, survey.status = today - timedelta(days=1), today + timedelta(days=14), "open"
    db.commit()
    return a


def _public_pages(app, client, world) -> dict[str, str]:
    """URL -> HTML of every page an anonymous visitor gets with 200."""
    candidates = _candidates(world, world["survey"].public_token)
    ids = [world["company"].id, world["certificate"].id]
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith(("/api/", "/static")):
            continue
        for url in _urls_for(rule, candidates, ids):
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                pages[url] = response.get_data(as_text=True)
    return pages


def _assert_refused(response, field: str, where: str):
    assert response.status_code in (400, 422), (where, field, response.status_code)
    if response.status_code == 422:  # a field error on the form, in Norwegian
        assert CONTROL_MESSAGE in response.get_data(as_text=True), (where, field)


def test_a_nul_byte_in_any_form_field_or_query_parameter_of_the_public_pages_answers_400(app, client, public_world):
    pages = _public_pages(app, client, public_world)
    paths = {urlsplit(url).path for url in pages}
    slug = public_world["tenant"].slug
    expected = {"/login", "/password/forgot", f"/t/{slug}/register", "/verify", f"/s/{public_world['survey'].public_token}",
                f"/verify/{public_world['certificate'].verification_code}"}
    assert expected <= paths, expected - paths

    tried = 0
    for url, html in pages.items():
        # A query parameter the page does not know, and NUL in the path itself.
        _assert_refused(client.get(f"{url}?{urlencode({'x': 'a' + NUL})}"), "x", url)
        _assert_refused(client.get(url.rstrip("/") + "/%00"), "_path", url)
        for form in _forms(html):
            action = form["action"] or url
            if urlsplit(action).netloc:
                continue  # a form that leaves the product (none today)
            for name in form["fields"]:
                if name == "csrf_token":
                    continue
                data = {**form["fields"], name: "ok" + NUL + "ok"}
                if form["method"] == "post":
                    response = client.post(action, data=data)
                else:
                    response = client.get(action, query_string=data)
                _assert_refused(response, name, f"{form['method'].upper()} {action}")
                tried += 1
    assert tried >= 8  # login (2), forgot (1), register search, verify search (2), survey, reset ...


NASTY = ["x" * 10_000, "9" * 5000, "-1", "1e309", "２０２６", "٣٤", "😀" * 50, "\u202eevil", "\u2028", "\uffff",
         "'; DROP TABLE users; --", "../../etc/passwd", "%00", "A+", "0" * 30 + "1", " ", ""]


def test_no_text_in_any_field_of_the_public_pages_answers_500(app, client, public_world):
    pages = _public_pages(app, client, public_world)
    tried = 0
    for url, html in pages.items():
        for form in _forms(html):
            action = form["action"] or url
            for name in form["fields"]:
                for value in NASTY:
                    data = {**form["fields"], name: value}
                    if form["method"] == "post":
                        response = client.post(action, data=data)
                    else:
                        response = client.get(action, query_string=data)
                    assert response.status_code < 500, (form["method"], action, name, value[:20], response.status_code)
                    tried += 1
            for value in NASTY[:4]:
                assert client.get(url, query_string={"page": value, "q": value}).status_code < 500, (url, value[:20])
    assert tried > 100


def test_other_control_characters_are_refused_but_tab_and_newline_are_text(client, public_world):
    slug = public_world["tenant"].slug
    for bad in ("\x01", "\x1b[31m", "\x7f", "\x08"):
        assert client.get(f"/t/{slug}/register", query_string={"q": f"x{bad}"}).status_code == 400
    assert client.get(f"/t/{slug}/register", query_string={"q": "Kunde\tA"}).status_code == 200
    assert client.post("/password/forgot", data={"email": "a@example.no\r\n"}).status_code == 302


def test_the_refusal_of_a_page_is_in_norwegian_and_names_nothing_secret(client):
    response = client.post("/login", data={"email": "admin@example.no\x00", "password": "x"})
    assert response.status_code == 400
    assert "ugyldige tegn" in response.get_data(as_text=True)


def test_a_signed_in_form_with_nul_is_refused_before_the_view_and_changes_nothing(client, db, a):
    login(client, a["admin"])
    company = a["company"]
    response = client.post(f"/t/{a['tenant'].slug}/clients/{company.id}/edit", data={"name": "Ny\x00navn"})
    assert response.status_code == 400
    db.expire_all()
    assert "\x00" not in company.name


# -- the API ------------------------------------------------------------------------------------------------

def _headers(world):
    return {"Authorization": f"Bearer {world['api_token']}"}


@pytest.mark.parametrize("body, field", [
    ({"name": "Kunde\x00AS", "org_number": "974760673"}, "name"),
    ({"name": "Kunde AS", "org_number": "974760673", "notes": "a\x1bb"}, "notes"),
    ({"name": "Kunde AS", "org_number": "974760673", "k\x00": "x"}, "_body"),
    ({"name": "\ud800", "org_number": "974760673"}, "name"),
])
def test_a_json_string_with_control_characters_answers_400_naming_the_field(client, two_tenants, body, field):
    import json

    raw = json.dumps(body)  # ensure_ascii keeps the lone surrogate as \ud800, as a client would send it
    response = client.post("/api/v1/t/tenant-a/companies", headers={**_headers(two_tenants["a"]), "Content-Type": "application/json"},
                           data=raw)
    assert response.status_code == 400
    assert field in response.get_json()["fields"]


def test_a_deeply_nested_json_body_answers_400_not_500(client, two_tenants):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/t/tenant-a/companies", headers={**_headers(two_tenants["a"]), "Content-Type": "application/json"},
                           data=body)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("path", [
    "/api/v1/t/tenant-a/companies/99999999999999999999",
    "/api/v1/t/tenant-a/companies/2147483648",
    "/api/v1/t/tenant-a/invoices/99999999999999999999/pdf",
])
def test_ids_beyond_the_integer_range_answer_404_for_every_method(client, two_tenants, path):
    for method in ("get", "patch", "delete", "post"):
        response = getattr(client, method)(path, headers=_headers(two_tenants["a"]), json={})
        assert response.status_code == 404, (method, response.status_code)


def test_the_largest_id_the_database_holds_is_looked_up_and_not_found(client, two_tenants):
    assert client.get("/api/v1/t/tenant-a/companies/2147483647", headers=_headers(two_tenants["a"])).status_code == 404


def test_a_web_page_with_an_id_beyond_the_range_answers_404(client, a):
    login(client, a["admin"])
    assert client.get(f"/t/{a['tenant'].slug}/clients/99999999999999999999").status_code == 404


@pytest.mark.parametrize("query, status", [
    ("page=1473678894421230336", 400), ("per_page=99999999999999999999999", 400), ("page=" + "9" * 5000, 400),
    ("page=0", 422), ("page=abc", 422), ("page=%D9%A3", 422),
])
def test_page_numbers_beyond_the_range_answer_400_and_nonsense_422(client, two_tenants, query, status):
    response = client.get(f"/api/v1/t/tenant-a/companies?{query}", headers=_headers(two_tenants["a"]))
    assert response.status_code == status
    assert set(response.get_json()["fields"]) <= {"page", "per_page"}


def test_a_huge_integer_in_a_body_is_a_field_error(client, two_tenants):
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants["a"]),
                           json={"name": "Stor AS", "org_number": "974760673", "employee_count": 10**30})
    assert response.status_code == 422 and "employee_count" in response.get_json()["fields"]
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants["a"]),
                           json={"name": "Stor AS", "org_number": "974760673", "consultant_id": 0})
    assert response.status_code == 422 and "consultant_id" in response.get_json()["fields"]


def test_put_price_list_without_amount_answers_422_naming_the_field(client, two_tenants):
    response = client.put("/api/v1/t/tenant-a/price-list", headers=_headers(two_tenants["a"]),
                          json={"prices": [{"cert_class": "A", "band": 0}]})
    assert response.status_code == 422
    assert "prices.0.amount" in response.get_json()["fields"]
    # A partial change of the settings still works.
    ok = client.put("/api/v1/t/tenant-a/price-list", headers=_headers(two_tenants["a"]), json={"payment_terms_days": 30})
    assert ok.status_code == 200 and ok.get_json()["payment_terms_days"] == 30


def test_an_invoice_whose_total_would_overflow_the_amount_columns_is_refused(client, two_tenants):
    company = two_tenants["a"]["company"]
    lines = [{"description": "Rådgivning", "quantity": 1_000_000, "unit_price": 1_000_000_000}]
    response = client.post("/api/v1/t/tenant-a/invoices", headers=_headers(two_tenants["a"]),
                           json={"company_id": company.id, "lines": lines})
    assert response.status_code == 422 and {"lines", "lines.0.quantity"} & set(response.get_json()["fields"])
    lines = [{"description": "Rådgivning", "quantity": 100, "unit_price": 1_000_000_000}] * 3
    response = client.post("/api/v1/t/tenant-a/invoices", headers=_headers(two_tenants["a"]),
                           json={"company_id": company.id, "lines": lines})
    assert response.status_code == 422 and "lines" in response.get_json()["fields"]


def test_dates_and_times_in_the_api_are_iso_8601(client, two_tenants):
    evidence = two_tenants["a"]["evidence"]
    body = client.get(f"/api/v1/t/tenant-a/evidence/{evidence.id}", headers=_headers(two_tenants["a"])).get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", body["uploaded_at"]), body["uploaded_at"]


def test_the_openapi_document_declares_errors_binary_and_multipart_bodies_and_numeric_bounds(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    base = "/api/v1/t/{slug}"
    for operations in paths.values():
        for operation in operations.values():
            assert {"400", "401", "404"} <= set(operation["responses"]), operation["operationId"]
    assert "403" in paths[base + "/price-list"]["put"]["responses"] and "422" in paths[base + "/price-list"]["put"]["responses"]
    assert "409" in paths[base + "/proposals/{proposal_id}/decision"]["post"]["responses"]
    assert list(paths[base + "/invoices/{invoice_id}/pdf"]["get"]["responses"]["200"]["content"]) == ["application/pdf"]
    assert "text/csv" in paths[base + "/surveys/{survey_id}/export"]["get"]["responses"]["200"]["content"]
    upload = paths[base + "/evidence"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["file"]["format"] == "binary" and "file" in upload["required"]

    def numbers(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                    assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
                numbers(value)
        elif isinstance(node, list):
            for value in node:
                numbers(value)

    numbers(spec)


def test_a_multipart_part_without_a_usable_name_is_not_a_server_error(client, two_tenants):
    """schemathesis found this one: a part named ``"\\"`` reaches werkzeug's form as a field without a name."""
    evidence = two_tenants["a"]["evidence"]
    body = (b'--b0\r\nContent-Disposition: form-data; name="\\"\r\n\r\n{}\r\n'
            b'--b0\r\nContent-Disposition: form-data; name="description"\r\n\r\nx\r\n--b0--\r\n')
    response = client.post(f"/api/v1/t/tenant-a/evidence/{evidence.id}/replace", data=body,
                           headers={**_headers(two_tenants["a"]), "Content-Type": "multipart/form-data; boundary=b0"})
    assert response.status_code == 422 and "file" in response.get_json()["fields"]


def test_an_expiry_window_beyond_the_calendar_is_not_a_server_error(client, two_tenants):
    response = client.get("/api/v1/t/tenant-a/companies?expiring=999999999", headers=_headers(two_tenants["a"]))
    assert response.status_code == 200
