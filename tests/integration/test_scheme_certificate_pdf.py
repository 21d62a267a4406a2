"""The PDF of an audit-based scheme's certificate carries the provider's logo and the signatory's signature
(or, with no uploaded signature, the signatory's name and title on a signature line), read back from the PDF."""
import io

import pypdf
import pytest
from sqlalchemy import select

from saas import storage
from saas.certification.scheme_documents import render_scheme_certificate
from saas.certification.scheme_models import SchemeCertificate
from saas.tenancy import bind_tenant, platform_access
from tests.audit_helpers import audit_world, certified
from tests.integration.test_certificate_pdf import png


def _rendered(db, w, case):
    bind_tenant(db, w["tenant"].id)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    key = render_scheme_certificate(db, certificate.id)
    reader = pypdf.PdfReader(io.BytesIO(storage.read(key)))
    page = reader.pages[0]
    return certificate, page.extract_text(), len(page.images)


@pytest.mark.parametrize("images", [True, False])
def test_the_certificate_shows_the_logo_and_the_signatory(app, db, images):
    with app.test_request_context():
        w = audit_world(db)
        if images:
            logo = storage.save_bytes(png(), "png", "logo.png", "image/png")
            signature = storage.save_bytes(png((400, 120), (20, 30, 90)), "png", "signatur.png", "image/png")
            with platform_access(db):
                w["tenant"].logo_file, w["tenant"].signature_file = logo.key, signature.key
        case = certified(w)
        certificate, text, image_count = _rendered(db, w, case)
    assert certificate.signatory == "Signe Signatar"
    assert "Signe Signatar" in text and "Daglig leder" in text and "Kranskolen AS" in text
    assert certificate.number in text
    # The QR code is vector; the images are the logo and the signature.
    assert image_count == (2 if images else 0)


def test_a_signatory_other_than_the_providers_gets_no_borrowed_signature(app, db):
    with app.test_request_context():
        w = audit_world(db)
        signature = storage.save_bytes(png((400, 120), (20, 30, 90)), "png", "signatur.png", "image/png")
        with platform_access(db):
            w["tenant"].signature_file = signature.key
            w["tenant"].signatory_name = ""
        case = certified(w)
        certificate, text, image_count = _rendered(db, w, case)
    assert certificate.signatory == w["reviewer"].name and w["reviewer"].name in text
    assert image_count == 0
