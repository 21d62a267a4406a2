"""Schemes as data: seeded per tenant, versioned, and a tenant sees only its own."""
import pytest
from sqlalchemy import select

from saas.schemas import FieldErrors
from saas.schemes import services
from saas.schemes.library import BUILTIN
from saas.schemes.models import Requirement, Scheme
from saas.tenancy import bind_tenant
from tests import factories


def test_a_new_tenant_gets_the_builtin_library_in_bokmal(db):
    tenant = factories.make_tenant(db)
    names = {s.name for s in services.schemes_for(db)}
    assert names == {"HMS-sertifikat", "Sertifisert opplæringsvirksomhet (§ 8-1)",
                     "Sertifisert sakkyndig virksomhet (§ 8-6)", "NS 9600-4 opplæringsvirksomhet",
                     "NS 9600-5 tjenestevirksomhet"}
    assert [s.code for s in services.schemes_for(db, "hms")] == ["hms"]
    assert len(services.schemes_for(db, "audit")) == 4
    assert services.schemes_for(db, "person") == []
    opplaering = services.scheme_by_code(db, "opplaering-8-1")
    version = services.current_version(db, opplaering)
    assert version.tenant_id == tenant.id and version.number == 1
    assert services.settings_of(version).validity_months == 48
    assert len([r for r in services.requirements_of(db, version.id) if r.clause.startswith("§ 8-1 ")]) >= 14
    assert [s.name for s in services.scopes_of(db, opplaering.id)][:2] == ["Personløftere", "Masseforflytningsmaskiner"]


def test_seeding_again_adds_nothing_and_keeps_the_tenants_edits(db):
    factories.make_tenant(db)
    hms = services.scheme_by_code(db, "hms")
    hms.name = "Vårt HMS-sertifikat"
    assert services.seed_library(db) == []
    assert services.scheme_by_code(db, "hms").name == "Vårt HMS-sertifikat"
    assert len(services.schemes_for(db)) == len(BUILTIN)


def test_a_new_version_keeps_the_old_one_and_copies_the_catalogue(db):
    factories.make_tenant(db)
    scheme = services.scheme_by_code(db, "ns9600-5")
    first = services.current_version(db, scheme)
    doc = dict(first.settings, validity_months=24)
    second = services.publish_version(db, scheme, doc, note="Kortere gyldighet")
    assert services.current_version(db, scheme).id == second.id and second.number == 2
    assert services.settings_of(first).validity_months == 36  # what was issued under it stays
    assert services.settings_of(second).validity_months == 24
    assert [r.clause for r in services.requirements_of(db, second.id)] == \
        [r.clause for r in services.requirements_of(db, first.id)]


def test_a_bad_setting_is_refused_with_the_field_named(db):
    factories.make_tenant(db)
    scheme = services.scheme_by_code(db, "hms")
    with pytest.raises(FieldErrors) as error:
        services.publish_version(db, scheme, {"validity_months": 0})
    assert "validity_months" in error.value.errors


def test_a_tenant_sees_only_its_own_schemes(db):
    a = factories.make_tenant(db)
    b = factories.make_tenant(db)
    bind_tenant(db, a.id)
    assert {s.tenant_id for s in db.scalars(select(Scheme))} == {a.id}
    assert {r.tenant_id for r in db.scalars(select(Requirement))} == {a.id}
    bind_tenant(db, b.id)
    assert len(services.schemes_for(db)) == len(BUILTIN)
