"""The framed certificate PDF: rendered once after the decision commits, every mandatory field in its text,
a QR code that decodes to the verification URL, embedded fonts, and one stored file whatever happens."""
from __future__ import annotations

import hashlib
import io
import logging
import subprocess
from datetime import date, timedelta

import pypdf
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from saas import storage
from saas.certification import documents
from saas.certification.demo import complete_year, previous_certificate
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate
from saas.certification.services import certificates, decisions
from saas.tenancy import bind_tenant, platform_access
from tests import factories

TODAY = date(2026, 6, 15)


# -- helpers shared with the other certificate document tests ----------------------------------------

def png(size=(360, 120), color=(31, 78, 121)) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).ellipse((10, 10, size[1] - 10, size[1] - 10), fill=color)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def branded_tenant(db, slug=None, images=True, **fields):
    """A provider with address, colours, signatory and (by default) an uploaded logo and signature."""
    tenant = factories.make_tenant(db, slug=slug, name=fields.pop("name", "Bedriftstjenesten Sør AS"),
                                   address="Kirkegata 8", postcode="3616", city="Kongsberg", org_number="974760673",
                                   signatory_name="Kjersti Åsheim", signatory_title="Daglig leder", **fields)
    if images:
        logo = storage.save_bytes(png(), "png", "logo.png", "image/png")
        signature = storage.save_bytes(png((400, 120), (20, 30, 90)), "png", "signatur.png", "image/png")
        with platform_access(db):
            tenant.logo_file, tenant.signature_file = logo.key, signature.key
    bind_tenant(db, tenant.id)
    return tenant


def certified_company(db, tenant, today=TODAY, cert_class="A", issued_days_ago=10, sub_units=("Avdeling Notodden",),
                      **company_fields):
    """A company of ``tenant`` with one certificate issued ``issued_days_ago`` days before ``today``."""
    bind_tenant(db, tenant.id)
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
    company = factories.make_company(db, tenant, **{"name": "Fjellstø Rør og Varme AS", "address": "Storgata 12",
                                                    "postcode": "3616", "city": "Kongsberg", **company_fields})
    for name in sub_units:
        factories.make_sub_unit(db, company, name=name, address="Sagavegen 3, 3674 Notodden")
    certificate = previous_certificate(db, tenant, company, consultant, reviewer, today, cert_class=cert_class,
                                       issued_days_ago=issued_days_ago)
    return company, certificate


