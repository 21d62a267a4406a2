"""The UI in English: the language buttons switch the session's language, pages and messages follow it,
bokmål stays the default, and the English catalog is complete and compiled."""
from __future__ import annotations

import ast
import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from saas.auth import create_api_token
from saas.hms.models import ActionItem, CertificationYear
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login

TRANSLATIONS = Path(__file__).resolve().parents[2] / "saas" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
BASE = "/t/lang"


@pytest.fixture
def world(db, clock):
    """A consultant (also admin) with one client company, its certification year and an overdue action."""
    tenant = factories.make_tenant(db, slug="lang", name="Språk AS")
    consultant = factories.make_user(db, tenant, roles=("consultant", "admin"), name="Rita Rådgiver")
    company = factories.make_company(db, tenant, name="Fjordbakeriet AS")
    year = CertificationYear(company_id=company.id, year=2026, consultant_id=consultant.id)
    db.add(year)
    db.flush()
    action = ActionItem(year_id=year.id, title="Skift lysrør på lageret", deadline=clock.today() - timedelta(days=3))
    db.add(action)
    db.flush()
    bind_tenant(db, None)
    db.commit()
    return dict(tenant=tenant, consultant=consultant, company=company, year=year, action=action)


def english(client, next_url: str = "/"):
    response = client.post("/lang/en", data={"next": next_url})
    assert response.status_code == 302 and response.headers["Location"] == next_url
    return response


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def assert_english(body: str, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    assert '<html lang="en">' in body
    for text in present:
        assert text in body, text
    for text in absent:
        assert text not in body, text


# -- pages ---------------------------------------------------------------------------------------------

def test_the_company_list_is_in_english_after_choosing_en(client, world):
    login(client, world["consultant"])
    english(client, f"{BASE}/companies/")
    assert_english(page(client, f"{BASE}/companies/"),
                   present=(">Clients<", "New client", "Export CSV", "Sort by", "Name A–Z", "Without a valid certificate",
                            "Main menu", "Log out"),
                   absent=("Ny kunde", "Eksporter CSV", "Sortering", "Uten gyldig sertifikat", "Logg ut"))


def test_the_company_form_shows_english_field_errors(client, world):
    login(client, world["consultant"])
    english(client)
    response = client.post(f"{BASE}/companies/new", data={"org_number": "974760673"})
    assert response.status_code == 422
    assert_english(response.get_data(as_text=True),
                   present=("New client", "The form has errors. See the highlighted fields.", "This field is required."),
                   absent=("Feltet må fylles ut.", "Skjemaet har feil"))
    # A validator's message is built when the schema class is defined, and still follows the request.
    response = client.post(f"{BASE}/companies/new", data={"name": "", "org_number": "974760674", "postcode": "12"})
    assert response.status_code == 422
    assert_english(response.get_data(as_text=True),
                   present=("Must be between 1 and 200 characters.", "A postcode has 4 digits.",
                            "The organisation number has an incorrect check digit."),
                   absent=("Må være mellom 1 og 200 tegn.", "Postnummer har 4 siffer.", "feil kontrollsiffer"))


def test_a_flash_message_after_saving_is_in_english(client, world):
    login(client, world["consultant"])
    english(client)
    response = client.post(f"{BASE}/companies/new", data={"name": "Kaffebrenneriet AS", "org_number": "974760673"},
                           follow_redirects=True)
    assert_english(response.get_data(as_text=True), present=("Kaffebrenneriet AS has been created.",),
                   absent=("Kaffebrenneriet AS er opprettet.",))


def test_the_login_page_and_its_error_are_in_english(client, world):
    english(client, "/login")
    assert_english(page(client, "/login"), present=("Log in", "Password", "Forgotten your password?"),
                   absent=("Logg inn", "Passord", "Glemt passordet?"))
    response = client.post("/login", data={"email": world["consultant"].email, "password": "wrong"})
    assert response.status_code == 422
    assert_english(response.get_data(as_text=True), present=("Incorrect email address or password.",),
                   absent=("Feil e-postadresse eller passord.",))


def test_the_year_page_is_in_english(client, world):
    login(client, world["consultant"])
    english(client)
    body = page(client, f"{BASE}/years/{world['year'].id}")
    assert_english(body, present=("Class assessment", "Action plan", "Risk assessments", "Physical mapping",
                                  "Safety inspection round", "Requirement", "Not met", "Open"),
                   absent=("Klassevurdering", "Handlingsplan", "Risikovurderinger", "Ikke oppfylt", "Åpent"))


def test_the_action_plan_is_in_english(client, world):
    login(client, world["consultant"])
    english(client)
    body = page(client, f"{BASE}/actions/years/{world['year'].id}")
    assert_english(body, present=("Action plan", "New action", "Overdue only", "Deadline", "Responsible", "Overdue",
                                  "(3 days over)", "In progress", "Physical", "Skift lysrør på lageret"),
                   absent=("Handlingsplan", "Nytt tiltak", "Bare forfalte", "Frist", "Forfalt", "dager over", "Pågår"))


def test_error_pages_are_in_english(client, world):
    login(client, world["consultant"])
    english(client)
    assert_english(page(client, f"{BASE}/companies/999999", status=404), present=("The page does not exist.",),
                   absent=("Siden finnes ikke.",))


def test_the_api_serialises_translated_field_errors_for_a_user_who_chose_english(client, db, world):
    bind_tenant(db, world["tenant"].id)
    world["consultant"].locale = "en"
    _, token = create_api_token(db, world["consultant"], "test")
    db.commit()
    response = client.post("/api/v1/t/lang/companies", headers={"Authorization": f"Bearer {token}"},
                           json={"name": "x" * 201})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert fields["name"] == ["Must be between 1 and 200 characters."]
    assert fields["org_number"] == ["This field is required."]


# -- switching ---------------------------------------------------------------------------------------------

def test_bokmal_is_the_default(client, world):
    body = page(client, "/login")
    assert '<html lang="nb">' in body and "Glemt passordet?" in body and "Forgotten your password?" not in body


def test_choosing_nb_switches_back_to_bokmal(client, world):
    login(client, world["consultant"])
    english(client)
    assert "Action plan" in page(client, f"{BASE}/actions/years/{world['year'].id}")
    assert client.post("/lang/nb", data={"next": "/"}).status_code == 302
    body = page(client, f"{BASE}/actions/years/{world['year'].id}")
    assert '<html lang="nb">' in body and "Handlingsplan" in body and "Action plan" not in body


def test_an_unknown_language_code_is_ignored(client, world):
    login(client, world["consultant"])
    assert client.post("/lang/de", data={"next": "/"}).status_code == 302
    assert "Handlingsplan" in page(client, f"{BASE}/actions/years/{world['year'].id}")
    english(client)
    assert client.post("/lang/xx", data={"next": "/"}).status_code == 302
    body = page(client, f"{BASE}/actions/years/{world['year'].id}")
    assert '<html lang="en">' in body and "Action plan" in body


def test_the_language_switch_only_redirects_within_the_site(client, world):
    response = client.post("/lang/en", data={"next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# -- the catalog -------------------------------------------------------------------------------------------

def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_message_has_an_english_translation():
    catalog = _catalog()
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert len(catalog) > 1000
    assert not untranslated, f"translate these in {PO}: {untranslated[:20]}"


def test_the_plural_forms_are_declared():
    catalog = _catalog()
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n != 1)"
    plurals = [m for m in catalog if isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == 2 for m in plurals)


def _tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _key(message):
    context = message.context.decode() if isinstance(message.context, bytes) else message.context  # read_mo: bytes
    return context, _tuple(message.id)


def test_the_compiled_catalog_matches_the_po_file():
    # A fresh checkout writes both files at nearly the same moment, in either order: allow a little slack.
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 2, "run: pybabel compile -d saas/translations"
    with MO.open("rb") as handle:
        compiled = {_key(m): _tuple(m.string) for m in read_mo(handle) if m.id}
    expected = {_key(m): _tuple(m.string) for m in _catalog() if m.id}
    assert compiled == expected, "messages.mo is stale: run pybabel compile -d saas/translations"


# The bokmål labels that services hand to templates, which translate them when drawn.
LABEL_SOURCES = {
    "saas.hms.services.actions": ("STATUS_LABELS", "AREA_LABELS"),
    "saas.hms.services.years": ("STATUS_LABELS", "METHOD_LABELS"),
    "saas.hms.services.reports": ("GRADE_LABELS", "ACTION_STATUS_LABELS"),
    "saas.hms.services.compliance": ("STATUS_LABELS",),
    "saas.hms.services.risks": ("ASSESSMENT_STATUS_LABELS",),
    "saas.hms.services.checklists": ("KINDS",),
    "saas.hms.services.evidence": ("TARGET_LABELS",),
    "saas.hms.rules_facts": ("COMPLIANCE_LABELS",),
    "saas.hms.risk": ("COLOUR_NAMES_NB",),
    "saas.certification.labels": ("CRITERION_TITLES", "CLIENT_STEPS", "OUTCOME_LABELS", "STATE_LABELS",
                                  "PROPOSAL_STATUS_LABELS", "ATTESTATION_LABELS", "STATE_ACTIONS"),
    "saas.surveys.services.surveys": ("STATUS_LABELS",),
    "saas.surveys.services.results": ("COLOUR_LABELS", "DIRECTION_LABELS"),
}


def test_every_label_from_the_services_is_in_the_catalog_and_translated():
    from saas.hms.checklist_defaults import COMPLIANCE_CHECKS
    from saas.translations.labels import MESSAGES

    labels = {value for module, names in LABEL_SOURCES.items() for name in names
              for value in getattr(importlib.import_module(module), name).values()}
    labels |= {c[key] for c in COMPLIANCE_CHECKS for key in ("title_nb", "help_nb", "legal_ref") if c.get(key)}
    translated = {m.id for m in _catalog() if m.id and m.string}
    assert labels - set(MESSAGES) == set(), "add these to saas/translations/labels.py"
    assert labels - translated == set(), "extract and translate (see saas/translations/labels.py)"


def _constant_schema_messages() -> set[str]:
    """``error="..."`` and ``ValidationError("...")`` in the feature schemas (saas/**/schemas*.py)."""
    root = Path(__file__).resolve().parents[2] / "saas"
    found = set()
    for path in set(root.rglob("schemas*.py")) - {root / "schemas.py"}:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "error"]
            if getattr(node.func, "id", getattr(node.func, "attr", "")) == "ValidationError":
                values += node.args[:1]
            found |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return found


def test_every_constant_validation_message_is_in_the_catalog_and_translated():
    from saas import norway
    from saas.translations.labels import MESSAGES

    messages = _constant_schema_messages() | {norway.MSG_ORG_DIGITS, norway.MSG_ORG_CHECK}
    assert "Postnummer har 4 siffer." in messages
    translated = {m.id for m in _catalog() if m.id and m.string}
    assert messages - set(MESSAGES) == set(), "add these to saas/translations/labels.py"
    assert messages - translated == set(), "extract and translate (see saas/translations/labels.py)"


def test_templates_look_the_catalogue_up_once_per_request_and_follow_force_locale(app):
    """The template ``_()`` keeps the request's catalogue (saas.i18n), yet a job that renders in bokmål
    under ``force_locale`` inside an English request gets bokmål, and English again after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Kunder') }}") == "Clients"
        with force_locale("nb"):
            assert render_template_string("{{ _('Kunder') }}") == "Kunder"
        assert render_template_string("{{ _('Kunder') }} {{ ngettext('%(num)d venter', '%(num)d venter', 2) }}") == "Clients 2 waiting"
