"""Prefill of the company form from Enhetsregisteret, against a real HTTP server on loopback that serves
recorded answers (tests/data/brreg), and against a closed port and a server that never answers."""
from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from saas.clients.models import ClientCompany
from saas.tenancy import platform_access
from tests.conftest import login

DATA = Path(__file__).resolve().parent.parent / "data" / "brreg"
API = "/enhetsregisteret/api"


@dataclass
class Register:
    url: str
    routes: dict = field(default_factory=dict)      # path -> (status, body bytes, delay seconds)
    requests: list = field(default_factory=list)    # (path, headers)

    def serve(self, org_number: str, body: bytes | dict | str, status: int = 200, delay: float = 0.0) -> None:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = (DATA / body).read_bytes()
        self.routes[f"{API}/enheter/{org_number}"] = (status, body, delay)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the client hanging up on a slow answer is part of the test


@pytest.fixture
def register(app, monkeypatch):
    """A real HTTP server on 127.0.0.1 standing in for data.brreg.no; BRREG_URL points at it."""
    not_found = (DATA / "not_found.json").read_bytes()
    state = Register(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append((self.path, dict(self.headers)))
            status, body, delay = state.routes.get(self.path, (404, not_found, 0.0))
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{API}"
    monkeypatch.setitem(app.config, "BRREG_URL", state.url)
    monkeypatch.setitem(app.config, "BRREG_TIMEOUT", 2.0)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _form(**values) -> dict:
    data = {"org_number": "", "name": "", "org_form": "", "industry_code": "", "address": "", "postcode": "", "city": "",
            "postal_address": "", "employee_count": "", "consultant_id": "", "notes": "", "follow_up_from": "", "follow_up_to": ""}
    data.update(values)
    return data


def _value(body: str, name: str) -> str:
    match = re.search(rf'<input id="f-{name}"[^>]*value="([^"]*)"', body)
    assert match, f"no input {name}"
    return html.unescape(match.group(1))


def _companies(db) -> int:
    with platform_access(db):
        return db.scalar(select(func.count(ClientCompany.id)))


def test_a_consultant_gets_the_form_filled_from_the_register(client, db, two_tenants, register):
    register.serve("974760673", "974760673.json")
    login(client, two_tenants["a"]["consultant"])
    before = _companies(db)
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="NO 974 760 673 MVA", notes="Eget notat"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _value(body, "org_number") == "974760673"
    assert _value(body, "name") == "REGISTERENHETEN I BRØNNØYSUND"
    assert _value(body, "org_form") == "ORGL"
    assert _value(body, "industry_code") == "84.110"
    assert _value(body, "address") == "Havnegata 48"
    assert (_value(body, "postcode"), _value(body, "city")) == ("8900", "BRØNNØYSUND")
    assert _value(body, "postal_address") == "Postboks 900, 8910 BRØNNØYSUND"
    assert _value(body, "employee_count") == "550"
    assert "Eget notat" in body  # what the person typed and the register does not know stays
    assert "Opplysningene er hentet fra Enhetsregisteret" in body
    assert register.requests[0][0] == f"{API}/enheter/974760673"
    assert register.requests[0][1].get("Accept") == "application/json"
    assert _companies(db) == before  # prefilling never saves


def test_withheld_employees_stay_empty_not_zero(client, two_tenants, register):
    register.serve("123456785", "small_company_123456785.json")
    login(client, two_tenants["a"]["consultant"])
    body = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="123456785")).get_data(as_text=True)
    assert _value(body, "employee_count") == ""
    assert "under 5 ansatte vises ikke" in body
    assert _value(body, "address") == "Storgata 1, Inngang B"
    assert _value(body, "postcode") == "0150"
    assert "under avvikling" in body


def test_an_unknown_number_says_so(client, two_tenants, register):
    login(client, two_tenants["a"]["consultant"])
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="123456726", name="Mitt navn"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Fant ikke organisasjonsnummeret i Enhetsregisteret." in body
    assert _value(body, "name") == "Mitt navn"


def test_a_deleted_unit_says_it_is_deleted(client, two_tenants, register):
    register.serve("123456718", "deleted_123456718.json", status=410)
    login(client, two_tenants["a"]["consultant"])
    body = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="123456718")).get_data(as_text=True)
    assert "Enheten er slettet fra Enhetsregisteret. Slettet 31.05.2024." in body