def stored_pdf(db, certificate_id) -> tuple[CertificateDocument, bytes]:
    document = db.scalar(select(CertificateDocument).where(CertificateDocument.certificate_id == certificate_id))
    return document, storage.read(document.file_key)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def decode_qr(data: bytes, tmp_path) -> list[str]:
    """Render page 1 like a phone camera would see a print (pdftoppm) and decode every QR code on it."""
    import zxingcpp

    (tmp_path / "cert.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "cert.pdf"), str(tmp_path / "page")],
                   check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    return [code.text for code in zxingcpp.read_barcodes(Image.open(page)) if code.format == zxingcpp.BarcodeFormat.QRCode]


def files_under(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = branded_tenant(db)
        company, certificate = certified_company(db, tenant, sub_units=("Avdeling Notodden", "Lager Hokksund"))
        yield dict(app=app, db=db, tenant=tenant, company=company, certificate=certificate)


# -- rendering after the decision ----------------------------------------------------------------------

def test_a_decision_renders_the_pdf_once_after_the_commit_not_before(app, db):
    with app.app_context():
        tenant = branded_tenant(db)
        consultant = factories.make_user(db, tenant, roles=("consultant",))
        reviewer = factories.make_user(db, tenant, roles=("reviewer",))
        company = factories.make_company(db, tenant, consultant_id=consultant.id)
        year = complete_year(db, company, consultant, TODAY)
        proposal = decisions.propose(db, consultant, year.id, {"cert_class": "A", "b_alternative": False, "justification": ""}, TODAY)
        _, certificate = decisions.decide(db, tenant, reviewer, proposal.id, approve=True, reason="", today=TODAY)

        assert db.scalar(select(func.count(CertificateDocument.id))) == 0  # nothing rendered inside the decision
        db.commit()  # JOBS_MODE=sync: the job runs right after the commit, in its own session

        bind_tenant(db, tenant.id)
        document, data = stored_pdf(db, certificate.id)
        assert hashlib.sha256(data).hexdigest() == document.sha256 and document.size == len(data)
        assert document.template_version == documents.TEMPLATE_VERSION
        assert data.startswith(b"%PDF-") and certificate.number in pdf_text(data)


def test_the_pdf_shows_every_field_a_certificate_must_show(ctx):
    db, certificate, company = ctx["db"], ctx["certificate"], ctx["company"]
    documents.render_and_store(db, certificate.id)
    _, data = stored_pdf(db, certificate.id)
    text = " ".join(pdf_text(data).split())

    expected = [
        "HMS-SERTIFIKAT",
        "Bedriftstjenesten Sør AS", "Kirkegata 8, 3616 Kongsberg", "974 760 673",          # issuer name, address
        f"Dato for sertifisering {certificate.issued_on:%d.%m.%Y}",                         # date of certification
        "Fjellstø Rør og Varme AS", "Storgata 12, 3616 Kongsberg",                           # company name, address
        f"Org.nr. {company.org_number[:3]} {company.org_number[3:6]} {company.org_number[6:]}",  # organisation number
        "er sertifisert i klasse A", "Klasse «A» er en høy sertifiseringsklasse.",           # class and its wording
        f"Gyldig til og med {certificate.valid_until:%d.%m.%Y}",                             # expiry date
        "Varighet 12 måneder",                                                                # duration
        f"Sertifikatnummer {certificate.number}",                                            # certificate number
        "Underavdelinger:", "Avdeling Notodden", "Lager Hokksund",                            # sub-units
        "Kjersti Åsheim", "Daglig leder, Bedriftstjenesten Sør AS",                           # signatory
        documents.verification_url(certificate.verification_code),
    ]
    # The labels are set in small capitals (text-transform), so compare without case.
    missing = [field for field in expected if field.casefold() not in text.casefold()]
    assert not missing, f"missing {missing} in: {text}"


def test_the_page_is_a4_landscape_with_embedded_dejavu_fonts_and_the_uploaded_images(ctx):
    db, certificate = ctx["db"], ctx["certificate"]
    documents.render_and_store(db, certificate.id)
    _, data = stored_pdf(db, certificate.id)
    reader = pypdf.PdfReader(io.BytesIO(data))
    page = reader.pages[0]

    assert len(reader.pages) == 1
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert fonts and all("DejaVu" in str(f["/BaseFont"]) and "+" in str(f["/BaseFont"]) for f in fonts)  # subsets
    assert all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object() for f in fonts)
    assert len(page.images) == 2  # logo and signature (the QR code is vector)


def test_without_uploaded_images_the_signatory_is_still_printed(app, db):
    with app.app_context():
        tenant = branded_tenant(db, images=False)
        _, certificate = certified_company(db, tenant)
        documents.render_and_store(db, certificate.id)
        _, data = stored_pdf(db, certificate.id)

        assert len(pypdf.PdfReader(io.BytesIO(data)).pages[0].images) == 0
        assert "Kjersti Åsheim" in pdf_text(data) and "Bedriftstjenesten Sør AS" in pdf_text(data)


def test_the_qr_code_decodes_to_the_public_verification_url(ctx, tmp_path):
    db, certificate = ctx["db"], ctx["certificate"]
    documents.render_and_store(db, certificate.id)
    _, data = stored_pdf(db, certificate.id)

    assert decode_qr(data, tmp_path) == [f"http://localhost/verify/{certificate.verification_code}"]


def test_many_sub_units_are_listed_in_full_on_an_appendix_page(app, db):
    with app.app_context():
        tenant = branded_tenant(db)
        names = [f"Underavdeling nr {n:02d}" for n in range(1, 31)]
        _, certificate = certified_company(db, tenant, sub_units=names)
        documents.render_and_store(db, certificate.id)
        _, data = stored_pdf(db, certificate.id)
        pages = pypdf.PdfReader(io.BytesIO(data)).pages

        assert len(pages) == 3  # the certificate and two appendix pages of at most 22 rows
        assert "30 underavdelinger, se vedlegget" in pages[0].extract_text()
        appendix = pages[1].extract_text() + pages[2].extract_text()
        assert all(name in appendix for name in names)


def test_the_template_receives_plain_data_only(ctx):
    data = documents.certificate_data(ctx["db"], ctx["certificate"].id)

    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, bool, date))

    assert plain(data)


# -- one document whatever happens ----------------------------------------------------------------------

