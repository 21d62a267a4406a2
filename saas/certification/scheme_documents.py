"""The PDF of an audit-based scheme's certificate (§ 7.7: issuer, date, holder, type, scope, sub-units
with faglig leder and fagområder, expiry, duration, number, signatory, and a QR code to /verify).

Rendered once by a job after the issuing transaction commits (job id ``scheme-certificate-pdf-<id>``),
stored with its SHA-256, never re-rendered: a later sanction shows on /verify, not on the paper.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas import pdf, storage
from saas.certification.documents import qr_data_uri, verification_url
from saas.certification.scheme_certificates import certificate_dict
from saas.certification.scheme_models import SchemeCertificate
from saas.jobs import enqueue, job
from saas.tenants.models import Tenant


def request_render(session: Session, certificate: SchemeCertificate) -> None:
    enqueue(session, render_scheme_certificate, certificate.id, tenant_id=certificate.tenant_id,
            job_id=f"scheme-certificate-pdf-{certificate.id}")


def document_data(session: Session, certificate: SchemeCertificate) -> dict:
    """What the PDF shows, as plain data: the certificate's snapshot and the provider's branding (the logo,
    and the signatory's uploaded signature when the certificate names that signatory; else a signature line
    with the name and title), as the HMS-sertifikat does."""
    from saas.tenants.services import branding

    tenant = session.get(Tenant, certificate.tenant_id)
    data = certificate_dict(certificate, certificate.issued_on)
    url = verification_url(certificate.verification_code)
    issuer = branding(tenant)
    issuer["primary_color"] = issuer["primary_color"] or "#1f4e79"
    own_signatory = bool(tenant.signatory_name) and certificate.signatory == tenant.signatory_name
    signature = dict(name=certificate.signatory, title=tenant.signatory_title if own_signatory else "",
                     image_uri=issuer["signature_uri"] if own_signatory else None)
    return dict(cert=data, verification_url=url, qr_uri=qr_data_uri(url), tenant=issuer, signature=signature)


@job
def render_scheme_certificate(session: Session, certificate_id: int) -> str | None:
    """Render and store the PDF once; returns its storage key (None: no such certificate)."""
    certificate = session.scalar(select(SchemeCertificate).where(SchemeCertificate.id == certificate_id).with_for_update())
    if certificate is None:
        return None
    if certificate.document_key:
        return certificate.document_key
    data = pdf.render_pdf("scheme_certificate.html", **document_data(session, certificate))
    stored = storage.save_bytes(data, "pdf", f"{certificate.number}.pdf", "application/pdf")
    storage.remove_on_rollback(session, stored)
    certificate.document_key, certificate.document_sha256 = stored.key, hashlib.sha256(data).hexdigest()
    return stored.key
