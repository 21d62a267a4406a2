"""The certificate's stored PDF document (the row only; no file is needed for the attack tests)."""
from saas.certification.document_models import CertificateDocument
from saas.certification.documents import TEMPLATE_VERSION, document_key


def populate(session, base):
    certificate = base["certificate"]
    document = CertificateDocument(certificate_id=certificate.id, file_key=document_key(certificate), sha256="0" * 64,
                                   size=0, template_version=TEMPLATE_VERSION)
    session.add(document)
    session.flush()
    return dict(certificate_document=document)