def test_rendering_again_returns_the_same_document_and_leaves_the_file_alone(ctx):
    db, certificate = ctx["db"], ctx["certificate"]
    first = documents.render_and_store(db, certificate.id)
    document, data = stored_pdf(db, certificate.id)
    path = storage.root() / document.file_key
    written_at = path.stat().st_mtime_ns

    assert documents.render_and_store(db, certificate.id) == first
    assert db.scalar(select(func.count(CertificateDocument.id)).where(CertificateDocument.certificate_id == certificate.id)) == 1
    assert path.stat().st_mtime_ns == written_at and storage.read(document.file_key) == data


def test_a_retry_after_a_crash_between_the_file_and_the_commit_overwrites_the_orphan(ctx):
    db, certificate = ctx["db"], ctx["certificate"]
    key = documents.document_key(certificate)
    orphan = storage.root() / key
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-1.7 half written by a killed worker")
    (orphan.parent / f"{orphan.name}.dead.tmp").write_bytes(b"%PDF-")  # a write the kill interrupted

    documents.render_and_store(db, certificate.id)
    document, data = stored_pdf(db, certificate.id)

    assert document.file_key == key and hashlib.sha256(data).hexdigest() == document.sha256
    assert [p.name for p in orphan.parent.iterdir() if p.name.startswith(orphan.name)] == [orphan.name]


def test_a_render_that_loses_the_race_keeps_the_winners_document_and_never_writes_the_file(ctx, monkeypatch):
    db, certificate = ctx["db"], ctx["certificate"]
    real_data = documents.certificate_data

    def another_worker_commits_meanwhile(session, certificate_id):
        data = real_data(session, certificate_id)
        with session.begin_nested():
            session.add(CertificateDocument(certificate_id=certificate_id, file_key="abcd/" + "e" * 32 + ".pdf",
                                            sha256="f" * 64, size=1, template_version="winner"))
        return data

    monkeypatch.setattr(documents, "certificate_data", another_worker_commits_meanwhile)
    document_id = documents.render_and_store(db, certificate.id)

    winner = db.scalar(select(CertificateDocument).where(CertificateDocument.certificate_id == certificate.id))
    assert document_id == winner.id and winner.template_version == "winner"
    assert not (storage.root() / documents.document_key(certificate)).exists()


def test_a_suspension_later_leaves_the_issued_pdf_unchanged(ctx):
    db, certificate = ctx["db"], ctx["certificate"]
    documents.render_and_store(db, certificate.id)
    before, data = stored_pdf(db, certificate.id)
    reviewer = factories.make_user(db, ctx["tenant"], roles=("reviewer",))

    certificates.change_state(db, reviewer, certificate.id, "suspend", "Avvik ved kontroll", TODAY)
    documents.render_and_store(db, certificate.id)

    after, data_after = stored_pdf(db, certificate.id)
    assert (after.id, after.sha256, data_after) == (before.id, before.sha256, data)
    assert db.scalar(select(Certificate.state).where(Certificate.id == certificate.id)) == "suspended"


def test_an_unknown_certificate_renders_nothing(ctx):
    assert documents.render_and_store(ctx["db"], 987654) is None


def test_missing_documents_are_asked_for_once_each(ctx):
    db = ctx["db"]
    _, second = certified_company(db, ctx["tenant"], today=TODAY + timedelta(days=400))
    documents.render_and_store(db, ctx["certificate"].id)

    assert documents.request_missing(db) == 1
    db.commit()  # sync jobs: the render runs after the commit
    bind_tenant(db, ctx["tenant"].id)
    assert db.scalar(select(func.count(CertificateDocument.id))) == 2 and documents.request_missing(db) == 0


# -- the preview and the sandbox -------------------------------------------------------------------------

def test_the_preview_uses_sample_data_and_says_it_is_a_preview(ctx):
    data = documents.render_certificate(documents.sample_data(ctx["tenant"], TODAY, "A+"))
    text = pdf_text(data)

    assert "FORHÅNDSVISNING" in text and "Eksempelbedriften Fjellstø AS" in text
    assert "klasse A+" in text and "Klasse «A+» er den høyeste sertifiseringsklasse." in text


def test_the_renderer_loads_data_uris_only(ctx, caplog):
    html = ('<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/logo.png">'
            f'<img src="{documents.qr_data_uri("https://example.no")}"><p>Kontroll</p>')
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        data = documents.html_to_pdf(html)

    assert "Kontroll" in pdf_text(data)
    refused = [r.getMessage() for r in caplog.records if "refused to fetch" in r.getMessage()]
    assert len(refused) == 2 and any("file:///etc/passwd" in m for m in refused)
