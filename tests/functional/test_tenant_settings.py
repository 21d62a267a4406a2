"""Tenant settings: profile, certification and survey settings, branding uploads."""
import io

from PIL import Image
from sqlalchemy import select

from saas.tenancy import platform_access
from saas.tenants.models import Tenant
from tests.conftest import login

VALID = {"name": "Tilbyder A AS", "org_number": "974760673", "primary_color": "#123456", "accent_color": "#abcdef",
         "certificate_prefix": "TA", "survey_min_group": "7", "raw_answer_retention_days": "30", "renewal_reminder_days": "90"}


def _tenant(db, slug="tenant-a"):
    with platform_access(db):
        db.expire_all()
        return db.scalar(select(Tenant).where(Tenant.slug == slug))


def test_an_admin_saves_settings_kept_in_columns_and_in_the_settings_json(client, db, two_tenants):
    login(client, two_tenants["a"]["admin"])
    assert client.post("/t/tenant-a/settings", data={**VALID, "impartial_decisions": "1"}).status_code == 302
    tenant = _tenant(db)
    assert tenant.primary_color == "#123456"
    assert "impartial_decisions" not in tenant.settings  # impartiality is a rule, not a setting (issue 12)
    assert (tenant.setting("survey_min_group"), tenant.setting("raw_answer_retention_days")) == (7, 30)


def test_k_below_five_and_a_bad_colour_are_field_errors_and_nothing_changes(client, db, two_tenants):
    login(client, two_tenants["a"]["admin"])
    response = client.post("/t/tenant-a/settings", data={**VALID, "survey_min_group": "3", "primary_color": "blå"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "aldri senkes" in body and "fargekode" in body
    assert _tenant(db).setting("survey_min_group") == 5


def test_a_logo_is_uploaded_re_encoded_and_served_only_as_an_attachment(client, db, two_tenants):
    login(client, two_tenants["a"]["admin"])
    image = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(image, "PNG")
    response = client.post("/t/tenant-a/settings/branding", data={"kind": "logo", "file": (io.BytesIO(image.getvalue()), "logo.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    served = client.get("/t/tenant-a/logo")
    assert served.status_code == 200 and served.data.startswith(b"\x89PNG")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in served.headers["Content-Disposition"]


def test_a_script_named_png_is_refused_as_a_logo(client, db, two_tenants):
    login(client, two_tenants["a"]["admin"])
    response = client.post("/t/tenant-a/settings/branding", data={"kind": "logo", "file": (io.BytesIO(b"<script>alert(1)</script>"), "logo.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Filtypen er ikke tillatt" in response.get_data(as_text=True)
    assert _tenant(db).logo_file is None