def test_an_unreachable_register_gives_a_clear_message_and_the_form_still_saves(app, client, db, two_tenants, monkeypatch):
    monkeypatch.setitem(app.config, "BRREG_URL", f"http://127.0.0.1:{_closed_port()}/enhetsregisteret/api")
    a = two_tenants["a"]
    login(client, a["consultant"])
    before = _companies(db)
    typed = _form(org_number="974760673", name="Registerenheten", employee_count="550", city="Brønnøysund")
    response = client.post("/t/tenant-a/companies/prefill", data=typed)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enhetsregisteret svarer ikke akkurat nå. Fyll inn opplysningene selv." in body
    assert (_value(body, "name"), _value(body, "employee_count"), _value(body, "city")) == ("Registerenheten", "550", "Brønnøysund")
    assert 'action="" ' not in body and "Lagre" in body
    assert _companies(db) == before
    saved = client.post("/t/tenant-a/companies/new", data={k: v for k, v in typed.items() if v})
    assert saved.status_code == 302
    assert _companies(db) == before + 1


def test_a_register_that_never_answers_times_out_with_the_same_message(app, client, two_tenants, register, monkeypatch):
    register.serve("974760673", "974760673.json", delay=1.5)
    monkeypatch.setitem(app.config, "BRREG_TIMEOUT", 0.3)
    login(client, two_tenants["a"]["consultant"])
    started = time.monotonic()
    body = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673")).get_data(as_text=True)
    assert time.monotonic() - started < 1.4
    assert "Enhetsregisteret svarer ikke akkurat nå." in body


@pytest.mark.parametrize("status", [500, 503, 429, 301])
def test_an_error_status_from_the_register_is_treated_as_unavailable(client, two_tenants, register, status):
    register.serve("974760673", {"error": "oops"}, status=status)
    login(client, two_tenants["a"]["consultant"])
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673"))
    assert response.status_code == 200
    assert "Enhetsregisteret svarer ikke akkurat nå." in response.get_data(as_text=True)


def test_a_hostile_answer_is_cut_down_to_what_fits(client, db, two_tenants, register):
    register.serve("974760673", {
        "organisasjonsnummer": "974760673",
        "navn": "A" * 5000 + "<script>alert(1)</script>",
        "organisasjonsform": {"kode": "<b>XSS</b>"},
        "naeringskode1": {"kode": ["84.110"]},
        "antallAnsatte": "mange",
        "forretningsadresse": {"adresse": "Ikke en liste", "postnummer": "12345", "poststed": {"navn": "Oslo"}},
        "konkurs": "true",
    })
    login(client, two_tenants["a"]["consultant"])
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673", employee_count="7"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _value(body, "name") == "A" * 200
    assert "<script>" not in body
    assert _value(body, "org_form") == "" and _value(body, "industry_code") == ""
    assert _value(body, "employee_count") == "7"  # a non-number from the register does not replace it
    assert _value(body, "postcode") == "" and _value(body, "address") == ""
    assert "konkurs" not in body


@pytest.mark.parametrize("body", [
    b"not json at all",
    json.dumps([1, 2, 3]).encode(),
    json.dumps({"organisasjonsnummer": "123456785", "navn": "Feil enhet AS"}).encode(),
    json.dumps({"organisasjonsnummer": "974760673"}).encode(),
])
def test_an_answer_that_makes_no_sense_is_not_used(client, two_tenants, register, body):
    register.serve("974760673", body)
    login(client, two_tenants["a"]["consultant"])
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673", name="Mitt navn"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Enhetsregisteret ga et svar vi ikke forstår." in text
    assert _value(text, "name") == "Mitt navn"


def test_an_oversized_answer_is_not_read_to_the_end(client, two_tenants, register):
    register.serve("974760673", b'{"navn": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    login(client, two_tenants["a"]["consultant"])
    body = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673")).get_data(as_text=True)
    assert "Enhetsregisteret svarer ikke akkurat nå." in body


def test_an_invalid_number_is_a_field_error_and_nothing_is_asked(client, two_tenants, register):
    login(client, two_tenants["a"]["consultant"])
    response = client.post("/t/tenant-a/companies/prefill", data=_form(org_number="123456789"))
    assert response.status_code == 422
    assert "Organisasjonsnummeret har feil kontrollsiffer." in response.get_data(as_text=True)
    assert register.requests == []


def test_a_client_contact_may_not_prefill(client, two_tenants, register):
    login(client, two_tenants["a"]["client"])
    assert client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673")).status_code == 403
    assert register.requests == []


def test_a_user_of_another_tenant_gets_404(client, two_tenants, register):
    login(client, two_tenants["b"]["consultant"])
    assert client.post("/t/tenant-a/companies/prefill", data=_form(org_number="974760673")).status_code == 404
    assert register.requests == []
