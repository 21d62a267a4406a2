"""Migration 0006 on a database with data: surveys made before codes existed stay open links (their posters
are printed) and their results are marked so, in every tenant (PostgreSQL's forced row-level security, the
migration running as the application's own role); the impartiality setting disappears from every tenant."""
from __future__ import annotations

import os

from alembic import command
import pytest
from sqlalchemy import select, update

from saas.app import create_app
from saas.migrate import alembic_config, upgrade
from saas.surveys.models import Survey
from saas.tenancy import platform_access
from saas.tenants.models import Tenant
from tests import factories
from saas.db import scope_proof
from tests.conftest import SECRET_KEY, app_config, create_database, drop_database, owner_url


# PostgreSQL only: going back to 0004 with every kind of row in place passes the later migrations' SQLite
# table rebuilds (0009), which SQLite's foreign keys refuse while those rows exist.
@pytest.mark.postgres
def test_old_surveys_become_open_links_and_the_impartiality_setting_goes(tmp_path):
    from tests.worlds import populate_all

    url = create_database(f"saas_mig_0006_{os.getpid()}")
    app = create_app(app_config(url, tmp_path))
    database = app.extensions["saas.db"]
    try:
        with app.test_request_context(), database.session_scope() as session:
            tenant = factories.make_tenant(session, slug="gammel")
            world = populate_all(session, {"tenant": tenant, "key": "a"})
            other = factories.make_tenant(session, slug="gammel-2")
            personal_only = populate_all(session, {"tenant": other, "key": "b"})["survey"].id
            with platform_access(session):
                for row in (tenant, other):
                    row.settings = {**row.settings, "impartial_decisions": True}
            survey_id = world["survey"].id
        with app.app_context(), database.session_scope() as session, platform_access(session):
            session.execute(update(Survey).values(shared_link=False).where(Survey.id == personal_only))
            assert session.get(Survey, survey_id).shared_link is True
        database.engine.dispose()

        # As the migrations run in production: as the owner role, granting the runtime role afterwards.
        command.downgrade(alembic_config(owner_url(url)), "0004")
        upgrade(owner_url(url), runtime_url=url, scope_proof=scope_proof(SECRET_KEY))

        with app.app_context(), database.session_scope() as session, platform_access(session):
            links = dict(session.execute(select(Survey.id, Survey.open_link)).all())
            assert links == {survey_id: True, personal_only: False}
            assert all("impartial_decisions" not in t.settings for t in session.scalars(select(Tenant)))
    finally:
        database.engine.dispose()
        drop_database(url)
