"""The demo data for person certification loads and shows what it promises: kompetansebevis for trucks
and cranes with rendered cards, and drivers due for the periodic test, expired 3 months, under appeal."""
from __future__ import annotations

import os

from sqlalchemy import select

from saas.app import create_app
from saas.i18n import today_in_oslo
from saas.persons.models import Card, Person, RevocationCase
from saas.persons.presenters import holding_rows
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant
from tests.conftest import app_config, create_database, drop_database


def test_the_demo_has_cards_for_trucks_and_cranes_and_drivers_in_every_state(tmp_path):
    from saas.demo import load_demo

    url = create_database(f"saas_test_person_demo_{os.getpid()}")
    app = create_app(app_config(url, tmp_path))
    database = app.extensions["saas.db"]
    try:
        with app.app_context(), database.session_scope() as session:
            load_demo(session)
        with app.app_context(), database.session_scope() as session:
            with platform_access(session):
                tenants = {t.slug: t.id for t in session.scalars(select(Tenant))}
            bind_tenant(session, tenants["bedriftstjenesten"])
            cards = session.scalars(select(Card)).all()
            assert len(cards) == 2 and all(c.card_pdf_key and c.certificate_pdf_key for c in cards)
            codes = {c["code"] for card in cards for c in card.snapshot["competences"]}
            assert {"T1", "T4", "G4", "G11"} <= codes
            bind_tenant(session, tenants["arbeidsmiljopartner"])
            today = today_in_oslo()
            states = {}
            for person in session.scalars(select(Person)):
                rows = holding_rows(session, person.id, today)
                if rows:
                    states[person.name] = rows[0]["state"]
            assert states["Eirik Periodisk"] == "test_due"
            assert states["Marte Utløpt"] == "repetition"
            assert states["Sindre Klager"] == "revoked"
            assert states["Nora Gyldig"] == "valid"
            case = session.scalar(select(RevocationCase))
            assert case.state == "appealed" and case.appeal_received_on is not None
    finally:
        database.engine.dispose()
        drop_database(url)
